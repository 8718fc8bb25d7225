"""One page in the browser: every request it makes is answered through Scrapy's downloader.

The route handler sees each request before Chromium would send it and

- aborts what the crawl never fetches (images, fonts, media; hosts and ports outside the
  crawl's scope: ``exchange.blocked_reason``);
- answers the page's own navigation with the page Scrapy already fetched (no second download);
- sends everything else as a Scrapy request (``ExecutionEngine.download_async``): the downloader
  middlewares archive it as WARC request/response records exactly like Scrapy's own (raw, with
  its real status line and headers), check robots.txt and scope (public addresses included),
  apply the proxy, the host's download slot and its delays, retries and conditional requests;
- fulfils the browser's request with the answer (decoded; a redirect is handed back for the
  browser to follow, so every hop is a request of its own).

It also keeps count of requests in flight, so the pager walk knows when the page has settled.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from time import monotonic
from typing import TYPE_CHECKING

from playwright.async_api import Error as PlaywrightError
from scrapy.exceptions import IgnoreRequest

from govcrawl.browser.exchange import blocked_reason, exchange_request, fulfil_headers
from govcrawl.browser.protocol import BrowserDocument, header_pairs

if TYPE_CHECKING:
    from playwright.async_api import Page, Route
    from playwright.async_api import Request as BrowserRequest
    from scrapy.crawler import Crawler

    from govcrawl.discovery.scope import SiteScope

__all__ = ["PageSession"]

logger = logging.getLogger(__name__)


def _same_page(a: str, b: str) -> bool:
    return a.split("#", 1)[0].rstrip("/") == b.split("#", 1)[0].rstrip("/")


class PageSession:
    """The requests of one rendered page (see the module)."""

    def __init__(self, crawler: Crawler, page: Page, scope: SiteScope,
                 document: BrowserDocument | None) -> None:
        self.crawler = crawler
        self.page = page
        self.scope = scope
        self.document = document  # given to the page's first navigation, then dropped
        self.in_flight = 0
        self.last_activity = monotonic()

    # -- routing -----------------------------------------------------------------------------
    async def route(self, route: Route, request: BrowserRequest) -> None:
        """Answer one request of the page; never leaves it unanswered, never raises."""
        self.in_flight += 1
        self.last_activity = monotonic()
        try:
            await self._answer(route, request)
        except PlaywrightError:
            pass  # the page closed or navigated away meanwhile: nobody waits for the answer
        except Exception:  # a bug here must not hang the page until its timeout
            logger.warning("browser: answering %s failed", request.url, exc_info=True)
            await self._abort(route, "failed")
        finally:
            self.in_flight -= 1
            self.last_activity = monotonic()

    async def _answer(self, route: Route, request: BrowserRequest) -> None:
        stats = self.crawler.stats
        reason = blocked_reason(request.resource_type, request.url, self.scope)
        if reason is not None:
            stats.inc_value(f"govcrawl/browser/blocked/{reason}")
            logger.debug("browser: not fetching %s (%s)", request.url, reason)
            await self._abort(route, "blockedbyclient")
            return
        document = self.document
        if (document is not None and request.is_navigation_request()
                and request.frame == self.page.main_frame and _same_page(request.url, document.url)):
            self.document = None
            await route.fulfill(status=document.status, headers=fulfil_headers(document.headers),
                                body=document.body)
            return
        cookie = await self._cookie(request.url)
        scrapy_request = exchange_request(request.method, request.url, await request.all_headers(),
                                          request.post_data_buffer, cookie)
        try:
            response = await self.crawler.engine.download_async(scrapy_request)
        except IgnoreRequest as exc:  # robots.txt, the scope guard (recorded there)
            stats.inc_value("govcrawl/browser/blocked/ignored")
            logger.debug("browser: %s ignored: %s", request.url, exc)
            await self._abort(route, "blockedbyclient")
            return
        except Exception as exc:  # no answer after the retries: the page goes on without it
            stats.inc_value("govcrawl/browser/failed_exchanges")
            logger.info("browser: no answer for %s: %s: %s", request.url, type(exc).__name__, exc)
            await self._abort(route, "failed")
            return
        stats.inc_value("govcrawl/browser/exchanges")
        await route.fulfill(status=response.status, headers=fulfil_headers(header_pairs(response.headers)),
                            body=response.body)

    async def _cookie(self, url: str) -> str | None:
        """The Cookie header the browser would send to ``url`` (its scripts' cookies too)."""
        cookies = await self.page.context.cookies(url)
        return "; ".join(f"{c['name']}={c['value']}" for c in cookies) or None

    @staticmethod
    async def _abort(route: Route, error: str) -> None:
        with suppress(PlaywrightError):  # already answered, or the page is gone
            await route.abort(error)

    # -- waiting -------------------------------------------------------------------------------
    async def settled(self, quiet: float, timeout: float, since: float | None = None) -> bool:
        """Wait until no request has been in flight for ``quiet`` seconds (the page's script has
        drawn what its last answer brought), counted from ``since`` at the earliest; False if
        that took longer than ``timeout``.

        ``since``: when the pager was clicked. The request a click makes reaches ``route`` a
        moment after the click returns (Chromium intercepts it, Playwright's driver passes it
        on); quiet counted from the previous answer alone was already over then, the walk took
        the unchanged list for the last page and stopped early, more often the busier the crawl
        (勐海's later pages went missing in one crawl of two)."""
        deadline = monotonic() + timeout
        while True:
            now = monotonic()
            last = max(self.last_activity, since or 0.0)
            if self.in_flight == 0 and now - last >= quiet:
                return True
            if now >= deadline:
                return False
            await asyncio.sleep(min(0.05, quiet / 2 or 0.05))

