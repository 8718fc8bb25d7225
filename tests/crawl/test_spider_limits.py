"""The spider's brakes: the per-site request budget, anti-bot walls, and the early stop of an
unchanged list of known reports."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy import Request

from govcrawl.discovery.plan import Role
from govcrawl.meta import StepMeta
from tests.crawl.helpers import (
    LUEYANG,
    YUNHE,
    archive_response,
    close_crawler,
    fixture_page,
    html_response,
    make_crawler,
    make_spider,
    problems,
    spider_request,
)

COLUMN = "http://www.lueyang.gov.cn/zwgk/zfxxgknb/index.html"
REPORT = "http://www.lueyang.gov.cn/zwgk/zfxxgknb/202301/t20230128_1500123.html"
JIASULE = (b"<script>document.cookie=('_')+('_')+('j')+('s')+('l');var __jsl_clearance='1';"
           b"location.href=location.pathname+location.search</script>")
ALIYUN = b"<html><script>var arg1='3F4E5A6B7C8D9E0F1A2B3C4D5E6F';</script></html>"


def _home(spider, site: str = LUEYANG) -> list[Request]:
    page = "home_trs.html" if site == LUEYANG else "column_jcms.html"
    role = Role.HOME if site == LUEYANG else Role.COLUMN
    request = spider_request(site, site, role)
    return list(spider.parse_page(html_response(site, fixture_page(page), request=request)))


# -- budget ---------------------------------------------------------------------------------

def test_site_budget_stops_requests_and_is_recorded_once(tmp_path: Path) -> None:
    crawler = make_crawler(tmp_path, GOVCRAWL_MAX_REQUESTS_PER_SITE=3)
    spider = make_spider(crawler, site=f"{LUEYANG},{YUNHE}")
    assert len(_home(spider)) == 3
    assert _home(spider) == []  # the next page of the site: nothing more
    (problem,) = problems(crawler, "site_budget")
    assert problem.url == LUEYANG and "after 3 requests" in problem.message
    assert len(_home(spider, YUNHE)) == 3  # another site has its own budget
    assert len(problems(crawler, "site_budget")) == 2


def test_budget_also_bounds_a_report_pages_attachments(tmp_path: Path) -> None:
    crawler = make_crawler(tmp_path, GOVCRAWL_MAX_REQUESTS_PER_SITE=1)
    spider = make_spider(crawler, site=LUEYANG)
    body = ("<html><body><div id='zoom'>" + "<p>正文</p>" * 80
            + "<a href='/f/a.pdf'>附件一.pdf</a><a href='/f/b.pdf'>附件二.pdf</a></div></body></html>")
    request = spider_request(REPORT, LUEYANG, Role.REPORT)
    results = list(spider.parse_report(html_response(REPORT, body, request=request)))
    assert [type(r).__name__ for r in results] == ["ReportPage", "Request"]
    assert len(problems(crawler, "site_budget")) == 1


# -- anti-bot walls -------------------------------------------------------------------------

@pytest.mark.parametrize("callback", ["parse_page", "parse_report", "parse_attachment"])
@pytest.mark.parametrize(("status", "body", "wall"), [(521, JIASULE, "jiasule"),
                                                      (200, ALIYUN, "aliyun_waf")],
                         ids=["jiasule-521", "aliyun-200"])
def test_wall_page_yields_nothing_records_antibot_challenge_and_slows_the_host(
        tmp_path: Path, callback: str, status: int, body: bytes, wall: str) -> None:
    crawler = make_crawler(tmp_path, GOVCRAWL_WALL_DELAY=30.0)
    spider = make_spider(crawler, site=LUEYANG)
    slot = crawler.engine.downloader.slot(COLUMN)
    request = spider_request(COLUMN, LUEYANG, Role.COLUMN, hops=1, report_url=REPORT)
    page = html_response(COLUMN, body, status=status, request=request)
    assert list(getattr(spider, callback)(page)) == []
    (problem,) = problems(crawler, "antibot_challenge")
    assert problem.url == COLUMN and wall in problem.message and f"HTTP {status}" in problem.message
    assert slot.delay == 30.0


# -- early stop -----------------------------------------------------------------------------

def _column(spider, flags=()) -> list[Request]:
    request = spider_request(COLUMN, LUEYANG, Role.COLUMN, hops=1)
    return list(spider.parse_page(html_response(COLUMN, fixture_page("column_trs.html"),
                                                request=request, flags=flags)))


def _known_reports(tmp_path: Path, leave_out: int = 0) -> list[str]:
    """An earlier crawl fetched the column's reports (all but ``leave_out`` of them)."""
    crawler = make_crawler(tmp_path)
    reports = [r.url for r in _column(make_spider(crawler, site=LUEYANG))
               if StepMeta.of(r).role is Role.REPORT]
    for url in reports[leave_out:]:
        archive_response(crawler, url, b"<html>report</html>", headers={"Content-Type": "text/html"})
    close_crawler(crawler)
    return reports


def _lists(requests: list[Request]) -> list[str]:
    return [r.url for r in requests if StepMeta.of(r).role is Role.LIST]


