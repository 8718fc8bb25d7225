"""Check a WARC folder and the database against each other, changing nothing.

(a) Every WARC file is read end to end with warcio's digest checks (as ``warcio check`` does),
plus what warcio lets pass: partial or corrupt gzip members, a record block shorter than its
Content-Length, a file not headed by a warcinfo record; files recovery set aside (``.broken``)
are read too. (b) Every capture row must point at a readable record with its id, length and
payload digest, imported ones included (their files may be any WARC/ARC flavour, elsewhere).
(c) Every response and revisit record should have a capture row. (d) What rests on captures:
every report, attachment and version has one, of its own URL; every revisit row's original is
there; a capture a crash cut off (flagged lost by the repair) has been fetched again. (e) No
run is left ``running`` without a live process holding the archive.

Each file is read once, and its capture rows (fetched in offset order) are matched against its
members as they stream past; records are read in blocks, never whole; problems are counted
all, but only the first ``MAX_DETAILS`` are kept (and handed to ``emit`` as they are found), so
memory stays flat whatever the archive's size or state.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import groupby
from operator import attrgetter
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.models import Capture
from archive.recover import BROKEN_SUFFIX, Member, iter_members
from archive.reindex import CAPTURE_TYPES, disk_path, final_name, known_ids
from archive.verify_db import (
    check_imported,
    check_lost,
    check_references,
    check_revisits,
    check_runs,
)
from archive.warc import OPEN_SUFFIX

OPEN_MESSAGE = "open (a crawl is running or was killed; run govcrawl crawl --resume)"
MAX_DETAILS = 1000  # problems kept (and emitted) in full; every one is counted
_EXAMPLES = 5  # records without a row named in the report
_ID_BATCH = 500  # record ids looked up per query


@dataclass(frozen=True)
class VerifyProblem:
    kind: str
    where: str  # "file:offset", "file", a capture id, "report N", "version N", "run N" …
    message: str


@dataclass
class VerifyReport:
    problems: list[VerifyProblem] = field(default_factory=list)  # the first ``limit`` only
    counts: Counter[str] = field(default_factory=Counter)  # every problem, by kind
    files: int = 0
    records: int = 0  # good records read
    rows_checked: int = 0
    records_without_rows: int = 0
    lost_refetched: int = 0  # captures a crash cut off whose URL was fetched again since
    limit: int = MAX_DETAILS
    emit: Callable[[VerifyProblem], None] | None = None  # called with each problem kept

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def ok(self) -> bool:
        return not self.total

    def add(self, kind: str, where: str, message: str) -> None:
        self.counts[kind] += 1
        if len(self.problems) >= self.limit:
            return  # counted; a damaged archive could otherwise hold millions in memory
        problem = VerifyProblem(kind, where, message)
        self.problems.append(problem)
        if self.emit is not None:
            self.emit(problem)


class _Rows:
    """One file's capture rows in offset order, with a look at the next one."""

    def __init__(self, rows: Iterable[Any]) -> None:
        self._rows: Iterator[Any] = iter(rows)
        self.head: Any = next(self._rows, None)

    def pop(self) -> Any:
        row, self.head = self.head, next(self._rows, None)
        return row


