"""Downloader middlewares: WARC capture of every raw exchange, offline cookies, polite retries."""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Self
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares import cookies as scrapy_cookies
from scrapy.downloadermiddlewares.cookies import CookiesMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import NotConfigured
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from scrapy.utils.response import response_status_message
from tldextract import TLDExtract

from archive.priors import PriorCapture, stored_response
from archive.warc import Exchange
from govcrawl.config import CrawlConfig
from govcrawl.extensions import ArchiveExtension
from govcrawl.meta import (
    CAPTURE_KEY,
    DATALOSS,
    FROM_ARCHIVE,
    IDENTICAL_PAYLOAD,
    NOT_MODIFIED,
    STEP_KEY,
    UNCHANGED,
    CaptureMeta,
)
from govcrawl.wayback import (
    archive_request_url,
    capture_time,
    original_headers,
    parse_archive_url,
)

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
        truncated="disconnect" if DATALOSS in response.flags else None,
    )


class WarcCaptureMiddleware:
    """Archives every exchange (robots.txt, each redirect hop, every page) as it was received.

    Placed next to the downloader, it runs before decompression and redirect handling. The id of
    the capture holding the page's payload goes to the request's ``CaptureMeta`` for the
    pipelines; a payload identical to the URL's last capture is archived as a revisit record and
    the response flagged ``unchanged``. Responses replayed from the archive are not archived again.
    """

    def __init__(self, archive: ArchiveExtension) -> None:
        self.archive = archive

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(ArchiveExtension.of(crawler))

    def process_response(self, request: Request, response: Response) -> Response:
        if FROM_ARCHIVE in response.flags:
            return response
        capture = CaptureMeta.of(request)
        exchange, source, archive_url = exchange_of(request, response), "live", None
        if capture.wayback:
            exchange, archive_url = self._from_web_archive(exchange, response)
            source = "wayback"
        try:
            captured = self.archive.capture(exchange, source=source, archive_url=archive_url)
        except OSError as exc:  # disk full, permissions: say what and where, keep crawling
            self.archive.problem("warc_write_error", str(exc), url=response.url)
            return response
        capture.capture_id = captured.id
        capture.payload_digest = captured.payload_digest
        if captured.revisit:
            # The record holding the payload: the original the revisit refers to, found under
            # the URL the capture was written under (a web archive's copy: the original's).
            prior = self.archive.priors.get(exchange.url)
            if prior is not None and prior.original is not None:
                capture.capture_id = prior.original.record_id
            if response.status == 200:
                response.flags.extend([UNCHANGED, IDENTICAL_PAYLOAD])
        if DATALOSS in response.flags:
            self.archive.problem("truncated", "body shorter than announced; archived as WARC-Truncated",
                                 url=response.url)
        return response


    def _from_web_archive(self, exchange: Exchange, response: Response) -> tuple[Exchange, str | None]:
        """A raw capture served by a web archive, as the original server sent it then: its
        original URL, capture time and headers. Anything else the archive answers (its
        redirects to the nearest capture, CDX results, errors) stays as received."""
        parsed = parse_archive_url(self.archive.config.archive_url, response.url)
        if parsed is None or b"Memento-Datetime" not in response.headers:
            return exchange, None
        timestamp, original = parsed
        return replace(exchange, url=original, fetched_at=capture_time(timestamp),
                       response_headers=original_headers(exchange.response_headers)), response.url


_VALIDATOR_HEADERS = (b"If-None-Match", b"If-Modified-Since")


def archived_response(request: Request, prior: PriorCapture, flags: list[str]) -> Response:
    """The response ``prior`` archived (its original's, for a revisit), as Scrapy's downloader
    would have produced it: raw body, so decompression and redirects work as usual."""
    stored = stored_response(prior)
    headers = Headers()
    for name, value in stored.headers:
        headers.appendlist(name, value)
    cls = responsetypes.from_args(headers=headers, url=request.url)
    return cls(url=request.url, status=stored.status, headers=headers, body=stored.body,
               flags=flags, request=request, protocol="HTTP/1.1")


