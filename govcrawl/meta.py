"""What travels with a request between the spider and the middlewares: two small dataclasses
under two namespaced ``request.meta`` keys (as scrapy-webarchive keeps its ``WarcMetadata``),
and the flags the middlewares put on responses.

- ``StepMeta`` (``govcrawl_step``): set by the spider, read back in its callbacks — which site,
  what role the page plays in the walk, how deep, what the list called it.
- ``CaptureMeta`` (``govcrawl_capture``): set by the middlewares on the way — which archived
  record holds the page's payload, whether validators were sent, whether the answer came from a
  web archive and of when.

Scrapy copies ``request.meta`` shallowly into retries and redirects, so a ``CaptureMeta`` may be
shared by a request and its follow-up; that is what the middlewares want (the follow-up's
capture overwrites the hop's), and a middleware that must diverge makes a copy (``replace``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from scrapy import Request
from scrapy.http import Response

from govcrawl.discovery.plan import Role

STEP_KEY = "govcrawl_step"
CAPTURE_KEY = "govcrawl_capture"

# Response flags (``response.flags``).
UNCHANGED = "unchanged"  # the page is what the archive already holds (304 or same payload)
NOT_MODIFIED = "not_modified"  # answered 304: the body is the archived page
IDENTICAL_PAYLOAD = "identical_payload"  # answered 200 with the payload archived before
FROM_ARCHIVE = "from_archive"  # replayed from this run's own WARC (a resumed crawl)
DATALOSS = "dataloss"  # Scrapy's: the transfer was cut short


@dataclass(frozen=True)
class StepMeta:
    """A request's place in the spider's walk."""

    site_url: str
    site_name: str = ""
    role: Role = Role.HOME
    hops: int = 0
    link_text: str = ""  # what the list or link called the page
    listed_date: str = ""  # the date the list printed next to the link (ISO)
    report_url: str | None = None  # an attachment: the report page it belongs to
    wayback_ts: str = ""  # a web archive's capture time to ask for (from its CDX index)

    @staticmethod
    def of(message: Request | Response) -> StepMeta:
        return message.meta[STEP_KEY]

    def as_meta(self) -> dict[str, Any]:
        return {STEP_KEY: self}


@dataclass
class CaptureMeta:
    """What the middlewares learnt about a request's answer."""

    capture_id: str | None = None  # the record holding the payload (a revisit's original)
    payload_digest: str | None = None
    conditional: bool = False  # validators were sent (a 304 is answered from the archive)
    no_conditional: bool = False  # fetch the page whole: its archived copy is unreadable
    wayback: bool = False  # the request went to a web archive's raw capture
    archived_at: str | None = None  # a web archive's capture time of the answer (ISO)

    @staticmethod
    def of(message: Request | Response) -> CaptureMeta:
        """The request's capture metadata (made on first use)."""
        meta = message.meta
        capture = meta.get(CAPTURE_KEY)
        if capture is None:
            capture = meta[CAPTURE_KEY] = CaptureMeta()
        return capture

    @staticmethod
    def peek(message: Request | Response) -> CaptureMeta | None:
        """The capture metadata if any middleware set it (never makes one)."""
        return message.meta.get(CAPTURE_KEY)

    def copy(self, **changes: Any) -> CaptureMeta:
        return replace(self, **changes)

    def seen_at(self) -> datetime:
        """When the page was as we have it: now, or a web archive's capture time."""
        return datetime.fromisoformat(self.archived_at) if self.archived_at else datetime.now(UTC)
