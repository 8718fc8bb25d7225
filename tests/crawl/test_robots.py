"""StrictRobotsTxtMiddleware: robots.txt failures read as RFC 9309 says — a 5xx, 429, challenge
page or no answer means the host is not crawled; a 4xx means no rules (review finding M3)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.core.downloader.middleware import DownloaderMiddlewareManager
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import CannotResolveHostError, IgnoreRequest
from scrapy.http import Response
from twisted.internet.error import TimeoutError as TwistedTimeout

from govcrawl.middlewares import StrictRobotsTxtMiddleware
from tests.crawl.helpers import LUEYANG, YUNHE, build, make_crawler, make_spider, problems, response

PAGE = LUEYANG + "zwgk/zfxxgknb/index.html"
ROBOTS = LUEYANG + "robots.txt"
Answer = Callable[[Request], Response]


def robots(tmp_path: Path, answer: Answer | Exception) -> tuple[StrictRobotsTxtMiddleware, list[str]]:
    """The middleware of a crawl whose robots.txt requests get ``answer`` (a response made for
    the request, or an exception raised once the downloader and its retries gave up)."""
    crawler = make_crawler(tmp_path)
    make_spider(crawler, site=f"{LUEYANG},{YUNHE}", start=False)
    fetched: list[str] = []

    async def download_async(request: Request) -> Response:
        fetched.append(request.url)
        if isinstance(answer, Exception):
            raise answer
        return answer(request)

    crawler.engine.download_async = download_async  # type: ignore[attr-defined]
    middleware = build(StrictRobotsTxtMiddleware, crawler)
    assert middleware is not None
    return middleware, fetched


def status(code: int, body: bytes = b"", **headers: str) -> Answer:
    return lambda request: response(request.url, body, status=code, request=request,
                                    headers={"Content-Type": "text/plain", **headers})


def allowed(middleware: StrictRobotsTxtMiddleware, url: str) -> bool:
    try:
        asyncio.run(middleware.process_request(Request(url)))
    except IgnoreRequest:
        return False
    return True


def unreachable_rows(middleware: StrictRobotsTxtMiddleware) -> list[tuple[str | None, str]]:
    return [(p.url, p.message) for p in problems(middleware.crawler, "robots_unavailable")]


def test_it_replaces_scrapys_robots_middleware_at_the_same_place(tmp_path: Path) -> None:
    crawler = make_crawler(tmp_path)
    make_spider(crawler, site=LUEYANG, start=False)
    chain = [type(m) for m in DownloaderMiddlewareManager.from_crawler(crawler).middlewares]
    assert StrictRobotsTxtMiddleware in chain and RobotsTxtMiddleware not in chain[1:]
    assert chain.index(StrictRobotsTxtMiddleware) == 1  # after the off-site filter (50), first


@pytest.mark.parametrize(("answer", "why"), [
    (status(503, b"<html>Service Unavailable</html>"), "HTTP 503"),
    (status(500, b"User-agent: *\nAllow: /\n"), "HTTP 500"),  # whatever the error page says
    (status(429, b"slow down", **{"Retry-After": "30"}), "HTTP 429"),
    (status(403, "<html><title>网站防火墙</title>safedog</html>".encode()), "HTTP 403, safedog challenge"),
])
def test_an_unreachable_robots_txt_keeps_the_whole_host_out(
        tmp_path: Path, answer: Answer, why: str) -> None:
    middleware, fetched = robots(tmp_path, answer)
    assert not allowed(middleware, PAGE)
    assert not allowed(middleware, LUEYANG)
    assert fetched == [ROBOTS]  # asked once, after the retry middleware's attempts
    assert unreachable_rows(middleware) == [
        (ROBOTS, f"robots.txt of www.lueyang.gov.cn unreachable ({why}): the host is not crawled "
                 "(RFC 9309)")]
    with pytest.raises(IgnoreRequest, match=r"robots.txt unreachable \(HTTP"):
        asyncio.run(middleware.process_request(Request(PAGE)))


@pytest.mark.parametrize("error", [TwistedTimeout(), CannotResolveHostError("www.lueyang.gov.cn"),
                                   ConnectionRefusedError()])
def test_no_answer_at_all_keeps_the_host_out(tmp_path: Path, error: Exception) -> None:
    middleware, _ = robots(tmp_path, error)
    assert not allowed(middleware, PAGE)
    ((url, message),) = unreachable_rows(middleware)
    assert url == ROBOTS and message.startswith(f"robots.txt of www.lueyang.gov.cn unreachable "
                                                f"({type(error).__name__}")


def test_other_hosts_are_asked_for_themselves(tmp_path: Path) -> None:
    middleware, fetched = robots(tmp_path, lambda request: (
        status(503) if "lueyang" in request.url else status(200, b"User-agent: *\nDisallow:\n"))(request))
    assert not allowed(middleware, PAGE)
    assert allowed(middleware, YUNHE + "col/col1/index.html")
    assert fetched == [ROBOTS, YUNHE + "robots.txt"]
    assert len(unreachable_rows(middleware)) == 1


@pytest.mark.parametrize("code", [404, 410, 401, 403])
def test_a_4xx_robots_txt_means_no_rules(tmp_path: Path, code: int) -> None:
    # Even when the error page happens to read like rules.
    middleware, _ = robots(tmp_path, status(code, b"<p>User-agent: *\nDisallow: /\n</p>"))
    assert allowed(middleware, PAGE)
    assert unreachable_rows(middleware) == []


def test_the_rules_of_a_2xx_robots_txt_are_obeyed(tmp_path: Path) -> None:
    middleware, _ = robots(tmp_path, status(200, b"User-agent: *\nDisallow: /zwgk/\n"))
    assert not allowed(middleware, PAGE) and allowed(middleware, LUEYANG + "index.html")
    assert unreachable_rows(middleware) == []
    assert middleware.crawler.stats.get_value("robotstxt/forbidden") == 1


def test_only_the_first_500_kib_of_robots_txt_are_read(tmp_path: Path) -> None:
    body = (b"User-agent: *\nDisallow: /early/\n" + b"# padding line\n" * 40_000
            + b"Disallow: /zwgk/\n")
    assert len(body) > 500 * 1024
    middleware, _ = robots(tmp_path, status(200, body))
    assert not allowed(middleware, LUEYANG + "early/a.html")
    assert allowed(middleware, PAGE)  # the rule past 500 KiB is not read (RFC 9309 §2.5)


def test_a_robots_request_refused_before_the_network_keeps_scrapys_allow(tmp_path: Path) -> None:
    # The scope guard refused robots.txt; the page request behind it is refused (and recorded)
    # by the guard itself.
    middleware, _ = robots(tmp_path, IgnoreRequest("refused: out of scope"))
    assert allowed(middleware, PAGE)
    assert unreachable_rows(middleware) == []


def test_requests_that_do_not_obey_robots_pass(tmp_path: Path) -> None:
    middleware, fetched = robots(tmp_path, status(503))
    asyncio.run(middleware.process_request(Request(PAGE, meta={"dont_obey_robotstxt": True})))
    assert fetched == []


def test_every_form_of_a_site_shares_one_robots_txt(tmp_path: Path) -> None:
    # http://host/, http://host:80/ and https://host/ are one site: its robots.txt is asked for
    # once, under the form met first, and its rules hold for every form.
    middleware, fetched = robots(tmp_path, status(200, b"User-agent: *\nDisallow: /private/\n"))
    host = LUEYANG.removeprefix("http://").rstrip("/")
    assert allowed(middleware, f"http://{host}:80/zwgk/")
    assert not allowed(middleware, f"http://{host}/private/a.html")
    assert not allowed(middleware, f"https://{host}/private/a.html")
    assert not allowed(middleware, f"https://{host}:443/private/b.html")
    assert fetched == [f"http://{host}:80/robots.txt"]
