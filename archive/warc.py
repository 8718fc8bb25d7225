"""WARC writing (rotating files, request + response records) and reading by offset.

One open file at a time, named ``<prefix>-<timestamp>-<serial>-<host>-<pid>.warc.gz.open``
until it is closed; a warcinfo record heads every file; each record is its own gzip member,
so a record can be read back from its offset alone.

A write is all or nothing: each record is made in memory and written to the unbuffered file
in one go, an exchange's records together; when a write fails (a full disk, an I/O error) the
file is cut back to where the record or exchange began, so no partial record, and no record
the caller was told failed, is left for the next one to follow.
"""

from __future__ import annotations

import base64
import contextlib
import errno
import hashlib
import io
import os
import re
import socket
import uuid
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord, ArcWarcRecordLoader
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive.payload import http_payload

OPEN_SUFFIX = ".open"
# A record's header blocks (WARC or ARC, then HTTP) end within its first MiB, or it is not
# parsed (header_overrun). Real ones take a few KiB; browsers refuse far smaller HTTP headers.
HEADER_LIMIT = 1 << 20
_READ_BLOCK = 1 << 16  # compressed bytes read at a time
_GZIP_MAGIC = b"\x1f\x8b\x08"
# The data without the file's times where the platform allows (macOS has only fsync).
_datasync = getattr(os, "fdatasync", os.fsync)
SERVER_NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
IDENTICAL_PAYLOAD = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
# Twisted removed the chunked coding; a header claiming it would make the record unreadable.
_DROPPED_RESPONSE_HEADERS = {"transfer-encoding"}
_DROPPED_REQUEST_HEADERS = {"proxy-authorization"}


@dataclass(frozen=True)
class Exchange:
    """One HTTP request and its response, as sent and as received (body still content-encoded)."""

    url: str
    method: str
    request_headers: list[tuple[str, str]]
    request_body: bytes
    status: int
    protocol: str
    response_headers: list[tuple[str, str]]
    body: bytes
    fetched_at: datetime
    ip_address: str | None = None
    truncated: str | None = None  # WARC-Truncated reason ("length", "disconnect")


@dataclass(frozen=True)
class RecordRef:
    """Where a record lives: final file path (without ``.open``), byte offset and length."""

    warc_file: str
    offset: int
    length: int
    record_id: str
    payload_digest: str | None
    record_type: str = "response"
    refers_to: str | None = None


@dataclass(frozen=True)
class Original:
    """An archived response record holding a payload, as a revisit record refers to it."""

    record_id: str
    url: str
    date: datetime
    payload_digest: str | None


