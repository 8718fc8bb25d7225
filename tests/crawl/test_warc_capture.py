"""WarcCaptureMiddleware: every exchange is written to WARC raw, as received."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy import Request

from archive.warc import IDENTICAL_PAYLOAD, RotatingWarcWriter, payload_digest, read_record
from govcrawl.meta import CAPTURE_KEY, CaptureMeta
from govcrawl.middlewares import WarcCaptureMiddleware
from tests.crawl.helpers import (
    captures,
    close_crawler,
    earlier_crawl,
    gzipped,
    make_crawler,
    problems,
    response,
    warc_records,
)

PAGE = "http://www.lueyang.gov.cn/zwgk/zfxxgknb/index.html?page=2&sort=date"
HTML = "<html><body>政府信息公开工作年度报告</body></html>".encode()
HEADERS = {"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip",
           "ETag": '"abc"', "Set-Cookie": ["a=1; Path=/", "b=2; Path=/"]}


def _capture(tmp_path: Path, body: bytes = HTML, **response_kwargs) -> tuple:
    crawler = make_crawler(tmp_path)
    middleware = WarcCaptureMiddleware.from_crawler(crawler)
    request = Request(PAGE, headers={"User-Agent": "govcrawl-test", "Accept-Encoding": "gzip"})
    result = middleware.process_response(request, response(
        PAGE, gzipped(body), headers=HEADERS, request=request, **response_kwargs))
    return crawler, request, result


def _by_type(crawler) -> dict[str, list]:
    grouped: dict[str, list] = {}
    for record, payload in warc_records(crawler):
        grouped.setdefault(record.rec_type, []).append((record, payload))
    return grouped


def test_response_record_keeps_the_content_encoded_body_as_received(tmp_path: Path) -> None:
    crawler, request, result = _capture(tmp_path)
    close_crawler(crawler)
    ((record, payload),) = _by_type(crawler)["response"]
    assert payload == gzipped(HTML)  # raw: gzip as it came over the wire
    assert record.rec_headers.get_header("WARC-Target-URI") == PAGE
    assert record.http_headers.get_statuscode() == "200"
    assert record.http_headers.get_header("Content-Encoding") == "gzip"
    assert [v for k, v in record.http_headers.headers if k == "Set-Cookie"] == [
        "a=1; Path=/", "b=2; Path=/"]  # repeated headers kept
    assert result.body == gzipped(HTML) and not result.flags


def test_request_record_has_path_and_query_host_header_and_concurrent_to(tmp_path: Path) -> None:
    crawler, request, _ = _capture(tmp_path)
    close_crawler(crawler)
    grouped = _by_type(crawler)
    ((response_record, _),) = grouped["response"]
    ((request_record, _),) = grouped["request"]
    assert request_record.http_headers.protocol == "GET"
    assert request_record.http_headers.statusline == "/zwgk/zfxxgknb/index.html?page=2&sort=date HTTP/1.1"
    assert request_record.http_headers.get_header("Host") == "www.lueyang.gov.cn"
    assert request_record.http_headers.get_header("User-Agent") == "govcrawl-test"
    assert (request_record.rec_headers.get_header("WARC-Concurrent-To")
            == response_record.rec_headers.get_header("WARC-Record-ID"))


def test_capture_id_goes_to_request_meta_and_names_the_capture_row(tmp_path: Path) -> None:
    crawler, request, _ = _capture(tmp_path)
    (row,) = captures(crawler, PAGE)
    assert CaptureMeta.of(request).capture_id == row.id
    assert CaptureMeta.of(request).payload_digest == row.payload_digest == payload_digest(gzipped(HTML))
    assert (row.status, row.record_type, row.source, row.etag) == (200, "response", "live", '"abc"')
    record, payload = read_record(row.warc_file, row.warc_offset)  # readable by its offset alone
    assert record.rec_headers.get_header("WARC-Record-ID") == row.id and payload == gzipped(HTML)


def test_identical_payload_becomes_revisit_and_flags_unchanged(tmp_path: Path) -> None:
    first, first_request, _ = _capture(tmp_path)
    close_crawler(first)
    crawler, request, result = _capture(tmp_path)  # the next crawl: priors hold the first
    assert result.flags == ["unchanged", "identical_payload"]
    assert CaptureMeta.of(request).capture_id == CaptureMeta.of(first_request).capture_id  # the payload's record
    close_crawler(crawler)
    revisit = [row for row in captures(crawler, PAGE) if row.record_type == "revisit"]
    assert [r.refers_to for r in revisit] == [CaptureMeta.of(first_request).capture_id]
    assert revisit[0].id != CaptureMeta.of(first_request).capture_id
    records = [record for record, _ in warc_records(crawler) if record.rec_type == "revisit"]
    assert [r.rec_headers.get_header("WARC-Profile") for r in records] == [IDENTICAL_PAYLOAD]
    assert records[0].rec_headers.get_header("WARC-Refers-To") == CaptureMeta.of(first_request).capture_id


def test_changed_payload_is_a_new_response_record_and_not_flagged(tmp_path: Path) -> None:
    first, first_request, _ = _capture(tmp_path)
    close_crawler(first)
    crawler, request, result = _capture(tmp_path, body=HTML + b"<p>new</p>")
    assert result.flags == []
    assert {row.record_type for row in captures(crawler, PAGE)} == {"response"}
    assert CaptureMeta.of(request).capture_id != CaptureMeta.of(first_request).capture_id


def test_response_replayed_from_archive_is_not_archived_again(tmp_path: Path) -> None:
    crawler, request, result = _capture(tmp_path, flags=["from_archive"])
    assert result.flags == ["from_archive"] and CaptureMeta.peek(request) is None
    close_crawler(crawler)
    assert captures(crawler) == []
    assert {record.rec_type for record, _ in warc_records(crawler)} <= {"warcinfo"}


def test_cut_transfer_is_archived_as_warc_truncated_and_recorded_as_problem(tmp_path: Path) -> None:
    crawler, request, result = _capture(tmp_path, flags=["dataloss"])
    (problem,) = problems(crawler, "truncated")
    assert problem.url == PAGE and "WARC-Truncated" in problem.message
    (row,) = captures(crawler, PAGE)
    assert row.truncated == "disconnect"
    close_crawler(crawler)
    ((record, _),) = _by_type(crawler)["response"]
    assert record.rec_headers.get_header("WARC-Truncated") == "disconnect"
    assert result.flags == ["dataloss"]


def test_cut_transfer_is_never_a_revisit_of_a_whole_one(tmp_path: Path) -> None:
    first, _, _ = _capture(tmp_path)
    close_crawler(first)
    crawler, request, result = _capture(tmp_path, flags=["dataloss"])
    assert "unchanged" not in result.flags
    assert {row.record_type for row in captures(crawler, PAGE)} == {"response"}


def test_write_error_is_recorded_as_problem_and_response_passed_on(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(RotatingWarcWriter, "write_exchange", disk_full)
    crawler, request, result = _capture(tmp_path)
    assert result.status == 200 and result.url == PAGE
    assert CaptureMeta.of(request).capture_id is None
    (problem,) = problems(crawler, "warc_write_error")
    assert problem.url == PAGE and "No space left" in problem.message
    assert captures(crawler) == []


def test_every_hop_is_archived_including_redirects_and_errors(tmp_path: Path) -> None:
    crawler = make_crawler(tmp_path)
    middleware = WarcCaptureMiddleware.from_crawler(crawler)
    for url, status, headers in (
            ("http://www.lueyang.gov.cn/robots.txt", 404, {}),
            ("http://www.lueyang.gov.cn/zwgk", 301, {"Location": "/zwgk/"}),
            ("http://www.lueyang.gov.cn/zwgk/", 200, {"Content-Type": "text/html"})):
        middleware.process_response(Request(url), response(url, b"x", status=status, headers=headers))
    assert [(row.url.rsplit("/", 1)[-1] or "/", row.status) for row in captures(crawler)] == [
        ("robots.txt", 404), ("zwgk", 301), ("/", 200)]


def test_capture_from_a_web_archive_is_stored_under_the_original_url_and_time(tmp_path: Path) -> None:
    crawler = make_crawler(tmp_path, GOVCRAWL_ARCHIVE_URL="http://archive.test")
    middleware = WarcCaptureMiddleware.from_crawler(crawler)
    archived = "http://archive.test/web/20210304050607id_/http://www.lueyang.gov.cn/zwgk/"
    request = Request(archived, meta={CAPTURE_KEY: CaptureMeta(wayback=True)})
    middleware.process_response(request, response(archived, HTML, request=request, headers={
        "Content-Type": "text/html", "Memento-Datetime": "Thu, 04 Mar 2021 05:06:07 GMT",
        "X-Archive-Orig-ETag": '"orig"', "X-Archive-Orig-Server": "nginx"}))
    (row,) = captures(crawler)
    assert (row.url, row.source, row.archive_url, row.etag) == (
        "http://www.lueyang.gov.cn/zwgk/", "wayback", archived, '"orig"')
    assert row.fetched_at.replace(tzinfo=None).isoformat() == "2021-03-04T05:06:07"
    close_crawler(crawler)
    types = [record.rec_type for record, _ in warc_records(crawler)]
    assert types == ["warcinfo", "response", "metadata"]  # no request was sent to the portal


def test_archive_answer_that_is_not_a_raw_capture_is_stored_as_received(tmp_path: Path) -> None:
    crawler = make_crawler(tmp_path, GOVCRAWL_ARCHIVE_URL="http://archive.test")
    middleware = WarcCaptureMiddleware.from_crawler(crawler)
    cdx = "http://archive.test/cdx/search/cdx?url=lueyang.gov.cn"
    request = Request(cdx, meta={CAPTURE_KEY: CaptureMeta(wayback=True)})
    middleware.process_response(request, response(cdx, b"[]", request=request))
    (row,) = captures(crawler)
    assert (row.url, row.source, row.archive_url) == (cdx, "wayback", None)


def test_archive_copy_identical_to_a_live_capture_points_at_the_payload_record(
        tmp_path: Path) -> None:
    page = "http://www.lueyang.gov.cn/zwgk/zfxxgknb/"
    ids = earlier_crawl(tmp_path, [(page, HTML, {"Content-Type": "text/html"})])
    crawler = make_crawler(tmp_path, GOVCRAWL_WAYBACK=True, GOVCRAWL_ARCHIVE_URL="http://archive.test")
    archived = f"http://archive.test/web/20210304050607id_/{page}"
    request = Request(archived, meta={CAPTURE_KEY: CaptureMeta(wayback=True)})
    result = WarcCaptureMiddleware.from_crawler(crawler).process_response(request, response(
        archived, HTML, request=request,
        headers={"Content-Type": "text/html", "Memento-Datetime": "Thu, 04 Mar 2021 05:06:07 GMT"}))
    assert result.flags == ["unchanged", "identical_payload"]  # holds today
    assert CaptureMeta.of(request).capture_id == ids[page]  # fails: the revisit's own id
