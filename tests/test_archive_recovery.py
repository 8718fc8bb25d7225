"""Recovery of WARC files left open by a killed crawl, re-indexing from the WARC, and verify.

Archives are written by the project's own RotatingWarcWriter and checked with real warcio
(and the real ``warcio check`` CLI) and a real SQLite database."""

from __future__ import annotations

import gzip
import inspect
import io
import os
import random
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

import archive.warc
from archive.db import session_factory
from archive.models import Capture, CrawlRun
from archive.recover import BROKEN_SUFFIX, recover_open_files
from archive.reindex import capture_rows, capture_values, dangling_rows, missing_rows
from archive.verify import OPEN_MESSAGE, format_report, verify_archive
from archive.warc import OPEN_SUFFIX, Exchange, RecordRef, RotatingWarcWriter

T0 = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
WARCIO = Path(sys.executable).with_name("warcio")


def exchange(i: int, *, size: int = 600, method: str = "GET", status: int = 200) -> Exchange:
    # Random bodies do not compress, so a record's gzip member is about as long as the record.
    body = random.Random(i).randbytes(size)
    return Exchange(
        url=f"http://www.x.gov.cn/xxgk/{i}.html", method=method,
        request_headers=[("Accept", "*/*")], request_body=b"", status=status,
        protocol="HTTP/1.1",
        response_headers=[("Content-Type", "text/html; charset=utf-8"), ("ETag", f'"e{i}"'),
                          ("Last-Modified", "Fri, 01 Mar 2024 08:00:00 GMT")],
        body=body, fetched_at=T0 + timedelta(seconds=i), ip_address="127.0.0.1")


@dataclass
class Written:
    """A writer's file (left open: the crawl was killed) and what the writer said it wrote."""

    open_path: Path
    refs: list[RecordRef]
    bounds: list[tuple[int, int, str | None]]  # every member: start, end, response id or None


def write_open_file(directory: Path, count: int, **kw: object) -> Written:
    writer = RotatingWarcWriter(directory)
    refs = [writer.write_exchange(exchange(i, **kw)) for i in range(count)]  # type: ignore[arg-type]
    open_path = Path(refs[0].warc_file + OPEN_SUFFIX)
    size = open_path.stat().st_size
    # Members from the writer's own offsets: warcinfo, then response + request per exchange.
    bounds: list[tuple[int, int, str | None]] = [(0, refs[0].offset, None)]
    for ref, nxt in zip(refs, [*(r.offset for r in refs[1:]), size], strict=True):
        bounds += [(ref.offset, ref.offset + ref.length, ref.record_id),
                   (ref.offset + ref.length, nxt, None)]
    return Written(open_path, refs, bounds)  # the writer is dropped unclosed, as on SIGKILL


def read_ids(path: Path) -> list[str]:
    """Record ids, read as warcio reads: every block whole, every digest checked, no warning."""
    ids = []
    with open(path, "rb") as fh:
        iterator = ArchiveIterator(fh, check_digests=True)
        for record in iterator:
            while record.raw_stream.read(65536):
                pass
            assert record.digest_checker.passed is not False and record.raw_stream.limit == 0
            ids.append(record.rec_headers.get_header("WARC-Record-ID"))
        assert iterator.err_count == 0
    return ids


def warcio_check(path: Path) -> subprocess.CompletedProcess[str]:
    cmd = [str(WARCIO)] if WARCIO.exists() else [sys.executable, "-m", "warcio.cli"]
    return subprocess.run([*cmd, "check", "-v", str(path)], capture_output=True, text=True,
                          timeout=60)


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    factory = session_factory(f"sqlite:///{tmp_path}/x.sqlite")
    with factory() as s:
        yield s


def index(session: Session, *paths: Path | str) -> int:
    rows = [capture_values(row) for p in paths for row in capture_rows(p)]
    session.execute(insert(Capture), rows)
    session.commit()
    return len(rows)


def closed_archive(directory: Path, count: int = 12, max_size: int = 4000) -> list[Path]:
    writer = RotatingWarcWriter(directory, max_size=max_size)
    for i in range(count):
        writer.write_exchange(exchange(i, method="POST" if i == 3 else "GET"))
    writer.close()
    return writer.closed_files


