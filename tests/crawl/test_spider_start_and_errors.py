"""The spider's start (sites registered, home and CDX requests), parse_cdx and on_error."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from sqlalchemy import select
from twisted.internet.error import DNSLookupError, TimeoutError
from twisted.python.failure import Failure

from archive.models import Site
from govcrawl.discovery.plan import Role
from govcrawl.meta import StepMeta
from govcrawl.middlewares import OutOfScope
from tests.crawl.helpers import (
    LUEYANG,
    YUNHE,
    make_crawler,
    make_spider,
    problems,
    response,
    session_of,
    spider_request,
    start_requests,
)

ARCHIVE = "http://archive.test"
WAYBACK = {"GOVCRAWL_WAYBACK": True, "GOVCRAWL_ARCHIVE_URL": ARCHIVE,
           "GOVCRAWL_WAYBACK_FROM": 2019, "GOVCRAWL_WAYBACK_TO": 2023}
REPORT = "http://www.lueyang.gov.cn/zwgk/zfxxgknb/202301/t20230128_1500123.html"


# -- start ----------------------------------------------------------------------------------

def test_start_registers_each_site_and_requests_its_home_page(tmp_path: Path) -> None:
    crawler = make_crawler(tmp_path)
    spider = make_spider(crawler, site=f"{LUEYANG},{YUNHE}", start=False)
    requests = start_requests(spider)
    assert [r.url for r in requests] == [LUEYANG, YUNHE]
    for request in requests:
        assert request.callback == spider.parse_page and request.errback == spider.on_error
        assert (StepMeta.of(request).role, StepMeta.of(request).hops) == (Role.HOME, 0)
    sites = session_of(crawler).scalars(select(Site).order_by(Site.id)).all()
    assert [(s.url, s.domain) for s in sites] == [(LUEYANG, "lueyang.gov.cn"),
                                                  (YUNHE, "yunhe.gov.cn")]
    assert spider.allowed_domains == ["lueyang.gov.cn", "yunhe.gov.cn"]


def test_bad_rows_of_the_site_list_are_recorded_and_the_rest_crawled(tmp_path: Path) -> None:
    sites = tmp_path / "sites.csv"
    sites.write_text("name,url,level\n略阳县,http://www.lueyang.gov.cn/,county\n"
                     "坏,ftp://x.gov.cn/,county\n云和县,http://www.yunhe.gov.cn/,planet\n",
                     encoding="utf-8")
    crawler = make_crawler(tmp_path)
    spider = make_spider(crawler, sites=sites, start=False)
    assert [r.url for r in start_requests(spider)] == [LUEYANG]
    found = problems(crawler, "site_list")
    assert [p.message.split(":")[0] for p in found] == [f"{sites}, line 3", f"{sites}, line 4"]
    site = session_of(crawler).scalars(select(Site)).one()
    assert (site.name, site.admin_level) == ("略阳县", "county")


def test_no_usable_site_starts_nothing(tmp_path: Path) -> None:
    crawler = make_crawler(tmp_path)
    spider = make_spider(crawler, sites=tmp_path / "missing.csv", start=False)
    assert start_requests(spider) == []
    (problem,) = problems(crawler, "site_list")
    assert "cannot read site list" in problem.message


def test_wayback_start_also_asks_the_cdx_api_and_allows_the_archive_host(tmp_path: Path) -> None:
    spider = make_spider(make_crawler(tmp_path, **WAYBACK), site=LUEYANG, start=False)
    home, cdx = start_requests(spider)
    assert home.url == LUEYANG and cdx.callback == spider.parse_cdx
    assert cdx.url.startswith(f"{ARCHIVE}/cdx/search/cdx?")
    query = parse_qs(urlsplit(cdx.url).query)
    assert (query["url"], query["from"], query["to"]) == (["lueyang.gov.cn"], ["2019"], ["2023"])
    assert "archive.test" in spider.allowed_domains


# -- parse_cdx ------------------------------------------------------------------------------

def _cdx(spider, body: bytes) -> list[Request]:
    url = f"{ARCHIVE}/cdx/search/cdx?url=lueyang.gov.cn"
    return list(spider.parse_cdx(response(url, body, request=Request(url, meta=StepMeta(site_url=LUEYANG).as_meta()))))


CDX = [["original", "timestamp", "mimetype", "statuscode"],
       [REPORT, "20230201000000", "text/html", "200"],
       ["http://www.lueyang.gov.cn/zwgk/zfxxgknb/", "20230301000000", "text/html", "200"],
       ["http://xxgk.lueyang.gov.cn/xxgk/ndbg/2022nb.pdf", "20230401000000", "application/pdf", "200"],
       ["http://www.lueyang.gov.cn/xwzx/lyyw/t20230315_1.html", "20230315000000", "text/html", "200"],
       ["http://www.other.gov.cn/zfxxgknb/t1.html", "20230101000000", "text/html", "200"]]


def test_cdx_answer_becomes_report_and_column_requests_at_their_capture_time(tmp_path: Path) -> None:
    spider = make_spider(make_crawler(tmp_path, **WAYBACK), site=LUEYANG)
    requests = {r.url: r for r in _cdx(spider, json.dumps(CDX).encode())}
    assert list(requests) == [REPORT, "http://www.lueyang.gov.cn/zwgk/zfxxgknb/",
                              "http://xxgk.lueyang.gov.cn/xxgk/ndbg/2022nb.pdf"]
    report, column, pdf = requests.values()
    assert (StepMeta.of(report).role, StepMeta.of(report).hops, report.callback) == (
        Role.REPORT, 0, spider.parse_report)
    assert (StepMeta.of(column).role, StepMeta.of(column).hops, column.callback) == (
        Role.COLUMN, 1, spider.parse_page)
    assert StepMeta.of(report).wayback_ts == "20230201000000" and StepMeta.of(pdf).role is Role.REPORT


@pytest.mark.parametrize("body", [b"<html>503 Service Unavailable</html>", b'{"error": "busy"}',
                                  b"[[\"original\"], "], ids=["html", "object", "cut"])
def test_unreadable_cdx_answer_is_recorded_as_cdx_error(tmp_path: Path, body: bytes) -> None:
    crawler = make_crawler(tmp_path, **WAYBACK)
    assert _cdx(make_spider(crawler, site=LUEYANG), body) == []
    (problem,) = problems(crawler, "cdx_error")
    assert problem.url.startswith(ARCHIVE) and "unreadable CDX answer" in problem.message


def test_empty_cdx_answer_is_no_error(tmp_path: Path) -> None:
    crawler = make_crawler(tmp_path, **WAYBACK)
    spider = make_spider(crawler, site=LUEYANG)
    assert _cdx(spider, b"") == [] and _cdx(spider, b"[]") == []
    assert problems(crawler) == []


def test_cdx_requests_count_against_the_site_budget(tmp_path: Path) -> None:
    crawler = make_crawler(tmp_path, GOVCRAWL_MAX_REQUESTS_PER_SITE=1, **WAYBACK)
    assert [r.url for r in _cdx(make_spider(crawler, site=LUEYANG), json.dumps(CDX).encode())] == [REPORT]
    assert len(problems(crawler, "site_budget")) == 1


# -- on_error -------------------------------------------------------------------------------

def _fail(spider, exception: Exception, url: str = REPORT) -> None:
    request = spider_request(url, LUEYANG, Role.REPORT)
    try:
        raise exception
    except Exception:
        failure = Failure()
    failure.request = request  # as Scrapy hands failures to errbacks
    spider.on_error(failure)


@pytest.fixture
def crawler(tmp_path: Path):
    return make_crawler(tmp_path)


def test_http_error_is_recorded_with_its_status(crawler) -> None:
    spider = make_spider(crawler, site=LUEYANG)
    _fail(spider, HttpError(response(REPORT, b"not found", status=404), "Ignoring non-200"))
    (problem,) = problems(crawler)
    assert (problem.kind, problem.message, problem.url) == ("http_error", "HTTP 404", REPORT)


def test_http_error_that_is_a_wall_is_recorded_as_antibot_challenge(crawler) -> None:
    spider = make_spider(crawler, site=LUEYANG)
    crawler.engine.downloader.slot(REPORT)
    wall = response(REPORT, b"<script>var __jsl_clearance='1';</script>", status=521,
                    request=Request(REPORT))
    _fail(spider, HttpError(wall, "Ignoring non-200"))
    assert [p.kind for p in problems(crawler)] == ["antibot_challenge"]
    assert crawler.engine.downloader.slot(REPORT).delay == crawler.settings.getfloat(
        "GOVCRAWL_WALL_DELAY")


def test_ignored_request_is_recorded_as_ignored(crawler) -> None:
    spider = make_spider(crawler, site=LUEYANG)
    _fail(spider, IgnoreRequest("Forbidden by robots.txt"))
    _fail(spider, IgnoreRequest())
    assert [(p.kind, p.message) for p in problems(crawler)] == [
        ("ignored", "Forbidden by robots.txt"), ("ignored", "request ignored")]


def test_network_failure_is_recorded_as_fetch_error_with_its_type(crawler) -> None:
    spider = make_spider(crawler, site=LUEYANG)
    _fail(spider, TimeoutError("Getting took longer than 60.0 seconds."))
    _fail(spider, DNSLookupError("no such host"))
    messages = [(p.kind, p.message.split(":")[0]) for p in problems(crawler)]
    assert messages == [("fetch_error", "TimeoutError"), ("fetch_error", "DNSLookupError")]


@pytest.mark.parametrize("body", [b'[["original", "timestamp"], 7]',
                                  b'[["original", "timestamp"], [null, "2023"]]'],
                         ids=["row-not-a-list", "null-original"])
def test_cdx_rows_of_the_wrong_shape_are_recorded_as_cdx_error(tmp_path: Path, body: bytes) -> None:
    crawler = make_crawler(tmp_path, **WAYBACK)
    assert _cdx(make_spider(crawler, site=LUEYANG), body) == []
    assert len(problems(crawler, "cdx_error")) == 1


def test_a_request_the_scope_guard_refused_is_not_recorded_twice(crawler) -> None:
    spider = make_spider(crawler, site=LUEYANG)
    _fail(spider, OutOfScope("refused: host '127.0.0.2' is outside the crawl's domains"))
    assert problems(crawler) == []  # the guard wrote its own out_of_scope row
