"""Repair what a killed crawl left, before the next crawl starts: the WARC files are the record of
what was fetched, the database is brought back in line with them (never the other way round)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from archive.db import aware
from archive.models import Capture, CrawlRun, Report, ReportVersion
from archive.recover import recover_open_files
from archive.reindex import capture_values, dangling_rows, missing_rows
from archive.runs import interrupted_runs, live_runs


class ArchiveBusy(Exception):
    """Another crawl is running on this database."""


class NothingToResume(Exception):
    """``--resume`` was asked but no crawl was interrupted."""


def prepare_run(session: Session, warc_dir: str, *, resume: bool) -> tuple[int | None, list[str]]:
    """Before a crawl: repair what a killed crawl left and say which run to continue.

    Returns (the run to resume or None, what was repaired). Runs left unfinished are marked
    ``interrupted`` unless one of them is resumed."""
    live = live_runs(session)
    if live:
        run = live[0]
        raise ArchiveBusy(f"crawl run {run.id} is still running (pid {run.arguments.get('pid')}) "
                          f"on this database; wait for it or stop it first")
    interrupted = interrupted_runs(session)
    if resume and not interrupted:
        raise NothingToResume("no interrupted crawl in this database")
    lines = []
    if interrupted or any(Path(warc_dir).glob("*.open")):
        lines = repair_archive(session, warc_dir, interrupted)
    resumed = interrupted[-1].id if resume else None
    for run in interrupted:
        if run.id != resumed:
            run.status = "interrupted"
    session.commit()
    return resumed, lines


def repair_archive(session: Session, warc_dir: str, interrupted: Sequence[CrawlRun]) -> list[str]:
    """Close ``.open`` WARC files at their last whole record, add capture rows for records the
    database never got, drop rows pointing at no record. Returns what was done, one line each."""
    lines = []
    for result in recover_open_files(warc_dir):
        lines.append(f"{result.open_path}: {result.outcome}, {result.records} whole records kept, "
                     f"{result.bytes_cut} bytes of a cut record removed"
                     + (f" ({result.note})" if result.note else ""))
    run_ids = [run.id for run in interrupted]
    # Only files an interrupted run can have written (with slack for clock steps).
    since = min((aware(run.started_at) for run in interrupted), default=None)
    files = sorted(str(p.resolve()) for p in Path(warc_dir).glob("*.warc.gz")
                   if since is None or datetime.fromtimestamp(p.stat().st_mtime, UTC)
                   >= since - timedelta(minutes=5))
    rows = missing_rows(session, files)
    if rows:
        owner = dict(session.execute(select(Capture.warc_file, Capture.run_id)
                                     .where(Capture.warc_file.in_(files)).distinct()).tuples().all())
        fallback = run_ids[-1] if run_ids else None
        originals = dict(session.execute(
            select(Capture.id, Capture.payload_digest).where(Capture.id.in_(
                [r["refers_to"] for r in rows if r.get("refers_to")]))).tuples().all())
        for row in rows:
            row["run_id"] = owner.get(row["warc_file"], fallback)
            row["last_seen_at"] = row["fetched_at"]
            if row.get("refers_to") and not row.get("payload_digest"):
                # As the crawl writes it: a 304 revisit row carries its original's digest.
                row["payload_digest"] = originals.get(row["refers_to"])
        session.execute(insert(Capture), [capture_values(row) for row in rows])
        lines.append(f"{len(rows)} capture rows rebuilt from WARC records the database never got")
    if run_ids:
        dangling = dangling_rows(session, run_ids=run_ids)
        if dangling:
            ids = [c.id for c in dangling]
            session.execute(update(Report).where(Report.capture_id.in_(ids)).values(capture_id=None))
            session.execute(update(ReportVersion).where(ReportVersion.capture_id.in_(ids))
                            .values(capture_id=None))
            session.execute(delete(Capture).where(Capture.id.in_(ids)))
            lines.append(f"{len(ids)} capture rows pointing at no whole record removed")
    session.commit()
    return lines