# -- recovery ----------------------------------------------------------------------------------
def test_recovery_at_every_cut_in_the_last_records_keeps_every_complete_record(tmp_path: Path) -> None:
    written = write_open_file(tmp_path / "src", 4)
    data = written.open_path.read_bytes()
    name = written.open_path.name
    last_response = written.refs[-1].offset
    # Every byte of the last exchange (response + request), a coarse sweep of the rest.
    cuts = sorted(set(range(last_response, len(data) + 1)) | set(range(0, last_response, 23)))
    checked_by_cli = []
    for cut in cuts:
        work = tmp_path / f"cut{cut}"
        work.mkdir()
        (work / name).write_bytes(data[:cut])
        complete = [b for b in written.bounds if b[1] <= cut]
        [result] = recover_open_files(work)
        assert not list(work.glob(f"*{OPEN_SUFFIX}"))
        if not complete:  # nothing readable (not even warcinfo): set aside, bytes untouched
            assert result.outcome == "broken" and result.records == 0
            assert Path(result.path).name == name.removesuffix(OPEN_SUFFIX) + BROKEN_SUFFIX
            assert Path(result.path).read_bytes() == data[:cut]
            shutil.rmtree(work)
            continue
        end = complete[-1][1]
        final = work / name.removesuffix(OPEN_SUFFIX)
        assert result.outcome == "closed" and result.path == str(final.resolve())
        assert (result.records, result.bytes_cut) == (len(complete), cut - end)
        assert final.read_bytes() == data[:end]  # the complete records, byte for byte
        ids = read_ids(final)
        assert len(ids) == len(complete)
        assert [b[2] for b in complete if b[2]] == [r.record_id for r in written.refs
                                                    if r.offset + r.length <= cut]
        assert {b[2] for b in complete if b[2]} <= set(ids)
        assert recover_open_files(work) == []  # idempotent
        if cut in (len(data) - 1, last_response + written.refs[-1].length + 5):
            checked_by_cli.append(final)
            proc = warcio_check(final)
            assert proc.returncode == 0, proc.stdout + proc.stderr
            assert "digest pass" in proc.stdout and "fail" not in proc.stdout
            continue
        shutil.rmtree(work)
    assert len(checked_by_cli) == 2


def test_large_compressible_records_are_cut_at_exact_member_bounds(tmp_path: Path) -> None:
    # Members many times larger than one read, inflated in many rounds: bounds must stay exact.
    rng = random.Random(7)
    text = " ".join(str(rng.random()) for _ in range(30000)).encode()  # about 2:1 in gzip
    writer = RotatingWarcWriter(tmp_path / "src")
    refs = [writer.write_exchange(replace(exchange(i), body=text[i:])) for i in range(3)]
    open_path = Path(refs[0].warc_file + OPEN_SUFFIX)
    assert all(r.length > 100_000 for r in refs)
    rows = list(capture_rows(open_path))
    assert [(r["warc_offset"], r["warc_length"]) for r in rows] == [(r.offset, r.length) for r in refs]
    data = open_path.read_bytes()
    last = refs[-1]
    response_end = last.offset + last.length
    cuts = sorted({*range(last.offset, len(data), 4999), *range(response_end - 40, response_end + 40),
                   *range(len(data) - 40, len(data) + 1)})
    for cut in cuts:
        work = tmp_path / f"cut{cut}"
        work.mkdir()
        (work / open_path.name).write_bytes(data[:cut])
        [result] = recover_open_files(work)
        end = len(data) if cut == len(data) else response_end if cut >= response_end else last.offset
        assert Path(result.path).read_bytes() == data[:end], cut
        assert result.bytes_cut == cut - end
        shutil.rmtree(work)


def test_response_kept_when_its_request_record_was_cut(tmp_path: Path) -> None:
    written = write_open_file(tmp_path, 2)
    last = written.refs[-1]
    os.truncate(written.open_path, last.offset + last.length + 40)  # inside the request member
    [result] = recover_open_files(tmp_path)
    final = Path(result.path)
    with open(final, "rb") as fh:
        records = [(r.rec_type, r.rec_headers.get_header("WARC-Record-ID")) for r in ArchiveIterator(fh)]
    assert records[-1] == ("response", last.record_id)
    assert [t for t, _ in records] == ["warcinfo", "response", "request", "response"]
    assert result.bytes_cut == 40 and final.stat().st_size == last.offset + last.length


