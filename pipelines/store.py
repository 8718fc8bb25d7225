"""Store each extracted report as one row per report URL (insert or update)."""

from __future__ import annotations

from datetime import date
from typing import Any, Self

from scrapy.crawler import Crawler
from sqlalchemy import select

from archive import db
from archive.models import Site
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
    }


class StorePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.site_ids: dict[str, int] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_item(self, item: ReportPage) -> ReportPage:
        archive = ArchiveExtension.of(self.crawler)
        session = archive.session
        if item.site_url not in self.site_ids:
            site_id = session.scalar(select(Site.id).where(Site.url == item.site_url))
            if site_id is not None:
                self.site_ids[item.site_url] = site_id
        values = report_values(item) | {"site_id": self.site_ids.get(item.site_url)}
        _, created = db.upsert_report(session, item.url, values, item.fetched_at)
        self.crawler.stats.inc_value("govcrawl/reports_new" if created else "govcrawl/reports_updated")
        archive.touch()
        item.body = b""  # archived already; don't carry megabytes through the rest of the run
        return item

    def close_spider(self) -> None:
        ArchiveExtension.of(self.crawler).commit()
