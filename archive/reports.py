"""A report's parts (its page and its attachments) combined into its columns. Shared by the
crawl's store pipeline, reparse and import."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from archive import db
from archive.models import Report
from govcrawl.report.combine import Part, combine


def part_of(url: str, columns: dict[str, Any], cells: list[dict[str, Any]]) -> Part:
    return Part(url=url, text=columns.get("text") or "", format=columns.get("format"),
                stats=dict(columns.get("stats") or {}), cells=cells,
                flags=list(columns.get("flags") or []))


def apply_combined(session: Session, report: Report) -> None:
    """Set the report's text, figures, cells and flags from its page and its attachments."""
    page = Part.from_dict(report.page_part or {"url": report.url, "text": report.text,
                                               "format": report.format, "stats": report.stats,
                                               "flags": report.flags})
    attachments = [Part.from_dict(a.part | {"url": a.url, "flags": a.flags})
                   for a in db.attachments_of(session, report.url)]
    combined = combine(page, attachments)
    report.text, report.format = combined.text, combined.format
    report.stats, report.flags = combined.stats, combined.flags
    db.set_cells(session, report, combined.cells)
