"""Analyse each report page and document in worker processes, off the reactor thread.

trafilatura costs 20-40 ms a page; run inline it blocks every download (a tenth of bare Scrapy's
throughput, measured). ``govcrawl.analysis.AnalysisPool`` keeps the reactor free, uses every
core, and gives the crawl the same failure rules as import and reparse: a page that overruns its
time limit (counted from when a worker starts it), exhausts its worker's memory or kills its
worker fails alone (flag ``extract_failed``, a problem row, the report still kept).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Self

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from govcrawl.analysis import AnalysisFailed, AnalysisPool, PoolLimits
from govcrawl.analysis.result import Analysis
from govcrawl.analysis.worker import AnalysisTask, analyse
from govcrawl.extensions import ArchiveExtension
from govcrawl.items import AttachmentDoc, ReportLinked, ReportPage, ReportSeen


class ExtractPipeline:
    """Sets each item's ``analysis``; drops pages whose page and listed titles are both not
    report titles."""

    # The worker function: a test seam (tests/extract_faults.py swaps in a faulty one).
    analyse_function: Callable[[AnalysisTask], Analysis | None] = staticmethod(analyse)

    def __init__(self, crawler: Crawler, limits: PoolLimits) -> None:
        self.crawler = crawler
        self.limits = limits
        self.pool: AnalysisPool[Analysis | None] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler, PoolLimits.from_settings(crawler.settings))

    def open_spider(self) -> None:
        stats = self.crawler.stats
        self.pool = AnalysisPool(self.analyse_function, self.limits,
                                 on_event=lambda name: stats.inc_value(f"govcrawl/analysis/{name}"))

    async def close_spider(self) -> None:
        if self.pool is not None:
            await self.pool.aclose()

    @staticmethod
    def task(item: ReportPage | AttachmentDoc) -> AnalysisTask:
        if isinstance(item, AttachmentDoc):
            return AnalysisTask(url=item.url, body=item.body, content_type=item.content_type,
                                disposition=item.disposition, site_name=item.site_name,
                                listed_title=item.link_text, document=True)
        return AnalysisTask(url=item.url, body=item.body, content_type=item.content_type,
                            disposition=item.disposition, site_name=item.site_name,
                            listed_title=item.listed_title, listed_date=item.listed_date,
                            document=item.document)

    async def process_item(self, item: ReportPage | ReportSeen | ReportLinked | AttachmentDoc
                           ) -> ReportPage | ReportSeen | ReportLinked | AttachmentDoc:
        if isinstance(item, ReportSeen | ReportLinked):
            return item  # unchanged, or only a link: nothing to analyse
        archive = ArchiveExtension.of(self.crawler)
        assert self.pool is not None
        try:
            analysis = await self.pool.run(self.task(item))
        except AnalysisFailed as exc:  # hung, died, out of memory, raised: keep the report
            archive.problem("extract_error", exc.message, url=item.url)
            item.flags.append("extract_failed")
            item.analysis = (Analysis() if isinstance(item, AttachmentDoc)
                             else Analysis.failed(item.listed_title, item.site_name))
            return item
        item.analysis = analysis or Analysis()
        if isinstance(item, AttachmentDoc):
            return item  # a report page's document: part of that report, whatever its title
        if not item.analysis.is_report(item.listed_title):
            self.crawler.stats.inc_value("govcrawl/not_reports")
            raise DropItem(f"not an annual report: {item.analysis.title or item.listed_title!r} "
                           f"({item.url})")
        if "no_text" in item.analysis.flags:
            # Kept: the list calls it a report and the capture is archived; say why it is empty.
            archive.problem("empty_text", "no text could be extracted from the report page",
                            url=item.url)
        return item