def test_garbage_tail_is_cut_but_damage_before_a_good_record_is_kept(tmp_path: Path) -> None:
    # Zeros after the last record (what a power cut can leave) go; nothing readable is lost.
    written = write_open_file(tmp_path / "a", 3)
    good = written.open_path.read_bytes()
    with open(written.open_path, "ab") as fh:
        fh.write(b"\0" * 3000)
    [result] = recover_open_files(tmp_path / "a")
    assert Path(result.path).read_bytes() == good and result.bytes_cut == 3000

    # A corrupt member in the middle stays (never delete data); only the partial tail goes.
    written = write_open_file(tmp_path / "b", 3)
    data = bytearray(written.open_path.read_bytes())
    middle = written.refs[1]
    data[middle.offset + middle.length // 2] ^= 0xFF
    written.open_path.write_bytes(bytes(data[:-10]))
    [result] = recover_open_files(tmp_path / "b")
    assert result.outcome == "closed" and result.bytes_cut == len(data) - 10 - written.refs[-1].offset - written.refs[-1].length
    assert Path(result.path).read_bytes() == bytes(data[:written.refs[-1].offset + written.refs[-1].length])
    assert f"offset {middle.offset}" in result.note
    assert result.records == len(written.bounds) - 2  # all but the damaged and the cut member


def test_empty_and_unreadable_open_files_are_set_aside_never_deleted(tmp_path: Path) -> None:
    (tmp_path / "A.warc.gz.open").write_bytes(b"")
    (tmp_path / "B.warc.gz.open").write_bytes(gzip.compress(b"WARC/1.1\r\nWARC-Type: warc")[:25])
    (tmp_path / "B.warc.gz.broken").write_bytes(b"an older one")
    results = {Path(r.open_path).name: r for r in recover_open_files(tmp_path)}
    assert results["A.warc.gz.open"].outcome == "broken"
    assert results["A.warc.gz.open"].note == "empty file"
    assert Path(results["B.warc.gz.open"].path).name == "B.warc.gz.broken.1"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "A.warc.gz.broken", "B.warc.gz.broken", "B.warc.gz.broken.1"]
    assert (tmp_path / "B.warc.gz.broken").read_bytes() == b"an older one"
    assert recover_open_files(tmp_path) == []


def test_recovery_leaves_closed_files_alone(tmp_path: Path) -> None:
    closed = closed_archive(tmp_path, count=6)
    before = snapshot(tmp_path)
    written = write_open_file(tmp_path, 2)
    os.truncate(written.open_path, written.open_path.stat().st_size - 3)
    [result] = recover_open_files(tmp_path)
    assert result.records == 4 and Path(result.path).name not in before
    assert {k: v for k, v in snapshot(tmp_path).items() if k in before} == before
    assert all(p.exists() for p in closed)


# -- reindex -----------------------------------------------------------------------------------
def test_capture_rows_match_what_the_writer_wrote(tmp_path: Path) -> None:
    writer = RotatingWarcWriter(tmp_path)
    refs = [writer.write_exchange(exchange(i, method="POST" if i == 1 else "GET",
                                           status=404 if i == 2 else 200)) for i in range(4)]
    writer.close()
    rows = list(capture_rows(refs[0].warc_file))
    assert [r["id"] for r in rows] == [r.record_id for r in refs]
    for i, (row, ref) in enumerate(zip(rows, refs, strict=True)):
        assert (row["warc_file"], row["warc_offset"], row["warc_length"]) == (
            ref.warc_file, ref.offset, ref.length)
        assert row["payload_digest"] == ref.payload_digest
        assert row["url"] == f"http://www.x.gov.cn/xxgk/{i}.html"
        assert row["fetched_at"] == T0 + timedelta(seconds=i)
        assert row["fetched_at"].tzinfo is not None
        assert row["content_type"] == "text/html; charset=utf-8"
        assert (row["etag"], row["last_modified"]) == (f'"e{i}"', "Fri, 01 Mar 2024 08:00:00 GMT")
        assert (row["record_type"], row["refers_to"], row["source"]) == ("response", None, "live")
    assert [r["method"] for r in rows] == ["GET", "POST", "GET", "GET"]
    assert [r["status"] for r in rows] == [200, 200, 404, 200]


def test_capture_rows_of_an_open_file_name_the_final_file_and_skip_the_partial_record(
        tmp_path: Path) -> None:
    written = write_open_file(tmp_path, 3)
    os.truncate(written.open_path, written.refs[-1].offset + 100)
    rows = list(capture_rows(written.open_path))
    assert [r["id"] for r in rows] == [r.record_id for r in written.refs[:2]]
    assert {r["warc_file"] for r in rows} == {written.refs[0].warc_file}


