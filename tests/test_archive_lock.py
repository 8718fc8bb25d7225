"""One writer per archive (review H5, requirement 4): the WARC folder's flock and the database's
lease, on SQLite and on PostgreSQL.

Each test failed before ``archive.lock`` existed: a second crawl on the folder "recovered" the
live crawl's ``.open`` file; a crawl on a second host deleted the first host's capture rows
(the review's probe_lock.py, both parts); import and reparse ran beside a crawl."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from archive import db
from archive.importer import import_files
from archive.lock import (
    LOCK_NAME,
    ArchiveBusy,
    FolderLock,
    WriterLease,
    hold_archive,
    live_lease,
    process_start,
)
from archive.models import Capture, CrawlRun, Lease, Report
from archive.runs import interrupted_runs, live_runs
from archive.warc import short_hostname
from govcrawl import cli
from govcrawl.reparse import reparse
from tests.archive_dbs import BACKENDS, database
from tests.crawl.helpers import (
    archive_of,
    archive_response,
    captures,
    close_all,
    close_crawler,
    crawl_run,
    make_crawler,
    session_of,
)

PAGE = "http://www.lueyang.gov.cn/zwgk/"
HTML = {"Content-Type": "text/html"}
# A file host A wrote: on its own disk, at the path this host's WARC folder has too.
A_FILE = "GOVCRAWL-20240301080000000-00000-crawler-a-4242-abcdef.warc.gz"


@pytest.fixture(autouse=True)
def _close_crawlers() -> Iterator[None]:
    yield
    close_all()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with database(request.param, tmp_path) as url:
        yield url
        close_all()  # while their database is still there


def _count(url: str, model: type) -> int:
    with db.session_factory(url)() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _other_hosts_run(url: str, warc_dir: Path, *, lease_for: timedelta | None) -> int:
    """A crawl run of host ``crawler-a`` whose WARC file is on its own disk, in a folder of the
    same path as ``warc_dir`` here: 5 capture rows, a report pointing at one; with
    ``lease_for`` its lease runs out that far from now."""
    with db.session_factory(url)() as session:
        start = db.now() - timedelta(hours=1)
        run = CrawlRun(started_at=start, arguments={"pid": 4242, "host": "crawler-a"})
        session.add(run)
        session.flush()
        for i in range(5):
            session.add(Capture(id=f"<urn:uuid:a-{i}>", run_id=run.id, url=f"{PAGE}{i}.html",
                                status=200, fetched_at=start,
                                warc_file=str(warc_dir.resolve() / A_FILE),
                                warc_offset=1000 * i, warc_length=900))
        session.flush()
        session.add(Report(url=f"{PAGE}0.html", capture_id="<urn:uuid:a-0>", first_seen=start,
                           last_seen=start, text="x"))
        if lease_for is not None:
            session.add(Lease(name="archive", token="token-of-a", command="crawl", run_id=run.id,
                              host="crawler-a", pid=4242, acquired_at=start,
                              expires_at=db.now() + lease_for))
        session.commit()
        return run.id


def _a_rows_intact(url: str, run_id: int, status: str) -> None:
    with db.session_factory(url)() as session:
        # Host A's five rows, none flagged lost: its files are not this host's to judge.
        assert session.scalar(select(func.count()).select_from(Capture).where(
            Capture.run_id == run_id, Capture.warc_file.endswith(A_FILE),
            Capture.lost_at.is_(None))) == 5
        assert session.scalar(select(Report.capture_id)) == "<urn:uuid:a-0>"
        run = session.get(CrawlRun, run_id)
        assert run is not None and run.status == status


# -- the WARC folder -------------------------------------------------------------------------------
def test_folder_lock_admits_one_holder_and_names_it(tmp_path: Path) -> None:
    first = FolderLock(tmp_path / "warc", "crawl").acquire()
    with pytest.raises(ArchiveBusy, match=rf"in use by govcrawl crawl \(pid {os.getpid()} on "):
        FolderLock(tmp_path / "warc", "import").acquire()
    first.release()
    assert not (tmp_path / "warc" / LOCK_NAME).exists()  # nothing left in the folder
    FolderLock(tmp_path / "warc", "import").acquire().release()


def test_folder_lock_dies_with_its_process(tmp_path: Path) -> None:
    # A holder killed with SIGKILL leaves its lock file; the kernel has let go of the lock.
    code = ("import os, sys; from archive.lock import FolderLock; "
            "FolderLock(sys.argv[1], 'crawl').acquire(); os._exit(9)")
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "warc")], check=False,
                   cwd=Path(__file__).parent.parent, timeout=60)
    assert (tmp_path / "warc" / LOCK_NAME).exists()
    FolderLock(tmp_path / "warc", "crawl").acquire().release()


def test_second_crawl_on_the_same_warc_folder_is_refused_and_the_live_file_untouched(
        tmp_path: Path, db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    first = make_crawler(tmp_path, GOVCRAWL_DB_URL=db_url)
    archive_response(first, PAGE, b"<html>x</html>", headers=HTML)
    (open_file,) = (tmp_path / "warc").glob("*.open")
    before = open_file.read_bytes()
    other_db = f"sqlite:///{tmp_path / 'other.sqlite'}"
    # Another database, the same folder: before the lock, its repair cut and renamed the file.
    with pytest.raises(ArchiveBusy, match="WARC folder .* is in use by govcrawl crawl"):
        make_crawler(tmp_path, GOVCRAWL_DB_URL=other_db)
    # The CLI says it in one line, exit status 2, before Scrapy starts.
    code = cli.main(["crawl", "--site", "http://www.lueyang.gov.cn/", "--db", other_db,
                     "--warc-dir", str(tmp_path / "warc")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "is in use by govcrawl crawl" in err[0], err
    assert open_file.exists() and open_file.read_bytes() == before
    archive_response(first, PAGE + "2.html", b"<html>y</html>", headers=HTML)
    close_crawler(first)
    assert not list((tmp_path / "warc").glob("*.open"))
    assert crawl_run(first).status == "finished"
    assert _count(db_url, Capture) == 2
    assert sorted(p.name for p in (tmp_path / "warc").iterdir() if p.name.startswith(".")) == []
    close_crawler(make_crawler(tmp_path, GOVCRAWL_DB_URL=other_db))  # free once it finished


# -- the database ----------------------------------------------------------------------------------
def test_lease_is_taken_once_and_free_again_after_release(tmp_path: Path, db_url: str) -> None:
    engine = db.connect(db_url)
    first = WriterLease(engine, "crawl").acquire()
    with pytest.raises(ArchiveBusy, match=rf"govcrawl crawl, pid {os.getpid()} on "):
        WriterLease(engine, "reparse").acquire()
    first.release()
    second = WriterLease(engine, "reparse").acquire()
    with db.session_factory(db_url)() as session:
        lease = live_lease(session)
        assert lease is not None and lease.token == second.token
    second.release()
    engine.dispose()


def test_a_second_host_on_one_database_is_refused_and_deletes_nothing(
        tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # A live crawl on host A (its files on its own disk), as the review's probe set it up.
    run_a = _other_hosts_run(db_url, tmp_path / "warc", lease_for=timedelta(minutes=5))
    monkeypatch.setattr(socket, "gethostname", lambda: "crawler-b")
    with pytest.raises(ArchiveBusy, match="in use by govcrawl crawl .run .*on crawler-a"):
        make_crawler(tmp_path, GOVCRAWL_DB_URL=db_url)
    _a_rows_intact(db_url, run_a, "running")
    assert not list((tmp_path / "warc").glob(LOCK_NAME))  # B let go of its folder


def test_two_real_crawls_on_two_hosts_one_database(
        tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "gethostname", lambda: "crawler-a")
    a = make_crawler(tmp_path / "a", GOVCRAWL_DB_URL=db_url)
    archive_response(a, PAGE, b"<html>x</html>", headers=HTML)
    archive_of(a).commit()
    monkeypatch.setattr(socket, "gethostname", lambda: "crawler-b")
    with pytest.raises(ArchiveBusy, match=rf"run {crawl_run(a).id}\), pid \d+ on crawler-a"):
        make_crawler(tmp_path / "b", GOVCRAWL_DB_URL=db_url)
    assert _count(db_url, Capture) == 1
    with db.session_factory(db_url)() as session:
        assert [r.id for r in live_runs(session)] == [crawl_run(a).id]
    close_crawler(a)
    close_crawler(make_crawler(tmp_path / "b", GOVCRAWL_DB_URL=db_url))  # free once A finished


def test_an_expired_lease_lets_the_next_crawl_resume_and_keeps_the_other_hosts_rows(
        tmp_path: Path, db_url: str, caplog: pytest.LogCaptureFixture) -> None:
    # Host A died: its lease ran out a minute ago.
    run_a = _other_hosts_run(db_url, tmp_path / "warc", lease_for=timedelta(minutes=-1))
    crawler = make_crawler(tmp_path, GOVCRAWL_DB_URL=db_url, GOVCRAWL_RESUME=True)
    run = crawl_run(crawler)
    assert run.id == run_a and run.status == "running"
    assert run.arguments["host"] == socket.gethostname() and run.arguments["resumed"]
    lease = live_lease(session_of(crawler))
    assert lease is not None and lease.run_id == run_a and lease.host == socket.gethostname()
    # Its capture rows point at files on host A's disk: not this host's to delete.
    _a_rows_intact(db_url, run_a, "running")
    assert "5 capture rows of another host's run point at files not on this host" in caplog.text
    # Killed here in turn: the run is this host's now, host A's files still are not.
    archive = archive_of(crawler)
    archive.session.close()
    archive.hold.release()
    archive.closed = True
    make_crawler(tmp_path, GOVCRAWL_DB_URL=db_url, GOVCRAWL_RESUME=True)
    _a_rows_intact(db_url, run_a, "running")


def test_a_dead_holder_on_this_host_frees_the_lease_at_once(tmp_path: Path, db_url: str) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    run_a = _other_hosts_run(db_url, tmp_path / "warc", lease_for=timedelta(minutes=5))
    with db.session_factory(db_url)() as session:
        # Killed here a moment ago (SIGKILL): unexpired, but its process is gone.
        session.execute(update(Lease).values(host=socket.gethostname(), pid=dead.pid))
        session.execute(update(CrawlRun).values(arguments={"pid": dead.pid,
                                                           "host": socket.gethostname()}))
        session.commit()
        assert live_lease(session) is None
        assert [r.id for r in interrupted_runs(session)] == [run_a]
        # A file this host wrote for the run, gone from the folder: its row points at nothing.
        name = f"GOVCRAWL-20240301080000000-00001-{short_hostname()}-1-abcdef.warc.gz"
        own = tmp_path / "warc" / name
        session.add(Capture(id="<urn:uuid:own>", run_id=run_a, url=PAGE, status=200,
                            fetched_at=db.now(), warc_file=str(own.resolve()), warc_offset=0,
                            warc_length=900))
        session.commit()
    crawler = make_crawler(tmp_path, GOVCRAWL_DB_URL=db_url, GOVCRAWL_RESUME=True)
    assert crawl_run(crawler).id == run_a
    # Kept, flagged lost (never deleted: review L2); the next crawl fetches its URL again.
    (own_row,) = [c for c in captures(crawler) if c.warc_file == str(own.resolve())]
    assert own_row.id == "<urn:uuid:own>" and own_row.lost_at is not None
    _a_rows_intact(db_url, run_a, "running")  # host A's files are not this host's to judge


def test_a_reused_pid_is_not_the_holder_but_a_live_stuck_holder_keeps_its_lease(
        tmp_path: Path, db_url: str) -> None:
    _other_hosts_run(db_url, tmp_path / "warc", lease_for=timedelta(minutes=5))
    here, me = socket.gethostname(), os.getpid()
    with db.session_factory(db_url)() as session:
        # This pid, but a process that started at another time (a pid reused after a reboot).
        session.execute(update(Lease).values(host=here, pid=me, process_start="other-boot:1"))
        session.commit()
        assert live_lease(session) is None
        # This very process, past its expiry: stuck, not dead; a person must stop it.
        session.execute(update(Lease).values(process_start=process_start(me),
                                             expires_at=db.now() - timedelta(minutes=1)))
        session.commit()
        assert live_lease(session) is not None
    with pytest.raises(ArchiveBusy, match="expired, but the process is still running"):
        make_crawler(tmp_path, GOVCRAWL_DB_URL=db_url)


def test_a_stale_run_whose_pid_is_now_another_live_process_is_resumed(
        tmp_path: Path, db_url: str) -> None:
    # Review scenario 13: the run's process died and its pid now belongs to another program
    # (after a reboot, or just reused). Before the lease named its holder's start time, that
    # live pid made the run look alive, and every later start was refused.
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        run_a = _other_hosts_run(db_url, tmp_path / "warc", lease_for=timedelta(minutes=5))
        with db.session_factory(db_url)() as session:
            session.execute(update(Lease).values(host=socket.gethostname(), pid=other.pid,
                                                 process_start="the-dead-crawls-boot:1"))
            session.execute(update(CrawlRun).values(
                arguments={"pid": other.pid, "host": socket.gethostname()}))
            session.commit()
        crawler = make_crawler(tmp_path, GOVCRAWL_DB_URL=db_url, GOVCRAWL_RESUME=True)
        run = crawl_run(crawler)
        assert run.id == run_a and run.arguments["pid"] == os.getpid()
        lease = live_lease(session_of(crawler))
        assert lease is not None and lease.pid == os.getpid()
        assert other.poll() is None  # the other program was left alone
        close_crawler(crawler)
    finally:
        other.kill()
        other.wait()


_RACER = """
import os, sys, time
from pathlib import Path
from archive import db
from archive.lock import ArchiveBusy, hold_archive
url, folder, start, tried, racers = sys.argv[1:6]
engine = db.connect(url)
time.sleep(max(0.0, float(start) - time.time()))
try:
    hold = hold_archive(engine, "crawl", folder=folder)
