"""Import third-party WARC and ARC files: find the annual reports in them, store them as the
crawl stores its own.

Files (``.warc``, ``.warc.gz``, ``.arc``, ``.arc.gz``; Common Crawl extracts, Internet Archive
downloads, other crawlers' output) are read streaming. Every 200 response that is an HTML page
or a document is judged with the crawl's classifier (``is_report_title`` on the title
``analyse_page`` reads, or on the document's file name), analysed with the crawl's own functions
in a process pool, and stored as the crawl stores a report: one row per URL, a version per
distinct text, a capture row (``source='import'``) pointing into the original file (or into a
copy of it, with ``copy_dir``). Records already imported (same WARC-Record-ID) are skipped, so a
file can be imported again safely.

A damaged record costs only itself: gzip files are read member by member
(``archive.recover.iter_members``, which resyncs after damage), uncompressed files record by
record with a resync on the next record header; each damaged record becomes a ``problems`` row
(kind ``import_error``) naming ``file:offset``. A payload is inflated only up to the crawl's
``DOWNLOAD_MAXSIZE`` (``archive.payload``): a gzip bomb is one problem row, not an OOM-kill. A
report the database refuses is undone alone (its own savepoint, a ``db_error`` row); the
others of the batch stay.

An import writes to the database and, with ``copy_dir``, to that folder: it holds both
(``archive.lock``), so it is refused while a crawl, import or reparse writes there.
"""

from __future__ import annotations

import contextlib
import filecmp
import hashlib
import io
import os
import re
import shutil
import socket
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable, Generator, Iterator
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import unquote_to_bytes, urlsplit

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from warcio.archiveiterator import ArchiveIterator

from archive import db
from archive.lock import ArchiveHold, LeaseLost, hold_archive
from archive.models import Capture, CrawlRun, Site
from archive.payload import PayloadError, PayloadTooLarge, http_payload
from archive.recover import Member, iter_members
from archive.reindex import parse_warc_date
from archive.store import CaptureRow, ReportStore, Seen
from archive.warc import HEADER_LIMIT, header_overrun, payload_digest, staged_overrun
from govcrawl.analysis import AnalysisPool, Outcome, PoolLimits
from govcrawl.analysis.result import Analysis
from govcrawl.analysis.worker import AnalysisTask, analyse
from govcrawl.discovery.markup import is_attachment
from govcrawl.discovery.scope import host_of, registered_domain
from govcrawl.discovery.titles import is_report_title
from govcrawl.documents.route import is_document
from govcrawl.documents.sniff import document_kind, filename_of

__all__ = ["FileOutcome", "ImportCounts", "ImportResult", "import_files"]

PROBLEM_KIND = "import_error"
# The crawl's own size limit (the CLI passes DOWNLOAD_MAXSIZE): a payload the crawl would not
# download is not read here either.
DEFAULT_MAX_PAYLOAD = 64 << 20
_BLOCK = 1 << 16
_GZIP_MAGIC = b"\x1f\x8b\x08"
_COMMIT_EVERY = 50  # stored reports per commit
_COMMIT_SECONDS = 5.0  # and at least this often: SQLite's write lock is not held for long
_PROGRESS_STEP = 1 << 20  # bytes between progress calls
_KEPT_PROBLEMS = 100  # problem lines kept per file in the result (all go to the database)
_RECENT = 64  # request records / jobs kept for matching a request to its response
# A record header line: WARC's version line, or an ARC v1/v2 line (url ip date mime … length).
_ARC_LINE = re.compile(rb"[A-Za-z][\w+.-]*:\S* \S+ \d{12,14} \S+(?: \S+)*? \d+\r?\n")
_RECORD_START = re.compile(rb"\n(?=WARC/\d\.\d+\r?\n|[A-Za-z][\w+.-]*:\S* \S+ \d{12,14} \S)")
_BLANK_LINE = re.compile(rb"[ \t\r\x0b\x0c]*\n")  # a line warcio takes for blank (a subset)
_NEVER_READ = ("image/", "audio/", "video/", "font/", "text/css", "text/javascript",
               "application/javascript", "application/x-javascript", "application/json")
_HTML_TYPES = ("text/html", "application/xhtml+xml")
# iter_members reads ARC records but, looking for WARC's Content-Length, calls them unparseable.
_ARC_VERDICT = f"bad Content-Length {None!r}"
_ARCHIVE_SUFFIXES = (".warc.gz", ".arc.gz", ".warc", ".arc", ".gz")


