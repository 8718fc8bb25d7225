"""The item pipelines: analysis in the shared pool (failures cost only their item), storing through
ReportStore in a savepoint per item, and the public record they pass on for feed exports."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from scrapy.exceptions import DropItem
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from archive.models import Attachment, Report
from archive.store import ReportStore
from govcrawl.analysis.result import Analysis
from govcrawl.items import AttachmentDoc, ReportPage, ReportSeen
from govcrawl.meta import CaptureMeta
from pipelines.extract import ExtractPipeline
from pipelines.store import StorePipeline
from tests.crawl.helpers import (
    FIXTURES,
    archive_response,
    build,
    captures,
    make_crawler,
    make_spider,
    problems,
    session_of,
)
from tests.extract_faults import FaultyExtractPipeline, SlowExtractPipeline

SITE = "http://www.cangyuan.gov.cn/"
REPORT = SITE + "zwgk/ndbg/202302/t20230215_1.html"
PDF = SITE + "zwgk/ndbg/202302/W0123.pdf"
TITLE = "沧源自治县2018年政府信息公开工作年度报告"
PAGE_BODY = (FIXTURES / "report" / "000_cangyuan_plain.html").read_bytes()
NOW = datetime(2024, 3, 1, tzinfo=UTC)


def _page(url: str = REPORT, body: bytes = PAGE_BODY, title: str = TITLE, **kwargs) -> ReportPage:
    return ReportPage(url=url, body=body, content_type="text/html; charset=utf-8", site_url=SITE,
                      site_name="沧源佤族自治县", listed_title=title, fetched_at=NOW, **kwargs)


def _run(coroutine):
    return asyncio.run(coroutine)


async def _extract(pipeline: ExtractPipeline, *items):
    pipeline.open_spider()
    try:
        results = []
        for item in items:
            try:
                results.append(await pipeline.process_item(item))
            except DropItem as exc:
                results.append(exc)
        return results
    finally:
        await pipeline.close_spider()


# -- ExtractPipeline ---------------------------------------------------------------------------
def test_report_page_is_analysed_in_the_pool(tmp_path: Path) -> None:
    crawler = make_crawler(tmp_path, GOVCRAWL_EXTRACT_WORKERS=1)
    make_spider(crawler, site=SITE)
    (item,) = _run(_extract(build(ExtractPipeline, crawler), _page()))
    assert isinstance(item.analysis, Analysis)
    assert item.analysis.year == 2018 and item.analysis.text
    assert crawler.stats.get_value("govcrawl/not_reports") is None


def test_page_that_no_title_calls_a_report_is_dropped(tmp_path: Path) -> None:
    crawler = make_crawler(tmp_path, GOVCRAWL_EXTRACT_WORKERS=1)
    make_spider(crawler, site=SITE)
    body = "<html><head><title>关于开展2023年度安全生产检查的通知</title></head><body><p>通知全文</p></body></html>"
    (result,) = _run(_extract(build(ExtractPipeline, crawler),
                              _page(body=body.encode(), title="关于开展安全生产检查的通知")))
    assert isinstance(result, DropItem) and "not an annual report" in str(result)
    assert crawler.stats.get_value("govcrawl/not_reports") == 1


def test_a_page_that_kills_its_worker_is_kept_flagged_and_the_others_analysed(tmp_path: Path) -> None:
    crawler = make_crawler(tmp_path, GOVCRAWL_EXTRACT_WORKERS=1, GOVCRAWL_EXTRACT_TIMEOUT=5)
    make_spider(crawler, site=SITE)
    broken = _page(url=SITE + "zwgk/ndbg/broken.html")
    fine = _page()
    results = _run(_extract(build(FaultyExtractPipeline, crawler), broken, fine))
    assert results[0].flags == ["extract_failed"] and results[0].analysis.year == 2018  # listed
    assert results[1].flags == [] and results[1].analysis.text
    (problem,) = problems(crawler, "extract_error")
    assert problem.url == broken.url and "worker died" in problem.message


def test_a_burst_of_slow_pages_each_within_the_time_limit_is_not_failed(tmp_path: Path) -> None:
    # Review M1 (scenario 17): one worker, a 1 s limit, five pages of 0.6 s arriving at once,
    # 3 s together. The limit counted from submission failed the last three (extract_failed).
    crawler = make_crawler(tmp_path, GOVCRAWL_EXTRACT_WORKERS=1, GOVCRAWL_EXTRACT_TIMEOUT=1)
    make_spider(crawler, site=SITE)
    pipeline = build(SlowExtractPipeline, crawler)

    async def burst() -> list:
        pipeline.open_spider()
        try:
            return await asyncio.gather(*(pipeline.process_item(
                _page(url=f"{SITE}zwgk/ndbg/{n}.html")) for n in range(5)))
        finally:
            await pipeline.close_spider()

    started = time.monotonic()
    items = _run(burst())
    assert time.monotonic() - started >= 3.0  # they did queue behind each other
    assert [(item.flags, item.analysis.year) for item in items] == [([], 2018)] * 5
    assert problems(crawler, "extract_error") == []
    assert crawler.stats.get_value("govcrawl/analysis/timeout") is None


def test_unchanged_reports_are_not_analysed(tmp_path: Path) -> None:
    crawler = make_crawler(tmp_path)
    make_spider(crawler, site=SITE)
    seen = ReportSeen(url=REPORT, capture_id="x", fetched_at=NOW)
    assert _run(_extract(build(ExtractPipeline, crawler), seen)) == [seen]


# -- StorePipeline -----------------------------------------------------------------------------
def _stored_page(crawler, **analysis) -> tuple[StorePipeline, dict]:
    request, _ = archive_response(crawler, REPORT, PAGE_BODY, headers={"Content-Type": "text/html"})
    store = build(StorePipeline, crawler)
    store.open_spider()
    page = _page(capture_id=CaptureMeta.of(request).capture_id,
                 analysis=Analysis(title=TITLE, text="正文", year=2018, **analysis))
    return store, store.process_item(page)


def test_stored_report_is_passed_on_as_its_public_record(tmp_path: Path) -> None:
    crawler = make_crawler(tmp_path)
    make_spider(crawler, site=SITE)
    _, record = _stored_page(crawler, stats={"applications_new": 3})
    json.dumps(record)  # a feed exporter can write it
    assert record["url"] == REPORT and record["title"] == TITLE and record["year"] == 2018
    assert record["stats"] == {"applications_new": 3}
    assert record["capture"]["record_id"] == captures(crawler, REPORT)[0].id
    assert record["site"] == "www.cangyuan.gov.cn"  # the site row the spider registered


def test_an_attachment_waits_for_its_page_then_completes_the_record(tmp_path: Path) -> None:
    crawler = make_crawler(tmp_path)
    make_spider(crawler, site=SITE)
    request, _ = archive_response(crawler, PDF, b"%PDF-1.4", headers={"Content-Type": "application/pdf"})
    store = build(StorePipeline, crawler)
    store.open_spider()
    doc = AttachmentDoc(url=PDF, report_url=REPORT, body=b"%PDF-1.4", content_type="application/pdf",
                        disposition=None, site_name="沧源", link_text="附件", fetched_at=NOW,
                        capture_id=CaptureMeta.of(request).capture_id,
                        analysis=Analysis(text="附件正文", stats={"handled_total": 5}))
    with pytest.raises(DropItem, match="waits for its report page"):
        store.process_item(doc)
    request, _ = archive_response(crawler, REPORT, PAGE_BODY, headers={"Content-Type": "text/html"})
    record = store.process_item(_page(capture_id=CaptureMeta.of(request).capture_id,
                                      analysis=Analysis(title=TITLE, text="正文", year=2018)))
    assert [a["url"] for a in record["attachments"]] == [PDF]
    assert record["stats"]["handled_total"] == 5  # combined with the attachment's figures


def test_a_report_seen_again_moves_only_its_last_seen_time(tmp_path: Path) -> None:
    crawler = make_crawler(tmp_path)
    make_spider(crawler, site=SITE)
    store, first = _stored_page(crawler)
    later = datetime(2024, 6, 1, tzinfo=UTC)
    record = store.process_item(ReportSeen(url=REPORT, capture_id=None, fetched_at=later))
    assert record["last_seen"].startswith("2024-06-01") and record["first_seen"] == first["first_seen"]
    assert crawler.stats.get_value("govcrawl/reports_unchanged") == 1


def test_a_database_error_costs_only_its_item(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    crawler = make_crawler(tmp_path)
    make_spider(crawler, site=SITE)
    store, _ = _stored_page(crawler)
    other = SITE + "zwgk/ndbg/other.html"
    request, _ = archive_response(crawler, other, PAGE_BODY, headers={"Content-Type": "text/html"})

    def failing(self, seen, analysis, **kwargs):
        session_of(crawler).add(Report(url=other, first_seen=NOW, last_seen=NOW, text="half"))
        session_of(crawler).flush()  # written inside the item's savepoint…
        raise OperationalError("INSERT", {}, Exception("disk I/O error"))  # …then it fails
    monkeypatch.setattr(ReportStore, "store_page", failing)
    with pytest.raises(DropItem, match="could not store"):
        store.process_item(_page(url=other, capture_id=CaptureMeta.of(request).capture_id,
                                 analysis=Analysis(title=TITLE)))
    monkeypatch.undo()
    session = session_of(crawler)
    session.commit()
    # Only the failed item's rows are gone: the first report and every capture row remain.
    assert list(session.scalars(select(Report.url))) == [REPORT]
    assert {c.url for c in captures(crawler)} == {REPORT, other}
    (problem,) = problems(crawler, "db_error")
    assert problem.url == other and "disk I/O error" in problem.message
    assert list(session.scalars(select(Attachment))) == []