def test_capture_rows_of_revisits_and_request_first_files(tmp_path: Path) -> None:
    # Written with plain warcio, as another tool (wget order: request, then response) would.
    path = tmp_path / "other.warc.gz"
    with open(path, "wb") as fh:
        w = WARCWriter(fh, gzip=True, warc_version="WARC/1.1")
        w.write_record(w.create_warcinfo_record(path.name, {"software": "test"}))
        request = w.create_warc_record(
            "http://www.x.gov.cn/a", "request",
            http_headers=StatusAndHeaders("HEAD /a HTTP/1.1", [], is_http_request=True))
        request_id = request.rec_headers.get_header("WARC-Record-ID")
        w.write_record(request)
        response = w.create_warc_record(
            "http://www.x.gov.cn/a", "response", payload=io.BytesIO(b"hello"),
            http_headers=StatusAndHeaders("200 OK", [("Content-Type", "text/plain")], protocol="HTTP/1.1"),
            warc_headers_dict={"WARC-Concurrent-To": request_id, "WARC-Date": "2024-03-01T08:00:00.123456789Z"})
        w.write_record(response)
        response_id = response.rec_headers.get_header("WARC-Record-ID")
        revisit = w.create_revisit_record(
            "http://www.x.gov.cn/a", "sha1:AAAA", "http://www.x.gov.cn/a", "2024-03-01T08:00:00Z",
            http_headers=StatusAndHeaders("304 Not Modified", [("ETag", '"v1"')], protocol="HTTP/1.1"),
            warc_headers_dict={"WARC-Refers-To": response_id})
        w.write_record(revisit)
    rows = list(capture_rows(path))
    assert [(r["record_type"], r["method"], r["status"]) for r in rows] == [
        ("response", "HEAD", 200), ("revisit", "GET", 304)]
    assert rows[0]["fetched_at"] == datetime(2024, 3, 1, 8, 0, 0, 123456, tzinfo=UTC)
    assert rows[0]["refers_to"] is None
    assert rows[1]["refers_to"] == response_id and rows[1]["etag"] == '"v1"'
    assert rows[1]["payload_digest"] == "sha1:AAAA"
    assert rows[1]["warc_offset"] + rows[1]["warc_length"] == path.stat().st_size


def test_revisits_as_the_crawl_writes_them(tmp_path: Path, session: Session) -> None:
    original_type = getattr(archive.warc, "Original", None)
    if original_type is None or "original" not in inspect.signature(
            RotatingWarcWriter.write_exchange).parameters:
        pytest.skip("this writer does not write revisit records")
    writer = RotatingWarcWriter(tmp_path / "warc")
    first = exchange(1)
    ref = writer.write_exchange(first)
    original = original_type(ref.record_id, first.url, first.fetched_at, ref.payload_digest)
    later = [writer.write_exchange(replace(first, status=304, body=b""), original=original),
             writer.write_exchange(first, original=original)]  # same payload again
    writer.close()
    rows = list(capture_rows(ref.warc_file))
    assert [(r["record_type"], r["status"], r["refers_to"]) for r in rows] == [
        ("response", 200, None), ("revisit", 304, ref.record_id), ("revisit", 200, ref.record_id)]
    assert [(r["warc_offset"], r["warc_length"]) for r in rows[1:]] == [
        (x.offset, x.length) for x in later]
    # The crawl's rows give a revisit the original's payload digest, even a 304 without one.
    for row, x in zip(rows, [ref, *later], strict=True):
        row["payload_digest"] = x.payload_digest
    session.execute(insert(Capture), [capture_values(r) for r in rows])
    session.commit()
    report = verify_archive(session, tmp_path / "warc")
    assert report.ok, format_report(report)
    assert warcio_check(Path(ref.warc_file)).returncode == 0


def test_missing_rows_after_a_kill_lost_the_last_batch(tmp_path: Path, session: Session) -> None:
    files = closed_archive(tmp_path / "warc")
    assert index(session, *files) == 12
    assert missing_rows(session, files) == []
    lost = session.scalars(select(Capture.id).order_by(Capture.fetched_at.desc()).limit(3)).all()
    session.execute(delete(Capture).where(Capture.id.in_(lost)))
    session.commit()
    missing = missing_rows(session, files)
    assert sorted(r["id"] for r in missing) == sorted(lost)
    session.execute(insert(Capture), [capture_values(r) for r in missing])
    session.commit()
    assert missing_rows(session, files) == [] and not dangling_rows(session)


