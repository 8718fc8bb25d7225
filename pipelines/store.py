"""Store each extracted report as one row per report URL (insert or update)."""

from __future__ import annotations

from datetime import date
from typing import Any, Self

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from archive import db
from archive.models import Report, Site
from govcrawl.discovery.titles import is_report_title
from govcrawl.extensions import ArchiveExtension
from govcrawl.items import ReportPage


def report_values(item: ReportPage) -> dict[str, Any]:
    """Database columns of a report from its extraction."""
    extracted = item.extracted
    fields = extracted.get("fields", {})
    page_title = extracted.get("title")
    title = page_title if page_title and is_report_title(page_title) else item.listed_title
    published = fields.get("published")
    return {
        "title": title,
        "listed_title": item.listed_title,
        "year": fields.get("year"),
        "published": date.fromisoformat(published) if published else None,
        "issuer": fields.get("issuer"),
        "region": fields.get("region"),
        "admin_level": fields.get("admin_level"),
        "agency": fields.get("agency"),
        "text": extracted.get("text", ""),
        "raw_text": extracted.get("text", ""),
        "encoding": extracted.get("encoding"),
        "meta": extracted.get("meta", {}),
        "capture_id": item.capture_id,
        "flags": list(item.flags),
    }


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

    def process_item(self, item: ReportPage) -> ReportPage:
        archive = ArchiveExtension.of(self.crawler)
        try:
            archive.flush_captures()
            created = self._store(archive.session, item)
        except SQLAlchemyError as exc:
            # The WARC holds the page; the row can be rebuilt from it. Keep crawling.
            archive.rollback()
            self.known.clear()
            archive.problem("db_error", f"{type(exc).__name__}: {exc}".splitlines()[0], url=item.url)
            raise DropItem(f"could not store {item.url}") from exc
        self.crawler.stats.inc_value("govcrawl/reports_new" if created else "govcrawl/reports_updated")
        archive.touch()
        item.body = b""  # archived already; don't carry megabytes through the rest of the run
        return item

    def _store(self, session: Session, item: ReportPage) -> bool:
        if item.site_url not in self.site_ids:
            site_id = session.scalar(select(Site.id).where(Site.url == item.site_url))
            if site_id is not None:
                self.site_ids[item.site_url] = site_id
        values = report_values(item) | {"site_id": self.site_ids.get(item.site_url)}
        _, created = db.upsert_report(session, item.url, values, item.fetched_at,
                                      known=self.known, stored_urls=self.stored_urls)
        return created

    def close_spider(self) -> None:
        ArchiveExtension.of(self.crawler).commit()
