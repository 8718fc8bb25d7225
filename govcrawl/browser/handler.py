"""The download handler: Scrapy's own for every request, a headless Chromium (scrapy-playwright)
for the few the spider marks for rendering (``protocol.render_request``).

Wired by ``DOWNLOAD_HANDLERS`` for http and https. scrapy-playwright's handler already passes
unmarked requests to Scrapy's HTTP/1.1 handler; on top of it this one

- starts Playwright and Chromium only when the first page needs them (most crawls never do),
  from Debian's ``/usr/bin/chromium`` (``options.launch_options``);
- when Chromium cannot start (missing, broken, crashed and not coming back), closes the
  ``BrowserGate``: the reason is recorded once, the marked request is dropped
  (``BrowserUnavailable``) and the crawl goes on without the browser;
- answers every request of a rendered page through Scrapy's downloader (``session.PageSession``):
  archived, paced, in scope;
- walks the page's pager (``pager.walk_pager``) and hands the DOM of each state to the spider
  (``protocol.SNAPSHOTS_KEY``);
- counts rendered pages and their seconds (``govcrawl/browser/*`` stats, the run's counts).
"""

from __future__ import annotations

import asyncio
import logging
import os
import weakref
from time import monotonic
from typing import TYPE_CHECKING

from scrapy.crawler import Crawler
from scrapy.http import Request, Response
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

from govcrawl.browser.gate import BrowserGate
from govcrawl.browser.options import context_options, launch_options
from govcrawl.browser.pager import PagerLimits, walk_pager
from govcrawl.browser.protocol import DOCUMENT_KEY, SNAPSHOTS_KEY, BrowserUnavailable
from govcrawl.browser.session import PageSession
from govcrawl.discovery.scope import SiteScope

if TYPE_CHECKING:
    from playwright.async_api import Page
    from scrapy import Spider

__all__ = ["BrowserDownloadHandler", "BrowserUnavailable"]

logger = logging.getLogger(__name__)


class _LaunchFailed(Exception):
    """Playwright or Chromium did not start."""


class _NoTraceback(logging.Filter):
    """scrapy-playwright logs a failed page with its traceback; the crawl records the failure
    (``fetch_error``) and the user needs one line, not a stack."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info = None
        record.exc_text = None
        return True


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


class BrowserDownloadHandler(ScrapyPlaywrightDownloadHandler):
    # Scrapy makes one handler per scheme (http, https): the first made renders for both, so a
    # crawl runs one browser at most.
    _renderer: weakref.WeakKeyDictionary[Crawler, BrowserDownloadHandler] = (
        weakref.WeakKeyDictionary())

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        settings = crawler.settings
        self.crawler = crawler
        self.gate = BrowserGate.of(crawler)
        self.renderer = self._renderer.setdefault(crawler, self)
        self.config.launch_options = launch_options(
            settings.get("GOVCRAWL_BROWSER_EXECUTABLE"), is_root=os.geteuid() == 0,
            timeout_seconds=settings.getfloat("GOVCRAWL_BROWSER_LAUNCH_TIMEOUT"))
        self.context_kwargs = context_options(settings)
        self.pager_limits = PagerLimits(
            max_clicks=settings.getint("GOVCRAWL_BROWSER_MAX_CLICKS"),
            quiet=settings.getfloat("GOVCRAWL_BROWSER_QUIET"),
            settle_timeout=settings.getfloat("DOWNLOAD_TIMEOUT"),
            deadline=settings.getfloat("GOVCRAWL_BROWSER_PAGE_TIMEOUT"),
        )
        self._started = False
        self._start_lock = asyncio.Lock()
        self._sessions: dict[Page, PageSession] = {}
        self._scope: SiteScope | None = None
        playwright_logger = logging.getLogger("scrapy-playwright")
        if not any(isinstance(f, _NoTraceback) for f in playwright_logger.filters):
            playwright_logger.addFilter(_NoTraceback())

    @property
    def scope(self) -> SiteScope:
        """The sites' hosts and ports (the scope guard's, read from the spider's site list)."""
        if self._scope is None:
            sites = getattr(self.crawler.spider, "site_list", None) or ()
            self._scope = SiteScope.of(site.url for site in sites)
        return self._scope

    # -- start only when needed ----------------------------------------------------------------
    async def _maybe_launch_in_thread(self) -> None:
        """scrapy-playwright starts Playwright with the engine; this waits for the first page."""

    async def _maybe_launch_browser(self) -> None:
        try:
            await super()._maybe_launch_browser()
        except Exception as exc:
            raise _LaunchFailed(_first_line(exc)) from exc

    async def _start(self) -> None:
        async with self._start_lock:
            started = monotonic()
            if not self._started:
                try:
                    await self._launch()
                except Exception as exc:
                    raise _LaunchFailed(_first_line(exc)) from exc
                self._started = True
            if not hasattr(self, "browser"):  # the first page, or Chromium died since
                await self._maybe_launch_browser()
                self.crawler.stats.inc_value("govcrawl/browser/launch_seconds",
                                             round(monotonic() - started, 3))

    # -- one rendering -------------------------------------------------------------------------
    async def _download_request(self, request: Request, spider: Spider | None = None) -> Response:
        if self.renderer is not self:
            return await self.renderer._download_request(request, spider)
        if not self.gate.open:
            raise BrowserUnavailable(f"browser {self.gate.reason}")
        try:
            await self._start()
            request.meta["playwright_context_kwargs"] = self.context_kwargs
            return await super()._download_request(request, spider)
        except _LaunchFailed as exc:
            executable = self.config.launch_options.get("executable_path")
            self.gate.close(f"{exc} (GOVCRAWL_BROWSER_EXECUTABLE={executable})", url=request.url)
            raise BrowserUnavailable(f"browser {self.gate.reason}") from None

    async def _download_request_with_page(self, request: Request, page: Page,
                                          spider: Spider) -> Response:
        started = monotonic()
        session = PageSession(self.crawler, page, self.scope, request.meta.get(DOCUMENT_KEY))
        # Registered after scrapy-playwright's own route, so it is asked first (and answers all).
        await page.route("**", session.route)
        self._sessions[page] = session
        try:
            response = await super()._download_request_with_page(request, page, spider)
        finally:
            self._sessions.pop(page, None)
        stats = self.crawler.stats
        stats.inc_value("govcrawl/browser/pages")
        stats.inc_value("govcrawl/browser/seconds", round(monotonic() - started, 3))
        return response

    async def _apply_page_methods(self, page: Page, request: Request, spider: Spider) -> None:
        await super()._apply_page_methods(page, request, spider)
        session = self._sessions.get(page)
        if session is None:
            return
        snapshots, clicks = await walk_pager(page, session, self.pager_limits)
        request.meta[SNAPSHOTS_KEY] = snapshots
        if clicks:
            self.crawler.stats.inc_value("govcrawl/browser/pager_clicks", clicks)
