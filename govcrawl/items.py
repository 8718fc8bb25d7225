"""Items passed from the spider to the pipelines (internal: what the pipelines yield at the end,
for feed exports, is the public report record of ``archive.export.report_record``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from govcrawl.analysis.result import Analysis


@dataclass
class ReportPage:
    """A fetched page that the list it came from calls an annual report."""

    url: str
    body: bytes = field(repr=False)
    content_type: str | None
    site_url: str
    site_name: str
    listed_title: str
    fetched_at: datetime
    listed_date: str = ""  # the date the list printed next to the link (ISO)
    capture_id: str | None = None
    payload_digest: str | None = None
    flags: list[str] = field(default_factory=list)
    analysis: Analysis | None = field(default=None, repr=False)  # set by the analyse pipeline
    document: bool = False  # the list links a PDF/Word/… file itself: an attachment-only report
    source: str = "live"  # "wayback": taken from a web archive, fetched_at is the capture time
    disposition: str | None = None  # Content-Disposition (a download's file name)


@dataclass
class ReportSeen:
    """A report page fetched again and found unchanged (304, identical payload, or replayed
    after a resume with its report already stored): only its last-seen time moves."""

    url: str
    capture_id: str | None
    fetched_at: datetime


@dataclass
class AttachmentDoc:
    """A document (PDF, Word, spreadsheet …) linked from a report page; part of that report."""

    url: str
    report_url: str
    body: bytes = field(repr=False)
    content_type: str | None
    disposition: str | None
    site_name: str
    link_text: str
    fetched_at: datetime
    capture_id: str | None = None
    flags: list[str] = field(default_factory=list)
    analysis: Analysis | None = field(default=None, repr=False)


@dataclass
class ReportLinked:
    """A later link to a report already requested in this crawl: under another form of its URL
    (``https://`` for ``http://``, ``:80``, escapes), kept among its URLs (``report_urls``),
    and/or with the date its list printed next to it when the first link had none. The report
    is not fetched again."""

    url: str
    seen_at: datetime
    listed_title: str = ""
    listed_date: str = ""  # ISO, as ReportPage's
