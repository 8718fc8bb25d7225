"""Downloader middlewares: WARC capture of every raw exchange, offline cookies, polite retries."""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Self
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares import cookies as scrapy_cookies
from scrapy.downloadermiddlewares.cookies import CookiesMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.utils.response import response_status_message
from tldextract import TLDExtract

from archive.warc import Exchange
from govcrawl.extensions import ArchiveExtension

logger = logging.getLogger(__name__)


def _header_pairs(headers: object) -> list[tuple[str, str]]:
    """Scrapy Headers → (name, value) pairs, repeated headers (Set-Cookie) kept."""
    pairs = []
    for name, values in headers.items():  # type: ignore[attr-defined]
        key = name.decode("latin-1")
        pairs.extend((key, v.decode("latin-1")) for v in values)
    return pairs


def exchange_of(request: Request, response: Response) -> Exchange:
    """The exchange as it went over the wire (body still content-encoded)."""
    request_headers = _header_pairs(request.headers)
    if not any(k.lower() == "host" for k, _ in request_headers):
        request_headers.insert(0, ("Host", urlsplit(request.url).netloc))
    return Exchange(
        url=response.url,
        method=request.method,
        request_headers=request_headers,
        request_body=request.body or b"",
        status=response.status,
        protocol=response.protocol or "HTTP/1.1",
        response_headers=_header_pairs(response.headers),
        body=response.body,
        fetched_at=datetime.now(UTC),
        ip_address=str(response.ip_address) if response.ip_address else None,
        truncated="disconnect" if "dataloss" in response.flags else None,
    )


class WarcCaptureMiddleware:
    """Archives every exchange (robots.txt, each redirect hop, every page) as it was received.

    Placed next to the downloader, it runs before decompression and redirect handling. The
    capture row's id goes to ``request.meta["capture_id"]`` for the pipelines.
    """

    def __init__(self, archive: ArchiveExtension) -> None:
        self.archive = archive

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(ArchiveExtension.of(crawler))

    def process_response(self, request: Request, response: Response) -> Response:
        try:
            capture_id = self.archive.capture(exchange_of(request, response))
        except OSError as exc:  # disk full, permissions: say what and where, keep crawling
            self.archive.problem("warc_write_error", str(exc), url=response.url)
            return response
        request.meta["capture_id"] = capture_id
        if "dataloss" in response.flags:
            self.archive.problem("truncated", "body shorter than announced; archived as WARC-Truncated",
                                 url=response.url)
        return response


class OfflineCookiesMiddleware(CookiesMiddleware):
    """Scrapy's cookies middleware with tldextract kept to its bundled Public Suffix List.

    Stock Scrapy builds ``TLDExtract()`` with the default list URLs and downloads the list on first
    use; an archival crawler must never reach a host it was not asked to.
    """

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        scrapy_cookies._split_domain = TLDExtract(
            suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True
        )
        return super().from_crawler(crawler)


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delta-seconds or HTTP date), or None."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def slow_down_host(crawler: Crawler, request: Request, delay: float) -> None:
    """Space the next requests to ``request``'s host at least ``delay`` seconds apart."""
    downloader = crawler.engine.downloader if crawler.engine else None
    if downloader is None:
        return
    slot = downloader.slots.get(downloader.get_slot_key(request))
    if slot is not None:
        slot.delay = max(slot.delay, delay)


class BackoffRetryMiddleware(RetryMiddleware):
    """Retries with exponential backoff; 429/503 honour Retry-After and slow the whole host."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        middleware = super().from_crawler(crawler)
        middleware.backoff_base = crawler.settings.getfloat("GOVCRAWL_RETRY_BACKOFF_BASE")
        middleware.backoff_max = crawler.settings.getfloat("GOVCRAWL_RETRY_BACKOFF_MAX")
        return middleware

    def backoff(self, request: Request, response: Response | None = None) -> float:
        attempt = request.meta.get("retry_times", 0)
        delay = min(self.backoff_max, self.backoff_base * (2**attempt)) * random.uniform(0.5, 1.0)
        if response is not None and response.status in (429, 503):
            asked = retry_after_seconds(response.headers.get(b"Retry-After"))
            if asked is not None:
                delay = min(self.backoff_max, asked)
                slow_down_host(self.crawler, request, delay)
        return delay

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if request.meta.get("dont_retry") or response.status not in self.retry_http_codes:
            return response
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        await asyncio.sleep(self.backoff(request, response))
        return retry

    async def process_exception(self, request: Request, exception: Exception) -> Request | None:
        retry = super().process_exception(request, exception)
        if retry is not None:
            await asyncio.sleep(self.backoff(request))
        return retry
