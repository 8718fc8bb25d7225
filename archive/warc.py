"""WARC writing (rotating files, request + response records) and reading by offset.

One open file at a time, named ``<prefix>-<timestamp>-<serial>-<host>-<pid>.warc.gz.open``
until it is closed; a warcinfo record heads every file; each record is its own gzip member,
so a record can be read back from its offset alone.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import socket
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive.payload import http_payload

OPEN_SUFFIX = ".open"
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
        self._file: io.BufferedWriter | None = None
        self._writer: WARCWriter | None = None
        self._path: Path | None = None
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
        self._path = (self.directory / name).resolve()
        self._file = open(str(self._path) + OPEN_SUFFIX, "wb")  # noqa: SIM115 - held open across records
        self._writer = WARCWriter(self._file, gzip=True, warc_version="WARC/1.1")
        info = {
            "software": "govcrawl/0.1 (warcio)",
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            **self.warcinfo,
        }
        record = self._writer.create_warcinfo_record(name, info)
        self._writer.write_record(record)
        self._file.flush()

    def close(self) -> None:
        """Close the current file and drop its ``.open`` suffix (once its bytes are on disk)."""
        if self._file is None or self._path is None:
            return
        fh, path = self._file, self._path
        # Forgotten first: whatever fails below, this file is not written to again (a failed
        # fsync leaves it under its .open name, for the next crawl's repair to close).
        self._file = self._writer = self._path = None
        try:
            fh.flush()
            os.fsync(fh.fileno())
        finally:
            fh.close()
        os.replace(str(path) + OPEN_SUFFIX, path)
        self.closed_files.append(path)

    def _ensure_open(self) -> tuple[WARCWriter, io.BufferedWriter, Path]:
        if self._file is not None and self._file.tell() >= self.max_size:
            self.close()
        if self._file is None:
            self._open()
        assert self._writer is not None and self._file is not None and self._path is not None
        return self._writer, self._file, self._path

    def _write(self, record: ArcWarcRecord) -> RecordRef:
        # Rotation happens only in _ensure_open, so an exchange's records share one file.
        assert self._writer is not None and self._file is not None and self._path is not None
        writer, fh, path = self._writer, self._file, self._path
        offset = fh.tell()
        try:
            writer.write_record(record)
            fh.flush()
        except OSError:
            # Disk full, I/O error: leave no half record for the next one to follow.
            fh.seek(offset)
            fh.truncate()
            raise
        return RecordRef(
            warc_file=str(path),
            offset=offset,
            length=fh.tell() - offset,
            record_id=record.rec_headers.get_header("WARC-Record-ID"),
            payload_digest=record.rec_headers.get_header("WARC-Payload-Digest"),
        )

    # -- records -------------------------------------------------------------------------------
    def write_exchange(self, exchange: Exchange, *, original: Original | None = None,
                       with_request: bool = True) -> RecordRef:
        """Write the response record, then its request record; returns the response's place.

        With the ``original`` capture of the same URL, a 304 becomes a server-not-modified
        revisit record and a whole payload identical to the original's an identical-payload-digest
        revisit record: the HTTP headers are kept, the payload is not stored twice."""
        writer, _, _ = self._ensure_open()
        date = warc_date(exchange.fetched_at)
        status_line, protocol = _status_line(exchange.status, exchange.protocol)
        response_headers = [
            (k, v) for k, v in exchange.response_headers if k.lower() not in _DROPPED_RESPONSE_HEADERS
        ]
        http_headers = StatusAndHeaders(status_line, response_headers, protocol=protocol)
        warc_headers = {"WARC-Date": date}
        if exchange.ip_address:
            warc_headers["WARC-IP-Address"] = exchange.ip_address
        if exchange.truncated:
            warc_headers["WARC-Truncated"] = exchange.truncated
        profile = None
        if original is not None and exchange.status == 304:
            profile = SERVER_NOT_MODIFIED
        elif (original is not None and exchange.status == 200 and not exchange.truncated
              and original.payload_digest == payload_digest(exchange.body)):
            profile = IDENTICAL_PAYLOAD
        if profile is not None and original is not None:
            warc_headers |= {
                "WARC-Profile": profile,
                "WARC-Refers-To-Target-URI": original.url,
                "WARC-Refers-To-Date": warc_date(original.date),
                "WARC-Refers-To": original.record_id,
            }
            if profile == IDENTICAL_PAYLOAD:
                warc_headers["WARC-Payload-Digest"] = original.payload_digest or ""
            # No payload in a revisit: its block is the HTTP header block alone.
            response = writer.create_warc_record(
                exchange.url, "revisit", http_headers=http_headers, warc_headers_dict=warc_headers)
            ref = self._write(response)
            response_ref = RecordRef(ref.warc_file, ref.offset, ref.length, ref.record_id,
                                     original.payload_digest, "revisit", original.record_id)
        else:
            response = writer.create_warc_record(
                exchange.url,
                "response",
                payload=io.BytesIO(exchange.body),
                length=None,
                http_headers=http_headers,
                warc_headers_dict=warc_headers,
            )
            response_ref = self._write(response)

        if not with_request:  # a capture taken from an archive: no request to this server
            return response_ref
        request_headers = [
            (k, v) for k, v in exchange.request_headers if k.lower() not in _DROPPED_REQUEST_HEADERS
        ]
        request = writer.create_warc_record(
            exchange.url,
            "request",
            payload=io.BytesIO(exchange.request_body),
            http_headers=StatusAndHeaders(
                f"{_request_line(exchange.url, exchange.method)} {protocol}",
                request_headers,
                is_http_request=True,
            ),
            warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": response_ref.record_id},
        )
        self._write(request)
        return response_ref

    def write_metadata(self, url: str, concurrent_to: str, fields: dict[str, str]) -> RecordRef:
        """A metadata record (``application/warc-fields``) about an earlier record."""
        writer, _, _ = self._ensure_open()
        payload = "".join(f"{k}: {v}\r\n" for k, v in fields.items()).encode("utf-8")
        record = writer.create_warc_record(
            url,
            "metadata",
            payload=io.BytesIO(payload),
            warc_content_type="application/warc-fields",
            warc_headers_dict={"WARC-Concurrent-To": concurrent_to},
        )
        return self._write(record)


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


def read_record(warc_file: str, offset: int, *, decoded: bool = False,
                max_size: int = 0) -> tuple[ArcWarcRecord, bytes]:
    """Read the record at ``offset``; returns it with its payload, raw as received
    (content-encoding kept) or, with ``decoded``, with the content-encoding removed and at most
    ``max_size`` bytes inflated (``archive.payload``: raises PayloadError, a ValueError)."""
    with open(open_warc_path(warc_file), "rb") as fh:
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
