"""The web-archive URL scheme and CDX query of ``govcrawl --wayback`` (pure)."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

import pytest

from govcrawl.wayback import (
    archive_request_url,
    capture_time,
    cdx_query_url,
    original_headers,
    parse_archive_url,
    report_candidate,
    timestamp_of,
)

ARCHIVE = "http://web.archive.org"


def test_raw_capture_urls_round_trip() -> None:
    url = "http://www.cangyuan.gov.cn/zwgk/zfxxgknb/index.html?page=2"
    archived = archive_request_url(ARCHIVE, "20201231235959", url)
    assert archived == f"{ARCHIVE}/web/20201231235959id_/{url}"
    assert parse_archive_url(ARCHIVE, archived) == ("20201231235959", url)
    # the archive's redirect to the nearest capture keeps the scheme; schemeless originals too
    assert parse_archive_url(ARCHIVE, f"{ARCHIVE}/web/2019id_/www.x.gov.cn/") == (
        "2019", "http://www.x.gov.cn/")
    assert parse_archive_url(ARCHIVE, f"{ARCHIVE}/web/2019/http://www.x.gov.cn/") is None
    assert parse_archive_url(ARCHIVE, "http://www.x.gov.cn/web/2019id_/http://a/") is None


@pytest.mark.parametrize(("stamp", "when"), [
    ("20190615083000", datetime(2019, 6, 15, 8, 30, tzinfo=UTC)),
    ("2019", datetime(2019, 1, 1, tzinfo=UTC)),
    ("201906", datetime(2019, 6, 1, tzinfo=UTC)),
])
def test_capture_time(stamp: str, when: datetime) -> None:
    assert capture_time(stamp) == when


def test_target_timestamps() -> None:
    assert timestamp_of(2020, end=True) == "20201231235959"
    assert timestamp_of(2010) == "20100101000000"
    assert len(timestamp_of(None)) == 14


def test_cdx_query_asks_for_one_200_capture_per_url_in_the_years() -> None:
    query = dict(parse_qsl(urlsplit(cdx_query_url(ARCHIVE, "cangyuan.gov.cn", 2012, 2020)).query))
    assert query == {"url": "cangyuan.gov.cn", "matchType": "domain", "output": "json",
                     "fl": "original,timestamp,mimetype,statuscode", "filter": "statuscode:200",
                     "collapse": "urlkey", "from": "2012", "to": "2020"}
    assert "from" not in cdx_query_url(ARCHIVE, "x.gov.cn", None, None)


@pytest.mark.parametrize(("url", "kind"), [
    ("http://www.x.gov.cn/zwgk/zfxxgknb/201902/t20190218_512152.html", "report"),
    ("http://www.x.gov.cn/old/xxgk/ndbg/2018ndbg.html", "report"),
    ("http://www.x.gov.cn/zwgk/zfxxgknb/", "column"),
    ("http://www.x.gov.cn/zwgk/zfxxgknb/index.html", "column"),
    ("http://www.x.gov.cn/xwzx/202001/t20200101_1.html", None),
])
def test_report_candidates_by_url(url: str, kind: str | None) -> None:
    assert report_candidate(url) == kind


def test_original_headers_of_a_raw_capture() -> None:
    archive = [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", "120"),
               ("X-Archive-Orig-Server", "nginx"), ("X-Archive-Orig-Content-Length", "99"),
               ("X-Archive-Orig-Last-Modified", "Tue, 01 Jan 2019 00:00:00 GMT"),
               ("Memento-Datetime", "Tue, 15 Jun 2019 08:30:00 GMT")]
    assert original_headers(archive) == [
        ("Server", "nginx"), ("Last-Modified", "Tue, 01 Jan 2019 00:00:00 GMT"),
        ("Content-Type", "text/html; charset=utf-8"), ("Content-Length", "120")]
