"""Durability order (review L2, scenario 16): the WARC bytes a database commit refers to are on
disk before the commit, and a power loss that cuts a WARC file below what the database had
committed loses no row: the repair keeps the rows and flags them lost, the next crawl fetches
their pages whole again, and ``govcrawl verify`` is clean afterwards. On SQLite and PostgreSQL.

Each test failed before: nothing was synced before a commit; the repair deleted the rows (or,
after a run that had finished, did not look at them) and nulled the reports' captures; the
priors offered a lost capture's validators, so nothing was fetched again."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.crawler import Crawler
from sqlalchemy import event, func, select, update

import archive.warc
from archive import db
from archive.models import Capture, CrawlRun, Problem, Report, ReportVersion
from archive.priors import load_priors
from archive.warc import OPEN_SUFFIX
from govcrawl.discovery.plan import Role
from govcrawl.meta import CaptureMeta, StepMeta
from simweb import SimulatedWeb, build_test_web
from tests.archive_dbs import BACKENDS, database
from tests.conftest import crawl, run_cli
from tests.crawl.helpers import (
    LUEYANG,
    archive_of,
    archive_response,
    close_all,
    close_crawler,
    fixture_page,
    html_response,
    make_crawler,
    make_spider,
    session_of,
    spider_request,
)
from tests.crawl.helpers import db_url as db_url_of

PAGE = "http://www.lueyang.gov.cn/zwgk/"
HTML = {"Content-Type": "text/html", "ETag": '"v1"', "Last-Modified": "Fri, 01 Mar 2024 08:00:00 GMT"}


@pytest.fixture(autouse=True)
def _close_crawlers() -> Iterator[None]:
    yield
    close_all()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with database(request.param, tmp_path) as url:
        yield url
        close_all()  # while their database is still there


def _body(i: int) -> bytes:
    return f"<html><body>page {i} ".encode() + os.urandom(2000).hex().encode() + b"</body></html>"


# -- (a) the WARC on disk before the commit ---------------------------------------------------------
def test_each_commit_puts_the_records_it_refers_to_on_disk_first(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[tuple[str, int]] = []
    real = archive.warc._datasync

    def datasync(fd: int) -> None:
        real(fd)
        events.append(("sync", os.fstat(fd).st_size))

    monkeypatch.setattr(archive.warc, "_datasync", datasync)
    crawler = make_crawler(tmp_path)
    archive_ext = archive_of(crawler)

    def on_commit(_session: object) -> None:
        path = archive_ext.writer.current_path
        size = os.stat(str(path) + OPEN_SUFFIX).st_size if path is not None else 0
        events.append(("commit", size))

    event.listen(session_of(crawler), "before_commit", on_commit)
    for i in range(3):
        archive_response(crawler, f"{PAGE}{i}.html", _body(i), headers=HTML)
    archive_ext.commit()
    archive_ext.commit()  # nothing new written: no second sync
    archive_response(crawler, f"{PAGE}3.html", _body(3), headers=HTML)
    archive_ext.commit()
    synced = 0
    for what, size in events:
        if what == "sync":
            assert size > synced, events  # one sync per batch of new records, none for nothing
            synced = size
        else:  # every byte of the file is on disk when the database commits
            assert size == synced, events
    assert events[-1] == ("commit", synced) and synced > 0
    assert [e[0] for e in events].count("sync") <= 4, events
    close_crawler(crawler)


# -- (b) rows kept, flagged lost; fetched again -----------------------------------------------------
def _power_loss(url: str, warc_dir: Path, cut_below: str, *, run_status: str | None) -> Path:
    """What a power loss leaves: the newest WARC file cut inside the record of capture
    ``cut_below`` (its bytes, and what followed, never reached the disk), under its ``.open``
    name; the run ``run_status`` (None: as it was)."""
    with db.session_factory(url)() as session:
        row = session.get(Capture, cut_below)
        assert row is not None
        path = Path(row.warc_file)
        if run_status is not None:
            session.execute(update(CrawlRun).where(CrawlRun.id == row.run_id)
                            .values(status=run_status, finished_at=None))
            session.commit()
        cut = row.warc_offset + row.warc_length // 2
    os.truncate(path, cut)
    os.replace(path, str(path) + OPEN_SUFFIX)
    return path


@pytest.mark.parametrize("run_status", ["running", None])
def test_repair_keeps_and_flags_rows_whose_records_a_power_loss_cut_off(
        tmp_path: Path, db_url: str, run_status: str | None) -> None:
    crawler = make_crawler(tmp_path, GOVCRAWL_DB_URL=db_url)
    ids = []
    for i in range(6):
        request, _ = archive_response(crawler, f"{PAGE}{i}.html", _body(i), headers=HTML)
        ids.append(CaptureMeta.of(request).capture_id)
    close_crawler(crawler)
    with db.session_factory(db_url)() as session:
        report = Report(url=f"{PAGE}5.html", capture_id=ids[5], text="x", first_seen=db.now(),
                        last_seen=db.now())
        report.versions.append(ReportVersion(capture_id=ids[5], text_digest="d", text="x",
                                             seen_at=db.now(), last_seen_at=db.now()))
        session.add(report)
        session.commit()
    # Records 3, 4 and 5 were flushed, not on disk, when the power went (None: the run had
    # finished, its last rows committed, but the file's rename had not reached the disk).
    _power_loss(db_url, tmp_path / "warc", ids[3], run_status=run_status)

    again = make_crawler(tmp_path, GOVCRAWL_DB_URL=db_url)  # the next crawl repairs first
    session = session_of(again)
    rows = {c.id: c for c in session.scalars(select(Capture))}
    assert set(ids) <= set(rows)  # no row deleted
    assert [rows[i].lost_at is not None for i in ids] == [False] * 3 + [True] * 3
    report = session.scalars(select(Report)).one()
    assert report.capture_id == ids[5] and report.versions[0].capture_id == ids[5]  # kept
    lost = session.scalars(select(Problem).where(Problem.kind == "capture_lost")).all()
    assert sorted(p.url for p in lost) == [f"{PAGE}{i}.html" for i in (3, 4, 5)]
    # Lost captures are not had: no validators from them, the pages are fetched whole.
    priors = archive_of(again).priors
    assert [priors.get(f"{PAGE}{i}.html") is None for i in range(6)] == [False] * 3 + [True] * 3
    close_crawler(again)
    # The repair happens once: a later start finds nothing new to flag.
    close_crawler(make_crawler(tmp_path, GOVCRAWL_DB_URL=db_url))
    with db.session_factory(db_url)() as session:
        assert session.scalar(select(func.count()).select_from(Problem)
                              .where(Problem.kind == "capture_lost")) == 3


def test_a_lost_capture_gives_way_to_the_urls_capture_before_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.sqlite'}"
    with db.session_factory(url)() as session:
        start = db.now()
        for i, lost in enumerate((None, start)):
            session.add(Capture(id=f"<urn:uuid:{i}>", url=PAGE, status=200, etag=f'"e{i}"',
                                fetched_at=start + timedelta(minutes=i), warc_file="/x.warc.gz",
                                warc_offset=i * 100, warc_length=100, lost_at=lost))
        session.commit()
        prior = load_priors(session)[PAGE]
        assert (prior.capture_id, prior.etag) == ("<urn:uuid:0>", '"e0"')


def test_an_unchanged_list_is_walked_on_while_a_stored_report_is_lost(tmp_path: Path) -> None:
    # Every report linked from the column is archived and intact, but a report stored from a
    # capture a crash cut off may sit on an older list page: the early stop would never reach it.
    column = "http://www.lueyang.gov.cn/zwgk/zfxxgknb/index.html"

    def walk(crawler: Crawler) -> list[Request]:
        request = spider_request(column, LUEYANG, Role.COLUMN, hops=1)
        return list(make_spider(crawler, site=LUEYANG).parse_page(html_response(
            column, fixture_page("column_trs.html"), request=request,
            flags=["unchanged", "not_modified"])))

    crawler = make_crawler(tmp_path)
    reports = [r.url for r in walk(crawler) if StepMeta.of(r).role is Role.REPORT]
    for url in reports:
        archive_response(crawler, url, b"<html>report</html>", headers=HTML)
    request, _ = archive_response(crawler, f"{PAGE}older.html", b"<html>older</html>", headers=HTML)
    close_crawler(crawler)
    lost = CaptureMeta.of(request).capture_id
    with db.session_factory(db_url_of(tmp_path))() as session:
        session.add(Report(url=f"{PAGE}older.html", capture_id=lost, text="x",
                           first_seen=db.now(), last_seen=db.now()))
        session.commit()
    crawler = make_crawler(tmp_path)
    assert [StepMeta.of(r).role for r in walk(crawler)].count(Role.LIST) == 0  # early stop
    close_crawler(crawler)
    with db.session_factory(db_url_of(tmp_path))() as session:
        session.execute(update(Capture).where(Capture.id == lost).values(lost_at=db.now()))
        session.commit()
    crawler = make_crawler(tmp_path)
    assert [StepMeta.of(r).role for r in walk(crawler)].count(Role.LIST) == 4
    close_crawler(crawler)


def test_an_old_database_gains_the_lost_flag(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    db.connect(f"sqlite:///{path}").dispose()
    with sqlite3.connect(path) as conn:
        conn.execute("ALTER TABLE captures DROP COLUMN lost_at")
    db.connect(f"sqlite:///{path}").dispose()
    with sqlite3.connect(path) as conn:
        assert "lost_at" in {r[1] for r in conn.execute("PRAGMA table_info(captures)")}


# -- scenario 16, end to end ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def web() -> Iterator[SimulatedWeb]:
    web = build_test_web()
    web.retry_after = 0  # the 503 is retried at once (see conftest.test_web)
    with web:
        yield web


def test_power_loss_below_committed_rows_then_the_next_crawl_fetches_the_lost_pages_again(
        tmp_path: Path, db_url: str, web: SimulatedWeb) -> None:
    web.reset()
    first = crawl(web, tmp_path, db_url=db_url)
    assert first.returncode == 0, first.stderr[-3000:]
    with db.session_factory(db_url)() as session:
        assert len(session.scalars(select(Capture.warc_file).distinct()).all()) == 1
        rows = session.execute(select(Capture.id, Capture.url, Capture.warc_offset)
                               .order_by(Capture.warc_offset)).all()
        cut_row = rows[len(rows) // 2]
        cut_urls = {r.url for r in rows if r.warc_offset >= cut_row.warc_offset}
        lost_reports = dict(session.execute(
            select(Report.id, Report.url).join(Capture, Capture.id == Report.capture_id)
            .where(Capture.warc_offset >= cut_row.warc_offset)).all())
        before = session.scalar(select(func.count()).select_from(Capture))
    assert len(lost_reports) >= 3  # the test means something
    _power_loss(db_url, tmp_path / "warc", cut_row.id, run_status="running")

    web.reset()
    second = crawl(web, tmp_path, db_url=db_url)
    assert second.returncode == 0, second.stderr[-3000:]
    with db.session_factory(db_url)() as session:
        first_rows = session.execute(select(Capture.id, Capture.lost_at).where(
            Capture.id.in_([r.id for r in rows]))).all()
        assert len(first_rows) == before  # every row kept
        lost = {r.id for r in first_rows if r.lost_at is not None}
        assert lost == {r.id for r in rows if r.warc_offset >= cut_row.warc_offset}
        assert session.scalar(select(func.count()).select_from(Problem).where(
            Problem.kind == "capture_lost")) == len(lost)
        second_run = session.scalar(select(func.max(CrawlRun.id)))
        # Each report whose capture was lost is stored again from a capture of the new run.
        for report_id, url in lost_reports.items():
            capture = session.scalars(select(Capture).join(Report, Report.capture_id == Capture.id)
                                      .where(Report.id == report_id)).one()
            assert capture.lost_at is None and capture.run_id == second_run, url
            assert capture.record_type == "response", url
    # ... fetched whole: asked without validators, answered 200.
    asked = {r.url: r for r in web.request_log if r.method == "GET"}
    for url in lost_reports.values():
        request = asked[url]
        assert request.status == 200, url
        assert not {"if-none-match", "if-modified-since"} & {k.lower() for k in request.headers}
    refetched = {u for u in cut_urls if u in asked and asked[u].status == 200}
    assert set(lost_reports.values()) <= refetched
    verify = run_cli(["verify", "--db", db_url, "--warc-dir", str(tmp_path / "warc")], tmp_path,
                     None)
    assert verify.returncode == 0, verify.stdout[-3000:]
    assert "cut off by a crash were fetched again since" in verify.stdout
