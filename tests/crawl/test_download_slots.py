"""Download slots per registered domain (review L6): a portal's sibling hosts share one slot —
its concurrency, delays and Retry-After holds — while the web archive keeps a slot of its own."""

from __future__ import annotations

import asyncio
from pathlib import Path

from scrapy import Request
from scrapy.core.downloader import Downloader
from scrapy.core.downloader.middleware import DownloaderMiddlewareManager
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.http import Response

from govcrawl.discovery.plan import Role
from govcrawl.middlewares import HostPace, hold_host
from tests.crawl.helpers import (
    LUEYANG,
    YUNHE,
    build,
    make_crawler,
    make_spider,
    response,
    spider_request,
)

ARCHIVE = "http://archive.test"
WAYBACK = {"GOVCRAWL_WAYBACK": True, "GOVCRAWL_ARCHIVE_URL": ARCHIVE,
           "GOVCRAWL_WAYBACK_TIMESTAMP": "20221231235959"}
# No robots.txt fetches and no DNS: the chain runs without a network.
OFFLINE = {"ROBOTSTXT_OBEY": False, "GOVCRAWL_ALLOW_PRIVATE_ADDRESSES": True}


def crawler_for(tmp_path: Path, **settings) -> Crawler:
    crawler = make_crawler(tmp_path, **OFFLINE, **settings)
    make_spider(crawler, site=f"{LUEYANG},{YUNHE}")
    return crawler


def through_the_chain(crawler: Crawler, request: Request) -> Request | str:
    """Send ``request`` through the project's downloader middlewares as the engine does; the
    slot key Scrapy's downloader would queue it under, or the new request a middleware made
    instead (the engine schedules that one)."""
    chain = DownloaderMiddlewareManager.from_crawler(crawler)
    downloader = Downloader(crawler)
    keys: list[str] = []

    async def download(req: Request) -> Response:
        keys.append(downloader.get_slot_key(req))
        return Response(req.url, request=req)

    async def run() -> Response | Request:
        try:
            return await chain.download_async(download, request)
        finally:
            downloader.close()

    result = asyncio.run(run())
    return result if isinstance(result, Request) else keys[0]


def test_sibling_hosts_of_a_portal_share_one_slot(tmp_path: Path) -> None:
    crawler = crawler_for(tmp_path)
    keys = {url: through_the_chain(crawler, Request(url)) for url in (
        LUEYANG, "http://xxgk.lueyang.gov.cn/col/col1/index.html",
        "https://zwgk.lueyang.gov.cn/a.html", YUNHE)}
    assert list(keys.values()) == ["lueyang.gov.cn"] * 3 + ["yunhe.gov.cn"]


def test_a_redirect_to_another_portal_leaves_the_first_ones_slot(tmp_path: Path) -> None:
    crawler = crawler_for(tmp_path)
    home = spider_request(LUEYANG, LUEYANG, Role.HOME)
    assert through_the_chain(crawler, home) == "lueyang.gov.cn"
    assert home.meta["download_slot"] == "lueyang.gov.cn"  # what a redirect copies
    hop = build(RedirectMiddleware, crawler).process_response(
        home, response(LUEYANG, status=302, request=home, headers={"Location": YUNHE}))
    assert isinstance(hop, Request) and hop.meta["download_slot"] == "lueyang.gov.cn"
    assert through_the_chain(crawler, hop) == "yunhe.gov.cn"


def test_web_archive_requests_keep_a_slot_of_their_own(tmp_path: Path) -> None:
    crawler = crawler_for(tmp_path, **WAYBACK)
    rewritten = through_the_chain(crawler, spider_request(LUEYANG, LUEYANG, Role.HOME))
    assert isinstance(rewritten, Request) and rewritten.url.startswith(ARCHIVE)
    assert through_the_chain(crawler, rewritten) == "archive.test"


def test_a_retry_after_hold_on_one_host_holds_its_siblings(tmp_path: Path) -> None:
    crawler = crawler_for(tmp_path)
    www, xxgk, other = (Request(url) for url in (
        LUEYANG, "http://xxgk.lueyang.gov.cn/", YUNHE))
    for request in (www, xxgk, other):
        through_the_chain(crawler, request)  # as queued: their slot in their meta

    async def hold_and_ask() -> list[bool]:
        hold_host(crawler, www, 30)  # a 503's Retry-After from www.
        pace = HostPace.of(crawler)
        return [pace.held_until(r) is not None for r in (www, xxgk, other)]

    assert asyncio.run(hold_and_ask()) == [True, True, False]
