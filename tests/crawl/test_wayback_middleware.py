"""WaybackMiddleware: requests go to the web archive's raw capture, answers come back under the
original URL."""

from __future__ import annotations

from pathlib import Path

from scrapy import Request

from govcrawl.discovery.plan import Role
from govcrawl.meta import CAPTURE_KEY, STEP_KEY, CaptureMeta, StepMeta
from govcrawl.middlewares import WaybackMiddleware
from tests.crawl.helpers import build, make_crawler, response

ARCHIVE = "http://archive.test"
PAGE = "http://www.lueyang.gov.cn/zwgk/zfxxgknb/index.html"
WAYBACK = {"GOVCRAWL_WAYBACK": True, "GOVCRAWL_ARCHIVE_URL": ARCHIVE,
           "GOVCRAWL_WAYBACK_TIMESTAMP": "20221231235959"}


def _middleware(tmp_path: Path, **settings) -> WaybackMiddleware | None:
    return build(WaybackMiddleware, make_crawler(tmp_path, **{**WAYBACK, **settings}))


def test_request_is_rewritten_to_the_raw_capture_nearest_the_target_time(tmp_path: Path) -> None:
    middleware = _middleware(tmp_path)
    step = StepMeta(site_url="http://www.lueyang.gov.cn/", role=Role.COLUMN, hops=1)
    request = Request(PAGE, meta=step.as_meta(), priority=20)
    rewritten = middleware.process_request(request)
    assert rewritten.url == f"{ARCHIVE}/web/20221231235959id_/{PAGE}"
    assert rewritten.meta == {STEP_KEY: step, CAPTURE_KEY: CaptureMeta(wayback=True)}
    assert rewritten.priority == 20 and rewritten.callback == request.callback


def test_a_timestamp_from_the_cdx_answer_wins_over_the_target_time(tmp_path: Path) -> None:
    middleware = _middleware(tmp_path)
    rewritten = middleware.process_request(Request(PAGE, meta=StepMeta(site_url=PAGE, wayback_ts="20190305").as_meta()))
    assert rewritten.url == f"{ARCHIVE}/web/20190305id_/{PAGE}"


def test_requests_to_the_archive_itself_are_left_alone(tmp_path: Path) -> None:
    middleware = _middleware(tmp_path)
    for url in (f"{ARCHIVE}/cdx/search/cdx?url=lueyang.gov.cn",
                f"{ARCHIVE}/web/2022id_/{PAGE}"):
        assert middleware.process_request(Request(url)) is None


def test_answer_is_mapped_back_to_the_original_url_with_its_capture_time(tmp_path: Path) -> None:
    middleware = _middleware(tmp_path)
    request = middleware.process_request(Request(PAGE))
    # The archive redirected to its nearest capture; the final answer is that capture.
    answer = response(f"{ARCHIVE}/web/20210304050607id_/{PAGE}", b"<html></html>",
                      headers={"Content-Type": "text/html"}, request=request)
    page = middleware.process_response(request, answer)
    assert page.url == PAGE and page.body == b"<html></html>"
    assert CaptureMeta.of(request).archived_at == "2021-03-04T05:06:07+00:00"


def test_captured_url_without_scheme_is_read_as_http(tmp_path: Path) -> None:
    middleware = _middleware(tmp_path)
    request = middleware.process_request(Request(PAGE))
    answer = response(f"{ARCHIVE}/web/2021id_/www.lueyang.gov.cn/", b"", request=request)
    assert middleware.process_response(request, answer).url == "http://www.lueyang.gov.cn/"


def test_archive_redirects_and_foreign_answers_pass_unchanged(tmp_path: Path) -> None:
    middleware = _middleware(tmp_path)
    request = middleware.process_request(Request(PAGE))
    hop = response(request.url, status=302, request=request,
                   headers={"Location": f"{ARCHIVE}/web/20210304050607id_/{PAGE}"})
    assert middleware.process_response(request, hop) is hop  # followed by the redirect middleware
    odd = response(f"{ARCHIVE}/about", b"", request=request)
    assert middleware.process_response(request, odd) is odd
    live = Request(PAGE)
    plain = response(PAGE, b"", request=live)
    assert middleware.process_response(live, plain) is plain and CaptureMeta.peek(live) is None


def test_live_crawl_sends_nothing_to_the_archive(tmp_path: Path) -> None:
    crawler = make_crawler(tmp_path, GOVCRAWL_ARCHIVE_URL=ARCHIVE)
    middleware = build(WaybackMiddleware, crawler)  # None: NotConfigured
    assert middleware is None or middleware.process_request(Request(PAGE)) is None
