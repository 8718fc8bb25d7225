"""The spider's parse_page on saved pages: which requests, in which role, to which callback."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy import Request

from govcrawl.discovery.plan import Role
from govcrawl.discovery.scope import in_scope, registered_domain
from govcrawl.meta import StepMeta
from govcrawl.spiders.annual_reports import PRIORITY
from tests.crawl.helpers import (
    LUEYANG,
    XUNYANG,
    YUNHE,
    fixture_page,
    html_response,
    make_crawler,
    make_spider,
    spider_request,
)

REPORT = "http://www.lueyang.gov.cn/zwgk/zfxxgknb/202301/t20230128_1500123.html"
COLUMN = "http://www.lueyang.gov.cn/zwgk/zfxxgknb/"


@pytest.fixture
def spider(tmp_path: Path):
    return make_spider(make_crawler(tmp_path), site=f"{LUEYANG},{YUNHE},{XUNYANG}")


def _parse(spider, page: str, url: str, site: str, role: Role, hops: int = 0,
           **kwargs) -> dict[str, Request]:
    request = spider_request(url, site, role, hops=hops)
    results = list(spider.parse_page(html_response(url, fixture_page(page), request=request,
                                                   **kwargs)))
    assert all(isinstance(r, Request) for r in results)
    by_url = {r.url: r for r in results}
    assert len(by_url) == len(results)  # no URL asked twice from one page
    return by_url


def _roles(requests: dict[str, Request], role: Role) -> list[str]:
    return [url for url, r in requests.items() if StepMeta.of(r).role is role]


# (saved page, its URL, the site, the role it was fetched in, hops)
PAGES = [
    ("home_trs.html", LUEYANG, LUEYANG, Role.HOME, 0),
    ("section_trs.html", "http://www.lueyang.gov.cn/zwgk/index.html", LUEYANG, Role.SECTION, 1),
    ("platform_units.html", "http://xxgk.lueyang.gov.cn/", LUEYANG, Role.SECTION, 1),
    ("unit_town.html", "http://xxgk.lueyang.gov.cn/xxgk/jgtz/", LUEYANG, Role.UNIT, 1),
    ("column_trs.html", COLUMN + "index.html", LUEYANG, Role.COLUMN, 1),
    ("column_jcms.html", "http://www.yunhe.gov.cn/col/col1229046226/index.html", YUNHE,
     Role.COLUMN, 1),
    ("list_plain.html", "http://www.xunyang.gov.cn/zwgk/ndbg/list.aspx?page=2", XUNYANG,
     Role.LIST, 1),
]


@pytest.mark.parametrize(("page", "url", "site", "role", "hops"), PAGES,
                         ids=[p[0] for p in PAGES])
def test_saved_page_yields_requests_within_the_site_and_nothing_off_site(
        spider, page: str, url: str, site: str, role: Role, hops: int) -> None:
    requests = _parse(spider, page, url, site, role, hops)
    assert requests
    domain = registered_domain(site)
    assert all(in_scope(u, (domain,)) for u in requests), [
        u for u in requests if not in_scope(u, (domain,))]
    for request in requests.values():
        assert StepMeta.of(request).site_url == site and request.errback == spider.on_error
        assert request.priority == PRIORITY[StepMeta.of(request).role]
        expected = {Role.REPORT: spider.parse_report,
                    Role.ATTACHMENT: spider.parse_attachment}.get(StepMeta.of(request).role,
                                                                 spider.parse_page)
        if request.cb_kwargs.get("data") is not None:  # a script-built list's data request
            expected = spider.parse_data
        assert request.callback == expected
        assert request.url.startswith(("http://", "https://")) and "#" not in request.url


def test_home_page_requests_sections_the_report_column_a_report_and_its_pdf(spider) -> None:
    requests = _parse(spider, "home_trs.html", LUEYANG, LUEYANG, Role.HOME)
    assert set(_roles(requests, Role.SECTION)) == {"http://www.lueyang.gov.cn/zwgk/",
                                                   "http://xxgk.lueyang.gov.cn/"}
    assert all(StepMeta.of(requests[u]).hops == 1 for u in _roles(requests, Role.SECTION))
    assert _roles(requests, Role.COLUMN) == [COLUMN]
    assert _roles(requests, Role.REPORT) == [REPORT]  # fragment dropped
    report = requests[REPORT]
    assert StepMeta.of(report).link_text == "略阳县2022年政府信息公开工作年度报告"
    assert StepMeta.of(report).site_name == "www.lueyang.gov.cn"
    (pdf,) = _roles(requests, Role.ATTACHMENT)
    assert pdf.endswith(".pdf") and StepMeta.of(requests[pdf]).report_url == REPORT
    # news, notices, the search box, the calendar, look-alike and other portals: none of them
    assert not any(k in u for u in requests for k in ("xwzx", "tzgg", "search", "rili", "login"))
    assert not any("example.com" in u or "shaanxi" in u for u in requests)


def test_section_page_requests_units_columns_and_a_nested_section(spider) -> None:
    requests = _parse(spider, "section_trs.html", "http://www.lueyang.gov.cn/zwgk/index.html",
                      LUEYANG, Role.SECTION, 1)
    base = "http://www.lueyang.gov.cn/zwgk/"
    assert StepMeta.of(requests[base + "fdzdgknr/"]).role is Role.SECTION
    assert StepMeta.of(requests[base + "fdzdgknr/"]).hops == 2
    assert _roles(requests, Role.COLUMN) == [base + "zfxxgknb/"]
    units = {StepMeta.of(requests[u]).link_text for u in _roles(requests, Role.UNIT)}
    assert {"县财政局", "接官亭镇", "乡镇信息公开"} <= units
    assert [StepMeta.of(requests[u]).link_text for u in _roles(requests, Role.REPORT)] == [
        "略阳县财政局2022年度政府信息公开工作年度报告"]


def test_unit_pages_lead_to_their_columns(spider) -> None:
    platform = _parse(spider, "platform_units.html", "http://xxgk.lueyang.gov.cn/", LUEYANG,
                      Role.SECTION, 1)
    assert _roles(platform, Role.COLUMN) == ["http://xxgk.lueyang.gov.cn/xxgk/ndbg/"]
    assert len(_roles(platform, Role.UNIT)) >= 5
    town = _parse(spider, "unit_town.html", "http://xxgk.lueyang.gov.cn/xxgk/jgtz/", LUEYANG,
                  Role.UNIT, 1)
    assert _roles(town, Role.COLUMN) == ["http://xxgk.lueyang.gov.cn/xxgk/jgtz/ndbg/"]
    assert all(StepMeta.of(town[u]).hops == 2 for u in _roles(town, Role.UNIT))


def test_column_page_requests_its_reports_list_pages_and_sub_columns(spider) -> None:
    requests = _parse(spider, "column_trs.html", COLUMN + "index.html", LUEYANG, Role.COLUMN, 1)
    assert [StepMeta.of(requests[u]).link_text for u in _roles(requests, Role.REPORT)] == [
        "略阳县2022年政府信息公开工作年度报告",
        "略阳县财政局2022年度政府信息公开工作年度报告",
        "兴州街道办事处2022年度政府信息公开工作年度报告",
        "略阳县发展和改革局2021年政府信息公开工作...",
    ]
    assert _roles(requests, Role.LIST) == [f"{COLUMN}index_{k}.html" for k in range(1, 5)]
    assert {StepMeta.of(requests[u]).hops for u in _roles(requests, Role.COLUMN)} == {2}
    assert not _roles(requests, Role.SECTION) and not _roles(requests, Role.UNIT)


def test_jcms_column_requests_records_the_next_group_and_a_pdf_next_to_its_report(spider) -> None:
    url = "http://www.yunhe.gov.cn/col/col1229046226/index.html"
    requests = _parse(spider, "column_jcms.html", url, YUNHE, Role.COLUMN, 1)
    assert len(_roles(requests, Role.REPORT)) == 3
    lists = _roles(requests, Role.LIST)
    (nextgroup,) = [u for u in lists if requests[u].method == "GET"]
    assert "/module/web/jpage/dataproxy.jsp?page=1" in nextgroup
    # totalRecord: 38 and 8 records in the page: the group is POSTed for as jpage.js does
    (group,) = [u for u in lists if requests[u].method == "POST"]
    assert requests[group].callback == spider.parse_data
    assert b"columnid=1229046226" in requests[group].body
    (pdf,) = _roles(requests, Role.ATTACHMENT)
    assert "downfile" in pdf and StepMeta.of(requests[pdf]).report_url == (
        "http://www.yunhe.gov.cn/art/2024/1/20/art_1229046226_59012345.html")
    assert all(StepMeta.of(requests[u]).site_url == YUNHE for u in requests)


def test_plain_list_page_requests_its_reports_and_the_other_pages(spider) -> None:
    url = "http://www.xunyang.gov.cn/zwgk/ndbg/list.aspx?page=2"
    requests = _parse(spider, "list_plain.html", url, XUNYANG, Role.LIST, 1)
    assert len(_roles(requests, Role.REPORT)) == 3
    assert set(_roles(requests, Role.LIST)) == {
        f"http://www.xunyang.gov.cn/zwgk/ndbg/list.aspx?page={n}" for n in range(1, 13)} - {url}


def test_list_pages_stop_at_the_configured_limit(tmp_path: Path) -> None:
    spider = make_spider(make_crawler(tmp_path, GOVCRAWL_MAX_LIST_PAGES=5), site=XUNYANG)
    url = "http://www.xunyang.gov.cn/zwgk/ndbg/list.aspx?page=2"
    assert not _roles(_parse(spider, "list_plain.html", url, XUNYANG, Role.LIST, 5), Role.LIST)


def test_pages_that_are_not_html_are_not_planned(spider) -> None:
    request = spider_request(COLUMN, LUEYANG, Role.COLUMN, hops=1)
    page = html_response(COLUMN, fixture_page("column_trs.html"), request=request,
                         headers={"Content-Type": "application/pdf"})
    assert list(spider.parse_page(page)) == []


def test_page_in_a_chinese_legacy_encoding_is_decoded_before_planning(spider) -> None:
    body = "<html><body><a href='/zwgk/'>政务公开</a></body></html>".encode("gbk")
    request = spider_request(LUEYANG, LUEYANG, Role.HOME)
    page = html_response(LUEYANG, body, request=request,
                         headers={"Content-Type": "text/html; charset=GBK"})
    (section,) = spider.parse_page(page)
    assert section.url == "http://www.lueyang.gov.cn/zwgk/" and StepMeta.of(section).link_text == "政务公开"
