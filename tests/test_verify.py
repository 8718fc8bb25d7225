"""What ``govcrawl verify`` finds beyond the WARC files themselves (review L4): what rests on
captures (reports, attachments, versions without a capture of their own URL; revisits whose
original is gone), imported captures read back whole (id, length, digest, streamed), files set
aside as ``.broken`` read, runs left ``running`` with no live holder, captures a crash cut off;
and a report that stays small however many problems there are. On SQLite and PostgreSQL.

Each test failed before: those checks did not exist, imported captures were compared by URL
only (read whole into memory), ``.broken`` files only listed, and every problem kept."""

from __future__ import annotations

import io
import tracemalloc
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive import db
from archive.importer import import_files
from archive.lock import WriterLease
from archive.models import Attachment, Capture, CrawlRun, Report, ReportVersion
from archive.recover import BROKEN_SUFFIX
from archive.verify import VerifyProblem, format_report, verify_archive
from archive.warc import Original, RotatingWarcWriter
from govcrawl import cli
from simweb import SimulatedWeb
from tests.archive_dbs import BACKENDS, database
from tests.test_archive_recovery import T0, closed_archive, exchange, index
from tests.test_import import build_main

URL = "http://www.x.gov.cn/xxgk/{}.html"  # the URLs of test_archive_recovery.exchange(i)


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def session(db_url: str) -> Iterator[Session]:
    factory = db.session_factory(db_url)
    with factory() as s:
        yield s
    factory.kw["bind"].dispose()


def kinds(problems: list[VerifyProblem]) -> set[tuple[str, str]]:
    return {(p.kind, p.where) for p in problems}


def ids_by_url(session: Session) -> dict[str, str]:
    return dict(session.execute(select(Capture.url, Capture.id)).all())


def _report(url: str, capture_id: str | None) -> Report:
    return Report(url=url, capture_id=capture_id, text="x", first_seen=T0, last_seen=T0)


# -- what rests on captures -----------------------------------------------------------------------
def test_reports_attachments_and_versions_without_a_capture_of_their_own_url(
        tmp_path: Path, session: Session) -> None:
    files = closed_archive(tmp_path / "warc", count=4, max_size=10**6)
    index(session, *files)
    capture = ids_by_url(session)
    good = _report(URL.format(0), capture[URL.format(0)])
    pointerless = _report(URL.format(1), None)
    elsewhere = _report(URL.format(2), capture[URL.format(3)])
    good.versions = [
        ReportVersion(capture_id=capture[URL.format(0)], text_digest="a", text="a", seen_at=T0,
                      last_seen_at=T0),
        ReportVersion(capture_id=capture[URL.format(1)], text_digest="b", text="b", seen_at=T0,
                      last_seen_at=T0),
        ReportVersion(capture_id=None, text_digest="c", text="c", seen_at=T0, last_seen_at=T0)]
    session.add_all([good, pointerless, elsewhere])
    attachments = [Attachment(report_url=URL.format(0), url=URL.format(3), first_seen=T0,
                              last_seen=T0, capture_id=capture[URL.format(3)]),
                   Attachment(report_url=URL.format(0), url=URL.format(1), first_seen=T0,
                              last_seen=T0, capture_id=capture[URL.format(0)]),
                   Attachment(report_url=URL.format(2), url=URL.format(2), first_seen=T0,
                              last_seen=T0, capture_id=None)]
    session.add_all(attachments)
    session.commit()
    report = verify_archive(session, tmp_path / "warc")
    versions = [v.id for v in good.versions]
    assert kinds(report.problems) == {
        ("no-capture", f"report {pointerless.id}"),
        ("wrong-capture", f"report {elsewhere.id}"),
        ("wrong-capture", f"attachment {attachments[1].id}"),
        ("no-capture", f"attachment {attachments[2].id}"),
        ("wrong-capture", f"version {versions[1]}"),
        ("no-capture", f"version {versions[2]}"),
    }, format_report(report)
    wrong = next(p for p in report.problems if p.where == f"report {elsewhere.id}")
    assert wrong.message == (f"{URL.format(2)} points at capture {capture[URL.format(3)]} of "
                             f"another URL, {URL.format(3)}")


