"""What analysing one page or document gives: the typed, JSON-safe record that crosses the
process boundary from the workers to whoever stores it (crawl pipeline, import, reparse).

It replaces the untyped dict the analysis used to return, read with ~20 ``.get("…")`` calls
spread over three storing copies. Pure: no database, no Scrapy."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from govcrawl.discovery.titles import is_report_title
from govcrawl.report.combine import Part
from govcrawl.report.fields import read_fields


@dataclass(frozen=True)
class DocumentInfo:
    """A PDF/Word/spreadsheet the analysis read: its kind, page count and embedded title."""

    kind: str | None
    pages: int | None = None
    title: str | None = None


@dataclass
class Analysis:
    """One page's or document's research record (see ``govcrawl.report.analyse``)."""

    title: str | None = None  # the page's own title (may not be a report title)
    text: str = ""  # normalised
    raw_text: str = ""  # as extracted
    year: int | None = None
    published: str | None = None  # ISO date
    issuer: str | None = None
    region: str | None = None
    admin_level: str | None = None
    agency: str | None = None
    meta: dict[str, str] = field(default_factory=dict)
    encoding: str | None = None
    format: str | None = None
    stats: dict[str, Any] = field(default_factory=dict)
    cells: list[dict[str, Any]] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    document: DocumentInfo | None = None

    # -- building ---------------------------------------------------------------------------------
    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Analysis:
        """From the dict ``analyse_page`` returns (the pure core's contract)."""
        fields = record.get("fields") or {}
        document = record.get("document")
        return cls(
            title=record.get("title"), text=record.get("text") or "",
            raw_text=record.get("raw_text", record.get("text")) or "",
            year=fields.get("year"), published=fields.get("published"),
            issuer=fields.get("issuer"), region=fields.get("region"),
            admin_level=fields.get("admin_level"), agency=fields.get("agency"),
            meta=dict(record.get("meta") or {}), encoding=record.get("encoding"),
            format=record.get("format"), stats=dict(record.get("stats") or {}),
            cells=list(record.get("cells") or []), flags=list(record.get("flags") or []),
            document=DocumentInfo(**document) if document else None)

    @classmethod
    def failed(cls, listed_title: str, site_name: str | None, *, document: bool = False
               ) -> Analysis:
        """What is known of a page or document whose analysis failed: the fields its listed
        title gives (the report is kept, flagged by the caller)."""
        fields = read_fields(listed_title, "", None, site_name)
        return cls(year=fields.year,
                   published=fields.published.isoformat() if fields.published else None,
                   issuer=fields.issuer, region=fields.region, admin_level=fields.admin_level,
                   agency=fields.agency,
                   document=DocumentInfo(kind=None) if document else None)

    # -- JSON -------------------------------------------------------------------------------------
    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Analysis:
        data = json.loads(text)
        document = data.pop("document", None)
        return cls(**data, document=DocumentInfo(**document) if document else None)

    # -- what storing needs -----------------------------------------------------------------------
    def is_report(self, listed_title: str) -> bool:
        """The page's own title or the list's calls it an annual report."""
        return is_report_title(self.title or "") or is_report_title(listed_title)

    def columns(self, listed_title: str, flags: list[str]) -> dict[str, Any]:
        """The ``reports`` columns (the title falls back to the listed one); ``flags`` (the
        capture's, e.g. ``truncated_capture``) come before the analysis's own."""
        title = self.title if self.title and is_report_title(self.title) else listed_title
        return {
            "title": title,
            "listed_title": listed_title,
            "year": self.year,
            "published": date.fromisoformat(self.published) if self.published else None,
            "issuer": self.issuer,
            "region": self.region,
            "admin_level": self.admin_level,
            "agency": self.agency,
            "format": self.format,
            "text": self.text,
            "raw_text": self.raw_text,
            "encoding": self.encoding,
            "meta": self.meta,
            "stats": self.stats,
            "flags": list(dict.fromkeys([*flags, *self.flags])),
        }

    def part(self, url: str, flags: list[str]) -> Part:
        """This analysis as one part of a report (its page, or one of its documents)."""
        return Part(url=url, text=self.text, format=self.format, stats=dict(self.stats),
                    cells=self.cells, flags=list(dict.fromkeys([*flags, *self.flags])))
