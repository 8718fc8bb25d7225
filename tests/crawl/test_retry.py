"""BackoffRetryMiddleware: exponential backoff; Retry-After is honoured and slows the host."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.utils.test import get_crawler
from twisted.internet.error import TimeoutError as TwistedTimeout

from govcrawl.middlewares import BackoffRetryMiddleware, retry_after_seconds, slow_down_host
from tests.crawl.helpers import build, make_crawler, make_spider, response

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


def _slot_delay(crawler, url: str) -> float:
    return crawler.engine.downloader.slot(url).delay


def test_backoff_doubles_with_each_retry_up_to_the_maximum(middleware) -> None:
    delays = [middleware.backoff(Request(PAGE, meta={"retry_times": n})) for n in range(8)]
    assert delays == [2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 120.0, 120.0]


def test_backoff_is_jittered_between_half_and_all_of_it(
        crawler, monkeypatch: pytest.MonkeyPatch) -> None:
    middleware = build(BackoffRetryMiddleware, crawler)
    delays = {middleware.backoff(Request(PAGE, meta={"retry_times": 2})) for _ in range(50)}
    assert all(4.0 <= d <= 8.0 for d in delays) and len(delays) > 1


def test_retry_after_seconds_is_honoured_and_slows_the_host(crawler, middleware) -> None:
    assert _slot_delay(crawler, PAGE) == 1.0  # DOWNLOAD_DELAY
    _slot_delay(crawler, OTHER_HOST)
    answer = response(PAGE, status=429, headers={"Retry-After": "45"})
    assert middleware.backoff(Request(PAGE), answer) == 45.0
    assert _slot_delay(crawler, PAGE) == 45.0
    assert _slot_delay(crawler, OTHER_HOST) == 1.0  # other hosts keep their pace


def test_retry_after_http_date_is_honoured(crawler, middleware) -> None:
    _slot_delay(crawler, PAGE)  # the host's slot: the request went through it
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    answer = response(PAGE, status=503, headers={"Retry-After": when})
    delay = middleware.backoff(Request(PAGE), answer)
    assert 28.0 <= delay <= 30.0 and retry_after_seconds(when) <= 30.0
    assert 28.0 <= _slot_delay(crawler, PAGE) <= 30.0


def test_retry_after_is_capped_and_never_lowers_a_slower_pace(crawler, middleware) -> None:
    _slot_delay(crawler, PAGE)
    crawler.engine.downloader.slot(PAGE).delay = 200.0
    answer = response(PAGE, status=503, headers={"Retry-After": "86400"})
    assert middleware.backoff(Request(PAGE), answer) == 120.0
    assert _slot_delay(crawler, PAGE) == 200.0


def test_missing_or_unreadable_retry_after_and_other_statuses_use_the_backoff(crawler, middleware) -> None:
    _slot_delay(crawler, PAGE)
    assert middleware.backoff(Request(PAGE), response(
        PAGE, status=503, headers={"Retry-After": "soon"})) == 2.0
    assert middleware.backoff(Request(PAGE), response(
        PAGE, status=500, headers={"Retry-After": "60"})) == 2.0
    assert middleware.backoff(Request(PAGE), response(PAGE, status=429)) == 2.0
    assert _slot_delay(crawler, PAGE) == 1.0


def test_retryable_status_is_retried_after_the_backoff(
        middleware, monkeypatch: pytest.MonkeyPatch) -> None:
    slept = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
    monkeypatch.setattr(asyncio, "sleep", sleep)
    request = Request(PAGE, meta={"role": "section"})
    retry = asyncio.run(middleware.process_response(request, response(
        PAGE, status=503, request=request, headers={"Retry-After": "3"})))
    assert isinstance(retry, Request) and retry.url == PAGE and retry.dont_filter
    assert retry.meta["retry_times"] == 1 and retry.meta["role"] == "section"
    assert slept == [3.0]


def test_non_retry_statuses_and_dont_retry_pass_through(middleware) -> None:
    for status, meta in ((200, {}), (404, {}), (301, {}), (503, {"dont_retry": True})):
        request = Request(PAGE, meta=meta)
        answer = response(PAGE, status=status, request=request)
        assert asyncio.run(middleware.process_response(request, answer)) is answer


def test_gives_up_after_retry_times(middleware, monkeypatch: pytest.MonkeyPatch) -> None:
    request = Request(PAGE, meta={"retry_times": 3})
    answer = response(PAGE, status=500, request=request)
    assert asyncio.run(middleware.process_response(request, answer)) is answer


def test_network_errors_are_retried_after_the_backoff(
        middleware, monkeypatch: pytest.MonkeyPatch) -> None:
    slept = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
    monkeypatch.setattr(asyncio, "sleep", sleep)
    request = Request(PAGE, meta={"retry_times": 1})
    retry = asyncio.run(middleware.process_exception(request, TwistedTimeout()))
    assert isinstance(retry, Request) and retry.meta["retry_times"] == 2
    assert slept == [4.0]
    assert asyncio.run(middleware.process_exception(request, KeyError("not a network error"))) is None
    assert slept == [4.0]


def test_slowing_a_host_before_the_crawl_started_does_nothing() -> None:
    slow_down_host(get_crawler(), Request(PAGE), 30.0)  # raises RuntimeError
