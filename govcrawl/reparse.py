"""Re-run extraction and parsing over the archived report captures (no network).

Every improvement of the parsers then applies to everything already archived. Idempotent: the
same WARC records give the same rows; first/last-seen times are left alone.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive import db
from archive.models import Attachment, Capture, Report, Site
from archive.reports import apply_combined, part_of
from archive.warc import read_record
from govcrawl.documents.route import is_document
from govcrawl.report.analyse import analyse_page, record_columns
from govcrawl.report.worker import extract_document

BATCH = 100


@dataclass
class ReparseResult:
    reports: int = 0
    failed: int = 0


def analyse_capture(warc_file: str, offset: int, url: str, site_name: str | None,
                    listed_title: str, listed_date: str = "",
                    ) -> tuple[dict[str, Any] | None, list[str], str | None]:
    """Worker-side: (record, capture flags, error) for the page or document archived at
    ``warc_file:offset``, analysed as the crawl did."""
    try:
        record, body = read_record(warc_file, offset, decoded=True)
    except (OSError, ValueError, EOFError) as exc:
        return None, [], f"cannot read {warc_file}:{offset}: {exc}"
    flags = ["truncated_capture"] if record.rec_headers.get_header("WARC-Truncated") else []
    headers = record.http_headers
    content_type = headers.get_header("Content-Type") if headers else None
    disposition = headers.get_header("Content-Disposition") if headers else None
    if is_document(url, content_type, disposition, body):
        analysed = extract_document(body, url, content_type, disposition, site_name, listed_title,
                                    listed_date)
    else:
        analysed = analyse_page(body, url, content_type, site_name, listed_title, listed_date)
    return analysed, flags, None


def _jobs(session: Session) -> list[tuple[int, str, str, int, str | None, str, str]]:
    query = (select(Report.id, Report.url, Capture.warc_file, Capture.warc_offset, Site.name,
                    Report.listed_title, Report.listed_date)
             .join(Capture, Capture.id == Report.capture_id)
             .outerjoin(Site, Site.id == Report.site_id)
             .order_by(Report.id))
    return [tuple(row) for row in session.execute(query)]  # type: ignore[misc]


def _attachment_jobs(session: Session) -> list[tuple[int, str, str, int, str | None, str, None]]:
    query = (select(Attachment.id, Attachment.url, Capture.warc_file, Capture.warc_offset,
                    Site.name, Attachment.link_text, None)
             .join(Capture, Capture.id == Attachment.capture_id)
             .outerjoin(Report, Report.url == Attachment.report_url)
             .outerjoin(Site, Site.id == Report.site_id)
             .where(Attachment.report_url != Attachment.url)
             .order_by(Attachment.id))
    return [tuple(row) for row in session.execute(query)]  # type: ignore[misc]


def _progress(done: int, total: int) -> None:
    bar = "#" * (30 * done // max(total, 1))
    print(f"\rreparse [{bar:<30}] {done}/{total}", end="" if done < total else "\n", file=sys.stderr)


def reparse(db_url: str, workers: int = 0,
            progress: Callable[[int, int], None] = _progress) -> ReparseResult:
    """Re-analyse every report and attachment with an archived capture and combine them again;
    returns how many reports, and how many captures could not be read."""
    result = ReparseResult()
    with db.session_factory(db_url)() as session:
        attachment_jobs, jobs = _attachment_jobs(session), _jobs(session)
        total = len(attachment_jobs) + len(jobs)
        progress(0, total)
        done = 0
        with ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
            for is_attachment, batch in ((True, attachment_jobs), (False, jobs)):
                outcomes: Iterator[tuple[dict[str, Any] | None, list[str], str | None]] = pool.map(
                    analyse_capture, *zip(*[(j[2], j[3], j[1], j[4], j[5] or "",
                                             j[6].isoformat() if j[6] else "") for j in batch],
                                          strict=True), chunksize=8) if batch else iter(())
                for (row_id, url, *_rest), (record, flags, error) in zip(batch, outcomes, strict=True):
                    done += 1
                    if record is None:
                        db.record_problem(session, "reparse_error", error or "unknown error", url=url)
                        result.failed += 1
                    elif is_attachment:
                        _update_attachment(session, row_id, record, flags)
                    else:
                        _update_report(session, row_id, record, flags)
                        result.reports += 1
                    if done % BATCH == 0:
                        session.commit()
                    progress(done, total)
        session.commit()
    return result


def _update_attachment(session: Session, attachment_id: int, record: dict[str, Any],
                       flags: list[str]) -> None:
    attachment = session.get(Attachment, attachment_id)
    assert attachment is not None
    columns = record_columns(record, attachment.link_text or "", flags)
    part = part_of(attachment.url, columns, record.get("cells", [])).to_dict()
    part.pop("flags")
    document = record.get("document") or {}
    attachment.part, attachment.flags = part, columns["flags"]
    attachment.kind, attachment.pages = document.get("kind"), document.get("pages")


def _update_report(session: Session, report_id: int, record: dict[str, Any],
                   flags: list[str]) -> None:
    report = session.get(Report, report_id)
    assert report is not None
    columns = record_columns(record, report.listed_title or "", flags)
    attached = bool(db.attachments_of(session, report.url))
    columns["page_part"] = (part_of(report.url, columns, record.get("cells", [])).to_dict()
                            if attached else None)
    db.update_report(report, columns)
    if record.get("document"):
        _own_document(report, record, columns)
    if attached:
        apply_combined(session, report)
    else:
        db.set_cells(session, report, record.get("cells", []))


def _own_document(report: Report, record: dict[str, Any], columns: dict[str, Any]) -> None:
    """An attachment-only report's own attachment row follows its analysis."""
    for attachment in report.attachments:
        if attachment.url == report.url:
            document = record["document"]
            attachment.kind, attachment.pages = document.get("kind"), document.get("pages")
            attachment.flags = columns["flags"]
