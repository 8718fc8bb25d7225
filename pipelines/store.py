"""Store each analysed report through ``archive.store.ReportStore`` (one row per report URL key,
a version per distinct text; an unchanged report only moves its last-seen time; a page and its
attachments make one report; another form of its URL only joins its URLs) and pass on the
public report record, so Scrapy's feed exports (``scrapy crawl annual_reports -O
reports.jsonl``) write what ``govcrawl export`` writes."""

from __future__ import annotations

from typing import Any, Self

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from archive.export import report_record
from archive.models import Report, Site
from archive.store import ReportStore, Seen
from govcrawl.analysis.result import Analysis
from govcrawl.extensions import ArchiveExtension
from govcrawl.items import AttachmentDoc, ReportLinked, ReportPage, ReportSeen


class StorePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.site_ids: dict[str, int] = {}
        self.store: ReportStore | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def open_spider(self) -> None:
        archive = ArchiveExtension.of(self.crawler)
        self.store = ReportStore(archive.session, archive.run_id)

    def process_item(self, item: ReportPage | ReportSeen | ReportLinked | AttachmentDoc
                     ) -> dict[str, Any]:
        archive = ArchiveExtension.of(self.crawler)
        store = self.store
        assert store is not None
        if isinstance(item, ReportLinked):
            return self._linked(store, item)
        try:
            with archive.unit_of_work():  # a failure undoes this item's rows only
                outcome = self._store(store, item)
                report = store.report(item.report_url if isinstance(item, AttachmentDoc)
                                      else item.url)
            record = self._record(report) if report is not None else None
        except SQLAlchemyError as exc:
            # The WARC holds the page; the row can be rebuilt from it. Keep crawling.
            store.load()
            archive.problem("db_error", f"{type(exc).__name__}: {exc}".splitlines()[0], url=item.url)
            raise DropItem(f"could not store {item.url}") from exc
        if isinstance(item, ReportPage):
            archive.history.stored_report(item.url, item.capture_id)
        elif isinstance(item, AttachmentDoc):
            archive.history.stored_attachment(item.report_url, item.url, item.capture_id)
        self.crawler.stats.inc_value(f"govcrawl/reports_{outcome}")
        if record is None:  # an attachment whose page is not stored yet: the page will say it
            raise DropItem(f"attachment {item.url} waits for its report page", log_level="DEBUG")
        return record

    def _linked(self, store: ReportStore, item: ReportLinked) -> dict[str, Any]:
        """A later link to a report: another of its URLs, or its listed date, now or when it is
        stored. A stored report's record is passed on again (its ``urls`` grew), as after an
        attachment: the last record per report is the report as stored."""
        archive = ArchiveExtension.of(self.crawler)
        try:
            with archive.unit_of_work():
                noted = store.note_link(item.url, item.seen_at, listed_date=item.listed_date)
                report = store.report(item.url) if noted else None
            record = self._record(report) if report is not None else None
        except SQLAlchemyError as exc:
            store.load()
            archive.problem("db_error", f"{type(exc).__name__}: {exc}".splitlines()[0], url=item.url)
            raise DropItem(f"could not store {item.url}") from exc
        if record is None:  # its page is not stored yet: its record will say it
            raise DropItem(f"{item.url}: a link to a report not stored yet", log_level="DEBUG")
        return record

    def _record(self, report: Report) -> dict[str, Any]:
        """The public record of a stored report, read afresh."""
        session = ArchiveExtension.of(self.crawler).session
        # Relationships loaded for an earlier record may be stale (a new capture, an attachment
        # added by its own row): read them again.
        session.expire(report, ["capture", "attachments", "site"])
        record = report_record(report)
        # Not kept loaded: ~170 cell objects per report would stay in memory with it.
        session.expire(report, ["cells", "attachments"])
        return record

    def _store(self, store: ReportStore, item: ReportPage | ReportSeen | AttachmentDoc) -> str:
        if isinstance(item, ReportSeen):
            store.seen_again(item.url, item.fetched_at)
            return "unchanged"
        if isinstance(item, AttachmentDoc):
            return store.store_attachment(item.report_url, _seen(item), item.analysis or Analysis(),
                                          link_text=item.link_text, flags=item.flags)
        return store.store_page(_seen(item), item.analysis or Analysis(),
                                listed_title=item.listed_title, listed_date=item.listed_date,
                                site_id=self._site_id(item.site_url), flags=item.flags,
                                document=item.document)

    def _site_id(self, site_url: str) -> int | None:
        if site_url not in self.site_ids:
            archive = ArchiveExtension.of(self.crawler)
            site_id = archive.session.scalar(select(Site.id).where(Site.url == site_url))
            if site_id is not None:
                self.site_ids[site_url] = site_id
        return self.site_ids.get(site_url)


def _seen(item: ReportPage | AttachmentDoc) -> Seen:
    return Seen(url=item.url, capture_id=item.capture_id, fetched_at=item.fetched_at,
                payload_digest=getattr(item, "payload_digest", None),
                source=getattr(item, "source", "live"), content_type=item.content_type)
