"""A browser's request as a Scrapy request, and Scrapy's answer as what the browser is given:
pure conversions, tested without a browser.

The browser's requests go through Scrapy's downloader (``govcrawl.browser.session``), so the
crawl's own rules apply to them: its User-Agent, its ``Accept-Encoding`` (what warcio reads),
its language. The browser's cookies (those its scripts set included) go with them; the
browser-only hints (``sec-ch-ua``: "HeadlessChrome") do not.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from scrapy import Request

from govcrawl.browser.protocol import EXCHANGE_KEY
from govcrawl.discovery.scope import SiteScope

__all__ = ["BLOCKED_TYPES", "blocked_reason", "exchange_request", "fulfil_headers"]

# Resource types the browser does not fetch: nothing a list is drawn from, and bytes the archive
# has no use for (pictures, fonts, video) or that never end (event streams, sockets).
BLOCKED_TYPES = frozenset({"image", "media", "font", "texttrack", "eventsource", "websocket",
                           "manifest", "ping", "beacon", "cspviolationreport"})
# Set by Scrapy (and its middlewares) for every request, or the connection's business.
_DROPPED_REQUEST_HEADERS = frozenset({
    "host", "content-length", "connection", "keep-alive", "proxy-connection", "transfer-encoding",
    "cookie", "user-agent", "accept-encoding", "accept-language", "upgrade-insecure-requests",
    "sec-ch-ua", "sec-ch-ua-mobile", "sec-ch-ua-platform",
})  # fmt: skip
# Scrapy has decoded the body (HttpCompressionMiddleware) and reads it whole: a length or coding
# the body no longer has would make the browser cut or garble it.
_DROPPED_RESPONSE_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding",
                                       "connection", "keep-alive"})


def blocked_reason(resource_type: str, url: str, scope: SiteScope) -> str | None:
    """Why the browser must not fetch ``url`` (a ``resource_type`` it never needs, or outside
    the crawl's hosts and ports), as a short stats key; None to fetch it."""
    kind = resource_type.lower()
    if kind in BLOCKED_TYPES:
        return kind
    if scope.refusal(url) is not None:
        return "out_of_scope"
    return None


def exchange_request(method: str, url: str, headers: Mapping[str, str], body: bytes | None,
                     cookie: str | None = None) -> Request:
    """The Scrapy request for a request the browser makes: its method, body and the headers
    that are the page's (Accept, Referer, Origin, Content-Type, X-Requested-With …), the
    browser's cookies; redirects come back to the browser, which follows them itself."""
    kept = {name: value for name, value in headers.items()
            if not name.startswith(":") and name.lower() not in _DROPPED_REQUEST_HEADERS}
    if cookie:
        kept["Cookie"] = cookie
    return Request(url, method=method, headers=kept, body=body or b"", dont_filter=True, meta={
        EXCHANGE_KEY: True,
        "dont_redirect": True,  # each hop is the browser's own request (and its own record)
        "dont_merge_cookies": True,  # the browser's cookie jar is the one that counts here
    })


def fulfil_headers(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Response headers (as ``protocol.header_pairs`` gives them, body already decoded) as
    ``Route.fulfill`` takes them: one string per name, ``Set-Cookie`` lines apart
    (newline-separated, as Playwright splits them)."""
    out: dict[str, str] = {}
    for name, value in pairs:
        if name.lower() in _DROPPED_RESPONSE_HEADERS:
            continue
        joiner = "\n" if name.lower() == "set-cookie" else ", "
        out[name] = f"{out[name]}{joiner}{value}" if name in out else value
    return out
