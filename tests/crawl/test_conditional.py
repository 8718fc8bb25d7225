"""ConditionalRequestMiddleware: re-crawls ask with the last capture's validators; a 304 is
answered with the archived page."""

from __future__ import annotations

from pathlib import Path

from scrapy import Request
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.http import HtmlResponse, Response

from archive.warc import SERVER_NOT_MODIFIED
from govcrawl.meta import CAPTURE_KEY, CaptureMeta, StepMeta
from govcrawl.middlewares import ConditionalRequestMiddleware
from tests.crawl.helpers import (
    archive_response,
    build,
    captures,
    close_crawler,
    earlier_crawl,
    gzipped,
    make_crawler,
    problems,
    warc_records,
)

PAGE = "http://www.lueyang.gov.cn/zwgk/zfxxgknb/"
BODY = gzipped("<html><body>年度报告目录</body></html>".encode())
LAST_MODIFIED = "Mon, 01 Jan 2024 00:00:00 GMT"
VALIDATED = {"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip",
             "ETag": '"v1"', "Last-Modified": LAST_MODIFIED}


def _recrawl(tmp_path: Path, headers: dict = VALIDATED, **settings):
    ids = earlier_crawl(tmp_path, [(PAGE, BODY, headers)])
    crawler = make_crawler(tmp_path, **settings)
    return crawler, build(ConditionalRequestMiddleware, crawler), ids[PAGE]


def test_request_carries_the_validators_of_the_last_capture(tmp_path: Path) -> None:
    _, middleware, _ = _recrawl(tmp_path)
    request = Request(PAGE)
    assert middleware.process_request(request) is None
    assert request.headers[b"If-None-Match"] == b'"v1"'
    assert request.headers[b"If-Modified-Since"] == LAST_MODIFIED.encode()
    assert CaptureMeta.of(request).conditional is True


def test_only_the_validators_the_server_gave_are_sent(tmp_path: Path) -> None:
    _, middleware, _ = _recrawl(tmp_path, {"Content-Type": "text/html", "ETag": '"v1"'})
    request = Request(PAGE)
    middleware.process_request(request)
    assert request.headers[b"If-None-Match"] == b'"v1"' and b"If-Modified-Since" not in request.headers


def test_page_never_captured_or_without_validators_is_asked_for_plainly(tmp_path: Path) -> None:
    _, middleware, _ = _recrawl(tmp_path, {"Content-Type": "text/html"})
    for request in (Request(PAGE), Request(PAGE + "other.html")):
        middleware.process_request(request)
        assert b"If-None-Match" not in request.headers and CaptureMeta.peek(request) in (None, CaptureMeta())


def test_post_and_no_conditional_requests_get_no_validators(tmp_path: Path) -> None:
    _, middleware, _ = _recrawl(tmp_path)
    for request in (Request(PAGE, method="POST"), Request(PAGE, meta={CAPTURE_KEY: CaptureMeta(no_conditional=True)})):
        middleware.process_request(request)
        assert b"If-None-Match" not in request.headers


def test_full_crawl_and_conditional_off_send_no_validators(tmp_path: Path) -> None:
    earlier_crawl(tmp_path, [(PAGE, BODY, VALIDATED)])
    for settings in ({"GOVCRAWL_FULL": True}, {"GOVCRAWL_CONDITIONAL": False}):
        crawler = make_crawler(tmp_path, **settings)
        middleware = build(ConditionalRequestMiddleware, crawler)  # None: NotConfigured
        if middleware is not None:
            request = Request(PAGE)
            middleware.process_request(request)
            assert b"If-None-Match" not in request.headers
        close_crawler(crawler)


def test_not_modified_comes_back_as_the_archived_page_flagged_unchanged(tmp_path: Path) -> None:
    crawler, middleware, original = _recrawl(tmp_path)
    request = Request(PAGE)
    middleware.process_request(request)
    # Downloader side first (priority 950): the 304 is archived as a revisit of the original.
    request, answer = archive_response(crawler, PAGE, b"", status=304,
                                       headers={"ETag": '"v1"'}, request=request)
    page = middleware.process_response(request, answer)
    # Still gzip, so a plain Response, as the downloader gives it (decompression makes it HTML).
    assert type(page) is Response
    assert (page.url, page.status, page.body) == (PAGE, 200, BODY)  # raw, still gzip
    assert page.headers[b"Content-Encoding"] == b"gzip"
    assert page.flags == ["unchanged", "not_modified"]
    assert page.request is request and CaptureMeta.of(request).capture_id == original
    revisit = [row for row in captures(crawler, PAGE) if row.run_id != captures(crawler)[0].run_id]
    assert [(row.status, row.record_type, row.refers_to) for row in revisit] == [
        (304, "revisit", original)]
    close_crawler(crawler)
    profiles = [record.rec_headers.get_header("WARC-Profile")
                for record, _ in warc_records(crawler) if record.rec_type == "revisit"]
    assert profiles == [SERVER_NOT_MODIFIED]