# -- results --------------------------------------------------------------------------------------
@dataclass
class ImportCounts:
    """What the records of one file (or of all) were.

    ``records``: whole records read (any type); ``responses``: response records (ARC records
    included); ``revisits``: revisit records (skipped); ``html``: 200 HTML pages examined;
    ``documents``: 200 documents (PDF, Word, spreadsheet …) examined; ``reports``: report pages
    found; ``report_documents``: documents found to be reports (by their file name);
    ``skipped``: responses not examined (not 200, not a page or document, a document no name
    calls a report, too large, unreadable payload); ``damaged``: damaged or partial records
    (each is a problems row); ``already_imported``: report records whose capture exists;
    ``new`` / ``changed`` / ``unchanged``: what storing a report did (a new report, a new
    version, the same text seen again); ``older``: an earlier text of a report whose stored
    capture is newer, kept as a version only; ``failed``: records whose analysis failed."""

    records: int = 0
    responses: int = 0
    revisits: int = 0
    html: int = 0
    documents: int = 0
    reports: int = 0
    report_documents: int = 0
    skipped: int = 0
    damaged: int = 0
    already_imported: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    older: int = 0
    failed: int = 0

    def add(self, other: ImportCounts) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass
class FileOutcome:
    """One input file: where its captures point, what its records were, what went wrong."""

    path: str  # as given
    warc_file: str | None = None  # absolute path the captures point at (the copy with copy_dir)
    format: str | None = None  # 'warc.gz' | 'warc' | 'arc.gz' | 'arc'
    counts: ImportCounts = field(default_factory=ImportCounts)
    problems: list[str] = field(default_factory=list)  # the first _KEPT_PROBLEMS, one line each
    problem_count: int = 0
    error: str | None = None  # the file could not be imported (not a WARC/ARC, unreadable …)

    @property
    def reports(self) -> int:
        return self.counts.reports + self.counts.report_documents

    def line(self) -> str:
        c = self.counts
        if self.error and not c.records:
            return f"{self.path}: not imported: {self.error}"
        text = (f"{self.path}: {c.records} records, {self.reports} reports "
                f"({c.new} new, {c.changed} changed, {c.unchanged} unchanged, "
                f"{c.already_imported} already imported)")
        if c.damaged:
            text += f", {c.damaged} damaged records skipped"
        if self.error:
            text += f"; stopped: {self.error}"
        return text


@dataclass
class ImportResult:
    """The import run's id, one outcome per input file (in order), the totals, and the run's
    final status: 'finished', or 'failed' when no file could be read at all."""

    run_id: int
    files: list[FileOutcome]
    counts: ImportCounts
    status: str = "finished"

    @property
    def ok(self) -> bool:
        """Every file read, no record damaged or failed."""
        return all(f.error is None and not f.problem_count for f in self.files)

    def lines(self) -> list[str]:
        """A summary for people: one line per file, its problems, then the totals."""
        out = []
        for outcome in self.files:
            out.append(outcome.line())
            out.extend(f"  {p}" for p in outcome.problems if p != f"{outcome.path}: {outcome.error}")
            if outcome.problem_count > len(outcome.problems):
                out.append(f"  … {outcome.problem_count - len(outcome.problems)} more problems "
                           f"(see the problems table, run {self.run_id})")
        c = self.counts
        out.append(f"import run {self.run_id}: {len(self.files)} files, {c.records} records, "
                   f"{c.reports} report pages and {c.report_documents} report documents found, "
                   f"{c.damaged} damaged records")
        return out


# -- reading records ------------------------------------------------------------------------------
def sniff(path: str | os.PathLike[str]) -> tuple[str | None, bytes]:
    """The file's format ('warc.gz', 'warc', 'arc.gz', 'arc' or None) and its first line."""
    with open(path, "rb") as fh:
        head = fh.read(_BLOCK)
    gzipped = head.startswith(_GZIP_MAGIC)
    text = head
    if gzipped:
        try:
            text = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 4096)
        except zlib.error:
            text = b""
    text = text.lstrip(b"\r\n")
    first_line = text.split(b"\n", 1)[0].rstrip(b"\r")
    suffix = ".gz" if gzipped else ""
    if text.startswith(b"WARC/"):
        return "warc" + suffix, first_line
    if _ARC_LINE.match(text):
        return "arc" + suffix, first_line
    # A damaged first record (its gzip member does not inflate, or its header is garbled but
    # another record header follows): believe the name; the damage is reported per record.
    name = os.fspath(path).lower()
    if gzipped and not text and name.endswith((".warc.gz", ".arc.gz")):
        return ("arc.gz" if name.endswith(".arc.gz") else "warc.gz"), b""
    if not gzipped and name.endswith((".warc", ".arc")) and _RECORD_START.search(head):
        return ("arc" if name.endswith(".arc") else "warc"), b""
    return None, first_line