def payload_digest(body: bytes) -> str:
    """The WARC-Payload-Digest warcio writes for this payload (sha1, base32)."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def warc_date(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _status_line(status: int, protocol: str) -> tuple[str, str]:
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Unknown"
    return f"{status} {reason}", protocol or "HTTP/1.1"


def _request_line(url: str, method: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return f"{method} {target}"


class RotatingWarcWriter:
    """Writes exchanges to gzip WARC/1.1 files under ``directory``, rotating at ``max_size`` bytes."""

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        max_size: int = 1024**3,
        prefix: str = "GOVCRAWL",
        warcinfo: dict[str, str] | None = None,
    ) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.max_size = max_size
        self.prefix = prefix
        self.warcinfo = dict(warcinfo or {})
        self._serial = 0
        # warcio makes each record into this buffer, written to the file only when whole.
        self._record = io.BytesIO()
        self._builder = WARCWriter(self._record, gzip=True, warc_version="WARC/1.1")
        # Unbuffered: a failed write leaves no bytes held back to reach the file later.
        self._file: io.FileIO | None = None
        self._path: Path | None = None
        self._size = 0  # bytes of whole records in the open file (its end)
        self._synced = 0  # bytes of the open file known to be on disk
        self._units = 0  # all-or-nothing blocks open (no rotation inside one)
        self.closed_files: list[Path] = []

    # -- file lifecycle ------------------------------------------------------------------------
    @property
    def current_path(self) -> Path | None:
        """Final name of the file being written (it carries ``.open`` on disk until closed)."""
        return self._path

    def _open(self) -> None:
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")[:17]
        host = short_hostname()
        name = f"{self.prefix}-{stamp}-{self._serial:05d}-{host}-{os.getpid()}-{uuid.uuid4().hex[:6]}.warc.gz"
        self._serial += 1
        path = (self.directory / name).resolve()
        self._file = open(str(path) + OPEN_SUFFIX, "wb", buffering=0)  # noqa: SIM115 - held open across records
        self._path, self._size, self._synced = path, 0, 0
        info = {
            "software": "govcrawl/0.1 (warcio)",
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            **self.warcinfo,
        }
        try:
            self._put(self._serialise(self._builder.create_warcinfo_record(name, info)))
        except OSError:
            # A file not headed by its warcinfo record is not made at all; the next write
            # tries a new one.
            self._discard()
            raise
        # The new name must survive a power loss too, or the records sync() makes durable
        # would be in a file no directory lists. Once per file.
        fsync_dir(self.directory)

    def _discard(self) -> None:
        """Close and remove the file being opened (it holds nothing: its warcinfo failed)."""
        fh, path = self._file, self._path
        self._file = self._path = None
        if fh is not None and path is not None:
            fh.close()
            with contextlib.suppress(OSError):
                os.unlink(str(path) + OPEN_SUFFIX)

    def _abandon(self) -> None:
        """Stop writing to the open file, which a failed write left damaged at its end: it
        keeps its ``.open`` name, and the next crawl's repair cuts the damaged tail off."""
        fh, self._file, self._path = self._file, None, None
        if fh is not None:
            with contextlib.suppress(OSError):
                fh.close()

    def sync(self) -> None:
        """Put every record written so far on disk (``fdatasync``), before a database commit
        refers to them: otherwise a power loss can leave committed capture rows pointing past
        the end of the file (review L2). Cheap when nothing was written since the last call."""
        if self._file is None:
            return
        if self._size != self._synced:
            _datasync(self._file.fileno())
            self._synced = self._size

    def close(self) -> None:
        """Close the current file and drop its ``.open`` suffix (once its bytes are on disk)."""
        if self._file is None or self._path is None:
            return
        fh, path = self._file, self._path
        # Forgotten first: whatever fails below, this file is not written to again (a failed
        # fsync leaves it under its .open name, for the next crawl's repair to close).
        self._file = self._path = None
        try:
            os.fsync(fh.fileno())
        finally:
            fh.close()
        os.replace(str(path) + OPEN_SUFFIX, path)
        fsync_dir(path.parent)  # the final name, durable
        self.closed_files.append(path)

    def _ensure_open(self) -> None:
        # Never inside an all-or-nothing block: its records share one file, to be cut back.
        if self._file is not None and self._units == 0 and self._size >= self.max_size:
            self.close()
        if self._file is None:
            self._open()

    # -- writing -------------------------------------------------------------------------------
    def _put(self, data: bytes) -> int:
        """Append ``data`` (one whole record) to the open file; returns its offset. If the write
        fails, none of it stays."""
        assert self._file is not None
        offset = self._size
        try:
            _write_all(self._file, data)
        except OSError:
            self._cut(offset)
            raise
        self._size = offset + len(data)
        return offset

    def _cut(self, offset: int) -> None:
        """Cut the open file back to ``offset``: what a failed write left after it goes.

        ``os.ftruncate`` on the descriptor: nothing is buffered that could fail to flush first
        (``BufferedWriter.seek`` did, on the full disk, and skipped the truncate)."""
        assert self._file is not None
        try:
            os.ftruncate(self._file.fileno(), offset)
            self._file.seek(offset)
        except OSError:
            self._abandon()  # no record may follow bytes that could not be taken back
            raise
        self._size = offset

    @contextmanager
    def all_or_nothing(self) -> Iterator[None]:
        """Records written inside the block are kept all, or (when it raises) none: the file is
        cut back to where the block began. The file is opened, or rotated, on entry only."""
        self._ensure_open()
        fh, start = self._file, self._size
        self._units += 1
        try:
            yield
        except BaseException:
            # The caller records nothing of a failed block (no capture row): neither may the
            # file, or a response would be left that no row lists (review scenario 15).
            if self._file is fh and self._size != start:
                self._cut(start)
            raise
        finally:
            self._units -= 1

    def _serialise(self, record: ArcWarcRecord) -> bytes:
        """The record as written to the file: one gzip member, made in memory."""
        self._record.seek(0)
        self._record.truncate()
        self._builder.write_record(record)
        return self._record.getvalue()

    def _write(self, record: ArcWarcRecord) -> RecordRef:
        assert self._path is not None
        data = self._serialise(record)
        offset = self._put(data)
        return RecordRef(
            warc_file=str(self._path),
            offset=offset,
            length=len(data),
            record_id=record.rec_headers.get_header("WARC-Record-ID"),
            payload_digest=record.rec_headers.get_header("WARC-Payload-Digest"),
        )

    # -- records -------------------------------------------------------------------------------
    def write_exchange(self, exchange: Exchange, *, original: Original | None = None,
                       with_request: bool = True) -> RecordRef:
        """Write the response record, then its request record; returns the response's place.
        Both are written or (when this raises) neither.

        With the ``original`` capture of the same URL, a 304 becomes a server-not-modified
        revisit record and a whole payload identical to the original's an identical-payload-digest
        revisit record: the HTTP headers are kept, the payload is not stored twice."""
        with self.all_or_nothing():
            response, revisit_of = self._response_record(exchange, original)
            ref = self._write(response)
            if revisit_of is not None:
                ref = RecordRef(ref.warc_file, ref.offset, ref.length, ref.record_id,
                                revisit_of.payload_digest, "revisit", revisit_of.record_id)
            if with_request:  # none for a capture taken from an archive: no request was sent
                self._write(self._request_record(exchange, ref.record_id))
        return ref

    def _response_record(self, exchange: Exchange, original: Original | None
                         ) -> tuple[ArcWarcRecord, Original | None]:
        """The response record, or a revisit record and the original it refers to."""
        status_line, protocol = _status_line(exchange.status, exchange.protocol)
        response_headers = [
            (k, v) for k, v in exchange.response_headers if k.lower() not in _DROPPED_RESPONSE_HEADERS
        ]
        http_headers = StatusAndHeaders(status_line, response_headers, protocol=protocol)
        warc_headers = {"WARC-Date": warc_date(exchange.fetched_at)}
        if exchange.ip_address:
            warc_headers["WARC-IP-Address"] = exchange.ip_address
        if exchange.truncated:
            warc_headers["WARC-Truncated"] = exchange.truncated
        profile = _revisit_profile(exchange, original)
        if profile is None or original is None:
            return self._builder.create_warc_record(
                exchange.url, "response", payload=io.BytesIO(exchange.body), length=None,
                http_headers=http_headers, warc_headers_dict=warc_headers), None
        warc_headers |= {
            "WARC-Profile": profile,
            "WARC-Refers-To-Target-URI": original.url,
            "WARC-Refers-To-Date": warc_date(original.date),
            "WARC-Refers-To": original.record_id,
        }
        if profile == IDENTICAL_PAYLOAD:
            warc_headers["WARC-Payload-Digest"] = original.payload_digest or ""
        # No payload in a revisit: its block is the HTTP header block alone.
        return self._builder.create_warc_record(
            exchange.url, "revisit", http_headers=http_headers,
            warc_headers_dict=warc_headers), original

    def _request_record(self, exchange: Exchange, response_id: str) -> ArcWarcRecord:
        _, protocol = _status_line(exchange.status, exchange.protocol)
        request_headers = [
            (k, v) for k, v in exchange.request_headers if k.lower() not in _DROPPED_REQUEST_HEADERS
        ]
        return self._builder.create_warc_record(
            exchange.url,
            "request",
            payload=io.BytesIO(exchange.request_body),
            http_headers=StatusAndHeaders(
                f"{_request_line(exchange.url, exchange.method)} {protocol}",
                request_headers,
                is_http_request=True,
            ),
            warc_headers_dict={"WARC-Date": warc_date(exchange.fetched_at),
                               "WARC-Concurrent-To": response_id},
        )

    def write_metadata(self, url: str, concurrent_to: str, fields: dict[str, str]) -> RecordRef:
        """A metadata record (``application/warc-fields``) about an earlier record."""
        payload = "".join(f"{k}: {v}\r\n" for k, v in fields.items()).encode("utf-8")
        record = self._builder.create_warc_record(
            url,
            "metadata",
            payload=io.BytesIO(payload),
            warc_content_type="application/warc-fields",
            warc_headers_dict={"WARC-Concurrent-To": concurrent_to},
        )
        with self.all_or_nothing():  # opens (or rotates) the file when needed
            return self._write(record)


