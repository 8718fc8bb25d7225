"""What travels in ``request.meta`` between the spider, the browser's download handler and the
middlewares. Imports nothing of Playwright: the middlewares and the spider read these on every
request.

- A *render request* (``meta["playwright"]``, scrapy-playwright's own key) asks the browser to
  render a page the spider has already fetched; it carries that fetch (``BrowserDocument``) so
  the page is not downloaded twice, and comes back with the rendered DOM of each pager state.
- A *browser exchange* (``meta[EXCHANGE_KEY]``) is a request the browser made while rendering
  (the page's script, its XHR/JSON, a stylesheet), sent through Scrapy's downloader so it is
  archived, paced and scope-checked like every other request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Headers, Response

from govcrawl.meta import STEP_KEY

RENDER_KEY = "playwright"  # scrapy-playwright renders the requests that set it
RENDERED_FLAG = "playwright"  # and flags its responses so
EXCHANGE_KEY = "govcrawl_browser_exchange"
DOCUMENT_KEY = "govcrawl_browser_document"
SNAPSHOTS_KEY = "govcrawl_browser_snapshots"
# Render requests have a download slot of their own: they wait there for the browser (one page
# at a time), not in the host's slot, whose turns go to the exchanges the page then makes.
BROWSER_SLOT = "govcrawl-browser"


class BrowserUnavailable(IgnoreRequest):
    """A rendering asked for when the browser cannot run (the reason is recorded once, by
    ``gate.BrowserGate``): the page stays as fetched."""


@dataclass(frozen=True)
class BrowserDocument:
    """A page as Scrapy fetched it (body decoded from its content-coding): the browser is given
    this instead of fetching the page again."""

    url: str
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    @classmethod
    def of(cls, response: Response) -> BrowserDocument:
        return cls(response.url, response.status, header_pairs(response.headers), response.body)


def header_pairs(headers: Headers) -> tuple[tuple[str, str], ...]:
    """Scrapy headers as (name, value) pairs, repeated headers (Set-Cookie) kept."""
    return tuple((name.decode("latin-1"), value.decode("latin-1"))
                 for name, values in headers.items() for value in values)


def is_render_request(message: Request | Response) -> bool:
    """Whether ``message`` is (the answer to) a request for the browser to render a page."""
    return bool(message.meta.get(RENDER_KEY))


def is_browser_exchange(request: Request) -> bool:
    """Whether ``request`` was made by the browser while rendering a page."""
    return bool(request.meta.get(EXCHANGE_KEY))


def is_rendered(response: Response) -> bool:
    """Whether ``response`` holds a DOM the browser rendered (not bytes a server sent)."""
    return RENDERED_FLAG in response.flags


def render_request(response: Response, **kwargs: Any) -> Request:
    """A request to render the page ``response`` holds, in the same role (its ``StepMeta``);
    ``kwargs`` (callback, errback, priority) go to the request."""
    meta = {
        # Only the spider's own step: what Scrapy and the middlewares noted about the first
        # fetch (slot, proxy, retries, capture) is not the rendering's.
        STEP_KEY: response.meta[STEP_KEY],
        RENDER_KEY: True,
        DOCUMENT_KEY: BrowserDocument.of(response),
        "download_slot": BROWSER_SLOT,
        # AutoThrottle would read a render's seconds as the server's latency.
        "autothrottle_dont_adjust_delay": True,
    }
    return Request(response.url, dont_filter=True, meta=meta, **kwargs)


def rendered_snapshots(response: Response) -> list[str]:
    """The DOM of each state the browser saw (first load, then after each pager click), in
    order; empty for a response the browser did not render."""
    return list(response.meta.get(SNAPSHOTS_KEY) or ()) if is_rendered(response) else []
