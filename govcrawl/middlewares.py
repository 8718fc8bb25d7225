"""Downloader middlewares: WARC capture of every raw exchange, offline cookies, polite retries,
the scope guard in front of the downloader and robots.txt read as RFC 9309 says."""

from __future__ import annotations

import asyncio
import logging
import random
import socket
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from time import monotonic
from typing import TYPE_CHECKING, NoReturn, Self
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares import cookies as scrapy_cookies
from scrapy.downloadermiddlewares.cookies import CookiesMiddleware
from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import CannotResolveHostError, IgnoreRequest, NotConfigured
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from scrapy.utils.asyncio import CallLaterResult, call_later
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.reactor import is_reactor_installed
from scrapy.utils.response import response_status_message
from tldextract import TLDExtract
from twisted.internet.defer import Deferred
from twisted.internet.error import DNSLookupError

from archive.capture_log import request_digest
from archive.priors import PriorCapture, stored_response
from archive.warc import Exchange
from govcrawl.antibot import detect_wall
from govcrawl.browser.protocol import (
    BROWSER_SLOT,
    is_browser_exchange,
    is_render_request,
    is_rendered,
)
from govcrawl.config import CrawlConfig
from govcrawl.discovery.scope import (
    STANDARD_PORTS,
    SiteScope,
    address_refusal,
    ip_literal,
    port_of,
    registered_domain,
)
from govcrawl.extensions import ArchiveExtension
from govcrawl.identity import url_key
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
from govcrawl.problems import ProblemKind
from govcrawl.wayback import (
    archive_request_url,
    capture_time,
    original_headers,
    parse_archive_url,
)

if TYPE_CHECKING:
    from scrapy.core.downloader import Downloader, Slot
    from scrapy.robotstxt import RobotParser

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
        # A rendered DOM is no exchange: the browser's own requests were archived as they went.
        if FROM_ARCHIVE in response.flags or is_rendered(response):
            return response
        capture = CaptureMeta.of(request)
        source = "browser" if is_browser_exchange(request) else "live"
        exchange, archive_url = exchange_of(request, response), None
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
        # A rendering is handed the page already fetched; its own requests come through here.
        if request.method != "GET" or is_render_request(request) \
                or CaptureMeta.of(request).no_conditional:
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
    ``resume`` asked it has either found the run to continue or failed the crawl.

    A request is the same one again when its method, URL key and body are (``captures``'
    ``method``, ``url_key``, ``request_digest``): the POSTs of a script-built list's pages, to
    one URL, differ only by their bodies; the requests a rendered page makes come here too."""

    def __init__(self, archive: ArchiveExtension) -> None:
        self.archive = archive

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not CrawlConfig.of(crawler).resume:
            raise NotConfigured
        return cls(ArchiveExtension.of(crawler))

    def process_request(self, request: Request) -> Response | None:
        if is_render_request(request):
            return None  # the archive holds the page as sent, not as its script draws it
        prior = self.archive.resumed.get(request.url, request.method, request_digest(request.body))
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
    """Seconds a ``Retry-After`` header asks for, or None when it says nothing usable.

    Delta-seconds (ASCII digits only: ``-5`` and ``1.5`` are not delta-seconds) or an HTTP date in
    any of RFC 9110's three forms (IMF-fixdate, RFC 850, asctime); a date without a usable zone
    (``-0000``, RFC 5322's "UTC, local zone unknown", or asctime's none) is read as UTC, as RFC
    9110 §5.6.7 says HTTP dates are. A date in the past means 0; garbage never raises."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isascii() and text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def _downloader(crawler: Crawler) -> Downloader | None:
    """The running crawl's downloader, or None before the crawl has started."""
    try:
        engine = crawler.engine
    except RuntimeError:  # Scrapy ≥2.19 raises before the crawl has started
        return None
    return engine.downloader if engine is not None else None


