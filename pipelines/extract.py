"""Extract each report page's text and fields in worker processes, off the reactor thread.

trafilatura costs 20-40 ms a page; run inline it blocks every download (STACK.md measured a
tenth of bare Scrapy's throughput). A process pool keeps the reactor free and uses every core.
"""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from typing import Self

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from govcrawl.discovery.titles import is_report_title
from govcrawl.extensions import ArchiveExtension
from govcrawl.items import ReportPage
from govcrawl.report.extract import extract_report
from govcrawl.report.fields import read_fields


def extract_page(body: bytes, url: str, content_type: str | None, site_name: str | None,
                 listed_title: str = "") -> dict:
    """Worker-side: the JSON-safe extraction of one page.

    When the page shows no report title of its own (a bare heading, a broken page), its fields
    are read with the title the list gave it."""
    extracted = extract_report(body, url, content_type, site_name)
    if is_report_title(listed_title) and not is_report_title(extracted.title or ""):
        fields = read_fields(listed_title, extracted.text, extracted.meta, site_name)
        published = extracted.fields.published or fields.published
        extracted = replace(extracted, fields=replace(fields, published=published))
    return extracted.to_dict()


class ExtractPipeline:
    def __init__(self, crawler: Crawler, workers: int) -> None:
        self.crawler = crawler
        self.workers = workers or os.cpu_count() or 1
        self.pool: ProcessPoolExecutor | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler, crawler.settings.getint("GOVCRAWL_EXTRACT_WORKERS"))

    def open_spider(self) -> None:
        self.pool = ProcessPoolExecutor(max_workers=self.workers)

    def close_spider(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=False)

    async def process_item(self, item: ReportPage) -> ReportPage:
        assert self.pool is not None
        archive = ArchiveExtension.of(self.crawler)
        try:
            future = self.pool.submit(extract_page, item.body, item.url, item.content_type,
                                      item.site_name, item.listed_title)
            item.extracted = await asyncio.wrap_future(future)
        except Exception as exc:  # a worker died (memory, crash): record, keep crawling
            archive.problem("extract_error", f"{type(exc).__name__}: {exc}", url=item.url)
            raise DropItem(f"extraction failed for {item.url}") from exc
        page_title = item.extracted.get("title")
        if not (is_report_title(page_title or "") or is_report_title(item.listed_title)):
            self.crawler.stats.inc_value("govcrawl/not_reports")
            raise DropItem(f"not an annual report: {page_title or item.listed_title!r} ({item.url})")
        if not item.extracted.get("text"):
            # Kept: the list calls it a report and the capture is archived; say why it is empty.
            item.flags.append("no_text")
            archive.problem("empty_text", "no text could be extracted from the report page", url=item.url)
        return item
