"""Finish WARC files left ``.open`` by a killed crawl, and the member scanner the checks share.

Every record is its own gzip member, so a file is a sequence of members. A member is *good*
when it decompresses to its end (gzip CRC and size check included) and holds exactly one WARC
record that warcio parses, with the whole Content-Length block present. A crawl killed with
SIGKILL leaves at most one partial member, at the tail of its ``.open`` file: recovery cuts the
file after its last good member and gives it its final name. Bytes before that point are never
removed, even if damaged (``govcrawl verify`` reports them).

The scanner also reads other crawlers' files (``govcrawl import``, ``verify``), so hostile ones:
a member is inflated in blocks, never whole; warcio parses a record only when its header blocks
end within its first MiB (``archive.warc.header_overrun``), and what follows the record's block
in its member is read here in blocks, not by warcio line by line.
"""

from __future__ import annotations

import io
import os
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Protocol

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders

from archive.warc import HEADER_LIMIT, OPEN_SUFFIX, fsync_dir, header_overrun

BROKEN_SUFFIX = ".broken"
_BLOCK = 1 << 16  # compressed bytes read at a time; small so one record never costs a big read
_GZIP_MAGIC = b"\x1f\x8b\x08"
# The start of a WARC record, or of an ARC one (url ip date mime ... length).
_RECORD_START = re.compile(rb"WARC/\d|[A-Za-z][\w+.-]*:\S* \S+ \d{12,14} ")


@dataclass
class Member:
    """One gzip member of a WARC file and the record in it (when it could be parsed)."""

    offset: int
    length: int  # compressed bytes; for a damaged region, up to the next good member or EOF
    problem: str | None = None  # 'truncated' | 'corrupt' | 'unparseable' | 'short-block' | ...
    detail: str = ""  # the problem in plain words
    rec_type: str | None = None
    rec_headers: StatusAndHeaders | None = None
    http_headers: StatusAndHeaders | None = None
    digest_problems: list[str] = field(default_factory=list)  # only with check_digests

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def end(self) -> int:
        return self.offset + self.length

    @property
    def record_id(self) -> str | None:
        return self.rec_headers.get_header("WARC-Record-ID") if self.rec_headers else None


class _MemberStream:
    """Read-only file-like view of one gzip member's decompressed bytes.

    It stops at the member's end, so warcio (reading it as an uncompressed WARC) sees exactly one
    member; ``state`` tells afterwards whether the member ended, was cut short, or is corrupt."""

    def __init__(self, fh: BinaryIO, carry: bytes) -> None:
        self._fh = fh
        self._input = carry  # compressed bytes already read from fh but not yet inflated
        self._carry_len = len(carry)
        self._read = 0  # bytes this member read from fh itself
        self._inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self._held = io.BytesIO()  # inflated bytes peeked at, to be read again
        self._pos = 0
        self.state = "reading"  # -> 'eof' | 'truncated' | 'error'
        self.error = ""

    def tell(self) -> int:
        return self._pos

    def read(self, size: int | None = -1) -> bytes:
        # Fill the request whole: warcio sniffs gzip on its first read, and a read of one or two
        # bytes ("W") would not yet fail that sniff, so the byte would be lost.
        want = size if size and size > 0 else _BLOCK
        data = self._held.read(want)
        if len(data) < want:
            data += self._inflate(want - len(data))
        self._pos += len(data)
        return data

    def peek(self, size: int) -> bytes:
        """The next ``size`` bytes (fewer at the member's end), which the next reads return."""
        data = self.read(size)
        self._held = io.BytesIO(data)
        self._pos -= len(data)
        return data

    def _inflate(self, want: int) -> bytes:
        parts: list[bytes] = []
        while want > 0 and self.state == "reading":
            at_file_end = False
            if not self._input:
                self._input = self._fh.read(_BLOCK)
                self._read += len(self._input)
                at_file_end = not self._input
            try:
                # With no input left this still drains what zlib holds back for lack of room.
                out = self._inflater.decompress(self._input, want)
            except zlib.error as exc:
                self.state, self.error = "error", str(exc)
                break
            if self._inflater.eof:
                # What follows the member is in unused_data (unconsumed_tail may repeat it).
                self.state, self._input = "eof", b""
            else:
                self._input = self._inflater.unconsumed_tail
                if at_file_end and not out:
                    self.state = "truncated"
            parts.append(out)
            want -= len(out)
        return b"".join(parts)

    def drain(self) -> int:
        """Read what warcio left unread; returns how many decompressed bytes that was."""
        extra = 0
        while chunk := self.read(_BLOCK):
            extra += len(chunk)
        return extra

    def leftover(self) -> bytes:
        """Compressed bytes read past this member's end: the start of the next member."""
        return self._inflater.unused_data if self.state == "eof" else self._input

    @property
    def consumed(self) -> int:
        """Compressed bytes this member took (exact once ``state`` is 'eof')."""
        return self._carry_len + self._read - len(self.leftover())


