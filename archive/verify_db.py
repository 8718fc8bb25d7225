"""The checks of ``govcrawl verify`` that start from the database (``archive.verify`` runs them
and reads the WARC folder): imported captures against their records, what rests on captures
(reports, attachments, versions, revisits), captures a crash cut off, runs left ``running``.

Each streams its rows (``yield_per``) and lets the database pick the suspicious ones, so a
healthy archive costs one pass of indexed queries; each problem goes to ``report.add``.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
from collections.abc import Iterable
from itertools import groupby
from operator import attrgetter
from typing import TYPE_CHECKING, Any, BinaryIO

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import Session, aliased
from warcio.archiveiterator import ArchiveIterator

from archive.importer import arc_record_id, sniff
from archive.models import Attachment, Capture, CrawlRun, Report, ReportVersion
from archive.runs import live_run_id
from govcrawl.identity import url_key
from govcrawl.problems import CaptureSource, RunStatus

if TYPE_CHECKING:
    from archive.verify import VerifyReport

_BLOCK = 1 << 16  # payload bytes read at a time: a record is never read whole into memory
_ROWS = 2000  # rows fetched per round trip


# -- imported captures ---------------------------------------------------------------------------
def check_imported(session: Session, report: VerifyReport) -> None:
    """Captures pointing into imported third-party files (any WARC/ARC flavour, perhaps
    uncompressed, outside the WARC folder): each must still read back as its record, with the
    id, URL, length and payload digest the import stored."""
    query = (select(Capture.id, Capture.url, Capture.warc_file, Capture.warc_offset,
                    Capture.warc_length, Capture.payload_digest)
             .where(Capture.source == CaptureSource.IMPORT.value, Capture.lost_at.is_(None))
             .order_by(Capture.warc_file, Capture.warc_offset)
             .execution_options(yield_per=_ROWS))
    for warc_file, rows in groupby(session.execute(query), key=attrgetter("warc_file")):
        try:
            fh = open(warc_file, "rb")  # noqa: SIM115 - held across the file's rows
        except OSError as exc:
            ids = [row.id for row in rows]
            report.rows_checked += len(ids)
            report.add("missing-file", warc_file,
                       f"imported file cannot be opened ({exc.strerror or exc}), "
                       f"{len(ids)} capture row(s) point to it (e.g. {', '.join(ids[:5])})")
            continue
        with fh:
            file_id = _file_id(warc_file)
            for row in rows:
                report.rows_checked += 1
                for kind, message in _imported_row_problems(fh, row, file_id):
                    report.add(kind, row.id, message)


def _file_id(path: str) -> str | None:
    """What the import derived ARC record ids from: the file's first line (None: unknown)."""
    try:
        _, first_line = sniff(path)
    except OSError:
        return None
    return first_line.decode("utf-8", "replace") or None


def _imported_row_problems(fh: BinaryIO, row: Any, file_id: str | None
                           ) -> Iterable[tuple[str, str]]:
    at = f"{row.warc_file}:{row.warc_offset}"
    try:
        # warcio prints a warning for data after a record; the problem says it instead.
        with contextlib.redirect_stderr(io.StringIO()):
            fh.seek(row.warc_offset)
            iterator = ArchiveIterator(fh, check_digests=True)
            record = next(iter(iterator), None)
            if record is None:
                yield "bad-pointer", f"no record at {at}"
                return
            sha1 = hashlib.sha1()
            while chunk := record.raw_stream.read(_BLOCK):
                sha1.update(chunk)
            if getattr(record.raw_stream, "limit", 0):
                yield "bad-record", f"the record at {at} is cut short"
                return
            length = iterator.get_record_length()
    # warcio raises many kinds of errors on bad input; each means: no good record here.
    except Exception as exc:  # noqa: BLE001
        yield "bad-pointer", f"imported capture at {at} cannot be read ({type(exc).__name__}: {exc})"
        return
    rec = record.rec_headers
    arc = record.format.startswith("arc")
    url = ((rec.get_header("uri") or "").split(" ") or [""])[0] if arc else \
        (rec.get_header("WARC-Target-URI") or "").strip().strip("<>")
    if url != row.url:
        yield "wrong-record", f"{at} holds {url or 'a record without a URL'}, not {row.url}"
        return
    record_id = None if arc else rec.get_header("WARC-Record-ID")
    if not record_id or len(record_id) > 100:  # the import derived one (importer._job)
        record_id = arc_record_id(file_id, row.warc_offset) if file_id else row.id
    if record_id != row.id:
        yield "wrong-record", f"{at} holds record {record_id}, not {row.id}"
        return
    if length != row.warc_length:
        yield "wrong-length", (f"length {row.warc_length} in the database, but the record at "
                               f"{at} is {length} bytes")
    declared = None if arc else rec.get_header("WARC-Payload-Digest")
    stored = declared or payload_digest_of(sha1)
    if stored != row.payload_digest:
        yield "wrong-digest", (f"payload digest {row.payload_digest} in the database, but the "
                               f"record at {at} says {stored}")
    if record.digest_checker.passed is False:
        yield "digest", (f"record {row.id} at {at}: content does not match its digest "
                         f"({'; '.join(record.digest_checker.problems)})")


def payload_digest_of(sha1: Any) -> str:
    """``archive.warc.payload_digest`` of the bytes fed to ``sha1`` in pieces."""
    return "sha1:" + base64.b32encode(sha1.digest()).decode("ascii")


