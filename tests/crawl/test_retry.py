"""BackoffRetryMiddleware: exponential backoff, Retry-After honoured; the wait is a hold on the
host's download slot (HostPace), never a sleep in the middleware; AutoThrottle cannot undo a
host's slow-down."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import TypeVar

import pytest
from scrapy import Request, signals
from scrapy.core.downloader import Downloader
from scrapy.extensions.throttle import AutoThrottle
from scrapy.http import Response
from scrapy.utils.test import get_crawler
from twisted.internet.error import TimeoutError as TwistedTimeout

from govcrawl.middlewares import (
    BackoffRetryMiddleware,
    HostPace,
    hold_host,
    retry_after_seconds,
    slow_down_host,
)
from tests.crawl.helpers import build, make_crawler, make_spider, response

T = TypeVar("T")
PAGE = "http://www.lueyang.gov.cn/zwgk/"
OTHER_HOST = "http://www.yunhe.gov.cn/"


@pytest.fixture
def crawler(tmp_path: Path):
    crawler = make_crawler(tmp_path, GOVCRAWL_RETRY_BACKOFF_BASE=2.0,
                           GOVCRAWL_RETRY_BACKOFF_MAX=120.0, RETRY_TIMES=3)
    make_spider(crawler, site="http://www.lueyang.gov.cn/", start=False)
    return crawler


@pytest.fixture
def middleware(crawler, monkeypatch: pytest.MonkeyPatch) -> BackoffRetryMiddleware:
    monkeypatch.setattr(random, "uniform", lambda low, high: high)  # no jitter
    return build(BackoffRetryMiddleware, crawler)


@pytest.fixture
def no_sleeping(monkeypatch: pytest.MonkeyPatch) -> None:
    """A middleware that sleeps holds a downloader slot for the whole wait (review finding M4)."""
    async def sleep(seconds: float) -> None:
        raise AssertionError(f"slept {seconds} s inside the downloader")
    monkeypatch.setattr(asyncio, "sleep", sleep)


def in_crawl(call: Callable[[], T]) -> T:
    """``call()`` as the crawl makes it: on the reactor's running event loop (a hold sets a timer)."""
    async def run() -> T:
        return call()
    return asyncio.run(run())


def _slot_delay(crawler, url: str) -> float:
    return crawler.engine.downloader.slot(url).delay


def _held_for(crawler, url: str) -> float:
    """Seconds from now until the hold on ``url``'s host ends (0: not held)."""
    until = HostPace.of(crawler).held_until(Request(url))
    return 0.0 if until is None else until - time.monotonic()


# -- how long ---------------------------------------------------------------------------------

def test_backoff_doubles_with_each_retry_up_to_the_maximum(middleware) -> None:
    delays = [middleware.backoff(Request(PAGE, meta={"retry_times": n})) for n in range(8)]
    assert delays == [2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 120.0, 120.0]


def test_backoff_is_jittered_between_half_and_all_of_it(
        crawler, monkeypatch: pytest.MonkeyPatch) -> None:
    middleware = build(BackoffRetryMiddleware, crawler)
    delays = {middleware.backoff(Request(PAGE, meta={"retry_times": 2})) for _ in range(50)}
    assert all(4.0 <= d <= 8.0 for d in delays) and len(delays) > 1


def test_retry_after_seconds_is_honoured(middleware) -> None:
    answer = response(PAGE, status=429, headers={"Retry-After": "45"})
    assert middleware.backoff(Request(PAGE), answer) == 45.0


def test_retry_after_http_date_is_honoured(middleware) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    answer = response(PAGE, status=503, headers={"Retry-After": when})
    delay = middleware.backoff(Request(PAGE), answer)
    assert 28.0 <= delay <= 30.0 and retry_after_seconds(when) <= 30.0


def test_retry_after_is_capped_at_the_backoff_maximum(middleware) -> None:
    answer = response(PAGE, status=503, headers={"Retry-After": "86400"})
    assert middleware.backoff(Request(PAGE), answer) == 120.0


def test_missing_or_unreadable_retry_after_and_other_statuses_use_the_backoff(middleware) -> None:
    assert middleware.backoff(Request(PAGE), response(
        PAGE, status=503, headers={"Retry-After": "soon"})) == 2.0
    assert middleware.backoff(Request(PAGE), response(
        PAGE, status=500, headers={"Retry-After": "60"})) == 2.0
    assert middleware.backoff(Request(PAGE), response(PAGE, status=429)) == 2.0


NOW = datetime(2035, 10, 21, 7, 27, 0, tzinfo=UTC)