class _Checker:
    def __init__(self, session: Session, report: VerifyReport) -> None:
        self.session = session
        self.report = report
        self._unmatched: list[tuple[str, str]] = []  # (record id, where) waiting for a lookup
        self._examples: list[tuple[str, str]] = []  # (where, record id)

    # -- (c) records without a row -----------------------------------------------------------
    def _lookup_unmatched(self) -> None:
        if not self._unmatched:
            return
        present = known_ids(self.session, [rid for rid, _ in self._unmatched])
        for rid, where in self._unmatched:
            if rid not in present:
                self.report.records_without_rows += 1
                if len(self._examples) < _EXAMPLES:
                    self._examples.append((where, rid))
        self._unmatched = []

    def finish(self) -> VerifyReport:
        self._lookup_unmatched()
        count = self.report.records_without_rows
        if count:
            self.report.add(
                "no-row", self._examples[0][0],
                f"{count} response/revisit record(s) have no capture row, e.g. "
                + ", ".join(f"{where} {rid}" for where, rid in self._examples))
        return self.report

    # -- (b) one row against the member at its offset ------------------------------------------
    def _check_row(self, row: Any, member: Member, path: str) -> None:
        where, at = row.id, f"{path}:{member.offset}"
        if not member.ok:
            self.report.add("bad-record", where,
                            f"points at a damaged record at {at} ({member.detail})")
        elif member.record_id != row.id:
            self.report.add("wrong-record", where,
                            f"points at {at}, which holds {member.rec_type} record "
                            f"{member.record_id}")
        else:
            if member.length != row.warc_length:
                self.report.add("wrong-length", where,
                                f"length {row.warc_length} in the database, but the record at "
                                f"{at} is {member.length} bytes")
            assert member.rec_headers is not None
            digest = member.rec_headers.get_header("WARC-Payload-Digest")
            # A server-not-modified revisit has no digest of its own; its row carries the
            # original's, so there is nothing to compare.
            if (digest or member.rec_type != "revisit") and digest != row.payload_digest:
                self.report.add("wrong-digest", where,
                                f"payload digest {row.payload_digest} in the database, but the "
                                f"record at {at} says {digest}")

    def _stray_row(self, row: Any, path: str, size: int, around: Member | None) -> None:
        """A row whose offset is not where a member starts; ``around`` is the member before."""
        if row.warc_offset >= size:
            message = f"offset {row.warc_offset} is past the end of {path} ({size} bytes)"
        elif around is not None and around.offset < row.warc_offset < around.end:
            state = "damaged bytes" if not around.ok else f"the {around.rec_type} record"
            message = (f"no record starts at {path}:{row.warc_offset}; it falls inside "
                       f"{state} at offset {around.offset}")
        else:
            message = f"no record starts at {path}:{row.warc_offset}"
        self.report.add("bad-pointer", row.id, message)

    # -- (a) one file, with its rows -----------------------------------------------------------
    def check_file(self, path: str, rows: Iterable[Any] = ()) -> None:
        report = self.report
        report.files += 1
        is_open = path.endswith(OPEN_SUFFIX)
        if is_open:
            report.add("open", path, OPEN_MESSAGE)
        pending = _Rows(rows)
        previous: Member | None = None
        with open(path, "rb") as fh:
            size = fh.seek(0, os.SEEK_END)
            if size == 0:
                report.add("empty", path, "empty file (no warcinfo record)")
            for member in iter_members(fh, check_digests=True):
                at = f"{path}:{member.offset}"
                if member.offset == 0 and member.ok and member.rec_type != "warcinfo":
                    report.add("no-warcinfo", at,
                               f"file starts with a {member.rec_type} record, not warcinfo")
                if member.ok:
                    report.records += 1
                # A live crawl's file ends mid-record by nature; the 'open' problem covers it.
                elif not (is_open and member.problem == "truncated"):
                    report.add(member.problem or "bad-record", at, member.detail)
                for problem in member.digest_problems:
                    report.add("digest", at, f"{member.rec_type} record {member.record_id}: "
                                             f"content does not match its digest ({problem})")
                while pending.head is not None and pending.head.warc_offset < member.offset:
                    report.rows_checked += 1
                    self._stray_row(pending.pop(), path, size, previous)
                matched = False
                while pending.head is not None and pending.head.warc_offset == member.offset:
                    row = pending.pop()
                    report.rows_checked += 1
                    self._check_row(row, member, path)
                    matched = matched or row.id == member.record_id
                if member.ok and member.rec_type in CAPTURE_TYPES and not matched:
                    self._unmatched.append((member.record_id or "", at))
                    if len(self._unmatched) >= _ID_BATCH:
                        self._lookup_unmatched()
                previous = member
        while pending.head is not None:
            report.rows_checked += 1
            self._stray_row(pending.pop(), path, size, previous)

    def missing_file(self, warc_file: str, rows: Iterable[Any]) -> None:
        ids = [row.id for row in rows]
        self.report.rows_checked += len(ids)
        self.report.add("missing-file", warc_file,
                        f"file not found, {len(ids)} capture row(s) point to it "
                        f"(e.g. {', '.join(ids[:_EXAMPLES])})")