def _parse(stream: _MemberStream, member: Member, check_digests: bool) -> None:
    """Parse the member's record, filling ``member``; any failure becomes a problem."""
    overrun = header_overrun(stream.peek(HEADER_LIMIT + 1))
    if overrun:
        member.problem, member.detail = "unparseable", overrun
    else:
        _parse_record(stream, member, check_digests)
    if stream.drain() and member.ok:
        member.problem, member.detail = "unparseable", "data after the record in its gzip member"


def _parse_record(stream: _MemberStream, member: Member, check_digests: bool) -> None:
    """The member's one record, parsed by warcio (its header blocks are known to be bounded)."""
    try:
        iterator = ArchiveIterator(stream, check_digests=check_digests)
        # Only the first record: going on, warcio would read what follows it line by line.
        record = next(iter(iterator), None)
        if record is None:
            member.problem, member.detail = "unparseable", "no WARC record in gzip member"
            return
        member.rec_type = record.rec_type
        member.rec_headers = record.rec_headers
        member.http_headers = record.http_headers
        raw = record.raw_stream
        while raw.read(_BLOCK):  # reading the block runs warcio's digest checks
            pass
        declared = record.rec_headers.get_header("Content-Length")
        if declared is None or not declared.strip().isdigit():
            member.problem = "unparseable"
            member.detail = f"bad Content-Length {declared!r}"
        elif getattr(raw, "limit", 0) > 0:
            member.problem = "short-block"
            member.detail = f"record block ends {raw.limit} bytes before its Content-Length"
        if check_digests and record.digest_checker.passed is False:
            member.digest_problems = list(record.digest_checker.problems)
        after = _after_block(iterator.reader)
        if after and member.ok:
            member.problem, member.detail = "unparseable", after
    # warcio raises many kinds of errors on bad input (ArchiveLoadFailed, parser errors,
    # ValueError...); every one of them means the same here: this member is not a good record.
    except Exception as exc:  # noqa: BLE001
        if member.ok:
            member.problem, member.detail = "unparseable", f"{type(exc).__name__}: {exc}".strip()


class _Reader(Protocol):
    def read(self, length: int) -> bytes: ...


def _after_block(reader: _Reader) -> str | None:
    """What follows the record's block in its member, read in blocks: None when it is blank
    lines only (as written), else why the member is not one good record."""
    start = b""  # the first bytes that are not blank
    while chunk := reader.read(_BLOCK):
        if len(start) < 32:
            start = (start + chunk if start else chunk.lstrip())[:32]
    if not start:
        return None
    if _RECORD_START.match(start):
        return "more than one record in one gzip member"
    return "data after the record's Content-Length"


def _read_member(fh: BinaryIO, offset: int, carry: bytes, check_digests: bool
                 ) -> tuple[Member, _MemberStream]:
    stream = _MemberStream(fh, carry)
    member = Member(offset=offset, length=0)
    _parse(stream, member, check_digests)
    member.length = stream.consumed
    # The gzip verdict outranks warcio's: a record cut short often fails parsing as well.
    if stream.state == "truncated":
        member.problem = "truncated"
        member.detail = "gzip member cut short by the end of the file (partial record)"
    elif stream.state == "error":
        member.problem = "corrupt"
        member.detail = f"damaged bytes: the gzip data does not decompress (zlib: {stream.error})"
    return member, stream


def _resync(fh: BinaryIO, start: int) -> int | None:
    """Offset of the next good member at or after ``start`` (after a corrupt one), or None."""
    pos = start
    while True:
        fh.seek(pos)
        block = fh.read(_BLOCK + len(_GZIP_MAGIC) - 1)
        if len(block) < len(_GZIP_MAGIC):
            return None
        hit = block.find(_GZIP_MAGIC)
        while hit != -1:
            fh.seek(pos + hit)
            member, _ = _read_member(fh, pos + hit, b"", False)
            if member.ok:
                return pos + hit
            hit = block.find(_GZIP_MAGIC, hit + 1)
        pos += _BLOCK