@pytest.mark.parametrize(("value", "seconds"), [
    (b"120", 120.0),
    (b"  7 ", 7.0),
    (b"Wed, 21 Oct 2035 07:28:00 GMT", 60.0),  # IMF-fixdate
    (b"Wed, 21 Oct 2035 07:28:00 -0000", 60.0),  # RFC 5322 "UTC, zone unknown": raised before
    (b"Wed, 21 Oct 2035 07:28:00 +0000", 60.0),
    (b"Wed, 21 Oct 2035 15:28:00 +0800", 60.0),  # a zone is a zone
    (b"Wednesday, 21-Oct-35 07:28:00 GMT", 60.0),  # RFC 850
    (b"Wed Oct 21 07:28:00 2035", 60.0),  # asctime: no zone, UTC
    (b"Wed, 21 Oct 2015 07:28:00 GMT", 0.0),  # the past: at once
])
def test_retry_after_reads_every_http_date_form(value: bytes, seconds: float) -> None:
    assert retry_after_seconds(value, NOW) == seconds


@pytest.mark.parametrize("value", [
    None, b"", b"   ", b"soon", b"-5", b"1.5", "\u0661\u0662".encode(),  # Arabic-Indic digits
    b"Wed, 32 Oct 2035 07:28:00 GMT", b"Wed, 21 Foo 2035 07:28:00 GMT", b"Wed, 21 Oct 2035",
    b"Wed, 21 Oct 99999 07:28:00 GMT", b"Wed, 21 Oct 2035 07:28:00 +9999", b"\xff\xfe\x00",
    b"Wed, 21 Oct 2035 25:61:00 GMT", b", , ,",
])
def test_unreadable_retry_after_is_none_and_never_raises(value: bytes | None) -> None:
    assert retry_after_seconds(value, NOW) is None


def test_retry_after_with_a_naive_now_is_read_as_utc() -> None:
    assert retry_after_seconds(b"Wed, 21 Oct 2035 07:28:00 -0000", NOW.replace(tzinfo=None)) == 60.0


# -- the wait: a hold on the host, not a sleep -----------------------------------------------

def test_retryable_status_is_retried_at_once_and_its_host_held(
        crawler, middleware, no_sleeping) -> None:
    _slot_delay(crawler, PAGE)  # the host's slot: the request went through it
    _slot_delay(crawler, OTHER_HOST)
    request = Request(PAGE, meta={"role": "section"})
    retry = in_crawl(lambda: middleware.process_response(request, response(
        PAGE, status=503, request=request, headers={"Retry-After": "3"})))
    assert isinstance(retry, Request) and retry.url == PAGE and retry.dont_filter
    assert retry.meta["retry_times"] == 1 and retry.meta["role"] == "section"
    assert 2.5 < _held_for(crawler, PAGE) <= 3.0
    assert _held_for(crawler, OTHER_HOST) == 0.0  # other hosts go on
    # The hold is the slot's own delay timer: the downloader sends nothing before it fires.
    assert crawler.engine.downloader.slot(PAGE).latercall is not None
    assert crawler.engine.downloader.slot(OTHER_HOST).latercall is None
    assert _slot_delay(crawler, PAGE) == 1.0  # the pace after the hold is the usual one


def test_a_longer_retry_after_extends_the_hold_and_a_shorter_one_does_not_cut_it(
        crawler, middleware) -> None:
    _slot_delay(crawler, PAGE)
    in_crawl(lambda: hold_host(crawler, Request(PAGE), 40.0))
    in_crawl(lambda: hold_host(crawler, Request(PAGE), 5.0))
    assert 39.0 < _held_for(crawler, PAGE) <= 40.0
    in_crawl(lambda: hold_host(crawler, Request(PAGE), 80.0))
    assert 79.0 < _held_for(crawler, PAGE) <= 80.0


def test_non_retry_statuses_and_dont_retry_pass_through(middleware) -> None:
    for status, meta in ((200, {}), (404, {}), (301, {}), (503, {"dont_retry": True})):
        request = Request(PAGE, meta=meta)
        answer = response(PAGE, status=status, request=request)
        assert middleware.process_response(request, answer) is answer


def test_gives_up_after_retry_times(crawler, middleware) -> None:
    _slot_delay(crawler, PAGE)
    request = Request(PAGE, meta={"retry_times": 3})
    answer = response(PAGE, status=500, request=request)
    assert middleware.process_response(request, answer) is answer
    assert _held_for(crawler, PAGE) == 0.0  # nothing to wait for


def test_network_errors_are_retried_at_once_and_their_host_held(
        crawler, middleware, no_sleeping) -> None:
    _slot_delay(crawler, PAGE)
    request = Request(PAGE, meta={"retry_times": 1})
    retry = in_crawl(lambda: middleware.process_exception(request, TwistedTimeout()))
    assert isinstance(retry, Request) and retry.meta["retry_times"] == 2
    assert 3.5 < _held_for(crawler, PAGE) <= 4.0
    assert middleware.process_exception(Request(OTHER_HOST), KeyError("not a network error")) is None
    assert _held_for(crawler, OTHER_HOST) == 0.0