def test_unchanged_list_of_known_reports_is_not_paged_further(tmp_path: Path) -> None:
    reports = _known_reports(tmp_path)
    crawler = make_crawler(tmp_path)
    requests = _column(make_spider(crawler, site=LUEYANG), flags=["unchanged", "not_modified"])
    assert _lists(requests) == []
    assert [r.url for r in requests if StepMeta.of(r).role is Role.REPORT] == reports  # still asked
    assert any(StepMeta.of(r).role is Role.COLUMN for r in requests)  # sub-columns too
    assert crawler.stats.get_value("govcrawl/early_stops") == 1


@pytest.mark.parametrize(("leave_out", "flags", "settings"), [
    (0, [], {}),  # the page changed
    (1, ["unchanged"], {}),  # a report on it is new
    (0, ["unchanged"], {"GOVCRAWL_FULL": True}),  # a full crawl walks everything
    (0, ["unchanged"], {"GOVCRAWL_EARLY_STOP": False}),
], ids=["changed", "new-report", "full", "early-stop-off"])
def test_list_is_paged_on_when_changed_new_or_early_stop_is_off(
        tmp_path: Path, leave_out: int, flags: list[str], settings: dict) -> None:
    _known_reports(tmp_path, leave_out)
    crawler = make_crawler(tmp_path, **settings)
    requests = _column(make_spider(crawler, site=LUEYANG), flags=flags)
    assert len(_lists(requests)) == 4
    assert not crawler.stats.get_value("govcrawl/early_stops")



# -- pages too large to parse on the reactor thread -----------------------------------------

def _links_page(count: int, encoding: str = "utf-8") -> bytes:
    links = "".join(f"<li><a href='/zwgk/zfxxgknb/2023/t{i}.html'>略阳县{2000 + i}年政府信息公开工作年度报告</a></li>"
                    for i in range(count))
    return f"<html><body><ul>{links}</ul></body></html>".encode(encoding)


def _reports(requests: list[Request]) -> list[str]:
    return [r.url for r in requests if StepMeta.of(r).role is Role.REPORT]


def test_a_page_over_the_parse_limit_is_read_in_part_and_recorded_once(tmp_path: Path) -> None:
    body = _links_page(20)
    limit = body.index(b"t10.html")  # inside the 11th link
    crawler = make_crawler(tmp_path, GOVCRAWL_MAX_PARSE_BYTES=limit)
    spider = make_spider(crawler, site=LUEYANG)
    request = spider_request(COLUMN, LUEYANG, Role.COLUMN, hops=1)
    found = [_reports(list(spider.parse_page(html_response(COLUMN, body, request=request))))
             for _ in range(2)]  # a page seen twice (a retry, a replay) is recorded once
    assert [url.rsplit("/", 1)[1] for url in found[0]] == [f"t{i}.html" for i in range(10)]
    assert found[1] == []  # its reports are requested once per crawl
    (problem,) = problems(crawler, "page_too_large")
    assert problem.url == COLUMN and f"first {limit}" in problem.message


def test_a_page_within_the_parse_limit_is_read_whole(tmp_path: Path) -> None:
    body = _links_page(20)
    crawler = make_crawler(tmp_path, GOVCRAWL_MAX_PARSE_BYTES=len(body))
    spider = make_spider(crawler, site=LUEYANG)
    request = spider_request(COLUMN, LUEYANG, Role.COLUMN, hops=1)
    assert len(_reports(list(spider.parse_page(html_response(COLUMN, body, request=request))))) == 20
    assert problems(crawler, "page_too_large") == []


def test_the_cut_never_splits_a_gbk_character(tmp_path: Path) -> None:
    body = _links_page(20, "gb18030")
    limit = body.index(b"t10.html") + 21  # in the middle of 年, in the 11th link's title
    crawler = make_crawler(tmp_path, GOVCRAWL_MAX_PARSE_BYTES=limit)
    spider = make_spider(crawler, site=LUEYANG)
    request = spider_request(COLUMN, LUEYANG, Role.COLUMN, hops=1)
    page = html_response(COLUMN, body, request=request, headers={"Content-Type": "text/html"})
    assert spider._parsed_part(page).decode("gb18030")  # strict: no character cut in two
    requests = [r for r in spider.parse_page(page) if StepMeta.of(r).role is Role.REPORT]
    assert len(requests) == 10
    assert all(StepMeta.of(r).link_text.startswith("略阳县") for r in requests)


def test_a_report_pages_attachments_are_read_from_its_first_bytes_only(tmp_path: Path) -> None:
    article = "<div id='zoom'>" + "<p>正文</p>" * 80
    body = (f"<html><body>{article}<a href='/f/a.pdf'>附件一.pdf</a>" + "<p>x</p>" * 500
            + "<a href='/f/b.pdf'>附件二.pdf</a></div></body></html>").encode()
    crawler = make_crawler(tmp_path, GOVCRAWL_MAX_PARSE_BYTES=body.index(b"/f/b.pdf"))
    spider = make_spider(crawler, site=LUEYANG)
    request = spider_request(REPORT, LUEYANG, Role.REPORT)
    results = list(spider.parse_report(html_response(REPORT, body, request=request)))
    assert results[0].body == body  # the analysis gets the whole page
    assert [r.url for r in results[1:]] == ["http://www.lueyang.gov.cn/f/a.pdf"]
    assert [p.url for p in problems(crawler, "page_too_large")] == [REPORT]
