"""Reading report pages: text extraction and the fields a report states about itself."""

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

__all__ = [
    "ExtractedReport",
    "ReportFields",
    "extract_report",
    "page_meta",
    "page_text",
    "page_title",
    "published_date",
    "read_fields",
    "report_year",
    "split_issuer",
]
