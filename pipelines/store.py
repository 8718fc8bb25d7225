"""Store each extracted report as one row per report URL (insert or update), keeping every
distinct content as a version; an unchanged report only moves its last-seen time."""

from __future__ import annotations

from typing import Self

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from archive import db
from archive.models import Report, Site
from govcrawl.extensions import ArchiveExtension
from govcrawl.items import ReportPage, ReportSeen
from govcrawl.report.analyse import record_columns


class StorePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.site_ids: dict[str, int] = {}
        self.known: dict[str, Report] = {}
        self.stored_urls: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def open_spider(self) -> None:
        # Report URLs already in the database: a URL not among them needs no lookup.
        session = ArchiveExtension.of(self.crawler).session
        self.stored_urls = set(session.scalars(select(Report.url)))

    def process_item(self, item: ReportPage | ReportSeen) -> ReportPage | ReportSeen:
        archive = ArchiveExtension.of(self.crawler)
        try:
            archive.flush_captures()
            if isinstance(item, ReportSeen):
                self._seen(archive.session, item)
                self.crawler.stats.inc_value("govcrawl/reports_unchanged")
                archive.touch()
                return item
            outcome = self._store(archive.session, item, archive.run.id)
        except SQLAlchemyError as exc:
            # The WARC holds the page; the row can be rebuilt from it. Keep crawling.
            archive.rollback()
            self.known.clear()
            archive.problem("db_error", f"{type(exc).__name__}: {exc}".splitlines()[0], url=item.url)
            raise DropItem(f"could not store {item.url}") from exc
        archive.stored_reports[item.url] = item.capture_id
        self.crawler.stats.inc_value(f"govcrawl/reports_{outcome}")
        archive.touch()
        item.body = b""  # archived already; don't carry megabytes through the rest of the run
        return item

    def _report(self, session: Session, url: str) -> Report | None:
        report = self.known.get(url)
        if report is None:
            report = session.scalar(select(Report).where(Report.url == url))
            if report is not None:
                self.known[url] = report
        return report

    def _seen(self, session: Session, item: ReportSeen) -> None:
        report = self._report(session, item.url)
        if report is None:
            return
        report.last_seen = item.fetched_at
        if report.versions:
            report.versions[-1].last_seen_at = item.fetched_at

    def _store(self, session: Session, item: ReportPage, run_id: int) -> str:
        """Upsert the report; "new", "changed" (a new version) or "same" (content unchanged)."""
        if item.site_url not in self.site_ids:
            site_id = session.scalar(select(Site.id).where(Site.url == item.site_url))
            if site_id is not None:
                self.site_ids[item.site_url] = site_id
        values = record_columns(item.extracted, item.listed_title, item.flags) | {
            "site_id": self.site_ids.get(item.site_url), "capture_id": item.capture_id}
        report, _ = db.upsert_report(session, item.url, values, item.fetched_at,
                                     known=self.known, stored_urls=self.stored_urls)
        db.set_cells(report, item.extracted.get("cells", []))
        return db.note_version(report, text=values.get("text") or "", capture_id=item.capture_id,
                               payload_digest=item.payload_digest, seen_at=item.fetched_at,
                               run_id=run_id)

    def close_spider(self) -> None:
        ArchiveExtension.of(self.crawler).commit()