def test_dangling_rows(tmp_path: Path, session: Session) -> None:
    files = closed_archive(tmp_path / "warc", count=8)
    run = CrawlRun(started_at=T0)
    session.add(run)
    index(session, *files)
    assert dangling_rows(session) == []
    # A file cut short: its last response (and everything after) is gone.
    cut_file = files[0]
    rows = session.scalars(select(Capture).where(Capture.warc_file == str(cut_file))
                           .order_by(Capture.warc_offset)).all()
    os.truncate(cut_file, rows[-1].warc_offset + 50)
    # A row whose offset points at its request record instead of its response.
    moved = session.scalars(select(Capture).where(Capture.warc_file == str(files[1]))).first()
    assert moved is not None
    session.execute(update(Capture).where(Capture.id == moved.id)
                    .values(warc_offset=moved.warc_offset + moved.warc_length))
    # A row past the end of its file, and a row in a file that is gone.
    past = session.scalars(select(Capture).where(Capture.warc_file == str(files[2]))).first()
    assert past is not None
    session.execute(update(Capture).where(Capture.id == past.id).values(warc_offset=10**9))
    gone = [c.id for c in session.scalars(select(Capture).where(Capture.warc_file == str(files[-1])))]
    files[-1].unlink()
    session.commit()
    found = {c.id for c in dangling_rows(session)}
    assert found == {rows[-1].id, moved.id, past.id, *gone}
    session.execute(update(Capture).where(Capture.id == moved.id).values(run_id=None))
    session.execute(update(Capture).where(Capture.id != moved.id).values(run_id=run.id))
    session.commit()
    assert {c.id for c in dangling_rows(session, run_ids=[run.id])} == found - {moved.id}


# -- verify ------------------------------------------------------------------------------------
def test_verify_clean_archive(tmp_path: Path, session: Session) -> None:
    files = closed_archive(tmp_path / "warc")
    rows = index(session, *files)
    report = verify_archive(session, tmp_path / "warc")
    assert report.ok, format_report(report)
    assert (report.files, report.records, report.rows_checked) == (len(files), 12 * 2 + len(files), rows)
    assert format_report(report).endswith(": OK")


def recompressed_with_flipped_byte(member: bytes, at: int) -> bytes:
    record = bytearray(gzip.decompress(member))
    record[at] ^= 0x01
    return gzip.compress(bytes(record), mtime=0)


def test_verify_names_a_payload_digest_failure_with_file_and_offset(tmp_path: Path,
                                                                    session: Session) -> None:
    files = closed_archive(tmp_path / "warc", count=3, max_size=10**6)
    index(session, *files)
    path = files[0]
    row = session.scalars(select(Capture).order_by(Capture.warc_offset).offset(1)).first()
    assert row is not None
    data = path.read_bytes()
    member = data[row.warc_offset:row.warc_offset + row.warc_length]
    # Flip one payload byte inside the record, keep the gzip member valid: only digests can tell.
    bad = recompressed_with_flipped_byte(member, len(gzip.decompress(member)) - 100)
    path.write_bytes(data[:row.warc_offset] + bad + data[row.warc_offset + row.warc_length:])
    session.execute(update(Capture).where(Capture.warc_offset > row.warc_offset)
                    .values(warc_offset=Capture.warc_offset + len(bad) - len(member)))
    session.execute(update(Capture).where(Capture.id == row.id).values(warc_length=len(bad)))
    session.commit()
    report = verify_archive(session, tmp_path / "warc")
    assert {p.kind for p in report.problems} == {"digest"}, format_report(report)
    assert {p.where for p in report.problems} == {f"{path}:{row.warc_offset}"}
    assert any("payload digest" in p.message for p in report.problems)
    assert warcio_check(path).returncode == 1  # warcio agrees