except ArchiveBusy as exc:
    print("busy", exc)
    hold = None
else:
    print("held")
(Path(tried) / str(os.getpid())).touch()
if hold is not None:  # held until every racer has tried, however late it started
    deadline = time.time() + 60
    while len(list(Path(tried).iterdir())) < int(racers) and time.time() < deadline:
        time.sleep(0.05)
    hold.release()
"""


@pytest.mark.parametrize("share", ["database", "folder"])
def test_crawls_started_in_the_same_instant_let_exactly_one_in(
        tmp_path: Path, db_url: str, share: str) -> None:
    # Review scenario 13: "two crawls started within a second of each other" (cron and scrapyd,
    # two scrapyd jobs). Four processes take the archive at the same moment: one database and
    # four WARC folders, or one folder and four databases.
    start = time.time() + 3  # every process imported and connected by then
    tried = tmp_path / "tried"
    tried.mkdir()
    racers = []
    for n in range(4):
        url = db_url if share == "database" else f"sqlite:///{tmp_path / f'db{n}.sqlite'}"
        folder = tmp_path / ("warc" if share == "folder" else f"warc{n}")
        racers.append(subprocess.Popen(
            [sys.executable, "-c", _RACER, url, str(folder), str(start), str(tried), "4"],
            cwd=Path(__file__).parent.parent, stdout=subprocess.PIPE, text=True))
    outcomes = sorted(r.communicate(timeout=120)[0].strip().split(" ")[0] for r in racers)
    assert outcomes == ["busy", "busy", "busy", "held"]
    with db.session_factory(db_url)() as session:
        assert live_lease(session) is None  # and let go again


def test_import_and_reparse_are_refused_while_a_crawl_writes(
        tmp_path: Path, db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    crawler = make_crawler(tmp_path, GOVCRAWL_DB_URL=db_url)
    warc = tmp_path / "in.warc.gz"
    warc.write_bytes(b"")
    with pytest.raises(ArchiveBusy, match="database is in use by govcrawl crawl"):
        import_files(db_url, [str(warc)], workers=1)
    with pytest.raises(ArchiveBusy, match="database is in use by govcrawl crawl"):
        reparse(db_url, workers=1, progress=lambda done, total: None)
    # Another database but the crawl's folder to copy into: the folder is taken.
    with pytest.raises(ArchiveBusy, match="WARC folder"):
        import_files(f"sqlite:///{tmp_path / 'other.sqlite'}", [str(warc)],
                     copy_dir=str(tmp_path / "warc"), workers=1)
    for argv in (["import", str(warc), "--db", db_url], ["reparse", "--db", db_url]):
        assert cli.main(argv) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "in use by govcrawl crawl" in err[0], err
    assert _count(db_url, CrawlRun) == 1  # no import run row was made
    close_crawler(crawler)
    import_files(db_url, [str(warc)], workers=1)  # free once the crawl finished


def test_a_crawl_whose_lease_was_taken_stops_and_keeps_its_rows(
        tmp_path: Path, db_url: str) -> None:
    crawler = make_crawler(tmp_path, GOVCRAWL_DB_URL=db_url)
    reasons: list[str] = []
    engine: Any = crawler.engine
    engine.close_spider_async = lambda reason: reasons.append(reason)
    archive = archive_of(crawler)
    archive_response(crawler, PAGE, b"<html>x</html>", headers=HTML)
    archive.commit()
    # It stalled past its expiry and another host took the database over.
    with db.session_factory(db_url)() as session:
        session.execute(update(Lease).values(token="theirs", host="crawler-z",
                                             expires_at=db.now() + timedelta(minutes=5)))
        session.commit()
    archive_response(crawler, PAGE + "2.html", b"<html>y</html>", headers=HTML)
    archive.hold.lease._renewed = float("-inf")  # renewal due now
    archive.commit()
    assert reasons == ["lease_lost"]
    assert crawler.stats.get_value("govcrawl/lease_lost") == 1
    assert _count(db_url, Capture) == 2  # what it wrote is kept
    close_crawler(crawler)
    with db.session_factory(db_url)() as session:
        lease = session.get(Lease, "archive")
        assert lease is not None and lease.token == "theirs"  # the new holder's lease stays


def test_hold_archive_takes_nothing_when_the_database_is_busy(tmp_path: Path, db_url: str) -> None:
    engine = db.connect(db_url)
    held = WriterLease(engine, "import").acquire()
    with pytest.raises(ArchiveBusy):
        hold_archive(engine, "crawl", folder=tmp_path / "warc")
    FolderLock(tmp_path / "warc", "crawl").acquire().release()  # the folder was let go
    held.release()
    engine.dispose()
