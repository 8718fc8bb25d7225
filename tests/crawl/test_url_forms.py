"""One report, several forms of its URL (``https://``, ``http://``, ``:80``): requested once,
stored once, every form a link gave kept among its URLs, the list's date kept when the first
link had none."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.exceptions import DropItem
from sqlalchemy import select

from archive.models import Report, ReportUrl
from govcrawl.analysis.result import Analysis
from govcrawl.discovery.plan import Role
from govcrawl.items import ReportLinked, ReportPage
from govcrawl.meta import CaptureMeta, StepMeta
from pipelines.store import StorePipeline
from tests.crawl.helpers import (
    archive_response,
    build,
    html_response,
    make_crawler,
    make_spider,
    session_of,
    spider_request,
)

SITE = "http://www.huaning.gov.cn/"
LIST = SITE + "xxgk/ndbg/list.asp?page=1"
PATH = "xxgk/ndbg/content_2601.html"
FORMS = {"http": f"http://www.huaning.gov.cn/{PATH}", "https": f"https://www.huaning.gov.cn/{PATH}",
         "port80": f"http://www.huaning.gov.cn:80/{PATH}"}
TITLE = "华宁县2023年政府信息公开工作年度报告"
NOW = datetime(2024, 3, 1, tzinfo=UTC)


def _list(*links: tuple[str, str]) -> str:
    items = "".join(f"<li><a href='{url}'>{TITLE}</a><span>{day}</span></li>" for url, day in links)
    return f"<html><body><ul class='list'>{items}</ul></body></html>"


def _parse(spider, body: str, url: str = LIST) -> list:
    request = spider_request(url, SITE, Role.LIST, hops=1)
    return list(spider.parse_page(html_response(url, body, request=request)))


def _report_requests(out: list) -> list[str]:
    return [r.url for r in out if isinstance(r, Request) and StepMeta.of(r).role is Role.REPORT]


@pytest.fixture
def crawler(tmp_path: Path):
    crawler = make_crawler(tmp_path)
    make_spider(crawler, site=SITE)
    return crawler


def test_a_report_linked_under_another_form_is_requested_once_and_the_form_noted(crawler) -> None:
    spider = crawler.spider
    first = _parse(spider, _list((FORMS["https"], "")))
    assert _report_requests(first) == [FORMS["https"]]
    later = _parse(spider, _list((FORMS["port80"], "2024-01-23")), url=LIST.replace("=1", "=2"))
    assert _report_requests(later) == []
    (linked,) = [item for item in later if isinstance(item, ReportLinked)]
    assert (linked.url, linked.listed_title, linked.listed_date) == (
        FORMS["port80"], TITLE, "2024-01-23")
    # The same form again says nothing new: nothing at all.
    assert _parse(spider, _list((FORMS["port80"], "2024-01-23"))) == []


def test_two_forms_in_one_page_make_one_request_and_one_noted_form(crawler) -> None:
    out = _parse(crawler.spider, _list((FORMS["https"], "2024-01-23"), (FORMS["http"], "")))
    assert _report_requests(out) == [FORMS["https"]]
    assert [item.url for item in out if isinstance(item, ReportLinked)] == [FORMS["http"]]


def _store_report(crawler, store: StorePipeline, url: str, listed_date: str = "") -> dict:
    request, _ = archive_response(crawler, url, b"<html>...</html>",
                                  headers={"Content-Type": "text/html"})
    return store.process_item(ReportPage(
        url=url, body=b"", content_type="text/html", site_url=SITE, site_name="华宁县",
        listed_title=TITLE, listed_date=listed_date, fetched_at=NOW,
        capture_id=CaptureMeta.of(request).capture_id,
        analysis=Analysis(title=TITLE, text="正文", year=2023)))


@pytest.fixture
def store(crawler) -> StorePipeline:
    pipeline = build(StorePipeline, crawler)
    pipeline.open_spider()
    return pipeline


def _link(store: StorePipeline, url: str, listed_date: str = "") -> dict | None:
    """The record passed on (the report's, again), or None while the report is not stored."""
    try:
        return store.process_item(ReportLinked(url=url, seen_at=NOW, listed_title=TITLE,
                                               listed_date=listed_date))
    except DropItem:
        return None


def test_forms_linked_before_and_after_the_report_is_stored_are_its_urls(crawler, store) -> None:
    assert _link(store, FORMS["port80"]) is None  # met while the report's request was in flight
    record = _store_report(crawler, store, FORMS["https"])
    assert record["url"] == FORMS["https"] and FORMS["port80"] in record["urls"]
    # Met after it was stored: the report's record again, as it is now (feed exports).
    again = _link(store, FORMS["http"])
    assert again is not None and set(again["urls"]) == set(FORMS.values())
    session = session_of(crawler)
    (report,) = session.scalars(select(Report)).all()
    assert (report.url, report.url_key) == (FORMS["https"], FORMS["http"])
    assert {u.url for u in session.scalars(select(ReportUrl))} == set(FORMS.values())


def test_a_later_links_date_becomes_the_reports_listed_and_published_date(crawler, store) -> None:
    _store_report(crawler, store, FORMS["https"])  # from a box without dates
    record = _link(store, FORMS["port80"], listed_date="2024-01-23")  # the report list prints one
    report = session_of(crawler).scalars(select(Report)).one()
    assert report.listed_date == report.published == date(2024, 1, 23)
    assert record is not None and record["published"] == "2024-01-23"