def iter_members(fh: BinaryIO, *, start: int = 0, check_digests: bool = False) -> Iterator[Member]:
    """Every member from ``start`` to the end of the file, in order (streaming).

    A corrupt member is reported as one damaged region up to the next good member (found by
    searching for the next gzip header) or to the end of the file; a partial member at the end
    is reported as 'truncated'. ``fh`` must not be used by anyone else while iterating."""
    fh.seek(start)
    offset, carry = start, b""
    while True:
        if not carry:
            carry = fh.read(_BLOCK)
            if not carry:
                return
        member, stream = _read_member(fh, offset, carry, check_digests)
        if member.problem == "corrupt":
            resume = _resync(fh, offset + 1)
            member.length = (resume if resume is not None else fh.seek(0, os.SEEK_END)) - offset
            member.detail += (f"; {member.length} bytes up to "
                              + ("the next readable record" if resume is not None else "the end"))
            yield member
            if resume is None:
                return
            fh.seek(resume)
            offset, carry = resume, b""
            continue
        yield member
        if member.problem == "truncated":
            return
        offset, carry = member.end, stream.leftover()


def read_member(fh: BinaryIO, offset: int, *, check_digests: bool = False) -> Member:
    """The single member starting at ``offset`` (a 'truncated' problem if the file ends first)."""
    fh.seek(offset)
    member, _ = _read_member(fh, offset, b"", check_digests)
    return member


# -- recovery ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class RecoveredFile:
    """What recovery did to one ``.open`` file."""

    open_path: str  # the ``.open`` file found
    path: str  # where its bytes are now: the final name, ``.broken``, or unchanged
    records: int  # good records kept
    bytes_cut: int  # partial tail removed
    outcome: str  # 'closed' | 'broken' | 'skipped'
    note: str = ""  # damage kept in the file, or why it was skipped


def _free_name(path: Path) -> Path:
    """``path``, or ``path.N`` for the first N not taken (never overwrite a file)."""
    candidate, n = path, 1
    while candidate.exists():
        candidate = path.with_name(f"{path.name}.{n}")
        n += 1
    return candidate


def recover_file(open_path: str | os.PathLike[str]) -> RecoveredFile:
    """Cut one ``.open`` file after its last good member and give it its final name."""
    src = Path(open_path).resolve()
    final = src.with_name(src.name[: -len(OPEN_SUFFIX)])
    good, last_end, damaged = 0, 0, []
    with open(src, "rb") as fh:
        size = fh.seek(0, os.SEEK_END)
        for member in iter_members(fh):
            if member.ok:
                good, last_end = good + 1, member.end
            else:
                damaged.append(member)
    # Damage before the last good member stays (never delete data); only the tail goes.
    kept_damage = [m for m in damaged if m.offset < last_end]
    note = "; ".join(f"kept damaged bytes at offset {m.offset} ({m.length} bytes: {m.detail})"
                     for m in kept_damage)
    if good == 0:
        target = _free_name(src.with_name(final.name + BROKEN_SUFFIX))
        os.replace(src, target)
        fsync_dir(src.parent)
        why = "empty file" if size == 0 else "no complete record"
        return RecoveredFile(str(src), str(target), 0, 0, "broken", why)
    if final.exists():
        # Both names present should not happen (close() renames atomically); a human decides.
        return RecoveredFile(str(src), str(src), good, 0, "skipped",
                             f"{final.name} already exists; left as is")
    cut = size - last_end
    with open(src, "r+b") as fh:
        if cut:
            fh.truncate(last_end)
        fh.flush()
        os.fsync(fh.fileno())  # the cut must be on disk before the name says "closed"
    os.replace(src, final)
    fsync_dir(src.parent)
    return RecoveredFile(str(src), str(final), good, cut, "closed", note)


def recover_open_files(warc_dir: str | os.PathLike[str]) -> list[RecoveredFile]:
    """Recover every ``*.warc.gz.open`` file in ``warc_dir`` (no crawl may be writing there).

    Idempotent: a second run finds no ``.open`` file and does nothing."""
    directory = Path(warc_dir)
    if not directory.is_dir():
        return []
    return [recover_file(p) for p in sorted(directory.glob(f"*.warc.gz{OPEN_SUFFIX}"))]