def _revisit_archive(tmp_path: Path, session: Session) -> tuple[str, str]:
    """A response and a later identical-payload revisit of it, indexed: (original, revisit)."""
    writer = RotatingWarcWriter(tmp_path / "warc")
    first = writer.write_exchange(exchange(0))
    again = replace(exchange(0), fetched_at=T0 + timedelta(days=1))
    revisit = writer.write_exchange(again, original=Original(
        first.record_id, URL.format(0), T0, first.payload_digest))
    writer.close()
    assert revisit.record_type == "revisit"
    index(session, *writer.closed_files)
    return first.record_id, revisit.record_id


def test_revisit_rows_whose_original_is_gone(tmp_path: Path, session: Session) -> None:
    original, revisit = _revisit_archive(tmp_path, session)
    assert verify_archive(session, tmp_path / "warc").ok
    # The original's row flagged lost by a repair: the revisit's payload is nowhere.
    session.execute(update(Capture).where(Capture.id == original).values(lost_at=db.now()))
    session.commit()
    report = verify_archive(session, tmp_path / "warc")
    assert kinds(report.problems) == {("no-original", revisit)}, format_report(report)
    assert "was cut off by a crash" in report.problems[0].message
    # The original's row gone altogether (its record is then one without a row as well).
    session.execute(delete(Capture).where(Capture.id == original))
    session.commit()
    report = verify_archive(session, tmp_path / "warc")
    assert {p.kind for p in report.problems} == {"no-original", "no-row"}, format_report(report)
    assert next(p for p in report.problems if p.kind == "no-original").message == (
        f"revisit of {URL.format(0)} refers to {original}, which has no capture row: its "
        f"payload is nowhere")


def test_captures_a_crash_cut_off_until_fetched_again(tmp_path: Path, session: Session) -> None:
    files = closed_archive(tmp_path / "warc", count=3, max_size=10**6)
    index(session, *files)
    capture = ids_by_url(session)
    # A repair flagged a row lost: its record is past the end of the file, as a power loss
    # leaves it (here: a row for a record that was never written, at the end).
    lost = "<urn:uuid:lost-0>"
    session.execute(insert(Capture).values(
        id=lost, url=URL.format(9), status=200, fetched_at=T0, warc_file=str(files[0]),
        warc_offset=files[0].stat().st_size + 100, warc_length=500, lost_at=T0))
    session.add(_report(URL.format(9), lost))
    session.commit()
    report = verify_archive(session, tmp_path / "warc")
    (stored,) = session.scalars(select(Report)).all()
    assert kinds(report.problems) == {("capture-lost", lost),
                                      ("capture-lost", f"report {stored.id}")}, format_report(report)
    assert report.lost_refetched == 0
    # The next crawl fetched it again and stored the report from the new capture.
    session.execute(update(Capture).where(Capture.id == capture[URL.format(2)])
                    .values(url=URL.format(9), fetched_at=T0 + timedelta(days=1)))
    session.execute(update(Report).values(capture_id=capture[URL.format(2)]))
    session.commit()
    report = verify_archive(session, tmp_path / "warc")
    assert report.ok and report.lost_refetched == 1, format_report(report)
    assert format_report(report).endswith(
        ": OK; 1 capture(s) cut off by a crash were fetched again since (rows kept, flagged lost)")