class ConditionalRequestMiddleware:
    """Re-crawls ask before downloading: If-None-Match / If-Modified-Since with the validators of
    the URL's last capture. A 304 (archived as a revisit by the WARC middleware) is answered with
    the archived page, flagged ``unchanged``, so discovery and the pipelines go on as usual.
    Not installed when ``CrawlConfig.conditional`` is off (full and wayback crawls)."""

    def __init__(self, archive: ArchiveExtension) -> None:
        self.archive = archive

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not CrawlConfig.of(crawler).conditional:
            raise NotConfigured  # no message: Scrapy would log it as a warning; off is normal
        return cls(ArchiveExtension.of(crawler))

    def process_request(self, request: Request) -> None:
        if request.method != "GET" or CaptureMeta.of(request).no_conditional:
            return
        prior = self.archive.priors.get(request.url)
        if prior is None or prior.original is None or not (prior.etag or prior.last_modified):
            return
        if prior.etag:
            request.headers[b"If-None-Match"] = prior.etag
        if prior.last_modified:
            request.headers[b"If-Modified-Since"] = prior.last_modified
        CaptureMeta.of(request).conditional = True

    def process_response(self, request: Request, response: Response) -> Request | Response:
        capture = CaptureMeta.peek(request)
        if response.status != 304 or capture is None or not capture.conditional:
            return response
        prior = self.archive.priors[request.url]
        try:
            return archived_response(request, prior, [UNCHANGED, NOT_MODIFIED])
        except (OSError, ValueError) as exc:
            # The archived copy is gone or unreadable: fetch the page whole this time.
            self.archive.problem("archive_read_error", f"{exc}; fetching again without validators",
                                 url=request.url)
            headers = request.headers.copy()
            for name in _VALIDATOR_HEADERS:
                headers.pop(name, None)
            return request.replace(headers=headers, dont_filter=True, meta={
                **request.meta, CAPTURE_KEY: capture.copy(no_conditional=True, conditional=False)})


class WaybackMiddleware:
    """``govcrawl crawl --wayback``: every request for a portal goes to the web archive's raw
    capture nearest to the target time, and the answer comes back under the original URL (the
    archive's own redirects to the nearest capture are followed first). Installed in wayback
    crawls only."""

    def __init__(self, archive: ArchiveExtension, base: str, timestamp: str) -> None:
        self.archive = archive
        self.base = base
        self.host = urlsplit(base).netloc.lower()
        self.timestamp = timestamp

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        config = CrawlConfig.of(crawler)
        if not config.wayback:
            raise NotConfigured
        return cls(ArchiveExtension.of(crawler), config.archive_url, config.wayback_timestamp)

    def process_request(self, request: Request) -> Request | None:
        if urlsplit(request.url).netloc.lower() == self.host:
            return None
        step = request.meta.get(STEP_KEY)
        timestamp = (step.wayback_ts if step is not None else "") or self.timestamp
        capture = (CaptureMeta.peek(request) or CaptureMeta()).copy(wayback=True)
        return request.replace(url=archive_request_url(self.base, timestamp, request.url),
                               meta={**request.meta, CAPTURE_KEY: capture})

    def process_response(self, request: Request, response: Response) -> Response:
        capture = CaptureMeta.peek(request)
        if capture is None or not capture.wayback or 300 <= response.status < 400:
            return response
        parsed = parse_archive_url(self.base, response.url)
        if parsed is None:
            return response
        timestamp, original = parsed
        capture.archived_at = capture_time(timestamp).isoformat()
        return response.replace(url=original)


class ResumeReplayMiddleware:
    """A resumed crawl answers what it already fetched before the stop from its own archive, so
    nothing completed is downloaded again while discovery walks back to where it stopped.
    Installed when resuming only: the extension opens before the middlewares are built, and with
    ``resume`` asked it has either found the run to continue or failed the crawl."""

    def __init__(self, archive: ArchiveExtension) -> None:
        self.archive = archive

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not CrawlConfig.of(crawler).resume:
            raise NotConfigured
        return cls(ArchiveExtension.of(crawler))

    def process_request(self, request: Request) -> Response | None:
        prior = self.archive.resumed.get(request.url) if request.method == "GET" else None
        if prior is None:
            return None
        flags = [FROM_ARCHIVE] + ([UNCHANGED] if prior.record_type == "revisit" else [])
        try:
            response = archived_response(request, prior, flags)
        except (OSError, ValueError) as exc:
            self.archive.problem("archive_read_error", f"{exc}; fetching again", url=request.url)
            return None
        CaptureMeta.of(request).capture_id = (prior.original.record_id if prior.original is not None
                                              else prior.capture_id)
        self.archive.crawler.stats.inc_value("govcrawl/replayed_from_archive")
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
    try:
        engine = crawler.engine
    except RuntimeError:  # Scrapy ≥2.19 raises before the crawl has started: nothing to slow
        return
    downloader = engine.downloader if engine is not None else None
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
