"""OfflineCookiesMiddleware: cookies work without any download (bundled Public Suffix List)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.downloadermiddlewares import cookies as scrapy_cookies

from govcrawl.middlewares import OfflineCookiesMiddleware
from tests.crawl.helpers import build, make_crawler, response

HOME = "http://www.lueyang.gov.cn/"


@pytest.fixture
def middleware(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> OfflineCookiesMiddleware:
    # The middleware replaces Scrapy's module-level suffix splitter: put it back afterwards.
    monkeypatch.setattr(scrapy_cookies, "_split_domain", scrapy_cookies._split_domain)
    crawler = make_crawler(tmp_path)

    def no_network(*args, **kwargs):
        raise AssertionError(f"network access: {args}")
    for name in ("getaddrinfo", "create_connection"):
        monkeypatch.setattr(socket, name, no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    return build(OfflineCookiesMiddleware, crawler)


def _cookie_after(middleware, set_cookie: str, next_url: str) -> bytes | None:
    first = Request(HOME)
    middleware.process_request(first)
    middleware.process_response(first, response(HOME, request=first,
                                                headers={"Set-Cookie": set_cookie}))
    following = Request(next_url)
    middleware.process_request(following)
    return following.headers.get(b"Cookie")


def test_challenge_cookie_is_sent_back_to_the_host(middleware) -> None:
    cookie = _cookie_after(middleware, "__jsl_clearance=1700000000|0|abc; Path=/",
                           HOME + "zwgk/")
    assert cookie == b"__jsl_clearance=1700000000|0|abc"


def test_cookie_of_the_registered_domain_reaches_its_subdomains(middleware) -> None:
    cookie = _cookie_after(middleware, "sid=7; Domain=.lueyang.gov.cn; Path=/",
                           "http://xxgk.lueyang.gov.cn/")
    assert cookie == b"sid=7"


def test_cookie_for_a_public_suffix_reaches_no_other_site(middleware) -> None:
    # gov.cn is a public suffix in the bundled list: no portal may set cookies for all of it.
    assert _cookie_after(middleware, "track=1; Domain=.gov.cn; Path=/",
                         "http://www.yunhe.gov.cn/") is None
    assert scrapy_cookies._split_domain("www.lueyang.gov.cn").suffix == "gov.cn"


def test_splitter_is_built_without_list_urls(middleware) -> None:
    assert scrapy_cookies._split_domain.suffix_list_urls == ()