def test_verify_reports_a_corrupt_member_and_checks_on_after_it(tmp_path: Path,
                                                                session: Session) -> None:
    files = closed_archive(tmp_path / "warc", count=3, max_size=10**6)
    index(session, *files)
    row = session.scalars(select(Capture).order_by(Capture.warc_offset)).first()
    assert row is not None
    data = bytearray(files[0].read_bytes())
    data[row.warc_offset + row.warc_length // 2] ^= 0xFF  # a raw byte: the gzip check fails
    files[0].write_bytes(bytes(data))
    report = verify_archive(session, tmp_path / "warc")
    kinds = {(p.kind, p.where) for p in report.problems}
    assert kinds == {("corrupt", f"{files[0]}:{row.warc_offset}"), ("bad-record", row.id)}
    assert report.records == 1 + 3 * 2 - 1  # every other record was still read


def test_verify_reports_truncated_file_open_file_and_rows_pointing_at_nothing(
        tmp_path: Path, session: Session) -> None:
    warc = tmp_path / "warc"
    files = closed_archive(warc, count=6, max_size=10**6)
    written = write_open_file(warc, 2)
    index(session, *files, written.open_path)
    rows = session.scalars(select(Capture).where(Capture.warc_file == str(files[0]))
                           .order_by(Capture.warc_offset)).all()
    size = files[0].stat().st_size
    os.truncate(files[0], size - 30)  # cuts the last request record
    wrong, start = rows[0], rows[0].warc_offset
    session.execute(update(Capture).where(Capture.id == wrong.id).values(warc_offset=start + 7))
    session.add(Capture(id="<urn:uuid:nowhere>", url="http://www.x.gov.cn/", status=200,
                        fetched_at=T0, warc_file=str(warc / "gone.warc.gz"), warc_offset=0,
                        warc_length=10))
    session.commit()
    report = verify_archive(session, warc)
    by_kind = {p.kind: p for p in report.problems}
    assert sorted(by_kind) == ["bad-pointer", "missing-file", "open", "truncated"], format_report(report)
    assert by_kind["open"].where == str(written.open_path) and by_kind["open"].message == OPEN_MESSAGE
    assert by_kind["truncated"].where.startswith(f"{files[0]}:")
    assert by_kind["bad-pointer"].where == wrong.id
    assert by_kind["bad-pointer"].message == (
        f"no record starts at {files[0]}:{start + 7}; it falls inside the response "
        f"record at offset {start}")
    assert by_kind["missing-file"].where == str(warc / "gone.warc.gz")
    assert report.rows_checked == 6 + 2 + 1
    text = format_report(report)
    assert len(text.splitlines()) == 5 and "4 problem(s)" in text


def test_verify_reports_records_without_rows_and_a_file_without_warcinfo(
        tmp_path: Path, session: Session) -> None:
    warc = tmp_path / "warc"
    files = closed_archive(warc, count=4, max_size=10**6)
    index(session, *files)
    session.execute(delete(Capture).where(Capture.url.like("%/2.html")))
    session.commit()
    # A copy of the file without its warcinfo record (its records have rows: no no-row noise).
    first = next(iter(capture_rows(files[0])))["warc_offset"]
    headless = warc / "headless.warc.gz"
    headless.write_bytes(files[0].read_bytes()[first:])
    report = verify_archive(session, warc)
    kinds = sorted(p.kind for p in report.problems)
    assert kinds == ["no-row", "no-warcinfo"], format_report(report)
    assert report.records_without_rows == 2  # the deleted row's record, in both files
    no_row = next(p for p in report.problems if p.kind == "no-row")
    assert no_row.message.startswith("2 response/revisit record(s) have no capture row")


def test_verify_changes_nothing(tmp_path: Path, session: Session) -> None:
    warc = tmp_path / "warc"
    files = closed_archive(warc, count=5, max_size=3000)
    written = write_open_file(warc, 2)
    os.truncate(written.open_path, written.open_path.stat().st_size - 5)
    os.truncate(files[0], files[0].stat().st_size - 5)
    (warc / "X.warc.gz.broken").write_bytes(b"junk")
    index(session, *files)
    before_files = snapshot(warc)
    before_rows = session.execute(select(Capture.id, Capture.warc_offset).order_by(Capture.id)).all()
    report = verify_archive(session, warc)
    session.rollback()
    assert not report.ok and "broken" in {p.kind for p in report.problems}
    assert snapshot(warc) == before_files
    assert session.execute(select(Capture.id, Capture.warc_offset).order_by(Capture.id)).all() == before_rows
    assert session.scalar(select(func.count()).select_from(Capture)) == len(before_rows)


def test_verify_after_recovery_and_reindex_is_clean(tmp_path: Path, session: Session) -> None:
    # The whole repair path after a kill: recover, add the missing rows, verify.
    warc = tmp_path / "warc"
    written = write_open_file(warc, 5)
    index(session, written.open_path)
    session.execute(delete(Capture).where(Capture.id.in_([r.record_id for r in written.refs[-2:]])))
    session.commit()
    os.truncate(written.open_path, written.open_path.stat().st_size - 77)
    recovered = recover_open_files(warc)
    missing = missing_rows(session, [r.path for r in recovered])
    assert [r["id"] for r in missing] == [r.record_id for r in written.refs[-2:]]
    session.execute(insert(Capture), [capture_values(r) for r in missing])
    session.commit()
    report = verify_archive(session, warc)
    assert report.ok, format_report(report)