# -- what rests on captures ----------------------------------------------------------------------
def check_references(session: Session, report: VerifyReport) -> None:
    """Every report and attachment rests on a capture of its own URL that is not lost; every
    version on a capture of its report's URL (a lost one is history: its text is kept). URLs
    compare by key: a report's versions may come from captures of several forms of its URL."""
    for model, what in ((Report, "report"), (Attachment, "attachment")):
        query = (select(model.id, model.url, model.capture_id, Capture.url.label("capture_url"),
                        Capture.lost_at)
                 .outerjoin(Capture, Capture.id == model.capture_id)
                 .where(or_(model.capture_id.is_(None), ~_same_resource(Capture, model),
                            Capture.lost_at.is_not(None)))
                 .order_by(model.id).execution_options(yield_per=_ROWS))
        for row in session.execute(query):
            _reference_problem(report, f"{what} {row.id}", row)
    query = (select(ReportVersion.id, Report.url, ReportVersion.capture_id,
                    Capture.url.label("capture_url"))
             .join(Report, Report.id == ReportVersion.report_id)
             .outerjoin(Capture, Capture.id == ReportVersion.capture_id)
             .where(or_(ReportVersion.capture_id.is_(None), ~_same_resource(Capture, Report)))
             .order_by(ReportVersion.id).execution_options(yield_per=_ROWS))
    for row in session.execute(query):
        _reference_problem(report, f"version {row.id}", row)


def _same_resource(a: Any, b: Any) -> ColumnElement[bool]:
    """Rows ``a`` and ``b`` name one resource: the same URL, or the same URL key (another form
    of it). A row written without a key (by hand, an older version) still matches by URL."""
    return or_(a.url == b.url, and_(a.url_key.is_not(None), b.url_key.is_not(None),
                                    a.url_key == b.url_key))


def _reference_problem(report: VerifyReport, where: str, row: Any) -> None:
    if row.capture_id is None:
        report.add("no-capture", where, f"{row.url} rests on no capture: its archived copy is "
                                        f"unknown (a failed WARC write, or an old repair)")
    elif url_key(row.capture_url or "") != url_key(row.url):
        report.add("wrong-capture", where, f"{row.url} points at capture {row.capture_id} of "
                                           f"another URL, {row.capture_url}")
    else:
        report.add("capture-lost", where, f"{row.url} rests on capture {row.capture_id}, cut off "
                                          f"by a crash; the next crawl fetches it again")


def check_revisits(session: Session, report: VerifyReport) -> None:
    """Every revisit row's original (WARC-Refers-To) has a row whose record is not lost: a
    revisit holds no payload, replaying it needs the original."""
    original = aliased(Capture)
    query = (select(Capture.id, Capture.url, Capture.refers_to, original.id.label("found"))
             .outerjoin(original, original.id == Capture.refers_to)
             .where(Capture.record_type == "revisit", Capture.refers_to.is_not(None),
                    Capture.lost_at.is_(None),
                    or_(original.id.is_(None), original.lost_at.is_not(None)))
             .order_by(Capture.id).execution_options(yield_per=_ROWS))
    for row in session.execute(query):
        state = "has no capture row" if row.found is None else "was cut off by a crash"
        report.add("no-original", row.id, f"revisit of {row.url} refers to {row.refers_to}, "
                                          f"which {state}: its payload is nowhere")


def check_lost(session: Session, report: VerifyReport) -> None:
    """Captures the repair flagged lost (a crash cut their records off): a problem until a
    later capture of the URL exists; afterwards only counted (the row stays, as history)."""
    later = aliased(Capture)
    again = exists().where(and_(_same_resource(later, Capture), later.lost_at.is_(None),
                                later.fetched_at >= Capture.fetched_at, later.id != Capture.id))
    query = (select(Capture.id, Capture.url, Capture.warc_file, Capture.warc_offset,
                    Capture.lost_at, again.label("again"))
             .where(Capture.lost_at.is_not(None))
             .order_by(Capture.id).execution_options(yield_per=_ROWS))
    for row in session.execute(query):
        report.rows_checked += 1
        if row.again:
            report.lost_refetched += 1
            continue
        report.add("capture-lost", row.id,
                   f"{row.url}: its record at {row.warc_file}:{row.warc_offset} was cut off by "
                   f"a crash (found {row.lost_at:%Y-%m-%d %H:%M}); not fetched again since: the "
                   f"next crawl does")


# -- runs --------------------------------------------------------------------------------------
def check_runs(session: Session, report: VerifyReport) -> None:
    """Runs marked ``running`` that no live process holds the archive for: killed, or their
    host lost power (the next crawl marks a crawl's run interrupted, or resumes it)."""
    live = live_run_id(session)
    query = select(CrawlRun.id, CrawlRun.started_at, CrawlRun.arguments).where(
        CrawlRun.status == RunStatus.RUNNING.value).order_by(CrawlRun.id)
    for run in session.execute(query):
        if run.id == live:
            continue
        arguments = run.arguments or {}
        what = "import" if "import" in arguments else "crawl"
        host = arguments.get("host") or "unknown host"
        advice = ("its captures so far are kept" if what == "import"
                  else "the next govcrawl crawl marks it interrupted (or resumes it: --resume)")
        report.add("stuck-run", f"run {run.id}",
                   f"{what} started {run.started_at:%Y-%m-%d %H:%M} on {host} is marked running, "
                   f"but no live process holds the archive for it: {advice}")