def _revisit_profile(exchange: Exchange, original: Original | None) -> str | None:
    """The revisit profile the exchange is written under, or None for a whole response."""
    if original is None:
        return None
    if exchange.status == 304:
        return SERVER_NOT_MODIFIED
    if (exchange.status == 200 and not exchange.truncated
            and original.payload_digest == payload_digest(exchange.body)):
        return IDENTICAL_PAYLOAD
    return None


def _write_all(fh: io.FileIO, data: bytes) -> None:
    """Write all of ``data`` to an unbuffered file (a raw write may take only part of it)."""
    view = memoryview(data)
    while view:
        written = fh.write(view)
        if not written:  # not for a regular file; never loop on it
            raise OSError(errno.EIO, f"write to {fh.name} made no progress")
        view = view[written:]


def fsync_dir(directory: str | os.PathLike[str]) -> None:
    """Make a name created, renamed or removed in ``directory`` durable; skipped where the
    platform or file system cannot open or sync a directory (an I/O error is raised)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(fd)


def short_hostname() -> str:
    """This host as the writer names its files (``writer_host`` reads it back)."""
    return socket.gethostname().split(".")[0] or "host"


# {prefix}-{17-digit time}-{5-digit serial}-{host}-{pid}-{6 hex}.warc.gz (RotatingWarcWriter._open)
_FILE_NAME = re.compile(r"-\d{17}-\d{5}-(?P<host>.+)-\d+-[0-9a-f]{6}\.warc\.gz$")


def writer_host(warc_file: str) -> str | None:
    """The (short) name of the host whose crawl wrote ``warc_file``, from the file's name; None
    for a name this writer did not make (an imported file, a renamed one)."""
    found = _FILE_NAME.search(Path(warc_file).name.removesuffix(OPEN_SUFFIX))
    return found.group("host") if found else None


def open_warc_path(warc_file: str) -> str:
    """The path that exists on disk now: the closed file, or its ``.open`` twin while written."""
    if os.path.exists(warc_file):
        return warc_file
    if os.path.exists(warc_file + OPEN_SUFFIX):
        return warc_file + OPEN_SUFFIX
    raise FileNotFoundError(f"WARC file not found: {warc_file}")


def record_head(fh: BinaryIO, offset: int, size: int) -> bytes:
    """The first ``size`` bytes of the record at ``offset`` (fewer if it ends first), inflated
    when it is a gzip member."""
    fh.seek(offset)
    data = fh.read(min(size, _READ_BLOCK))
    if not data.startswith(_GZIP_MAGIC):
        return data + fh.read(size - len(data)) if len(data) < size else data
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    parts: list[bytes] = []
    got = 0
    try:
        while data and got < size and not inflater.eof:
            out = inflater.decompress(data, size - got)
            parts.append(out)
            got += len(out)
            data = inflater.unconsumed_tail or fh.read(_READ_BLOCK)
    except zlib.error:
        pass  # damaged: warcio says so when it reads the record
    return b"".join(parts)


def header_overrun(head: bytes, limit: int = HEADER_LIMIT) -> str | None:
    """Why warcio must not parse the record that begins with ``head`` (its first ``limit + 1``
    bytes), or None when it may.

    warcio's ``readline`` joins the pieces of a line with ``bytes +=``, so a line costs the
    square of its length: a gzip member of 16 KiB inflating to a 16 MiB header line takes
    0.5 s and 55 MiB, 64 MiB 100 s, 1 GiB hours (review scenario 7). So the record's header
    block, and for a response its HTTP header block, must end within ``limit`` bytes: warcio
    parses those from memory (where a line costs its length) and must stop short of their end."""
    if len(head) <= limit:
        return None  # the whole record is within the bound: so is anything warcio does with it
    first = head[:limit]
    if b"\n" not in first:  # one line past the bound: no need to parse it to know
        return _overrun("record header block")
    window = io.BytesIO(first)
    record = None
    with contextlib.suppress(Exception):  # bad input: the real parse says why
        # As ArchiveIterator parses (its loader's settings); the HTTP block is bounded by the
        # record's Content-Length, as there.
        record = ArcWarcRecordLoader(verify_http=False, arc2warc=False).parse_record_stream(window)
    if window.tell() < limit:
        return None
    return _overrun("HTTP header block" if record is not None
                    and record.rec_headers.total_len < limit else "record header block")


def _overrun(block: str) -> str:
    return f"{block} does not end within {HEADER_LIMIT >> 20} MiB (not parsed)"


def staged_overrun(head: Callable[[int], bytes],
                   check: Callable[[bytes, int], str | None] = header_overrun) -> str | None:
    """``check`` on the first 64 KiB that ``head(size)`` gives, then (only if the headers do
    not end there) on the first MiB: a record is seldom read a MiB ahead for nothing."""
    verdict = None
    for limit in (_READ_BLOCK, HEADER_LIMIT):
        verdict = check(head(limit + 1), limit)
        if verdict is None:
            return None
    return verdict


def read_record(warc_file: str, offset: int, *, decoded: bool = False,
                max_size: int = 0) -> tuple[ArcWarcRecord, bytes]:
    """Read the record at ``offset``; returns it with its payload, raw as received
    (content-encoding kept) or, with ``decoded``, with the content-encoding removed and at most
    ``max_size`` bytes inflated (``archive.payload``: raises PayloadError, a ValueError).

    A record whose header blocks do not end within a MiB is not parsed (a ValueError): an
    imported file, read by reparse and the crawl's priors, may have changed since its import
    checked it (``header_overrun``)."""
    with open(open_warc_path(warc_file), "rb") as fh:
        overrun = staged_overrun(lambda size: record_head(fh, offset, size))
        if overrun:
            raise ValueError(f"WARC record at {warc_file}:{offset} not read: {overrun}")
        fh.seek(offset)
        for record in ArchiveIterator(fh):
            payload = record.raw_stream.read()
            if getattr(record.raw_stream, "limit", 0):
                raise ValueError(f"WARC record at {warc_file}:{offset} is cut short")
            if decoded:
                # Not warcio's content_stream(): it inflates without a bound, and its brotli
                # reader fails on every br record (review H3/H4).
                payload = http_payload(payload, record.http_headers, max_size=max_size)
            return record, payload
    raise ValueError(f"no WARC record at {warc_file}:{offset}")


def iter_records(paths: Iterable[str]) -> Iterable[tuple[str, int, ArcWarcRecord]]:
    """Every record of the given files with its offset (streaming)."""
    for path in paths:
        with open(path, "rb") as fh:
            iterator = ArchiveIterator(fh)
            for record in iterator:
                yield path, iterator.get_record_offset(), record