def test_unreadable_archived_copy_refetches_without_validators(tmp_path: Path) -> None:
    crawler, middleware, _ = _recrawl(tmp_path)
    for path in (tmp_path / "warc").glob("*.warc.gz"):
        path.write_bytes(b"")  # the earlier WARC file lost its records
    request = Request(PAGE, meta=StepMeta(site_url="http://www.lueyang.gov.cn/").as_meta())
    middleware.process_request(request)
    again = middleware.process_response(request, archive_response(
        crawler, PAGE, b"", status=304, request=request)[1])
    assert isinstance(again, Request) and again.url == PAGE and again.dont_filter
    assert b"If-None-Match" not in again.headers and b"If-Modified-Since" not in again.headers
    assert CaptureMeta.of(again).no_conditional is True and CaptureMeta.of(again).conditional is False
    assert StepMeta.of(again).site_url == "http://www.lueyang.gov.cn/"  # the rest of meta kept
    (problem,) = problems(crawler, "archive_read_error")
    assert problem.url == PAGE and "without validators" in problem.message
    middleware.process_request(again)  # and it goes out plain this time
    assert b"If-None-Match" not in again.headers


def test_answers_other_than_a_conditional_304_pass_through(tmp_path: Path) -> None:
    crawler, middleware, _ = _recrawl(tmp_path)
    asked = Request(PAGE)
    middleware.process_request(asked)
    changed = archive_response(crawler, PAGE, b"new", headers={"Content-Type": "text/html"},
                               request=asked)[1]
    assert middleware.process_response(asked, changed) is changed
    plain = Request(PAGE + "x.html")
    not_modified = archive_response(crawler, plain.url, status=304, request=plain)[1]
    assert middleware.process_response(plain, not_modified) is not_modified


def test_archived_answer_is_decompressed_downstream_like_a_downloaded_one(tmp_path: Path) -> None:
    crawler, middleware, _ = _recrawl(tmp_path)
    request = Request(PAGE)
    middleware.process_request(request)
    page = middleware.process_response(request, archive_response(
        crawler, PAGE, status=304, request=request)[1])
    decoded = build(HttpCompressionMiddleware, crawler).process_response(request, page)
    assert isinstance(decoded, HtmlResponse) and "年度报告目录" in decoded.text
    assert "unchanged" in decoded.flags


def test_validators_survive_a_304_that_omits_them(tmp_path: Path) -> None:
    crawler, middleware, _ = _recrawl(tmp_path, {"Content-Type": "text/html",
                                                 "Last-Modified": LAST_MODIFIED})
    request = Request(PAGE)
    middleware.process_request(request)
    archive_response(crawler, PAGE, status=304, request=request,
                     headers={"Date": "Tue, 02 Jan 2024 00:00:00 GMT"})
    close_crawler(crawler)
    third = make_crawler(tmp_path)
    request = Request(PAGE)
    build(ConditionalRequestMiddleware, third).process_request(request)
    assert request.headers.get(b"If-Modified-Since") == LAST_MODIFIED.encode()


def test_a_page_first_fetched_under_another_form_is_asked_for_conditionally(
        tmp_path: Path) -> None:
    # Captured as https://…, linked now as http://…:80/: one resource (URL key), one archive copy.
    https = PAGE.replace("http://", "https://")
    earlier_crawl(tmp_path, [(https, BODY, VALIDATED)])
    crawler = make_crawler(tmp_path)
    middleware = build(ConditionalRequestMiddleware, crawler)
    request = Request(PAGE.replace(".gov.cn/", ".gov.cn:80/"))
    middleware.process_request(request)
    assert request.headers[b"If-None-Match"] == b'"v1"'
    request, answer = archive_response(crawler, request.url, b"", status=304,
                                       headers={"ETag": '"v1"'}, request=request)
    page = middleware.process_response(request, answer)
    assert (page.url, page.status, page.body) == (request.url, 200, BODY)
    # The revisit record names the URL as requested and refers to the https capture.
    close_crawler(crawler)
    (revisit,) = [r for r, _ in warc_records(crawler) if r.rec_type == "revisit"]
    assert revisit.rec_headers.get_header("WARC-Target-URI") == request.url
    assert revisit.rec_headers.get_header("WARC-Refers-To-Target-URI") == https
