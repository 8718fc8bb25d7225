"""The one place an analysis and its capture become rows: captures, reports, versions, cells,
attachments. The crawl's store pipeline, ``govcrawl import`` and ``govcrawl reparse`` all call
it, so they store a report the same way (they used to have a copy each, and the copies drifted:
only one cut header values to their columns, each meant something else by "has attachments").

Every value lands fitted to its column (``archive.db.fit``): capture rows here, ORM rows by
``archive.db``'s flush hook, table cells in ``archive.db.set_cells``.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from archive import db
from archive.db import fit
from archive.models import Attachment, Capture, Report
from archive.reports import apply_combined
from govcrawl.analysis.result import Analysis
from govcrawl.identity import url_key

__all__ = ["CaptureRow", "ReportStore", "Seen", "fit"]


@dataclass(frozen=True)
class CaptureRow:
    """One ``captures`` row: an archived response or revisit record and where it lies."""

    id: str
    url: str
    status: int | None
    fetched_at: datetime | None
    warc_file: str
    warc_offset: int
    warc_length: int
    method: str = "GET"
    content_type: str | None = None
    payload_digest: str | None = None
    record_type: str = "response"
    etag: str | None = None
    last_modified: str | None = None
    source: str = "live"  # live | wayback | import
    truncated: str | None = None  # WARC-Truncated reason
    refers_to: str | None = None  # a revisit's original record
    last_seen_at: datetime | None = None
    archived_at: datetime | None = None  # capture time of a web archive's or imported copy
    archive_url: str | None = None
    run_id: int | None = None
    # sha1 of the request body, "sha1:" + base32 (warc.payload_digest); None without a body.
    request_digest: str | None = None

    def values(self) -> dict[str, Any]:
        """The row as column values, each fitted to its column, with the URL's key: every
        capture row is made here, so none lacks it."""
        values = asdict(self)
        if values["last_seen_at"] is None:
            values["last_seen_at"] = self.fetched_at
        values["url_key"] = url_key(self.url)
        return fit(Capture.__table__, values)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Seen:
    """How a report's content was obtained: its capture and when it was as stored."""

    url: str
    capture_id: str | None
    fetched_at: datetime
    payload_digest: str | None = None
    source: str = "live"
    content_type: str | None = None


@dataclass
class _Links:
    """What links met before their report was stored said of it."""

    urls: dict[str, datetime] = field(default_factory=dict)  # URL → first linked
    listed_date: str = ""