def _warc_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    names = [p for p in folder.iterdir()
             if p.is_file() and (p.name.endswith(".warc.gz") or p.name.endswith(".warc.gz" + OPEN_SUFFIX))]
    return sorted(names)


def verify_archive(session: Session, warc_dir: str | os.PathLike[str], *,
                   emit: Callable[[VerifyProblem], None] | None = None,
                   limit: int = MAX_DETAILS) -> VerifyReport:
    """Check every WARC file in ``warc_dir``, every capture row and what rests on them; reads
    only. ``emit`` gets each of the first ``limit`` problems as it is found (the rest are
    counted)."""
    folder = Path(warc_dir).resolve()
    checker = _Checker(session, VerifyReport(limit=limit, emit=emit))
    report = checker.report
    check_runs(session, report)
    files = _warc_files(folder)
    # Rows name the final file; while a file is still open its bytes are in the .open twin.
    by_final: dict[str, str] = {}
    for path in files:
        by_final.setdefault(final_name(path), str(path))
    for broken in sorted(folder.glob(f"*{BROKEN_SUFFIX}*")):
        if broken.is_file():
            _check_broken(broken, report)
    done: set[str] = set()
    # Rows flagged lost point past the end of a cut file by nature: check_lost looks at them.
    query = (select(Capture.id, Capture.warc_file, Capture.warc_offset, Capture.warc_length,
                    Capture.payload_digest)
             .where(Capture.source != "import", Capture.lost_at.is_(None))
             .order_by(Capture.warc_file, Capture.warc_offset)
             .execution_options(yield_per=2000))
    check_imported(session, report)
    for warc_file, rows in groupby(session.execute(query), key=attrgetter("warc_file")):
        path = by_final.get(warc_file) or disk_path(warc_file)
        if path is None:
            checker.missing_file(warc_file, rows)
            continue
        checker.check_file(path, rows)
        done.add(path)
    for path in files:
        if str(path) not in done:
            checker.check_file(str(path))
    check_lost(session, report)
    check_references(session, report)
    check_revisits(session, report)
    return checker.finish()


def _check_broken(path: Path, report: VerifyReport) -> None:
    """A file recovery set aside, read: what is in it, so a person can tell junk from records
    worth rescuing (recovery sets a file aside only when it found no whole record in it)."""
    good, damage = 0, None
    with open(path, "rb") as fh:
        size = fh.seek(0, os.SEEK_END)
        for member in iter_members(fh):
            if member.ok:
                good += 1
            elif damage is None:
                damage = f"offset {member.offset}: {member.detail}"
    content = ("empty" if size == 0 else f"{size} bytes, {good} whole record(s)"
               + (f", damaged from {damage}" if damage else ""))
    advice = " (no capture row points into it)" if good else ""
    report.add("broken", str(path), f"set aside by recovery, kept: {content}{advice}")


def format_report(report: VerifyReport) -> str:
    """One line per problem kept, then a summary line."""
    lines = [format_problem(p) for p in report.problems]
    return "\n".join([*lines, format_summary(report)])


def format_problem(problem: VerifyProblem) -> str:
    return f"{problem.kind}: {problem.where}: {problem.message}"


def format_summary(report: VerifyReport) -> str:
    """The last line: what was read, and the problems counted by kind."""
    summary = (f"{report.files} WARC file(s), {report.records} record(s), "
               f"{report.rows_checked} capture row(s) checked: ")
    if report.ok:
        summary += "OK"
    else:
        summary += f"{report.total} problem(s) (" + ", ".join(
            f"{kind} {n}" for kind, n in sorted(report.counts.items())) + ")"
        if report.total > len(report.problems):
            summary += f", the first {len(report.problems)} listed"
        if report.records_without_rows:
            summary += f", {report.records_without_rows} record(s) without a capture row"
    if report.lost_refetched:
        summary += (f"; {report.lost_refetched} capture(s) cut off by a crash were fetched "
                    f"again since (rows kept, flagged lost)")
    return summary
