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
from archive.models import Capture, Report, Site
from archive.warc import read_record
from govcrawl.report.analyse import analyse_page, record_columns

BATCH = 100


@dataclass
class ReparseResult:
    reports: int = 0
    failed: int = 0


def analyse_capture(warc_file: str, offset: int, url: str, site_name: str | None,
                    listed_title: str) -> tuple[dict[str, Any] | None, list[str], str | None]:
    """Worker-side: (record, capture flags, error) for the report archived at ``warc_file:offset``."""
    try:
        record, body = read_record(warc_file, offset, decoded=True)
    except (OSError, ValueError, EOFError) as exc:
        return None, [], f"cannot read {warc_file}:{offset}: {exc}"
    flags = ["truncated_capture"] if record.rec_headers.get_header("WARC-Truncated") else []
    content_type = record.http_headers.get_header("Content-Type") if record.http_headers else None
    return analyse_page(body, url, content_type, site_name, listed_title), flags, None


def _jobs(session: Session) -> list[tuple[int, str, str, int, str | None, str]]:
    query = (select(Report.id, Report.url, Capture.warc_file, Capture.warc_offset, Site.name,
                    Report.listed_title)
             .join(Capture, Capture.id == Report.capture_id)
             .outerjoin(Site, Site.id == Report.site_id)
             .order_by(Report.id))
    return [tuple(row) for row in session.execute(query)]  # type: ignore[misc]


def _progress(done: int, total: int) -> None:
    bar = "#" * (30 * done // max(total, 1))
    print(f"\rreparse [{bar:<30}] {done}/{total}", end="" if done < total else "\n", file=sys.stderr)


def reparse(db_url: str, workers: int = 0,
            progress: Callable[[int, int], None] = _progress) -> ReparseResult:
    """Re-analyse every report with an archived capture; returns how many, and how many failed."""
    result = ReparseResult()
    with db.session_factory(db_url)() as session:
        jobs = _jobs(session)
        progress(0, len(jobs))
        with ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
            outcomes: Iterator[tuple[dict[str, Any] | None, list[str], str | None]] = pool.map(
                analyse_capture, *zip(*[(j[2], j[3], j[1], j[4], j[5] or "") for j in jobs], strict=True),
                chunksize=8) if jobs else iter(())
            for done, ((report_id, url, *_rest), (record, flags, error)) in enumerate(
                    zip(jobs, outcomes, strict=True), start=1):
                report = session.get(Report, report_id)
                assert report is not None
                if record is None:
                    db.record_problem(session, "reparse_error", error or "unknown error", url=url)
                    result.failed += 1
                else:
                    db.update_report(report, record_columns(record, report.listed_title or "", flags))
                    db.set_cells(report, record.get("cells", []))
                    result.reports += 1
                if done % BATCH == 0:
                    session.commit()
                progress(done, len(jobs))
        session.commit()
    return result
