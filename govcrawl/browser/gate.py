"""Whether this crawl may render pages in the browser, and why not once it may not.

One per crawler (``BrowserGate.of``): the spider asks it before asking for a rendering, the
download handler closes it when Chromium cannot start. A crawl without a browser goes on: the
reason is logged once and recorded once (a ``browser_unavailable`` problem row).
"""

from __future__ import annotations

import logging
import weakref

from scrapy.crawler import Crawler

from govcrawl.config import CrawlConfig
from govcrawl.extensions import ArchiveExtension
from govcrawl.problems import ProblemKind

__all__ = ["BrowserGate"]

logger = logging.getLogger(__name__)


class BrowserGate:
    _of: weakref.WeakKeyDictionary[Crawler, BrowserGate] = weakref.WeakKeyDictionary()

    def __init__(self, crawler: Crawler) -> None:
        self._crawler = weakref.ref(crawler)
        settings = crawler.settings
        self.reason: str | None = None
        if not settings.getbool("GOVCRAWL_BROWSER_ENABLED"):
            self.reason = "off (GOVCRAWL_BROWSER_ENABLED)"
        elif CrawlConfig.of(crawler).wayback:
            # A web archive's captures are replayed as they were: a browser would run their
            # scripts against the live portal.
            self.reason = "off in a wayback crawl"

    @classmethod
    def of(cls, crawler: Crawler) -> BrowserGate:
        gate = cls._of.get(crawler)
        if gate is None:
            gate = cls._of[crawler] = cls(crawler)
        return gate

    @property
    def open(self) -> bool:
        return self.reason is None

    def close(self, reason: str, url: str | None = None) -> None:
        """No more renderings in this crawl: say why once (log and problem row)."""
        if self.reason is not None:
            return
        self.reason = reason
        crawler = self._crawler()
        message = f"browser unavailable, pages built by script are not rendered: {reason}"
        if crawler is None:
            logger.error("%s", message)
            return
        crawler.stats.set_value("govcrawl/browser/unavailable", 1)
        # The problem row is the one record (and log line) of it.
        ArchiveExtension.of(crawler).problem(ProblemKind.BROWSER_UNAVAILABLE, message, url=url)
