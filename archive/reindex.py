"""Capture rows rebuilt from the WARC files themselves: the records are the ground truth.

A killed crawl can leave its last few seconds of records in the WARC without their rows (rows
are inserted in batches); ``missing_rows`` finds those, ``dangling_rows`` finds rows whose record
is gone (a file moved, cut or damaged).
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Iterator
from datetime import UTC, datetime
from itertools import groupby
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.models import Capture
from archive.recover import Member, iter_members, read_member
from archive.store import CaptureRow
from archive.warc import OPEN_SUFFIX, payload_digest

CAPTURE_TYPES = ("response", "revisit")
# IN (...) lookups per query; SQLite allows 32766 variables, stay far below.
_CHUNK = 500
# Requests seen before their response (other tools' order) kept for matching; ours come after.
_RECENT_REQUESTS = 32


def parse_warc_date(value: str) -> datetime:
    """WARC-Date (ISO 8601 UTC, ``Z``, 0 to 9 fraction digits) as an aware datetime."""
    text = value.strip().replace("Z", "+00:00")
    if "." in text:
        head, _, rest = text.partition(".")
        digits = len(rest) - len(rest.lstrip("0123456789"))
        fraction, tz = rest[:digits], rest[digits:]
        text = f"{head}.{(fraction + '000000')[:6]}{tz}"  # fromisoformat wants 3 or 6 digits
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _date(value: str | None) -> datetime | None:
    # A record without a usable WARC-Date is still indexed; the row says the date is unknown.
    try:
        return parse_warc_date(value) if value else None
    except ValueError:
        return None


def final_name(path: str | os.PathLike[str]) -> str:
    """Absolute path of a WARC file under its final name (without ``.open``)."""
    text = str(Path(path).resolve())
    return text.removesuffix(OPEN_SUFFIX)


def _row(member: Member, warc_file: str) -> dict[str, Any]:
    rec = member.rec_headers
    http = member.http_headers
    assert rec is not None
    status = http.get_statuscode() if http is not None else None
    return CaptureRow(
        id=rec.get_header("WARC-Record-ID") or "",
        url=rec.get_header("WARC-Target-URI") or "",
        method="GET",  # replaced by the request record's method when it is found
        status=int(status) if status and status.isdigit() else None,
        content_type=http.get_header("Content-Type") if http is not None else None,
        fetched_at=_date(rec.get_header("WARC-Date")),
        payload_digest=rec.get_header("WARC-Payload-Digest"),
        warc_file=warc_file,
        warc_offset=member.offset,
        warc_length=member.length,
        record_type=member.rec_type or "response",
        etag=http.get_header("ETag") if http is not None else None,
        last_modified=http.get_header("Last-Modified") if http is not None else None,
        refers_to=rec.get_header("WARC-Refers-To"),
        truncated=rec.get_header("WARC-Truncated"),
    ).values()


def _method(member: Member) -> str | None:
    # warcio puts a request line's method where a status line has its protocol.
    http = member.http_headers
    return http.protocol if http is not None and http.protocol else None


_EMPTY_BODY = payload_digest(b"")


def _request(member: Member) -> dict[str, Any]:
    """What a request record adds to its response's row: the method, and the body's digest
    (the record's WARC-Payload-Digest; none for a request without a body)."""
    assert member.rec_headers is not None
    digest = member.rec_headers.get_header("WARC-Payload-Digest")
    found: dict[str, Any] = {"request_digest": digest if digest and digest != _EMPTY_BODY else None}
    method = _method(member)
    if method:
        found["method"] = method
    return found


def capture_rows(path: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """A captures-table row (as a dict) for every good response and revisit record of a file.

    Streams the file once. ``warc_file`` is the absolute final name even for a ``.open`` file,
    as the crawl stores it; ``warc_length`` is the exact length of the record's gzip member;
    ``status`` (no HTTP headers) and ``fetched_at`` (no usable WARC-Date) are None when the
    record does not say. Damaged or partial members are skipped (``verify`` reports them)."""
    warc_file = final_name(path)
    pending: dict[str, Any] | None = None  # a response waiting for its request record
    requests: dict[str, dict[str, Any]] = {}  # WARC-Record-ID of a request seen first -> _request
    with open(path, "rb") as fh:
        for member in iter_members(fh):
            if not member.ok or member.rec_headers is None:
                continue
            if member.rec_type == "request":
                concurrent = member.rec_headers.get_header("WARC-Concurrent-To")
                if pending is not None and concurrent == pending["id"]:
                    pending.update(_request(member))
                    yield pending
                    pending = None
                elif member.record_id:
                    if len(requests) >= _RECENT_REQUESTS:
                        requests.pop(next(iter(requests)))
                    requests[member.record_id] = _request(member)
                continue
            if pending is not None:
                yield pending
                pending = None
            if member.rec_type in CAPTURE_TYPES:
                row = _row(member, warc_file)
                concurrent = member.rec_headers.get_header("WARC-Concurrent-To")
                if concurrent in requests:
                    row.update(requests.pop(concurrent))
                    yield row
                else:
                    pending = row
    if pending is not None:
        yield pending


def capture_values(row: dict[str, Any]) -> dict[str, Any]:
    """``row`` without the keys the captures table (as this code base defines it) lacks."""
    columns = Capture.__table__.columns.keys()
    return {k: v for k, v in row.items() if k in columns}


def _chunked(items: Iterable[Any], size: int = _CHUNK) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def known_ids(session: Session, ids: Iterable[str]) -> set[str]:
    """Which of ``ids`` are in the captures table (queried in chunks)."""
    found: set[str] = set()
    for chunk in _chunked(ids):
        found.update(session.scalars(select(Capture.id).where(Capture.id.in_(chunk))))
    return found


def missing_rows(session: Session, warc_files: Iterable[str | os.PathLike[str]]
                 ) -> list[dict[str, Any]]:
    """Rows for the records of ``warc_files`` whose WARC-Record-ID has no capture row."""
    missing: list[dict[str, Any]] = []
    for path in warc_files:
        for chunk in _chunked(capture_rows(path)):
            present = known_ids(session, [row["id"] for row in chunk])
            missing.extend(row for row in chunk if row["id"] not in present)
    return missing


def disk_path(warc_file: str) -> str | None:
    """Where a capture's file is now: its final name, or its ``.open`` twin; None if neither."""
    for candidate in (warc_file, warc_file + OPEN_SUFFIX):
        if os.path.isfile(candidate):
            return candidate
    return None


def dangling_rows(session: Session, *, run_ids: Collection[int] | None = None,
                  under: str | os.PathLike[str] | None = None,
                  warc_files: Collection[str] | None = None) -> list[Capture]:
    """Capture rows whose pointer leads to no readable record with their id: missing file,
    offset past the end, another record there, or a damaged member. Rows already flagged lost
    are not looked at again.

    Reads each referenced member once, file by file in offset order; ``run_ids`` limits the check
    to those runs' rows (every referenced record is read, so this saves real time), ``under``
    to rows of files in that folder (the one a repair holds locked), ``warc_files`` to rows of
    those files (final names)."""
    dangling: list[Capture] = []
    query = (select(Capture).where(Capture.lost_at.is_(None))
             .order_by(Capture.warc_file, Capture.warc_offset))
    if run_ids is not None:
        query = query.where(Capture.run_id.in_(list(run_ids)))
    if warc_files is not None:
        query = query.where(Capture.warc_file.in_(list(warc_files)))
    folder = Path(under).resolve() if under is not None else None
    query = query.execution_options(yield_per=1000)
    for warc_file, rows in groupby(session.scalars(query), key=lambda c: c.warc_file):
        if folder is not None and Path(warc_file).parent != folder:
            continue
        disk = disk_path(warc_file)
        if disk is None:
            dangling.extend(rows)
            continue
        with open(disk, "rb") as fh:
            size = fh.seek(0, os.SEEK_END)
            for capture in rows:
                if not 0 <= capture.warc_offset < size:
                    dangling.append(capture)
                    continue
                member = read_member(fh, capture.warc_offset)
                if not member.ok or member.record_id != capture.id:
                    dangling.append(capture)
    return dangling