def _quietly(call: Callable[[], Any]) -> Any:
    # warcio prints a warning to stderr for data after a record; the problem row says it instead.
    with contextlib.redirect_stderr(io.StringIO()):
        return call()


def _gzip_members(fh: BinaryIO, arc: bool) -> Iterator[Member]:
    for member in iter_members(fh):
        if (arc and member.problem == "unparseable" and member.detail == _ARC_VERDICT
                and member.rec_headers is not None):
            member.problem, member.detail = None, ""  # an ARC record has 'length', not that
        elif member.detail == "more than one record in one gzip member":
            member.detail += (" (the file is compressed as a whole, not one gzip member per"
                              " record: recompress it with `warcio recompress` and import that)")
        yield member


def _parses_at(fh: BinaryIO, offset: int) -> bool:
    if staged_overrun(lambda size: _raw_head(fh, offset, size)):
        return False  # a header block warcio must not read: not a record to resume at
    fh.seek(offset)
    try:
        _quietly(lambda: next(iter(ArchiveIterator(fh))))
    except Exception:  # noqa: BLE001 - any failure means: no record starts here
        return False
    return True


def _resync(fh: BinaryIO, start: int) -> int | None:
    """Offset of the next parseable record header after ``start`` in an uncompressed file."""
    overlap = 4096  # a header line cut by the block boundary is found in the next block
    pos = start
    while True:
        fh.seek(pos)
        block = fh.read(_BLOCK + overlap)
        for match in _RECORD_START.finditer(block):
            candidate = pos + match.end()
            if candidate > start and _parses_at(fh, candidate):
                return candidate
        if len(block) < _BLOCK + overlap:
            return None
        pos += _BLOCK


def _raw_head(fh: BinaryIO, offset: int, size: int) -> bytes:
    """``size`` bytes of an uncompressed file from ``offset``; its read position is kept (an
    ArchiveIterator may be reading it)."""
    here = fh.tell()
    try:
        fh.seek(offset)
        return fh.read(size)
    finally:
        fh.seek(here)


def _overrun_after_block(head: bytes, limit: int) -> str | None:
    """``header_overrun`` for what follows a record's block in an uncompressed file (``head``:
    its first ``limit + 1`` bytes). warcio reads one line there (blank, or junk it warns about),
    then blank lines, then the next record's header blocks, all line by line."""
    if len(head) <= limit:
        return None
    end = head.find(b"\n", 0, limit)
    if end < 0:
        return f"the line after the record's block does not end within {HEADER_LIMIT >> 20} MiB"
    pos = end + 1
    while blank := _BLANK_LINE.match(head, pos, limit):
        pos = blank.end()
    return header_overrun(head[pos:], limit - pos)


def _plain_members(fh: BinaryIO) -> Iterator[Member]:
    """The records of an uncompressed WARC/ARC file as ``Member``s (offset, length, headers,
    problem).

    With no gzip CRC to tell damage, a record is damaged when it cannot be parsed, when its
    declared length does not end at a record boundary (it then swallows or cuts the next
    record: reading resumes at the next record header found after its start, so its neighbours
    survive), or when its WARC-Block-Digest does not match. warcio reads header lines only
    where they end within a MiB (``archive.warc.header_overrun``): a record's start is looked
    at before it is parsed, and what follows its block before warcio reads on."""
    size = fh.seek(0, os.SEEK_END)
    pos = 0
    while pos < size:
        overrun = staged_overrun(lambda n, pos=pos: _raw_head(fh, pos, n))
        if overrun:
            damaged = Member(offset=pos, length=0, problem="unparseable", detail=overrun)
            pos = yield from _skip_damage(fh, damaged, size)
            continue
        fh.seek(pos)
        iterator = ArchiveIterator(fh, check_digests=True)
        records = iter(iterator)
        while True:
            start = iterator.offset
            try:
                record = _quietly(lambda records=records: next(records, None))
                if record is None:
                    return
                raw = record.raw_stream
                while raw.read(_BLOCK):
                    pass
                block_end = fh.tell() - iterator.reader.rem_length()
                overrun = staged_overrun(lambda n, at=block_end: _raw_head(fh, at, n),
                                         _overrun_after_block)
                errors = iterator.err_count
                # Past the block warcio reads by lines: not when they need not end.
                length = block_end - start if overrun else _quietly(iterator.get_record_length)
            except Exception as exc:  # noqa: BLE001 - warcio raises many kinds on bad input
                damaged = Member(offset=start, length=0, problem="unparseable",
                                 detail=f"{type(exc).__name__}: {exc}".strip()[:300])
                break
            member = Member(offset=start, length=length, rec_type=record.rec_type,
                            rec_headers=record.rec_headers, http_headers=record.http_headers)
            if getattr(raw, "limit", 0) > 0:
                member.problem = "truncated"
                member.detail = f"its block is {raw.limit} bytes short of its declared length"
                damaged = member
                break
            if iterator.err_count > errors:
                member.problem = "unparseable"
                member.detail = "its declared length does not end where the next record begins"
                damaged = member
                break
            digest = [p for p in record.digest_checker.problems if p.startswith("block digest")]
            if digest:
                member.problem, member.detail = "corrupt", f"damaged bytes: {digest[0]}"
            yield member
            if overrun:
                damaged = Member(offset=block_end, length=0, problem="unparseable",
                                 detail=f"after the record at {start}: {overrun}")
                break
        pos = yield from _skip_damage(fh, damaged, size)