class HostPace:
    """Per-host waits that hold whatever AutoThrottle does to the download delay.

    - a *hold*: no request leaves for the host before a given time (a retry's backoff, a
      Retry-After). Scrapy's downloader processes a slot's queue only once ``slot.latercall``,
      its own delay timer, has fired; a hold is that timer, set to fire at the hold's end (any
      shorter timer of the downloader's is replaced: when ours fires the downloader recomputes its
      usual delay). Nothing waits inside a middleware, and a changed ``slot.delay`` cannot
      shorten the hold.
    - a *floor*: the host's download delay stays at least this for the rest of the crawl (after an
      anti-bot wall). AutoThrottle rewrites ``slot.delay`` on every response (``response_
      downloaded``): the floor is put back right after it, this handler being connected after the
      extension's (extensions are built before the downloader's middlewares, which make this).

    Both are kept by slot key and applied again to a slot the downloader makes anew after
    dropping an idle one (``request_reached_downloader``, sent before the slot's queue is
    processed). The requests queued for a held host still count as active in the downloader
    (Scrapy's ``CONCURRENT_REQUESTS``), as any request waiting for a download delay does.
    """

    _of: weakref.WeakKeyDictionary[Crawler, HostPace] = weakref.WeakKeyDictionary()

    def __init__(self, crawler: Crawler) -> None:
        # The crawler owns this object (``of``): a strong reference back would keep both alive.
        self._crawler = weakref.ref(crawler)
        self._holds: dict[str, float] = {}  # slot key → monotonic time before which nothing goes
        self._floors: dict[str, float] = {}  # slot key → the least delay for the rest of the crawl
        self._timers: dict[str, tuple[float, CallLaterResult]] = {}  # our slot.latercall, its end
        crawler.signals.connect(self._request_reached, signal=signals.request_reached_downloader)
        crawler.signals.connect(self._response_downloaded, signal=signals.response_downloaded)

    @classmethod
    def of(cls, crawler: Crawler) -> HostPace:
        """The crawl's host pace (made on first use)."""
        pace = cls._of.get(crawler)
        if pace is None:
            pace = cls._of[crawler] = cls(crawler)
        return pace

    def hold(self, request: Request, seconds: float) -> None:
        """Send nothing to ``request``'s host (its download slot) for ``seconds`` from now."""
        downloader = self._downloader()
        if downloader is None or seconds <= 0:
            return
        key = downloader.get_slot_key(request)
        until = monotonic() + seconds
        if until > self._holds.get(key, 0.0):
            self._holds[key] = until
        self._apply(downloader, key)

    def floor(self, request: Request, delay: float) -> None:
        """Space requests to ``request``'s host at least ``delay`` seconds apart from now on."""
        downloader = self._downloader()
        if downloader is None:
            return
        key = downloader.get_slot_key(request)
        self._floors[key] = max(self._floors.get(key, 0.0), delay)
        self._apply(downloader, key)

    def held_until(self, request: Request) -> float | None:
        """The monotonic time the hold on ``request``'s host ends, if one is running."""
        downloader = self._downloader()
        if downloader is None:
            return None
        until = self._holds.get(downloader.get_slot_key(request))
        return until if until is not None and until > monotonic() else None

    def _downloader(self) -> Downloader | None:
        crawler = self._crawler()
        return _downloader(crawler) if crawler is not None else None

    def _request_reached(self, request: Request) -> None:
        self._applied_to(request)

    def _response_downloaded(self, request: Request) -> None:
        self._applied_to(request)

    def _applied_to(self, request: Request) -> None:
        key = request.meta.get("download_slot")
        downloader = self._downloader()
        if downloader is not None and key is not None and (key in self._floors or key in self._holds):
            self._apply(downloader, key)

    def _apply(self, downloader: Downloader, key: str) -> None:
        slot = downloader.slots.get(key)
        if slot is None:  # made on the host's next request, which applies this again
            return
        floor = self._floors.get(key)
        if floor is not None and slot.delay < floor:
            slot.delay = floor
        until = self._holds.get(key)
        if until is None:
            return
        remaining = until - monotonic()
        if remaining <= 0:
            del self._holds[key]
            return
        ours = self._timers.get(key)
        if ours is not None and slot.latercall is ours[1] and ours[0] >= until:
            return  # already held that long
        if slot.latercall is not None:
            slot.latercall.cancel()
        timer = call_later(remaining, self._release, downloader, key, slot)
        slot.latercall = timer
        self._timers[key] = (until, timer)

    def _release(self, downloader: Downloader, key: str, slot: Slot) -> None:
        self._timers.pop(key, None)
        if self._holds.get(key, 0.0) <= monotonic():
            self._holds.pop(key, None)
        # What the downloader's own delay timer calls: clears slot.latercall, sends what is due.
        downloader._latercall(slot)