def test_slowing_or_holding_a_host_before_the_crawl_started_does_nothing() -> None:
    crawler = get_crawler()  # crawler.engine raises RuntimeError
    slow_down_host(crawler, Request(PAGE), 30.0)
    hold_host(crawler, Request(PAGE), 30.0)
    assert HostPace.of(crawler).held_until(Request(PAGE)) is None


# -- with Scrapy's own downloader and AutoThrottle ---------------------------------------------

class _Handlers:
    """The download handlers: answer at once, noting when each request left."""

    def __init__(self) -> None:
        self.sent: dict[str, float] = {}

    async def download_request_async(self, request: Request) -> Response:
        self.sent[request.url] = time.monotonic()
        return Response(request.url, status=200, request=request)


@pytest.fixture
def undelayed(tmp_path: Path):
    """A crawler without download delays: whatever waits, waits for a hold."""
    crawler = make_crawler(tmp_path, DOWNLOAD_DELAY=0, AUTOTHROTTLE_ENABLED=False)
    make_spider(crawler, site="http://www.lueyang.gov.cn/", start=False)
    return crawler


def test_the_downloader_sends_nothing_to_a_held_host_until_the_hold_ends(undelayed) -> None:
    crawler = undelayed

    async def crawl() -> tuple[float, dict[str, float]]:
        downloader = Downloader(crawler)  # Scrapy's: its slots, delays and queue processing
        downloader.handlers = _Handlers()  # type: ignore[assignment]
        crawler.engine.downloader = downloader
        await downloader._enqueue_request(Request(PAGE))  # the host's slot exists
        start = time.monotonic()
        hold_host(crawler, Request(PAGE), 0.4)
        await asyncio.gather(downloader._enqueue_request(Request(PAGE + "a.html")),
                             downloader._enqueue_request(Request(OTHER_HOST)))
        downloader.close()
        return start, downloader.handlers.sent  # type: ignore[attr-defined]

    start, sent = asyncio.run(crawl())
    assert sent[OTHER_HOST] - start < 0.2  # another host is not held
    assert sent[PAGE + "a.html"] - start >= 0.4


def test_a_hold_is_applied_to_a_slot_the_downloader_makes_later(undelayed) -> None:
    crawler = undelayed

    async def crawl() -> tuple[float, float]:
        downloader = Downloader(crawler)
        downloader.handlers = _Handlers()  # type: ignore[assignment]
        crawler.engine.downloader = downloader
        start = time.monotonic()
        hold_host(crawler, Request(PAGE), 0.3)  # no slot yet (or dropped as idle)
        await downloader._enqueue_request(Request(PAGE))
        downloader.close()
        return start, downloader.handlers.sent[PAGE]  # type: ignore[attr-defined]

    start, sent = asyncio.run(crawl())
    assert sent - start >= 0.3


def test_autothrottle_cannot_lower_a_wall_slow_down(tmp_path: Path) -> None:
    crawler = make_crawler(tmp_path, AUTOTHROTTLE_ENABLED=True, DOWNLOAD_DELAY=1.0)
    make_spider(crawler, site="http://www.lueyang.gov.cn/", start=False)
    # As in a crawl: extensions (AutoThrottle) are built before the downloader's middlewares.
    throttle = AutoThrottle(crawler)
    throttle._spider_opened(crawler.spider)
    build(BackoffRetryMiddleware, crawler)
    slot = crawler.engine.downloader.slot(PAGE)
    slow_down_host(crawler, Request(PAGE), 30.0)  # the spider after an anti-bot wall
    assert slot.delay == 30.0
    for _ in range(3):  # quick 200s: AutoThrottle would halve the delay toward the latency
        request = Request(PAGE, meta={"download_slot": "www.lueyang.gov.cn", "download_latency": 0.05})
        crawler.signals.send_catch_log(signals.response_downloaded, request=request, spider=crawler.spider,
                                       response=response(PAGE, b"<html></html>", request=request))
    assert throttle.mindelay == 1.0 and slot.delay == 30.0
    other = crawler.engine.downloader.slot(OTHER_HOST)
    request = Request(OTHER_HOST, meta={"download_slot": "www.yunhe.gov.cn", "download_latency": 0.05})
    other.delay = 8.0
    crawler.signals.send_catch_log(signals.response_downloaded, request=request, spider=crawler.spider,
                                   response=response(OTHER_HOST, b"", request=request))
    assert other.delay < 8.0  # AutoThrottle still does its job elsewhere