# -- runs -----------------------------------------------------------------------------------------
def test_runs_left_running_without_a_live_holder(tmp_path: Path, db_url: str,
                                                 session: Session) -> None:
    (tmp_path / "warc").mkdir()
    dead = CrawlRun(started_at=T0, status="running", arguments={"host": "crawler-a", "pid": 1})
    live = CrawlRun(started_at=T0, status="running", arguments={})
    done = CrawlRun(started_at=T0, status="finished", arguments={})
    session.add_all([dead, live, done])
    session.commit()
    engine = db.connect(db_url)
    lease = WriterLease(engine, "crawl").acquire()
    with db.session_factory(db_url)() as other:
        lease.attach(other, live.id)
        other.commit()
    try:
        report = verify_archive(session, tmp_path / "warc")
    finally:
        lease.release()
        engine.dispose()
    assert kinds(report.problems) == {("stuck-run", f"run {dead.id}")}, format_report(report)
    assert "on crawler-a is marked running, but no live process holds the archive" in \
        report.problems[0].message
    session.rollback()  # a new transaction, which sees the lease let go: both stuck now
    report = verify_archive(session, tmp_path / "warc")
    assert kinds(report.problems) == {("stuck-run", f"run {dead.id}"),
                                      ("stuck-run", f"run {live.id}")}


# -- files set aside --------------------------------------------------------------------------------
def test_broken_files_are_read(tmp_path: Path, session: Session) -> None:
    warc = tmp_path / "warc"
    files = closed_archive(warc, count=2, max_size=10**6)
    index(session, *files)
    (warc / f"A.warc.gz{BROKEN_SUFFIX}").write_bytes(b"")
    (warc / f"B.warc.gz{BROKEN_SUFFIX}").write_bytes(b"junk " * 20)
    # Set aside but holding a whole record (a person moved it, an older recovery).
    (warc / f"C.warc.gz{BROKEN_SUFFIX}.1").write_bytes(files[0].read_bytes())
    report = verify_archive(session, warc)
    messages = {Path(p.where).name: p.message for p in report.problems if p.kind == "broken"}
    assert messages["A.warc.gz.broken"] == "set aside by recovery, kept: empty"
    assert messages["B.warc.gz.broken"].startswith(
        "set aside by recovery, kept: 100 bytes, 0 whole record(s), damaged from offset 0: ")
    assert messages["C.warc.gz.broken.1"] == (
        f"set aside by recovery, kept: {files[0].stat().st_size} bytes, 5 whole record(s) (no "
        f"capture row points into it)")


# -- imported captures ------------------------------------------------------------------------------
def test_every_imported_flavour_reads_back_clean(tmp_path: Path, db_url: str,
                                                 test_web: SimulatedWeb) -> None:
    # gzip WARC/1.0 from another crawler, an uncompressed WARC (chunked, gzip-coded, bytes
    # written by hand) and a gzip ARC, imported as `govcrawl import` does.
    files = build_main(test_web, tmp_path)
    result = import_files(db_url, [str(f.path) for f in files], workers=1)
    assert result.status == "finished"
    (tmp_path / "warc").mkdir()
    with db.session_factory(db_url)() as session:
        imported = session.scalars(select(Capture.warc_file).distinct()).all()
        assert len(imported) == 3
        report = verify_archive(session, tmp_path / "warc")
    assert report.ok, format_report(report)
    assert report.rows_checked >= 8


def _foreign_file(path: Path, *, gz: bool, bodies: list[bytes]) -> list[dict[str, object]]:
    """A WARC another tool wrote (warcio, one URL fetched twice...), and the capture rows an
    import makes of its responses: the record's id, member/record length and payload digest."""
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=gz, warc_version="WARC/1.0")
        for body in bodies:
            writer.write_record(writer.create_warc_record(
                URL.format(7), "response", payload=io.BytesIO(body),
                http_headers=StatusAndHeaders("200 OK", [("Content-Type", "text/html")],
                                              protocol="HTTP/1.1")))
    rows = []
    with open(path, "rb") as fh:
        iterator = ArchiveIterator(fh)
        for record in iterator:
            rec = record.rec_headers
            rows.append({"id": rec.get_header("WARC-Record-ID"), "url": URL.format(7),
                         "status": 200, "fetched_at": T0, "source": "import",
                         "warc_file": str(path), "warc_offset": iterator.get_record_offset(),
                         "warc_length": iterator.get_record_length(),
                         "payload_digest": rec.get_header("WARC-Payload-Digest")})
    return rows


