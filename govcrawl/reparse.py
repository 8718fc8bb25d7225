"""Re-run extraction and parsing over the archived report captures (no network).

Every improvement of the parsers then applies to everything already archived. Idempotent: the
same WARC records give the same rows; first/last-seen times are left alone.

It writes to the database, so it holds the database's lease (``archive.lock``): refused while a
crawl or import writes there, and they are refused while it runs. Every capture costs only
itself: one that cannot be read, decoded (within the crawl's ``DOWNLOAD_MAXSIZE``), analysed
(within the crawl's time and memory limits) or stored becomes a ``reparse_error`` problem.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from archive import db
from archive.lock import ArchiveHold, hold_archive
from archive.models import Attachment, Capture, Report, Site
from archive.store import ReportStore
from archive.warc import read_record
from govcrawl.analysis import AnalysisPool, PoolLimits
from govcrawl.analysis.result import Analysis
from govcrawl.analysis.worker import AnalysisTask, analyse

BATCH = 100
COMMIT_SECONDS = 5.0  # and at least this often: SQLite's write lock is not held for long
# As the crawl's DOWNLOAD_MAXSIZE (the CLI passes the setting): what reparse may inflate.
DEFAULT_MAX_PAYLOAD = 64 << 20


@dataclass
class ReparseResult:
    reports: int = 0
    failed: int = 0


def analyse_capture(warc_file: str, offset: int, url: str, site_name: str | None,
                    listed_title: str, listed_date: str = "", document: bool | None = None,
                    max_payload: int = DEFAULT_MAX_PAYLOAD,
                    ) -> tuple[Analysis | None, list[str], str | None]:
    """Worker-side: (analysis, capture flags, error) for the page or document archived at
    ``warc_file:offset``, analysed as the crawl did; its content coding undone (gzip, deflate,
    br, zstd) up to ``max_payload`` bytes."""
    try:
        record, body = read_record(warc_file, offset, decoded=True, max_size=max_payload)
    except Exception as exc:  # noqa: BLE001 - any unreadable record costs only itself
        return None, [], f"cannot read {warc_file}:{offset}: {type(exc).__name__}: {exc}"
    flags = ["truncated_capture"] if record.rec_headers.get_header("WARC-Truncated") else []
    headers = record.http_headers
    analysis = analyse(AnalysisTask(
        url=url, body=body,
        content_type=headers.get_header("Content-Type") if headers else None,
        disposition=headers.get_header("Content-Disposition") if headers else None,
        site_name=site_name, listed_title=listed_title, listed_date=listed_date,
        document=document))
    return analysis, flags, None


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
             .outerjoin(Report, Report.url_key == Attachment.report_url)  # the report's key
             .outerjoin(Site, Site.id == Report.site_id)
             .where(Attachment.report_url != Attachment.url_key)  # not its own document
             .order_by(Attachment.id))
    return [tuple(row) for row in session.execute(query)]  # type: ignore[misc]


def _progress(done: int, total: int) -> None:
    bar = "#" * (30 * done // max(total, 1))
    print(f"\rreparse [{bar:<30}] {done}/{total}", end="" if done < total else "\n", file=sys.stderr)


def reparse(db_url: str, workers: int = 0,
            progress: Callable[[int, int], None] = _progress,
            limits: PoolLimits | None = None,
            max_payload: int = DEFAULT_MAX_PAYLOAD) -> ReparseResult:
    """Re-analyse every report and attachment with an archived capture and combine them again;
    returns how many reports, and how many captures could not be read, analysed or stored.

    The analysis runs in the crawl's pool (``limits``: the crawl's time and memory limits per
    capture), so a capture that hangs or kills its worker costs only itself; a payload that
    inflates past ``max_payload`` is not analysed. Raises archive.lock.ArchiveBusy while another
    crawl, import or reparse writes to the database."""
    limits = limits or PoolLimits()
    if workers:
        limits = replace(limits, workers=workers)
    with db.session_factory(db_url)() as session:
        engine = session.get_bind()
        assert isinstance(engine, Engine)
        hold = hold_archive(engine, "reparse")
        writing = db.as_writer(session)  # it reads before it writes (see as_writer)
        try:
            return _reparse(session, hold, progress, limits, max_payload)
        finally:
            session.rollback()  # nothing half done stays open while the lease is let go
            writing.end()
            hold.release()


def _reparse(session: Session, hold: ArchiveHold, progress: Callable[[int, int], None],
             limits: PoolLimits, max_payload: int) -> ReparseResult:
    result = ReparseResult()
    store = ReportStore(session, None)
    attachment_jobs, jobs = _attachment_jobs(session), _jobs(session)
    total = len(attachment_jobs) + len(jobs)
    progress(0, total)
    done = 0
    last_commit = time.monotonic()
    with AnalysisPool(analyse_capture, limits) as pool:
        # Attachments first: a report combines with its attachments' fresh analyses.
        tasks = [((True, j[0], j[1]), (j[2], j[3], j[1], j[4], j[5] or "", "", None,
                                       max_payload))
                 for j in attachment_jobs]
        tasks += [((False, j[0], j[1]), (j[2], j[3], j[1], j[4], j[5] or "",
                                         j[6].isoformat() if j[6] else "", None, max_payload))
                  for j in jobs]
        for outcome in pool.map(tasks):
            is_attachment, row_id, url = outcome.key
            done += 1
            analysis, flags, error = outcome.value or (None, [], outcome.error)
            if analysis is None:
                db.record_problem(session, "reparse_error", error or "unknown error", url=url)
                result.failed += 1
            elif not _store(session, store, is_attachment, row_id, url, analysis, flags):
                result.failed += 1
            elif not is_attachment:
                result.reports += 1
            if done % BATCH == 0 or time.monotonic() - last_commit > COMMIT_SECONDS \
                    or hold.due():
                hold.renew(session)  # LeaseLost (ArchiveBusy) stops the reparse here
                session.commit()
                last_commit = time.monotonic()
            progress(done, total)
    hold.renew(session, force=True)
    session.commit()
    return result


def _store(session: Session, store: ReportStore, is_attachment: bool, row_id: int, url: str,
           analysis: Analysis, flags: list[str]) -> bool:
    """Store one fresh analysis in its own savepoint: a row the database refuses is undone
    alone (a problem row says so) and the batch's other reports stay."""
    try:
        with session.begin_nested():
            if is_attachment:
                attachment = session.get(Attachment, row_id)
                assert attachment is not None
                store.reanalysed_attachment(attachment, analysis, flags)
            else:
                report = session.get(Report, row_id)
                assert report is not None
                store.reanalysed_report(report, analysis, flags)
    except SQLAlchemyError as exc:
        store.load()  # its caches may name rows the savepoint took back
        db.record_problem(session, "reparse_error", "could not store: " + (
            f"{type(exc).__name__}: {exc}".splitlines()[0]), url=url)
        return False
    return True
