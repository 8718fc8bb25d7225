"""One report from its parts: the report page and its attachments (or a document alone).

The figures come from the part that holds the standard tables (the page when it has them, else
the first attachment that does); figures stated only in text fill the gaps; a page and an
attachment whose tables disagree are flagged, never reconciled. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from govcrawl.report.figures import TABLE_FIGURES

# Short pages ("详见附件") give their text over to the document that holds the report.
MIN_PAGE_TEXT = 200
# The page's own gap flags, void once an attachment supplies the tables.
_GAP_PREFIXES = ("t3_missing", "t4_missing", "no_handled_total", "no_applications_new")


@dataclass(frozen=True)
class Part:
    """What the analysis of one page or document gave."""

    url: str
    text: str = ""
    format: str | None = None
    stats: dict[str, Any] = field(default_factory=dict)
    cells: list[dict[str, Any]] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)

    @property
    def has_tables(self) -> bool:
        return any(c.get("table") == "T3" for c in self.cells)

    def to_dict(self) -> dict[str, Any]:
        return {"url": self.url, "text": self.text, "format": self.format, "stats": self.stats,
                "cells": self.cells, "flags": self.flags}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Part:
        return cls(url=data.get("url", ""), text=data.get("text") or "", format=data.get("format"),
                   stats=dict(data.get("stats") or {}), cells=list(data.get("cells") or []),
                   flags=list(data.get("flags") or []))


@dataclass(frozen=True)
class Combined:
    text: str
    format: str | None
    stats: dict[str, Any]
    cells: list[dict[str, Any]]
    flags: list[str]
    tables_from: str | None  # URL of the part the tables came from


def combine(page: Part, attachments: Sequence[Part]) -> Combined:
    """The report's text, figures, cells and flags from its page and its attachments."""
    table_part = page if page.has_tables else next((a for a in attachments if a.has_tables), None)
    source = table_part or page
    # Table figures from the part with the tables; figures stated in text from the page first.
    stats = {k: v for k, v in source.stats.items() if k in TABLE_FIGURES}
    for part in (page, *attachments):
        for key, value in part.stats.items():
            stats.setdefault(key, value)
    flags = [f for f in page.flags
             if not (table_part is not None and table_part is not page and f.startswith(_GAP_PREFIXES))]
    for part in attachments:
        # An attachment without the tables keeps its document flags (needs_ocr …), not its gaps.
        own = part.flags if part is table_part else [
            f for f in part.flags if not f.startswith((*_GAP_PREFIXES, "t2_", "t3_", "t4_"))]
        flags.extend(own)
        if page.has_tables and part.has_tables:
            flags.extend(
                f"page_attachment_disagree: {key} {_num(page.stats[key])} != {_num(part.stats[key])} "
                f"({part.url})"
                for key in TABLE_FIGURES
                if key in page.stats and key in part.stats and page.stats[key] != part.stats[key])
    text = page.text
    longest = max(attachments, key=lambda a: len(a.text), default=None)
    # A page that only points to its document ("详见附件", often padded with site chrome by
    # the extractor) gives its text over to the document.
    if longest is not None and len(longest.text) > len(page.text) and (
            len(page.text) < MIN_PAGE_TEXT
            or (not page.has_tables and len(longest.text) > 3 * len(page.text))):
        text = longest.text
    return Combined(text=text, format=source.format if table_part else page.format, stats=stats,
                    cells=list(source.cells), flags=list(dict.fromkeys(flags)),
                    tables_from=table_part.url if table_part else None)


def _num(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
