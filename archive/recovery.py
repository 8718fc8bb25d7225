"""Repair what a killed crawl left, before the next crawl starts: the WARC files are the record of
what was fetched, the database is brought back in line with them (never the other way round).

It runs under the archive's hold (``archive.lock``: the WARC folder's lock and the database's
lease), so nothing else writes to the folder or the database meanwhile, and it touches only what
is provably dead and its own: runs that hold no live lease, and files in the folder it holds.
"""

from __future__ import annotations

import socket
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from archive.db import aware, insert_each, now, record_problem
from archive.lock import ArchiveBusy, describe, held_elsewhere
from archive.models import Capture, CrawlRun
from archive.recover import recover_open_files
from archive.reindex import capture_values, dangling_rows, disk_path, final_name, missing_rows
from archive.runs import interrupted_runs
from archive.warc import short_hostname, writer_host
from govcrawl.problems import ProblemKind

__all__ = ["ArchiveBusy", "NothingToResume", "flag_lost", "prepare_run", "repair_archive"]

_CHUNK = 500  # ids per IN (...) (SQLite allows 32766 variables; stay far below)


class NothingToResume(Exception):
    """``--resume`` was asked but no crawl was interrupted."""


def prepare_run(session: Session, warc_dir: str, *, resume: bool) -> tuple[int | None, list[str]]:
    """Before a crawl: repair what a killed crawl left and say which run to continue.

    Returns (the run to resume or None, what was repaired). Runs left unfinished are marked
    ``interrupted`` unless one of them is resumed. The caller holds the archive
    (``archive.lock.hold_archive``); a lease held by anyone else is refused here as well."""
    other = held_elsewhere(session)
    if other is not None:
        raise ArchiveBusy(f"the database is in use by {describe(other)}; wait for it to finish "
                          f"or stop it first")
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
    database never got, flag rows pointing at no record lost (``flag_lost``). Returns what was
    done, one line each."""
    lines = []
    results = recover_open_files(warc_dir)
    for result in results:
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
        owner = {warc_file: run_id for warc_file, run_id in session.execute(
            select(Capture.warc_file, Capture.run_id).where(Capture.warc_file.in_(files)).distinct())}
        fallback = run_ids[-1] if run_ids else None
        originals = {capture_id: digest for capture_id, digest in session.execute(
            select(Capture.id, Capture.payload_digest).where(Capture.id.in_(
                [r["refers_to"] for r in rows if r.get("refers_to")])))}
        for row in rows:
            row["run_id"] = owner.get(row["warc_file"], fallback)
            row["last_seen_at"] = row["fetched_at"]
            if row.get("refers_to") and not row.get("payload_digest"):
                # As the crawl writes it: a 304 revisit row carries its original's digest.
                row["payload_digest"] = originals.get(row["refers_to"])
        # One record the database will not take must not stop every later crawl (review C1).
        refused = insert_each(session, Capture.__table__,  # type: ignore[arg-type]
                              [capture_values(row) for row in rows])
        lines.append(f"{len(rows) - len(refused)} capture rows rebuilt from WARC records the "
                     f"database never got")
        if refused:
            row, exc = refused[0]
            lines.append(f"{len(refused)} capture rows the database refused, not rebuilt (first: "
                         f"{row['warc_file']}:{row['warc_offset']}: "
                         + f"{type(exc).__name__}: {exc}".splitlines()[0] + ")")
    # Files this repair closed or set aside: a power loss can cut one below what the database
    # had committed (records not yet on disk), so their rows are checked whatever their run.
    repaired = [final_name(r.open_path) for r in results if r.outcome in ("closed", "broken")]
    if run_ids or repaired:
        # Rows of dead runs, in the folder this repair holds: a row whose record is cut or
        # damaged there points at nothing. A row whose file is simply not here is ours to flag
        # only if this host wrote that file (its name says so; else its run ran here): a file
        # of another host (its own disk, the same path) is not ours to judge (`govcrawl verify`
        # lists such rows; a person decides).
        here = socket.gethostname()
        ran_here = {run.id for run in interrupted if (run.arguments or {}).get("host") == here}
        lost: dict[str, Capture] = {}
        elsewhere = 0
        if run_ids:
            for capture in dangling_rows(session, run_ids=run_ids, under=warc_dir):
                writer = writer_host(capture.warc_file)
                ours = writer == short_hostname() if writer else capture.run_id in ran_here
                if ours or disk_path(capture.warc_file) is not None:
                    lost[capture.id] = capture
                else:
                    elsewhere += 1
        if repaired:
            lost |= {c.id: c for c in dangling_rows(session, warc_files=repaired)}
        if elsewhere:
            lines.append(f"{elsewhere} capture rows of another host's run point at files not on "
                         f"this host: kept (govcrawl verify lists them)")
        if lost:
            flag_lost(session, list(lost.values()))
            lines.append(f"{len(lost)} capture rows point at records a crash cut off: kept, "
                         f"flagged lost ({ProblemKind.CAPTURE_LOST} problems); the next crawl "
                         f"fetches their URLs again")
    session.commit()
    return lines


def flag_lost(session: Session, captures: Sequence[Capture]) -> None:
    """Flag capture rows whose record is gone (``captures.lost_at``), one ``capture_lost``
    problem each. Nothing is deleted (review L2): reports and versions keep pointing at them,
    so what was lost stays visible; priors skip them, so the next crawl fetches each URL whole
    and the report is stored again from the new capture."""
    moment = now()
    ids = [c.id for c in captures]
    for i in range(0, len(ids), _CHUNK):
        session.execute(update(Capture).where(Capture.id.in_(ids[i:i + _CHUNK]))
                        .values(lost_at=moment))
    for capture in captures:
        record_problem(session, ProblemKind.CAPTURE_LOST,
                       f"record {capture.id} at {capture.warc_file}:{capture.warc_offset} is gone "
                       f"(cut off by a crash after its row was committed); the row is kept, "
                       f"flagged lost, and the next crawl fetches the URL again",
                       url=capture.url, run_id=capture.run_id)
