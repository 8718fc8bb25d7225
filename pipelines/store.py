"""Store each extracted report as one row per report URL (insert or update), keeping every
distinct content as a version; an unchanged report only moves its last-seen time. A report page
and its attachments make one report: whichever arrives second combines them
(``govcrawl.report.combine``)."""

from __future__ import annotations

from datetime import date
from typing import Self

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from archive import db
from archive.models import Attachment, Report, Site
from archive.reports import apply_combined, part_of
from govcrawl.extensions import ArchiveExtension
from govcrawl.items import AttachmentDoc, ReportPage, ReportSeen
from govcrawl.report.analyse import record_columns


class StorePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.site_ids: dict[str, int] = {}
        self.known: dict[str, Report] = {}
        self.stored_urls: set[str] = set()
        self.with_attachments: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def open_spider(self) -> None:
        # Report URLs already in the database: a URL not among them needs no lookup.
        session = ArchiveExtension.of(self.crawler).session
        self.stored_urls = set(session.scalars(select(Report.url)))
        self.with_attachments = set(session.scalars(select(Attachment.report_url).distinct()))

    def process_item(self, item: ReportPage | ReportSeen | AttachmentDoc
                     ) -> ReportPage | ReportSeen | AttachmentDoc:
        archive = ArchiveExtension.of(self.crawler)
        try:
            archive.flush_captures()
            if isinstance(item, ReportSeen):
                self._seen(archive.session, item)
                outcome = "unchanged"
            elif isinstance(item, AttachmentDoc):
                outcome = self._store_attachment(archive.session, item, archive.run.id)
            else:
                outcome = self._store(archive.session, item, archive.run.id)
        except SQLAlchemyError as exc:
            # The WARC holds the page; the row can be rebuilt from it. Keep crawling.
            archive.rollback()
            self.known.clear()
            archive.problem("db_error", f"{type(exc).__name__}: {exc}".splitlines()[0], url=item.url)
            raise DropItem(f"could not store {item.url}") from exc
        if isinstance(item, ReportPage):
            archive.stored_reports[item.url] = item.capture_id
        elif isinstance(item, AttachmentDoc):
            archive.stored_attachments[(item.report_url, item.url)] = item.capture_id
        self.crawler.stats.inc_value(f"govcrawl/reports_{outcome}")
        archive.touch()
        if not isinstance(item, ReportSeen):
            item.body = b""  # archived already; don't carry megabytes through the rest of the run
        return item

    def _report(self, session: Session, url: str) -> Report | None:
        report = self.known.get(url)
        if report is None and url in self.stored_urls:
            report = session.scalar(select(Report).where(Report.url == url))
            if report is not None:
                self.known[url] = report
        return report

    def _seen(self, session: Session, item: ReportSeen) -> None:
        report = self._report(session, item.url)
        if report is None:
            return
        # An archive's copy seen "again" is older than what we saw: times only move forward.
        report.last_seen = max(db.aware(report.last_seen), item.fetched_at)
        if report.versions:
            latest = report.versions[-1]
            latest.last_seen_at = max(db.aware(latest.last_seen_at), item.fetched_at)

    def _store(self, session: Session, item: ReportPage, run_id: int) -> str:
        """Upsert the report; "new", "changed" (a new version) or "same" (content unchanged)."""
        if item.site_url not in self.site_ids:
            site_id = session.scalar(select(Site.id).where(Site.url == item.site_url))
            if site_id is not None:
                self.site_ids[item.site_url] = site_id
        values = record_columns(item.extracted, item.listed_title, item.flags) | {
            "site_id": self.site_ids.get(item.site_url), "capture_id": item.capture_id,
            "listed_date": date.fromisoformat(item.listed_date) if item.listed_date else None}
        cells = item.extracted.get("cells", [])
        # The page's own analysis is kept apart only when attachments are combined with it.
        values["page_part"] = (part_of(item.url, values, cells).to_dict()
                               if item.url in self.with_attachments else None)
        past = self._past(session, item)
        if past is not None:
            return db.note_past_version(past, text=values.get("text") or "",
                                        capture_id=item.capture_id,
                                        payload_digest=item.payload_digest,
                                        seen_at=item.fetched_at, run_id=run_id)
        report, _ = db.upsert_report(session, item.url, values, item.fetched_at,
                                     known=self.known, stored_urls=self.stored_urls)
        self.stored_urls.add(item.url)
        if item.document:
            self._document_row(session, item.url, item.url, item, run_id)
        if item.url in self.with_attachments:
            apply_combined(session, report)
        else:
            db.set_cells(session, report, cells)
        return db.note_version(report, text=report.text or "", capture_id=item.capture_id,
                               payload_digest=item.payload_digest, seen_at=item.fetched_at,
                               run_id=run_id)

    def _past(self, session: Session, item: ReportPage) -> Report | None:
        """The stored report when ``item`` is an archive's copy older than what is stored."""
        if item.source == "live":
            return None
        report = self._report(session, item.url)
        if report is None or db.aware(report.last_seen) <= item.fetched_at:
            return None
        return report

    def _document_row(self, session: Session, report_url: str, url: str,
                      item: ReportPage | AttachmentDoc, run_id: int) -> Attachment:
        extracted = item.extracted
        document = extracted.get("document") or {}
        columns = record_columns(extracted, getattr(item, "link_text", ""), item.flags)
        part = part_of(url, columns, extracted.get("cells", [])).to_dict()
        part.pop("flags")
        return db.upsert_attachment(session, report_url, url, {
            "link_text": getattr(item, "link_text", None) or getattr(item, "listed_title", None),
            "capture_id": item.capture_id, "content_type": item.content_type,
            "kind": document.get("kind"), "pages": document.get("pages"),
            "flags": columns["flags"], "part": part}, item.fetched_at)

    def _store_attachment(self, session: Session, item: AttachmentDoc, run_id: int) -> str:
        self._document_row(session, item.report_url, item.url, item, run_id)
        self.with_attachments.add(item.report_url)
        report = self._report(session, item.report_url)
        if report is None:
            return "attachment_waiting"  # the page is still being extracted; it will combine
        apply_combined(session, report)
        outcome = db.note_version(report, text=report.text or "", capture_id=report.capture_id,
                                  payload_digest=None, seen_at=item.fetched_at, run_id=run_id)
        return "attachment_" + outcome
