"""ResumeReplayMiddleware: a resumed run answers what it fetched before the stop from its WARC."""

from __future__ import annotations

from pathlib import Path

from scrapy import Request

from archive.reindex import capture_rows
from govcrawl.meta import CaptureMeta
from govcrawl.middlewares import ResumeReplayMiddleware
from tests.crawl.helpers import (
    archive_response,
    build,
    captures,
    close_crawler,
    crawl_run,
    earlier_crawl,
    gzipped,
    make_crawler,
    problems,
)

HOME = "http://www.lueyang.gov.cn/"
COLUMN = "http://www.lueyang.gov.cn/zwgk/zfxxgknb/"
REPORT = "http://www.lueyang.gov.cn/zwgk/zfxxgknb/202301/t20230128_1500123.html"
HTML = {"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip"}
BODY = gzipped("<html><body>年度报告</body></html>".encode())


def _resumed(tmp_path: Path, pages=((COLUMN, BODY, HTML),)):
    ids = earlier_crawl(tmp_path, pages, reason="shutdown")  # stopped mid-run
    crawler = make_crawler(tmp_path, GOVCRAWL_RESUME=True)
    return crawler, build(ResumeReplayMiddleware, crawler), ids


def test_page_fetched_before_the_stop_is_answered_from_the_archive(tmp_path: Path) -> None:
    crawler, middleware, ids = _resumed(tmp_path)
    request = Request(COLUMN)
    replayed = middleware.process_request(request)
    assert (replayed.url, replayed.status, replayed.body) == (COLUMN, 200, BODY)
    assert replayed.headers[b"Content-Encoding"] == b"gzip"  # raw, decompressed downstream
    assert replayed.flags == ["from_archive"] and replayed.request is request
    assert CaptureMeta.of(request).capture_id == ids[COLUMN]
    assert crawler.stats.get_value("govcrawl/replayed_from_archive") == 1


def test_replayed_answer_is_not_archived_again_in_the_resumed_run(tmp_path: Path) -> None:
    crawler, middleware, ids = _resumed(tmp_path)
    request = Request(COLUMN)
    replayed = middleware.process_request(request)
    archive_response(crawler, COLUMN, replayed.body, headers=HTML, request=request,
                     flags=replayed.flags)  # the answer goes through the WARC middleware
    assert [row.id for row in captures(crawler)] == [ids[COLUMN]]
    assert crawl_run(crawler).id == captures(crawler)[0].run_id  # the stopped run goes on


def test_revisit_captured_before_the_stop_replays_its_original_flagged_unchanged(
        tmp_path: Path) -> None:
    first = earlier_crawl(tmp_path, [(REPORT, BODY, HTML)])  # a finished run: the original
    crawler, middleware, _ = _resumed(tmp_path, [(REPORT, BODY, HTML)])  # revisit, then stop
    request = Request(REPORT)
    replayed = middleware.process_request(request)
    assert replayed.flags == ["from_archive", "unchanged"] and replayed.body == BODY
    assert CaptureMeta.of(request).capture_id == first[REPORT]  # the record holding the payload


def test_pages_not_fetched_before_the_stop_are_downloaded(tmp_path: Path) -> None:
    _, middleware, _ = _resumed(tmp_path)
    for request in (Request(HOME), Request(COLUMN, method="POST")):
        assert middleware.process_request(request) is None


def test_a_new_run_replays_nothing(tmp_path: Path) -> None:
    earlier_crawl(tmp_path, [(COLUMN, BODY, HTML)], reason="shutdown")
    crawler = make_crawler(tmp_path)  # not resuming: the stopped run is only marked interrupted
    middleware = build(ResumeReplayMiddleware, crawler)  # None: NotConfigured
    assert middleware is None or middleware.process_request(Request(COLUMN)) is None
    assert crawl_run(crawler).id == 2


def test_unreadable_archived_copy_is_recorded_and_fetched_again(tmp_path: Path) -> None:
    crawler, middleware, _ = _resumed(tmp_path)
    for path in (tmp_path / "warc").glob("*.warc.gz"):
        path.unlink()
    assert middleware.process_request(Request(COLUMN)) is None
    (problem,) = problems(crawler, "archive_read_error")
    assert problem.url == COLUMN and "fetching again" in problem.message


def test_resumed_run_adds_its_counts_to_the_stopped_run(tmp_path: Path) -> None:
    crawler, _, _ = _resumed(tmp_path)
    archive_response(crawler, HOME, b"<html></html>", headers={"Content-Type": "text/html"})
    close_crawler(crawler)
    run = crawl_run(crawler)
    assert run.status == "finished" and len(run.arguments["resumed"]) == 1
    assert run.counts["captures"] == 2 and run.counts["fetched"] == 2


API = "http://www.binchuan.gov.cn/trs/search/list2.trsapi"
JSON = {"Content-Type": "application/json"}


def _posts(tmp_path: Path, pages: dict[bytes, bytes]) -> None:
    """A run that POSTed each form (key) to API, answered with its value, then stopped."""
    crawler = make_crawler(tmp_path)
    for form, answer in pages.items():
        archive_response(crawler, API, answer, headers=JSON,
                         request=Request(API, method="POST", body=form))
    close_crawler(crawler, "shutdown")


def test_posts_are_replayed_by_their_body(tmp_path: Path) -> None:
    # A script-built list's pages: one URL, one POST per page, told apart by the form only.
    _posts(tmp_path, {b"page=1": b'{"page": 1}', b"page=2": b'{"page": 2}'})
    crawler = make_crawler(tmp_path, GOVCRAWL_RESUME=True)
    middleware = build(ResumeReplayMiddleware, crawler)
    for page in (1, 2):
        replayed = middleware.process_request(Request(API, method="POST", body=f"page={page}"))
        assert replayed.body == f'{{"page": {page}}}'.encode()
    for request in (Request(API, method="POST", body=b"page=3"), Request(API),
                    Request(API, method="PUT", body=b"page=1")):
        assert middleware.process_request(request) is None  # not fetched before the stop
    digests = {row.request_digest for row in captures(crawler)}
    assert len(digests) == 2 and all(d.startswith("sha1:") for d in digests)


def test_a_page_fetched_under_another_form_is_replayed(tmp_path: Path) -> None:
    crawler, middleware, ids = _resumed(tmp_path)
    request = Request(COLUMN.replace("http://", "https://"))
    replayed = middleware.process_request(request)
    assert replayed is not None and replayed.url == request.url and replayed.body == BODY
    assert CaptureMeta.of(request).capture_id == ids[COLUMN]


def test_rows_rebuilt_from_the_warc_keep_the_request_digest(tmp_path: Path) -> None:
    # A kill can leave records without their rows: the repair rebuilds them from the WARC, and a
    # POST's row must be found by its body then too.
    _posts(tmp_path, {b"page=1": b"{}"})
    (path,) = (tmp_path / "warc").glob("*.warc.gz")
    (row,) = capture_rows(path)
    (stored,) = captures(make_crawler(tmp_path))
    assert (row["method"], row["request_digest"], row["url_key"]) == (
        "POST", stored.request_digest, API)
