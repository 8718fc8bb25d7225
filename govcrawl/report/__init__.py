"""Reading report pages: text extraction, the fields a report states about itself, and the
whole analysis of a page (``analyse_page``).

The names below load on first use, so importing one module of the package (``normalize`` from
the readers, ``extract`` from discovery, ``figures`` from the export) does not import the
analysis and, through it, discovery: no import cycle can close through this file."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from govcrawl.report.analyse import analyse_page
    from govcrawl.report.extract import (
        ExtractedReport,
        extract_report,
        page_meta,
        page_text,
        page_title,
    )
    from govcrawl.report.fields import (
        ReportFields,
        published_date,
        read_fields,
        report_year,
        split_issuer,
    )

# Public name → the module that defines it.
_HOMES = {
    "analyse_page": "analyse", "ExtractedReport": "extract", "extract_report": "extract",
    "page_meta": "extract", "page_text": "extract", "page_title": "extract",
    "ReportFields": "fields", "published_date": "fields", "read_fields": "fields",
    "report_year": "fields", "split_issuer": "fields",
}  # fmt: skip

__all__ = [
    "ExtractedReport",
    "ReportFields",
    "analyse_page",
    "extract_report",
    "page_meta",
    "page_text",
    "page_title",
    "published_date",
    "read_fields",
    "report_year",
    "split_issuer",
]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_HOMES[name]}"), name)