@pytest.mark.parametrize("gz", [True, False], ids=["gzip", "uncompressed"])
def test_imported_captures_are_checked_for_id_length_and_digest(
        tmp_path: Path, session: Session, gz: bool) -> None:
    (tmp_path / "warc").mkdir()
    path = tmp_path / ("other.warc.gz" if gz else "other.warc")
    rows = _foreign_file(path, gz=gz, bodies=[b"<html>%d</html>" % i * 50 for i in range(4)])
    session.execute(insert(Capture), rows)
    session.commit()
    assert verify_archive(session, tmp_path / "warc").ok
    # Each row off in one way the URL alone cannot tell (every record has the same URL).
    session.execute(update(Capture).where(Capture.id == rows[0]["id"])
                    .values(warc_length=Capture.warc_length + 1))
    session.execute(update(Capture).where(Capture.id == rows[1]["id"])
                    .values(payload_digest="sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"))
    session.execute(update(Capture).where(Capture.id == rows[2]["id"])
                    .values(warc_offset=rows[3]["warc_offset"]))
    session.commit()
    report = verify_archive(session, tmp_path / "warc")
    assert kinds(report.problems) == {("wrong-length", rows[0]["id"]),
                                      ("wrong-digest", rows[1]["id"]),
                                      ("wrong-record", rows[2]["id"])}, format_report(report)
    assert report.problems[-1].message == (f"{path}:{rows[3]['warc_offset']} holds record "
                                           f"{rows[3]['id']}, not {rows[2]['id']}")


def test_an_imported_record_whose_payload_was_damaged(tmp_path: Path, session: Session) -> None:
    (tmp_path / "warc").mkdir()
    path = tmp_path / "other.warc"
    rows = _foreign_file(path, gz=False, bodies=[b"<html>report</html>" * 40])
    session.execute(insert(Capture), rows)
    session.commit()
    data = bytearray(path.read_bytes())
    data[data.rindex(b"report")] ^= 0x20  # 'r' -> 'R': same length, another payload
    path.write_bytes(bytes(data))
    report = verify_archive(session, tmp_path / "warc")
    assert {p.kind for p in report.problems} == {"digest"}, format_report(report)


def test_an_imported_record_is_streamed_not_read_whole(tmp_path: Path, session: Session) -> None:
    (tmp_path / "warc").mkdir()
    size = 24 << 20
    rows = _foreign_file(tmp_path / "big.warc", gz=False, bodies=[bytes(size)])
    session.execute(insert(Capture), rows)
    session.commit()
    tracemalloc.start()
    try:
        report = verify_archive(session, tmp_path / "warc")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.ok, format_report(report)
    assert peak < size // 4, peak


# -- a report of bounded size, streamed ------------------------------------------------------------
def test_problems_are_all_counted_but_only_the_first_kept_and_streamed(
        tmp_path: Path, session: Session) -> None:
    (tmp_path / "warc").mkdir()
    session.add_all([_report(URL.format(i), None) for i in range(30)])
    session.commit()
    seen: list[VerifyProblem] = []
    report = verify_archive(session, tmp_path / "warc", emit=seen.append, limit=10)
    assert report.total == 30 and report.counts == {"no-capture": 30}
    assert len(report.problems) == 10 and seen == report.problems
    text = format_report(report)
    assert len(text.splitlines()) == 11
    assert text.endswith("30 problem(s) (no-capture 30), the first 10 listed")


def test_the_command_prints_problems_as_found_then_the_summary(
        tmp_path: Path, db_url: str, session: Session, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "warc").mkdir()
    session.add_all([_report(URL.format(i), None) for i in range(3)])
    session.commit()
    assert cli.main(["verify", "--db", db_url, "--warc-dir", str(tmp_path / "warc")]) == 1
    out = capsys.readouterr()
    lines = out.out.splitlines()
    assert [line.split(":")[0] for line in lines[:3]] == ["no-capture"] * 3
    assert lines[3].endswith(": 3 problem(s) (no-capture 3)")
    assert "govcrawl: verify: 3 problems" in out.err