class ReportStore:
    """Turns analyses plus their captures into rows, in one session.

    ``versions_per_run``: the crawl completes one version from a page and its attachment within
    a run; an import keeps two captures of a URL as two versions whenever their texts differ.
    ``keep_listed_title``: an import knows no list, so an existing report keeps the title its
    list gave it."""

    def __init__(self, session: Session, run_id: int | None, *, versions_per_run: bool = True,
                 keep_listed_title: bool = False) -> None:
        self.session = session
        self.run_id = run_id
        self.versions_per_run = versions_per_run
        self.keep_listed_title = keep_listed_title
        # Bounded caches by URL key, in front of indexed lookups: what is stored is asked of the
        # database, so memory does not grow with the archive (benchmarks/soak.py).
        self.known: dict[str, Report] = Recent(KNOWN_REPORTS)
        self._attached: dict[str, bool] = Recent(KNOWN_REPORTS)  # has attachments
        # What later links said of a report before it was stored: noted when it is.
        self._pending_links: dict[str, _Links] = Recent(PENDING_LINKS)

    def load(self) -> None:
        """Forget what is cached: after a rollback the caches may name rows that are gone."""
        self.known.clear()
        self._attached.clear()

    def report(self, url: str) -> Report | None:
        """The stored report of ``url``'s URL key (under any form of its URL), or None."""
        key = url_key(url)
        report = self.known.get(key)
        if report is None:
            report = db.find_report(self.session, url)
            if report is not None:
                self.known[key] = report
        return report

    def has_attachments(self, url: str) -> bool:
        """Whether the report at ``url`` has a document other than its own attached. A report
        "has attachments" when a document other than itself is attached; an attachment-only
        report's own document row does not count."""
        key = url_key(url)
        attached = self._attached.get(key)
        if attached is None:
            attached = self._attached[key] = db.has_attachments(self.session, url)
        return attached

    def note_link(self, url: str, seen_at: datetime, *, listed_date: str = "") -> bool:
        """A page linked the report whose URL key is ``url``'s as ``url`` (perhaps another form
        of its URL), perhaps with the date its list printed next to it: ``url`` becomes one of
        the report's ``urls``, and the date its listed date when it had none — now if the report
        is stored, else when it is. Returns whether it was stored now."""
        key = url_key(url)
        report = self.report(url)
        if report is None:
            pending = self._pending_links.get(key) or _Links()
            pending.urls[url] = min(pending.urls.get(url, seen_at), seen_at)
            pending.listed_date = pending.listed_date or listed_date
            self._pending_links[key] = pending
            return False
        self._apply_link(report, url, seen_at, listed_date)
        return True

    @staticmethod
    def _apply_link(report: Report, url: str, seen_at: datetime, listed_date: str) -> None:
        db.note_url(report, url, seen_at)
        if listed_date and report.listed_date is None:
            # As the analysis reads a list's date (govcrawl.report.analyse_page): the report's
            # publication date when the report gives none of its own (a date in its upload path
            # is no publication date); a reparse reads it so too. (Imported here: the report
            # reader brings trafilatura, which the archive's own commands do without.)
            from govcrawl.report.extract import url_date

            report.listed_date = date.fromisoformat(listed_date)
            if report.published is None or report.published == url_date(report.url):
                report.published = report.listed_date

    def add_capture(self, row: CaptureRow) -> None:
        """Insert one capture row now (the crawl batches its rows itself)."""
        self.session.add(Capture(**row.values()))
        self.session.flush()  # before the report and version rows that refer to it

    # -- reports ----------------------------------------------------------------------------------
    def store_page(self, seen: Seen, analysis: Analysis, *, listed_title: str,
                   listed_date: str | None = None, site_id: int | None = None,
                   flags: list[str] | None = None, document: bool = False) -> str:
        """Store a report page (or a document that is the report); returns "new", "changed",
        "same", or "past" (an archive's copy older than what is stored, kept as a version)."""
        flags = flags or []
        report = self.report(seen.url)
        if self.keep_listed_title and report is not None and report.listed_title:
            listed_title = report.listed_title
        values = analysis.columns(listed_title, flags)
        values["capture_id"] = seen.capture_id
        if listed_date is not None:  # None: not known here (import), keep what is stored
            values["listed_date"] = date.fromisoformat(listed_date) if listed_date else None
        if site_id is not None or report is None:
            values["site_id"] = site_id
        attached = self.has_attachments(seen.url)
        # The page's own analysis is kept apart only when attachments are combined with it.
        values["page_part"] = analysis.part(seen.url, flags).to_dict() if attached else None
        if (report is not None and seen.source != "live"
                and seen.fetched_at < db.aware(report.last_seen)):
            # An archive's older copy must not roll back a newer crawl: a version of its time.
            db.baseline_version(report)
            db.note_url(report, seen.url, seen.fetched_at)
            return db.note_past_version(report, text=values["text"] or "",
                                        capture_id=seen.capture_id,
                                        payload_digest=seen.payload_digest,
                                        seen_at=seen.fetched_at, run_id=self.run_id)
        report, _ = db.upsert_report(self.session, seen.url, values, seen.fetched_at,
                                     report=report)
        self.known[url_key(seen.url)] = report
        pending = self._pending_links.pop(report.url_key or "", None)
        if pending is not None:
            for url, linked_at in pending.urls.items():
                self._apply_link(report, url, linked_at, pending.listed_date)
        if document:
            self._attachment_row(seen.url, seen, analysis, values["listed_title"], flags)
        if attached:
            apply_combined(self.session, report)
        else:
            db.set_cells(self.session, report, analysis.cells)
        return self._version(report, seen)

    def store_attachment(self, report_url: str, seen: Seen, analysis: Analysis, *,
                         link_text: str, flags: list[str] | None = None) -> str:
        """Store a report page's document and recombine the report; returns
        "attachment_waiting" while the page is not stored yet (it combines when it arrives),
        else "attachment_" + the version outcome."""
        self._attachment_row(report_url, seen, analysis, link_text, flags or [])
        if url_key(seen.url) != url_key(report_url):
            self._attached[url_key(report_url)] = True
        report = self.report(report_url)
        if report is None:
            return "attachment_waiting"
        apply_combined(self.session, report)
        return "attachment_" + db.note_version(
            report, text=report.text or "", capture_id=report.capture_id, payload_digest=None,
            seen_at=seen.fetched_at, run_id=self.run_id)

    def seen_again(self, url: str, fetched_at: datetime) -> None:
        """The report was fetched again, unchanged: only its last-seen times move (forward:
        an archive's copy seen "again" is older than what we saw), and ``url`` is noted among
        its URLs. Its ``url`` stays its capture's: the content still rests on that record."""
        report = self.report(url)
        if report is None:
            return
        report.last_seen = max(db.aware(report.last_seen), fetched_at)
        db.note_url(report, url, fetched_at)
        if report.versions:
            latest = report.versions[-1]
            latest.last_seen_at = max(db.aware(latest.last_seen_at), fetched_at)

    # -- reparse ----------------------------------------------------------------------------------
    def reanalysed_report(self, report: Report, analysis: Analysis, flags: list[str]) -> None:
        """A stored report analysed again from its capture; times and versions stay."""
        columns = analysis.columns(report.listed_title or "", flags)
        attached = self.has_attachments(report.url)
        columns["page_part"] = analysis.part(report.url, flags).to_dict() if attached else None
        db.update_report(report, columns)
        if analysis.document is not None:
            for attachment in report.attachments:
                if attachment.url_key == report.url_key:  # an attachment-only report's own document
                    self._document_columns(attachment, analysis, columns["flags"])
        if attached:
            apply_combined(self.session, report)
        else:
            db.set_cells(self.session, report, analysis.cells)

    def reanalysed_attachment(self, attachment: Attachment, analysis: Analysis,
                              flags: list[str]) -> None:
        part = analysis.part(attachment.url, flags)
        self._document_columns(attachment, analysis, part.flags)
        attachment.part = _part_columns(part.to_dict())

    # -- shared steps -----------------------------------------------------------------------------
    def _version(self, report: Report, seen: Seen) -> str:
        if self.versions_per_run:
            return db.note_version(report, text=report.text or "", capture_id=seen.capture_id,
                                   payload_digest=seen.payload_digest, seen_at=seen.fetched_at,
                                   run_id=self.run_id)
        outcome = db.note_version(report, text=report.text or "", capture_id=seen.capture_id,
                                  payload_digest=seen.payload_digest, seen_at=seen.fetched_at,
                                  run_id=None)
        if outcome != "same":
            report.versions[-1].run_id = self.run_id
        return outcome

    def _attachment_row(self, report_url: str, seen: Seen, analysis: Analysis, link_text: str,
                        flags: list[str]) -> Attachment:
        part = analysis.part(seen.url, flags)
        document = analysis.document
        return db.upsert_attachment(self.session, report_url, seen.url, {
            "link_text": link_text or None, "capture_id": seen.capture_id,
            "content_type": seen.content_type,
            "kind": document.kind if document else None,
            "pages": document.pages if document else None,
            "flags": part.flags, "part": _part_columns(part.to_dict())}, seen.fetched_at)

    @staticmethod
    def _document_columns(attachment: Attachment, analysis: Analysis, flags: list[str]) -> None:
        document = analysis.document
        attachment.kind = document.kind if document else None
        attachment.pages = document.pages if document else None
        attachment.flags = flags


# Reports kept at hand by URL key: a page and its attachments arrive close together. Bounded, so
# a long run does not keep every report it stored (and their loaded cells) in memory; one
# evicted is flushed already and is found again by a query.
KNOWN_REPORTS = 500
# Reports linked under another form of their URL before they were stored (their request is in
# flight): bounded too; a report that never comes (not a report after all) is forgotten.
PENDING_LINKS = 10_000


_K = TypeVar("_K")
_V = TypeVar("_V")


class Recent(OrderedDict[_K, _V]):
    """A dict that forgets its oldest entries beyond ``size`` (a bounded cache)."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def __setitem__(self, key: _K, value: _V) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)


def _part_columns(part: dict[str, Any]) -> dict[str, Any]:
    # An attachment row keeps its flags in their own column.
    part.pop("flags", None)
    return part