def _skip_damage(fh: BinaryIO, damaged: Member, size: int) -> Generator[Member, None, int]:
    """Yield the damaged region starting at ``damaged.offset`` (up to the next record that
    parses); returns where reading resumes (``size``: nowhere)."""
    resume = _resync(fh, damaged.offset)
    damaged.length = (resume if resume is not None else size) - damaged.offset
    if damaged.problem == "truncated":
        damaged.detail += ("; the file ends inside it" if resume is None
                           else "; another record starts inside it")
    yield damaged
    return size if resume is None else resume


def _arc_date(value: str | None) -> datetime | None:
    digits = re.sub(r"\D", "", value or "")
    if len(digits) < 8:
        return None
    try:
        return datetime.strptime((digits + "000000")[:14], "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None


def _warc_date(value: str | None) -> datetime | None:
    try:
        return parse_warc_date(value) if value else None
    except ValueError:
        return None


def arc_record_id(file_id: str, offset: int) -> str:
    """A stable WARC-Record-ID for an ARC record (ARC has none): its file and offset."""
    return f"<urn:sha1:{hashlib.sha1(f'{file_id}@{offset}'.encode()).hexdigest()}>"


def document_name(url: str, disposition: str | None) -> str | None:
    """What names a document: its Content-Disposition file name, else the URL's last path
    segment (percent-decoded as UTF-8 or GBK); None when neither is a name."""
    name = filename_of(disposition)
    if not name:
        try:
            last = urlsplit(url).path.rsplit("/", 1)[-1]
        except ValueError:
            return None
        data = unquote_to_bytes(last)
        for encoding in ("utf-8", "gb18030"):
            try:
                name = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
    return (name or "").strip() or None


def _without_extension(name: str) -> str:
    stem, dot, ext = name.rpartition(".")
    return stem if dot and stem and 1 <= len(ext) <= 5 and ext.isalnum() else name


@dataclass
class _Job:
    """A response worth analysing, with what its capture row needs."""

    url: str
    record_id: str
    offset: int
    length: int
    fetched_at: datetime
    archived_at: datetime | None
    content_type: str | None
    disposition: str | None
    etag: str | None
    last_modified: str | None
    payload_digest: str
    truncated: str | None
    method: str
    document: bool
    name: str  # a document's name (no extension): its listed title
    site_id: int | None
    site_name: str | None
    body: bytes = field(repr=False)
    flags: list[str] = field(default_factory=list)


class _Analyser:
    """The shared analysis pool (``govcrawl.analysis``), its results as (job, analysis, error)
    in submission order; a record that overruns, exhausts or kills its worker fails alone."""

    def __init__(self, limits: PoolLimits) -> None:
        self.limits = limits
        self.pool: AnalysisPool[Analysis | None] | None = None

    def _pool(self) -> AnalysisPool[Analysis | None]:
        if self.pool is None:
            self.pool = AnalysisPool(analyse, self.limits)
        return self.pool

    def submit(self, job: _Job) -> Iterator[tuple[_Job, Analysis | None, str | None]]:
        """Queue ``job``; yields the results that had to be taken to make room."""
        # A page is a report only if its own title says so (the crawl would have the list's).
        task = AnalysisTask(url=job.url, body=job.body, content_type=job.content_type,
                            disposition=job.disposition, site_name=job.site_name,
                            listed_title=job.name, document=job.document,
                            own_title_required=not job.document)
        for outcome in self._pool().submit(job, task):
            yield self._done(outcome)

    def drain(self) -> Iterator[tuple[_Job, Analysis | None, str | None]]:
        if self.pool is not None:
            for outcome in self.pool.drain():
                yield self._done(outcome)

    @staticmethod
    def _done(outcome: Outcome[Analysis | None]) -> tuple[_Job, Analysis | None, str | None]:
        job: _Job = outcome.key
        job.body = b""  # analysed: don't keep megabytes around
        return job, outcome.value, outcome.error

    def discard(self) -> None:
        """Forget what is queued (its file failed)."""
        self.kill()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
            self.pool = None

    def kill(self) -> None:
        if self.pool is not None:
            self.pool.kill()
            self.pool = None


# -- copying --------------------------------------------------------------------------------------
def _numbered(name: str, n: int) -> str:
    """``crawl.warc.gz`` → ``crawl-1.warc.gz`` (the archive suffix stays last)."""
    lower = name.lower()
    for suffix in _ARCHIVE_SUFFIXES:
        if lower.endswith(suffix) and len(name) > len(suffix):
            return f"{name[: -len(suffix)]}-{n}{name[-len(suffix):]}"
    return f"{name}-{n}"


def copy_into(source: Path, directory: Path) -> Path:
    """Copy ``source`` into ``directory`` under its name (streaming) and return the copy.

    Never overwrites: a different file of that name makes the copy ``name-1.warc.gz`` …; an
    identical file already there is used as it is (importing a file twice copies it once)."""
    directory.mkdir(parents=True, exist_ok=True)
    partial: Path | None = None
    n = 0
    try:
        while True:
            target = directory / (_numbered(source.name, n) if n else source.name)
            if target.exists():
                if os.path.samefile(source, target) or filecmp.cmp(source, target, shallow=False):
                    return target.resolve()
                n += 1
                continue
            if partial is None:
                partial = directory / f".{source.name}.{os.getpid()}.part"
                with open(source, "rb") as src, open(partial, "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
                    dst.flush()
                    os.fsync(dst.fileno())
            try:
                os.link(partial, target)  # fails if the name was taken meanwhile: no overwrite
            except FileExistsError:
                continue  # look at what took the name, as above
            except OSError:
                os.replace(partial, target)  # a file system without hard links
            return target.resolve()
    finally:
        if partial is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(partial)


# -- the import -----------------------------------------------------------------------------------
class _Importer:
    def __init__(self, session: Session, run: CrawlRun, analyser: _Analyser,
                 progress: Callable[[int, int], None] | None, total_bytes: int,
                 max_payload: int, hold: ArchiveHold) -> None:
        self.session = session
        self.hold = hold
        self.last_commit = time.monotonic()
        self.max_payload = max_payload
        self.run = run
        self.analyser = analyser
        self.progress = progress
        self.total_bytes = total_bytes
        self.done_bytes = 0
        # Not the run id for versions: two captures of a URL in the files are two versions
        # when their texts differ (the crawl merges a page and its attachment within a run).
        self.store = ReportStore(session, run.id, versions_per_run=False, keep_listed_title=True)
        self.sites: dict[str, list[tuple[int, str, str]]] = {}
        for site_id, name, url, domain in session.execute(
                select(Site.id, Site.name, Site.url, Site.domain).order_by(Site.id)):
            self.sites.setdefault(domain, []).append((site_id, name, host_of(url)))
        self.queued: set[str] = set()  # record ids analysed in this run
        self.stored: set[str] = set()  # record ids stored in this run
        self.unsaved: list[str] = []  # record ids stored, not yet committed
        # File state, set by import_file.
        self.outcome = FileOutcome("")
        self.warc_file = ""
        self.file_id = ""
        self.arc = False
        self.body_fh: BinaryIO | None = None
        self.requests: OrderedDict[str, str] = OrderedDict()  # record id or URL -> method
        self.recent: OrderedDict[str, _Job] = OrderedDict()  # jobs a later request may name

    # -- files ------------------------------------------------------------------------------------
    def import_file(self, given: str, copy_dir: str | None) -> FileOutcome:
        outcome = self.outcome = FileOutcome(given)
        source = Path(given).expanduser()
        size = 0
        try:
            size = source.stat().st_size
            fmt, first_line = sniff(source)
            if fmt is None:
                self._file_problem("empty file" if not size else
                                   f"not a WARC or ARC file (it begins {first_line[:24]!r})")
                return outcome
            path = copy_into(source, Path(copy_dir).expanduser()) if copy_dir else source.resolve()
            outcome.format, outcome.warc_file = fmt, str(path)
            self.warc_file, self.arc = str(path), fmt.startswith("arc")
            # ARC records have no id: derive one from the file's own header line (it names the
            # file and when it was made, so a renamed copy gives the same ids) and the offset.
            self.file_id = first_line.decode("utf-8", "replace") or source.name
            self.requests.clear()
            self.recent.clear()
            with open(path, "rb") as fh, open(path, "rb") as self.body_fh:
                members = _gzip_members(fh, self.arc) if fmt.endswith(".gz") else _plain_members(fh)
                reported = 0
                for member in members:
                    self._member(member)
                    if self.progress and member.end - reported >= _PROGRESS_STEP:
                        reported = member.end
                        self.progress(self.done_bytes + min(member.end, size), self.total_bytes)
                self._take(self.analyser.drain())
            self.commit()
        except LeaseLost:
            raise  # another process writes to the database now: the whole import stops
        except Exception as exc:  # noqa: BLE001 - one file's failure must not stop the others
            self.analyser.discard()
            self.session.rollback()
            self.stored.difference_update(self.unsaved)
            self.unsaved.clear()
            self.store.load()
            self._file_problem(f"{type(exc).__name__}: {exc}".strip())
        finally:
            self.body_fh = None
            self.done_bytes += size
            if self.progress:
                self.progress(self.done_bytes, self.total_bytes)
        return outcome

    def _file_problem(self, message: str) -> None:
        self.outcome.error = message
        self._problem(f"{self.outcome.path}: {message}", None)
        self.commit()

    def _problem(self, message: str, url: str | None, kind: str = PROBLEM_KIND) -> None:
        db.record_problem(self.session, kind, message, url=url, run_id=self.run.id)
        self.outcome.problem_count += 1
        if len(self.outcome.problems) < _KEPT_PROBLEMS:
            self.outcome.problems.append(message)

    def commit(self) -> None:
        self.hold.renew(self.session)  # in this transaction; LeaseLost stops the import
        self.session.commit()
        self.unsaved.clear()
        self.last_commit = time.monotonic()

    # -- records ----------------------------------------------------------------------------------
    def _member(self, member: Member) -> None:
        counts = self.outcome.counts
        if not member.ok or member.rec_headers is None:
            counts.damaged += 1
            url = self._url(member) if member.rec_headers is not None else None
            self._problem(f"{self.warc_file}:{member.offset}: {member.problem or 'unparseable'} "
                          f"record ({member.length} bytes) skipped: {member.detail}", url)
            return
        counts.records += 1
        if member.rec_type == "request":
            self._request(member)
        elif member.rec_type == "revisit":
            counts.revisits += 1
        elif member.rec_type == "response":
            counts.responses += 1
            job = self._job(member)
            if job is not None:
                self._take(self.analyser.submit(job))

    def _url(self, member: Member) -> str:
        rec = member.rec_headers
        assert rec is not None
        if self.arc:
            # An ARC v2 line read as v1 puts the leading fields in 'uri': the URL is the first.
            return ((rec.get_header("uri") or "").split(" ") or [""])[0]
        return (rec.get_header("WARC-Target-URI") or "").strip().strip("<>")

    def _request(self, member: Member) -> None:
        http, rec = member.http_headers, member.rec_headers
        # warcio puts a request line's method where a status line has its protocol.
        method = http.protocol if http is not None and http.protocol else None
        if not method or rec is None:
            return
        concurrent = rec.get_header("WARC-Concurrent-To")
        if concurrent and concurrent in self.recent:
            self.recent[concurrent].method = method  # our order: response, then its request
            return
        for key in (concurrent, self._url(member)):
            if key:
                self.requests[key] = method
                if len(self.requests) > _RECENT:
                    self.requests.popitem(last=False)

    def _skip(self) -> None:
        self.outcome.counts.skipped += 1

    def _job(self, member: Member) -> _Job | None:
        rec, http = member.rec_headers, member.http_headers
        assert rec is not None
        url = self._url(member)
        status = http.get_statuscode() if http is not None else None
        if http is None or status != "200" or not url.startswith(("http://", "https://")) \
                or len(url) > 2000:
            self._skip()
            return None
        content_type = http.get_header("Content-Type")
        disposition = http.get_header("Content-Disposition")
        mime = (content_type or "").split(";")[0].strip().lower()
        if mime.startswith(_NEVER_READ) and not is_attachment(url):
            self._skip()
            return None
        if self.arc:
            record_id = arc_record_id(self.file_id, member.offset)
            # ARC v2 lines, read as v1, keep url, ip and date in 'uri'.
            leading = (rec.get_header("uri") or "").split(" ")
            archived_at = _arc_date(leading[2] if len(leading) >= 3
                                    else rec.get_header("archive-date"))
        else:
            record_id = rec.get_header("WARC-Record-ID") or ""
            if not record_id or len(record_id) > 100:  # none, or too long for the id column
                record_id = arc_record_id(self.file_id, member.offset)
            archived_at = _warc_date(rec.get_header("WARC-Date"))
        if record_id in self.stored or self._stored(record_id):
            self.outcome.counts.already_imported += 1
            return None
        if record_id in self.queued:  # the same record twice in this run, still being analysed
            self._skip()
            return None
        raw, why = self._payload(member.offset)
        if raw is None:
            self._skip()
            if why:
                self._problem(f"{self.warc_file}:{member.offset}: {why}", url)
            return None
        try:
            # Inflated in this process: bounded, as the crawl bounds it (DOWNLOAD_MAXSIZE).
            body = http_payload(raw, http, max_size=self.max_payload)
        except PayloadTooLarge as exc:
            self._skip()
            self._problem(f"{self.warc_file}:{member.offset}: {exc}, not read", url)
            return None
        except (PayloadError, ValueError, OSError, EOFError) as exc:  # this record only
            self._skip()
            self._problem(f"{self.warc_file}:{member.offset}: payload does not decode "
                          f"({type(exc).__name__}: {exc})", url)
            return None
        document = is_document(url, content_type, disposition, body[:4096])
        name = ""
        if document:
            self.outcome.counts.documents += 1
            found = document_name(url, disposition)
            if not found or not is_report_title(found):
                self._skip()  # nothing names it a report (the crawl would need the link's text)
                return None
            name = _without_extension(found)
        elif mime in _HTML_TYPES or document_kind(body[:4096], url, content_type,
                                                  disposition) == "html":
            self.outcome.counts.html += 1
        else:
            self._skip()
            return None
        site_id, site_name = self._site(url)
        method = self.requests.pop(record_id, None) or self.requests.pop(url, None) or "GET"
        truncated = rec.get_header("WARC-Truncated") if not self.arc else None
        job = _Job(
            url=url, record_id=record_id, offset=member.offset, length=member.length,
            fetched_at=archived_at or db.now(), archived_at=archived_at,
            content_type=content_type, disposition=disposition, etag=http.get_header("ETag"),
            last_modified=http.get_header("Last-Modified"),
            payload_digest=(None if self.arc else rec.get_header("WARC-Payload-Digest"))
            or payload_digest(raw),
            truncated=truncated, method=method, document=document, name=name,
            site_id=site_id, site_name=site_name, body=body,
            flags=["truncated_capture"] if truncated else [])
        self.queued.add(record_id)
        self.recent[record_id] = job
        if len(self.recent) > _RECENT:
            self.recent.popitem(last=False)
        return job

    def _stored(self, record_id: str) -> bool:
        with self.session.no_autoflush:
            return self.session.scalar(select(Capture.id).where(Capture.id == record_id)) is not None

    def _payload(self, offset: int) -> tuple[bytes | None, str]:
        """The record's payload as stored, or None and why not."""
        fh = self.body_fh
        assert fh is not None
        fh.seek(offset)
        try:
            record = _quietly(lambda: next(iter(ArchiveIterator(fh))))
            raw = record.raw_stream.read(self.max_payload + 1)
        except Exception as exc:  # noqa: BLE001 - damaged after all: this record only
            return None, f"payload unreadable ({type(exc).__name__}: {exc})"
        if len(raw) > self.max_payload:
            return None, f"payload larger than {self.max_payload >> 20} MiB not read"
        if getattr(record.raw_stream, "limit", 0) > 0:
            return None, "record cut short: payload incomplete"
        return raw, ""

    def _site(self, url: str) -> tuple[int | None, str | None]:
        """The site whose registered domain the URL is in (the one on the URL's host first)."""
        candidates = self.sites.get(registered_domain(url))
        if not candidates:
            return None, None
        host = host_of(url)
        site_id, name, _ = next((c for c in candidates if c[2] == host), candidates[0])
        return site_id, name

    # -- storing ----------------------------------------------------------------------------------
    def _take(self, results: Iterator[tuple[_Job, Analysis | None, str | None]]) -> None:
        for job, record, error in results:
            self._result(job, record, error)

    def _result(self, job: _Job, analysis: Analysis | None, error: str | None) -> None:
        counts = self.outcome.counts
        if error is not None:
            counts.failed += 1
            self._problem(f"{self.warc_file}:{job.offset}: analysis failed: {error}", job.url,
                          kind="extract_error")
            if not job.document:
                return  # unknown whether it was a report at all
            # As the crawl does: a document its name calls a report is kept, flagged.
            job.flags.append("extract_failed")
            analysis = Analysis.failed(job.name, job.site_name)
        if analysis is None:
            return
        if job.document:
            counts.report_documents += 1
        else:
            counts.reports += 1
        try:
            # Its own savepoint: a report the database refuses (a value it will not take, a
            # constraint) is undone alone; the batch's other reports stay (review H6).
            with self.session.begin_nested():
                outcome = self._store(job, analysis)
        except SQLAlchemyError as exc:
            counts.failed += 1
            self.store.load()  # its caches may name rows the savepoint took back
            self._problem(f"{self.warc_file}:{job.offset}: could not store: "
                          + f"{type(exc).__name__}: {exc}".splitlines()[0], job.url,
                          kind="db_error")
            return
        setattr(counts, outcome, getattr(counts, outcome) + 1)
        self.stored.add(job.record_id)
        self.unsaved.append(job.record_id)
        if len(self.unsaved) >= _COMMIT_EVERY or self._commit_due():
            self.commit()

    def _commit_due(self) -> bool:
        return time.monotonic() - self.last_commit > _COMMIT_SECONDS or self.hold.due()

    def _store(self, job: _Job, analysis: Analysis) -> str:
        """Store one report capture; returns "new", "changed", "unchanged" or "older"."""
        self.store.add_capture(CaptureRow(
            id=job.record_id, run_id=self.run.id, url=job.url, method=job.method, status=200,
            content_type=job.content_type, fetched_at=job.fetched_at,
            payload_digest=job.payload_digest, warc_file=self.warc_file,
            warc_offset=job.offset, warc_length=job.length, etag=job.etag,
            last_modified=job.last_modified, source="import", truncated=job.truncated,
            archived_at=job.archived_at))
        seen = Seen(url=job.url, capture_id=job.record_id, fetched_at=job.fetched_at,
                    payload_digest=job.payload_digest, source="import",
                    content_type=job.content_type)
        outcome = self.store.store_page(seen, analysis, listed_title=job.name,
                                        site_id=job.site_id, flags=job.flags,
                                        document=job.document)
        return {"new": "new", "changed": "changed", "past": "older"}.get(outcome, "unchanged")


def import_files(db_url: str, paths: list[str], *, copy_dir: str | None = None,
                 progress: Callable[[int, int], None] | None = None,
                 workers: int = 0, limits: PoolLimits | None = None,
                 max_payload: int = DEFAULT_MAX_PAYLOAD) -> ImportResult:
    """Import the reports found in WARC/ARC files at ``paths`` into the database at ``db_url``.

    One crawl run records the import (arguments ``{"import": paths, "copy": copy_dir}``, status
    and counts at the end). With ``copy_dir`` each file is first copied there (never
    overwriting) and the captures point at the copy, else at the file itself. ``progress`` is
    called with (bytes read, bytes in all files). Never raises for bad input: what went wrong is
    in the result and in the problems table. Raises archive.lock.ArchiveBusy while another
    crawl, import or reparse writes to the database (or to ``copy_dir``)."""
    sessions = db.session_factory(db_url)
    with sessions() as session:
        engine = session.get_bind()
        assert isinstance(engine, Engine)
        hold = hold_archive(engine, "import", folder=copy_dir)
        try:
            return _import(session, hold, paths, copy_dir, progress, workers, limits,
                           max_payload)
        finally:
            hold.release()


def _import(session: Session, hold: ArchiveHold, paths: list[str], copy_dir: str | None,
            progress: Callable[[int, int], None] | None, workers: int,
            limits: PoolLimits | None, max_payload: int) -> ImportResult:
    run = CrawlRun(started_at=db.now(), status="running", arguments={
        "import": [str(p) for p in paths], "copy": copy_dir,
        # As a crawl's: a live import is known as such, a killed one as interrupted.
        "pid": os.getpid(), "host": socket.gethostname()})
    session.add(run)
    session.flush()
    hold.attach(session, run.id)  # the lease names the live run
    session.commit()
    sizes = []
    for p in paths:
        try:
            sizes.append(os.path.getsize(p))
        except OSError:
            sizes.append(0)
    limits = limits or PoolLimits()
    if workers:
        limits = replace(limits, workers=workers)
    analyser = _Analyser(limits)
    importer = _Importer(session, run, analyser, progress, sum(sizes), max_payload, hold)
    outcomes: list[FileOutcome] = []
    status = "aborted"
    try:
        for path in paths:
            outcomes.append(importer.import_file(str(path), copy_dir))
        analyser.close()
        read = [o for o in outcomes if o.format is not None]
        status = "finished" if read or not outcomes else "failed"
    finally:
        if status == "aborted":  # interrupted (Ctrl-C) or a database failure: say so
            analyser.kill()
            session.rollback()
        total = ImportCounts()
        for outcome in outcomes:
            total.add(outcome.counts)
        run.status, run.finished_at = status, db.now()
        run.counts = total.as_dict() | {
            "files": len(paths), "files_failed": sum(o.error is not None for o in outcomes),
            "problems": sum(o.problem_count for o in outcomes),
            # The columns ``govcrawl status`` shows for every run.
            "fetched": total.new + total.changed + total.unchanged + total.older,
            "failed": total.damaged + total.failed}
        session.commit()
    return ImportResult(run.id, outcomes, total, status)