def slow_down_host(crawler: Crawler, request: Request, delay: float) -> None:
    """Space the requests to ``request``'s host at least ``delay`` seconds apart for the rest of
    the crawl (AutoThrottle cannot lower it: ``HostPace``)."""
    HostPace.of(crawler).floor(request, delay)


def hold_host(crawler: Crawler, request: Request, seconds: float) -> None:
    """Send nothing to ``request``'s host for ``seconds`` (``HostPace``)."""
    HostPace.of(crawler).hold(request, seconds)


class BackoffRetryMiddleware(RetryMiddleware):
    """Retries with exponential backoff; a 429/503's Retry-After wins (capped at
    ``GOVCRAWL_RETRY_BACKOFF_MAX``). The wait is a hold on the host's download slot
    (``HostPace``), not a sleep here: the retry goes back to the scheduler at once and leaves when
    the hold ends, and meanwhile the host gets nothing else either — an erroring or rate-limiting
    server is left alone for the whole wait."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        middleware = super().from_crawler(crawler)
        middleware.backoff_base = crawler.settings.getfloat("GOVCRAWL_RETRY_BACKOFF_BASE")
        middleware.backoff_max = crawler.settings.getfloat("GOVCRAWL_RETRY_BACKOFF_MAX")
        # Made here, while the crawl is being built: its response_downloaded handler is then
        # connected after AutoThrottle's (HostPace).
        middleware.pace = HostPace.of(crawler)
        return middleware

    def backoff(self, request: Request, response: Response | None = None) -> float:
        """Seconds to wait before retrying ``request``: Retry-After of a 429/503 when it says
        something, else the exponential backoff (jittered between half and all of it)."""
        if response is not None and response.status in (429, 503):
            asked = retry_after_seconds(response.headers.get(b"Retry-After"))
            if asked is not None:
                return min(self.backoff_max, asked)
        attempt = request.meta.get("retry_times", 0)
        return min(self.backoff_max, self.backoff_base * (2**attempt)) * random.uniform(0.5, 1.0)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if request.meta.get("dont_retry") or response.status not in self.retry_http_codes:
            return response
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        self.pace.hold(request, self.backoff(request, response))
        return retry

    def process_exception(self, request: Request, exception: Exception) -> Request | Response | None:
        retry = super().process_exception(request, exception)
        if retry is not None:
            self.pace.hold(request, self.backoff(request))
        return retry


# -- politeness per portal, and Scrapy's off-site drops on record ------------------------------

class DomainSlotMiddleware:
    """One download slot per registered domain, not per host name (review L6): a portal's
    sibling hosts (``www.``, ``xxgk.``, each township's subdomain) mostly sit on one server, and
    per host name it got ``CONCURRENT_REQUESTS_PER_DOMAIN`` requests from each of them at once.
    The slot (``request.meta["download_slot"]``, which Scrapy's downloader keys its slots by)
    carries the concurrency, the download delay, AutoThrottle's delay and the ``HostPace`` holds
    and floors, so a Retry-After from ``www.`` now holds ``xxgk.`` too. Requests to a web archive
    (``--wayback``) get the archive's domain: a slot of their own, apart from the portals'.

    Set on every pass through the chain, late (after the wayback rewrite), overriding what the
    request carries: Scrapy writes the slot into the meta of every request it queues, and a
    retry or redirect copies it — a redirect to another portal must not stay in the first one's
    slot."""

    def process_request(self, request: Request) -> None:
        # A rendering waits for the browser in a slot of its own: in the domain's, it would hold
        # the turn the requests its page makes are waiting for.
        request.meta["download_slot"] = (BROWSER_SLOT if is_render_request(request)
                                         else registered_domain(request.url))


class RecordedOffsiteMiddleware(OffsiteMiddleware):
    """Scrapy's off-site filter with its drops on record (review L1). Scrapy drops an off-site
    request as it is scheduled (``request_scheduled``): no errback, no ``request_dropped``
    signal, one DEBUG line per host — an off-site redirect target vanished without a trace.
    Here every such drop counts in ``govcrawl/offsite/filtered`` (kept in the run's counts with
    the other ``govcrawl/`` stats), and the first per host and run writes an ``ignored`` problem
    row (a row per request would fill the table with one portal's links to another). A request
    filtered later, in the download chain, fails into the spider's errback, which records it."""

    archive: ArchiveExtension
    recorded_hosts: set[str]

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        middleware = super().from_crawler(crawler)
        middleware.archive = ArchiveExtension.of(crawler)
        middleware.recorded_hosts = set()
        return middleware

    def request_scheduled(self, request: Request, spider: object) -> None:
        try:
            super().request_scheduled(request, spider)
        except IgnoreRequest:
            self._record(request)
            raise

    def _record(self, request: Request) -> None:
        self.crawler.stats.inc_value("govcrawl/offsite/filtered")
        host = urlparse_cached(request).hostname or ""
        if host in self.recorded_hosts:
            return
        self.recorded_hosts.add(host)
        came_from = request.meta.get("redirect_urls") or []
        message = (f"off-site: host {host or '(none)'!r} is outside the spider's allowed domains "
                   "(Scrapy's OffsiteMiddleware; its later requests are only counted)"
                   + (f" (redirected from {came_from[-1]})" if came_from else ""))
        self.archive.problem(ProblemKind.IGNORED, message, url=request.url)


# -- scope: the last check before the downloader ----------------------------------------------

Resolver = Callable[[str], Awaitable[list[str]]]


async def resolve_host(host: str) -> list[str]:
    """The addresses ``host`` resolves to, without blocking the reactor: through the Twisted
    reactor's resolver when a reactor runs — Scrapy installs its caching resolver there, so the
    address checked is the one the download then connects to — else asyncio's getaddrinfo."""
    if is_reactor_installed():
        from twisted.internet import reactor

        return [await maybe_deferred_to_future(reactor.resolve(host))]
    infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class OutOfScope(IgnoreRequest):
    """A request the scope guard refused; its ``out_of_scope`` problem row is written already."""


class ScopeMiddleware:
    """Refuses, just before the downloader, every request that leaves the crawl's scope.

    Scrapy's OffsiteMiddleware lets any ``dont_filter`` request through, and every retry and
    redirect after a retry is one; redirects and meta refreshes are new requests that skip the
    spider. Placed after every other middleware (priority 990), this sees each request as it
    goes to the network: the spider's, retries, redirect and meta-refresh targets, refetches.
    A request is refused (``IgnoreRequest``, an ``out_of_scope`` problem row) when

    - its host is not within the sites' registered domains (``discovery.scope.SiteScope``), or
      its port is neither 80/443 nor one a site URL of that domain names;
    - in a ``--wayback`` crawl, it goes to the web archive for a capture of a URL outside that
      scope, or follows an archive redirect to anything but a raw capture (the crawl's own
      requests to the archive, its CDX queries and robots.txt, pass);
    - its host is, or resolves to, a loopback, private, link-local, multicast, reserved,
      unspecified or otherwise not global address — unless ``GOVCRAWL_ALLOW_PRIVATE_ADDRESSES``.

    Addresses: an IP-literal host is judged directly; a name is resolved once per crawl
    (``resolve_host``, the verdict cached per host). A name that does not resolve fails the
    request as the download would (``CannotResolveHostError``: retried, then a ``fetch_error``)
    — unless the request goes through a proxy (``request.meta["proxy"]``, set by Scrapy's
    HttpProxyMiddleware at 750, before this): the proxy resolves it, and a name only the proxy
    can resolve is allowed. The proxy's own address is the operator's choice and never checked.
    With ``GOVCRAWL_ALLOW_PRIVATE_ADDRESSES`` nothing is resolved at all (the test web: named
    hosts behind a loopback proxy, in a sandbox without DNS).
    """

    resolve: Resolver = staticmethod(resolve_host)

    def __init__(self, crawler: Crawler, archive: ArchiveExtension, *, allow_private: bool,
                 archive_url: str | None) -> None:
        self.crawler = crawler
        self.archive = archive
        self.allow_private = allow_private
        self.archive_url = archive_url
        archive_parts = urlsplit(archive_url or "")
        self.archive_host = (archive_parts.hostname or "").lower()
        self.archive_ports = STANDARD_PORTS | {port_of(archive_url or "") or 80}
        self._scope: SiteScope | None = None
        self._verdicts: dict[str, str | None] = {}  # host → why its address is refused, or None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        config = CrawlConfig.of(crawler)
        return cls(crawler, ArchiveExtension.of(crawler),
                   allow_private=crawler.settings.getbool("GOVCRAWL_ALLOW_PRIVATE_ADDRESSES"),
                   archive_url=config.archive_url if config.wayback else None)

    @property
    def scope(self) -> SiteScope:
        """The sites' domains and ports, read from the spider on the first request (Scrapy makes
        the spider, with its site list, before anything asks)."""
        if self._scope is None:
            sites = getattr(self.crawler.spider, "site_list", None) or ()
            self._scope = SiteScope.of(site.url for site in sites)
        return self._scope

    async def process_request(self, request: Request) -> None:
        reason = self.scope_refusal(request)
        if reason is None and not self.allow_private:
            reason = await self.address_refusal(request)
        if reason is not None:
            self._refuse(request, reason)

    def scope_refusal(self, request: Request) -> str | None:
        """Why ``request``'s URL is outside the crawl's hosts and ports, or None."""
        parts = urlsplit(request.url)
        if self.archive_host and (parts.hostname or "").lower() == self.archive_host:
            if port_of(request.url) not in self.archive_ports:
                return f"port {port_of(request.url)} is not the web archive's"
            # The archive may redirect from http to https: read the capture under either.
            captured = parse_archive_url(f"{parts.scheme}://{parts.netloc}", request.url)
            if captured is None:
                if request.meta.get("redirect_urls"):
                    return "the web archive redirected to something other than a raw capture"
                return None  # the crawl's own requests: CDX queries, robots.txt
            reason = self.scope.refusal(captured[1])
            return None if reason is None else f"web-archive capture of {captured[1]}: {reason}"
        return self.scope.refusal(request.url)

    async def address_refusal(self, request: Request) -> str | None:
        """Why the address ``request`` would connect to is refused, or None (see the class)."""
        host = (urlsplit(request.url).hostname or "").lower()
        literal = ip_literal(host)
        if literal is not None:
            kind = address_refusal(literal)
            return f"{host} is a {kind} address" if kind else None
        if host in self._verdicts:
            return self._verdicts[host]
        try:
            addresses = await self.resolve(host)
        except (CannotResolveHostError, DNSLookupError, OSError) as exc:
            if request.meta.get("proxy"):
                self.crawler.stats.inc_value("govcrawl/scope/unresolved_behind_proxy")
                return None  # the proxy resolves it; its answer is not ours to see
            raise CannotResolveHostError(f"{host}: {exc}") from exc
        verdict = None
        for address in addresses:
            kind = address_refusal(address)
            if kind is not None:
                verdict = f"{host} resolves to {address}, a {kind} address"
                break
        self._verdicts[host] = verdict
        return verdict

    def _refuse(self, request: Request, reason: str) -> NoReturn:
        came_from = request.meta.get("redirect_urls") or []
        message = f"refused: {reason}" + (f" (redirected from {came_from[-1]})" if came_from else "")
        self.crawler.stats.inc_value("govcrawl/scope/refused")
        logger.info("Out of scope: %s: %s", request.url, message)
        # robots.txt is asked for on behalf of a page request with the same host and port, which
        # is refused (and recorded) right after: one row for the page is enough.
        if not (request.meta.get("dont_obey_robotstxt") and request.url.endswith("/robots.txt")):
            self.archive.problem(ProblemKind.OUT_OF_SCOPE, message, url=request.url)
        raise OutOfScope(message)


# -- robots.txt: RFC 9309 on errors ------------------------------------------------------------

_DISALLOW_ALL = b"User-agent: *\nDisallow: /\n"
_ROBOTS_MAX_BYTES = 500 * 1024  # RFC 9309 §2.5: parse at least 500 KiB; Protego runs on the reactor


class StrictRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware with RFC 9309's reading of failures (Scrapy parses any
    answer's body, so a 503 page or a WAF's 403 page means "no rules", and a download error means
    "allow everything"):

    - 2xx: its rules (the first 500 KiB, cut at a line end);
    - 4xx but 429, or a redirect that never ended: "unavailable", everything allowed (§2.3.1.3);
    - 5xx, 429, an anti-bot challenge page (the rules cannot be read), or no answer at all after
      the retry middleware's attempts: "unreachable", complete disallow (§2.3.1.4) — the host's
      pages are not fetched for the rest of the crawl, one ``robots_unavailable`` problem row
      for the host and an ``ignored`` one per page (the spider's).

    A robots.txt request refused before reaching the network (``IgnoreRequest``: out of scope)
    keeps Scrapy's "allowed": the page requests behind it get the same verdict themselves.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._robots_urls: dict[str, str] = {}  # netloc → its robots.txt URL
        self._unreachable: dict[str, str] = {}  # netloc → why its robots.txt could not be read
        # Site (host and port as a URL key has them) → the scheme and netloc its robots.txt was
        # asked for under first. Scrapy keys robots.txt by netloc, so ``host`` and ``host:80``
        # each had theirs fetched; one site, one robots.txt (as every URL of it is one resource
        # whatever its form, govcrawl.identity). http and https share it, as in Scrapy.
        self._sites: dict[str, tuple[str, str]] = {}

    def _first_form(self, request: Request) -> tuple[str, str]:
        parts = urlparse_cached(request)
        site = urlsplit(url_key(f"{parts.scheme}://{parts.netloc}/")).netloc
        return self._sites.setdefault(site, (parts.scheme, parts.netloc))

    async def robot_parser(self, request: Request) -> RobotParser | None:
        scheme, netloc = self._first_form(request)
        self._robots_urls.setdefault(netloc, f"{scheme}://{netloc}/robots.txt")
        parts = urlparse_cached(request)
        if netloc != parts.netloc:  # another form of a site met already: its parser
            request = request.replace(url=parts._replace(scheme=scheme, netloc=netloc).geturl())
        return await super().robot_parser(request)

    def process_request_2(self, rp: RobotParser | None, request: Request) -> None:
        why = self._unreachable.get(self._first_form(request)[1])
        if why is not None:
            self._stats.inc_value("robotstxt/unreachable")
            raise IgnoreRequest(f"robots.txt unreachable ({why}): the host is not crawled")
        super().process_request_2(rp, request)

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        status = response.status
        wall = detect_wall(status, response.body)
        if status >= 500 or status == 429 or wall is not None:
            self._unreachable_host(netloc, f"HTTP {status}" + (f", {wall} challenge" if wall else ""))
            body = _DISALLOW_ALL
        elif 200 <= status < 300:
            body = response.body
            if len(body) > _ROBOTS_MAX_BYTES:
                body = body[: body.rfind(b"\n", 0, _ROBOTS_MAX_BYTES) + 1]
        else:
            body = b""
        # A plain Response: TextResponse.replace would sniff the encoding of the whole body.
        await super()._parse_robots(Response(response.url, status=status, headers=response.headers,
                                             body=body, request=response.request), netloc, request)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        if isinstance(exc, IgnoreRequest):
            super()._robots_error(exc, netloc)
            return
        self._unreachable_host(netloc, f"{type(exc).__name__}: {exc}")
        parser = build_from_crawler(self._parserimpl, self.crawler, _DISALLOW_ALL)
        waiting = self._parsers[netloc]
        self._parsers[netloc] = parser
        if isinstance(waiting, Deferred):
            waiting.callback(parser)

    def _unreachable_host(self, netloc: str, why: str) -> None:
        if netloc in self._unreachable:
            return
        self._unreachable[netloc] = why
        self._stats.inc_value("robotstxt/unreachable_hosts")
        ArchiveExtension.of(self.crawler).problem(
            ProblemKind.ROBOTS_UNAVAILABLE,
            f"robots.txt of {netloc} unreachable ({why}): the host is not crawled (RFC 9309)",
            url=self._robots_urls.get(netloc))
