"""The archive extension: the crawl-run row, batched capture rows, and the WARC file's life."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from archive import db
from archive.models import Capture, CrawlRun
from archive.recovery import ArchiveBusy, NothingToResume
from govcrawl.meta import CaptureMeta
from tests.crawl.helpers import (
    archive_of,
    archive_response,
    captures,
    close_crawler,
    crawl_run,
    db_url,
    make_crawler,
    problems,
    session_of,
    warc_records,
)

PAGE = "http://www.lueyang.gov.cn/zwgk/"
HTML = {"Content-Type": "text/html"}


def _rows_seen_from_outside(tmp_path: Path) -> int:
    with db.session_factory(db_url(tmp_path))() as session:
        return session.scalar(select(func.count()).select_from(Capture))


def test_finished_crawl_closes_its_warc_file_and_run_row(tmp_path: Path) -> None:
    crawler = make_crawler(tmp_path, GOVCRAWL_OPERATOR="archive team <team@example.org>")
    archive_response(crawler, PAGE, b"<html>x</html>", headers=HTML)
    archive_response(crawler, PAGE + "gone.html", b"", status=404)
    assert list((tmp_path / "warc").glob("*.open"))  # written under .open until closed
    close_crawler(crawler)
    assert not list((tmp_path / "warc").glob("*.open"))
    assert len(list((tmp_path / "warc").glob("*.warc.gz"))) == 1
    run = crawl_run(crawler)
    assert run.status == "finished" and run.finished_at is not None
    assert run.counts["captures"] == 2 and run.counts["fetched"] == 2
    assert {"pid", "host"} <= set(run.arguments)
    info, _ = next(warc_records(crawler))
    assert info.rec_type == "warcinfo"


def test_capture_rows_reach_the_database_in_batches_and_all_at_the_end(tmp_path: Path) -> None:
    crawler = make_crawler(tmp_path)
    archive_response(crawler, PAGE, b"<html>x</html>", headers=HTML)
    assert _rows_seen_from_outside(tmp_path) == 0  # pending in the batch
    close_crawler(crawler)
    assert _rows_seen_from_outside(tmp_path) == 1


def test_closing_twice_changes_nothing(tmp_path: Path) -> None:
    crawler = make_crawler(tmp_path)
    close_crawler(crawler)
    finished = crawl_run(crawler).finished_at
    close_crawler(crawler, "shutdown")
    assert crawl_run(crawler).status == "finished" and crawl_run(crawler).finished_at == finished


def test_stopped_run_is_marked_interrupted_by_the_next_crawl(tmp_path: Path) -> None:
    close_crawler(make_crawler(tmp_path), "shutdown")
    crawler = make_crawler(tmp_path)
    runs = session_of(crawler).scalars(select(CrawlRun).order_by(CrawlRun.id)).all()
    assert [(r.id, r.status) for r in runs] == [(1, "interrupted"), (2, "running")]


def test_second_crawl_on_a_busy_archive_is_refused(tmp_path: Path) -> None:
    make_crawler(tmp_path)  # running, in this (live) process
    with pytest.raises(ArchiveBusy):
        make_crawler(tmp_path)


def test_resume_without_an_interrupted_run_is_refused(tmp_path: Path) -> None:
    close_crawler(make_crawler(tmp_path))
    with pytest.raises(NothingToResume):
        make_crawler(tmp_path, GOVCRAWL_RESUME=True)


def test_failed_commit_keeps_capture_rows_for_the_next_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    crawler = make_crawler(tmp_path)
    archive = archive_of(crawler)
    request, _ = archive_response(crawler, PAGE, b"<html>x</html>", headers=HTML)
    session = session_of(crawler)
    real_commit = session.commit
    calls = []

    def failing_commit() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("COMMIT", {}, Exception("database is locked"))
        real_commit()
    monkeypatch.setattr(session, "commit", failing_commit)
    archive.commit()  # fails: logged and counted, not raised
    assert crawler.stats.get_value("govcrawl/problems/db_error") == 1
    archive.commit()
    assert [row.id for row in captures(crawler)] == [CaptureMeta.of(request).capture_id]


def test_over_long_server_headers_are_fitted_to_their_columns(tmp_path: Path) -> None:
    crawler = make_crawler(tmp_path)
    archive_response(crawler, PAGE, b"x", headers={
        "ETag": '"' + "e" * 400 + '"', "Last-Modified": "L" * 150,
        "Content-Type": "text/html; " + "p=1; " * 60})
    (row,) = captures(crawler)
    columns = Capture.__table__.c
    assert len(row.etag) <= columns.etag.type.length
    assert len(row.last_modified) <= columns.last_modified.type.length
    assert len(row.content_type) <= columns.content_type.type.length


def test_problems_are_counted_in_the_stats_and_the_run(tmp_path: Path) -> None:
    crawler = make_crawler(tmp_path)
    archive_of(crawler).problem("fetch_error", "TimeoutError: slow", url=PAGE)
    assert crawler.stats.get_value("govcrawl/problems/fetch_error") == 1
    assert [(p.kind, p.url, p.run_id) for p in problems(crawler)] == [
        ("fetch_error", PAGE, crawl_run(crawler).id)]
    close_crawler(crawler)
    assert crawl_run(crawler).counts["failed"] == 1
