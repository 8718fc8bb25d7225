"""Extract each report page's text and fields in worker processes, off the reactor thread.

trafilatura costs 20-40 ms a page; run inline it blocks every download (STACK.md measured a
tenth of bare Scrapy's throughput). A process pool keeps the reactor free and uses every core.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Self

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from govcrawl.discovery.titles import is_report_title
from govcrawl.extensions import ArchiveExtension
from govcrawl.items import AttachmentDoc, ReportPage, ReportSeen
from govcrawl.report.fields import read_fields
from govcrawl.report.worker import extract_document, extract_page, kill_pool, limited_worker


class ExtractPipeline:
    """Runs ``extract_page`` in a process pool with a time limit per page.

    A page that overruns the limit or kills its worker costs only itself: the pool is replaced,
    and the pages that were in it when it broke are tried again, each alone in a fresh process,
    so only the culprit fails (flag ``extract_failed``, a problem row, the report still kept)."""

    worker_function: Callable[..., dict[str, Any]] = staticmethod(extract_page)
    document_function: Callable[..., dict[str, Any]] = staticmethod(extract_document)

    def __init__(self, crawler: Crawler, workers: int, timeout: float, memory_mb: int = 0) -> None:
        self.crawler = crawler
        self.workers = workers or os.cpu_count() or 1
        self.timeout = timeout
        self.memory_mb = memory_mb
        self.pool: ProcessPoolExecutor | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        s = crawler.settings
        return cls(crawler, s.getint("GOVCRAWL_EXTRACT_WORKERS"), s.getfloat("GOVCRAWL_EXTRACT_TIMEOUT"),
                   s.getint("GOVCRAWL_EXTRACT_MEMORY_MB"))

    def _new_pool(self, workers: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=workers, initializer=limited_worker,
                                   initargs=(self.memory_mb,))

    def open_spider(self) -> None:
        self.pool = self._new_pool(self.workers)

    def close_spider(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=False)

    def _replace_pool(self, broken: ProcessPoolExecutor) -> None:
        if self.pool is not broken:
            return  # another page already replaced it
        kill_pool(broken)
        self.pool = self._new_pool(self.workers)
        self.crawler.stats.inc_value("govcrawl/extract_pool_restarts")

    async def _run(self, pool: ProcessPoolExecutor, item: ReportPage | AttachmentDoc
                   ) -> dict[str, Any]:
        if isinstance(item, AttachmentDoc):
            future = pool.submit(self.document_function, item.body, item.url, item.content_type,
                                 item.disposition, item.site_name, item.link_text)
        elif item.document:
            future = pool.submit(self.document_function, item.body, item.url, item.content_type,
                                 item.disposition, item.site_name, item.listed_title,
                                 item.listed_date)
        else:
            future = pool.submit(self.worker_function, item.body, item.url, item.content_type,
                                 item.site_name, item.listed_title, item.listed_date)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), self.timeout)
        except TimeoutError:
            raise TimeoutError(f"extraction took longer than {self.timeout:g} s") from None

    async def _extract(self, item: ReportPage | AttachmentDoc) -> dict[str, Any]:
        pool = self.pool
        assert pool is not None
        try:
            return await self._run(pool, item)
        except TimeoutError:
            self._replace_pool(pool)
            raise
        except BrokenProcessPool:
            self._replace_pool(pool)
        # A worker died, perhaps for another page: this page runs alone, so only a culprit fails.
        solo = self._new_pool(1)
        try:
            return await self._run(solo, item)
        finally:
            kill_pool(solo)

    async def process_item(self, item: ReportPage | ReportSeen | AttachmentDoc
                           ) -> ReportPage | ReportSeen | AttachmentDoc:
        if isinstance(item, ReportSeen):
            return item  # unchanged: nothing to extract
        archive = ArchiveExtension.of(self.crawler)
        try:
            item.extracted = await self._extract(item)
        except Exception as exc:  # a worker died or hung: record it, keep the report, go on
            archive.problem("extract_error", f"{type(exc).__name__}: {exc}", url=item.url)
            item.flags.append("extract_failed")
            if isinstance(item, AttachmentDoc):
                item.extracted = {"text": "", "flags": [], "cells": [], "stats": {}}
                return item
            fields = read_fields(item.listed_title, "", None, item.site_name)
            item.extracted = {"title": None, "text": "", "fields": fields.to_dict(), "meta": {}}
            return item
        if isinstance(item, AttachmentDoc):
            return item  # a report page's document: part of that report, whatever its title
        page_title = item.extracted.get("title")
        if not (is_report_title(page_title or "") or is_report_title(item.listed_title)):
            self.crawler.stats.inc_value("govcrawl/not_reports")
            raise DropItem(f"not an annual report: {page_title or item.listed_title!r} ({item.url})")
        if "no_text" in item.extracted.get("flags", []):
            # Kept: the list calls it a report and the capture is archived; say why it is empty.
            archive.problem("empty_text", "no text could be extracted from the report page", url=item.url)
        return item
