"""Data types of the simulated web: ground truth records and prebuilt responses."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from email.utils import format_datetime
from urllib.parse import quote

__all__ = [
    "Attachment",
    "ExpectedReport",
    "SiteEntry",
    "LoggedRequest",
    "Page",
    "VirtualHost",
    "DynamicHandler",
    "Revision",
    "registered_domain",
]


@dataclass(frozen=True)
class ExpectedReport:
    """Ground truth for one annual report the crawler should find.

    ``year`` is the year reported on; ``url`` the final URL (after redirects) of the report
    page, or of the document itself when the list links the document directly;
    ``agency`` is e.g. ``"财政局"`` for a department's report, ``None`` for a government's own.
    ``stats`` (not part of equality) holds figures of the generated tables, when known:
    ``format`` (pre2019/std2019/std2021) and T3 totals (``t3_new``, ``t3_carried``,
    ``t3_handled``, ``t3_forward``); reports published as attachments also carry the key
    figures the crawler must extract, named as ``govcrawl.report.analyse.STAT_KEYS`` names them
    (``applications_new``, ``handled_total``, ``litigation_total`` …), none when the
    documents are unreadable.
    ``attachments``: URLs of the report's documents (the report's own URL for a document
    linked directly from the list); ``flags``: flags the crawler must raise (an entry matches a
    raised flag equal to it or starting with it plus ``":"``); ``source``: where the report's
    text and tables are — ``"page"``, ``"attachment"``, or ``"page+attachment"`` (both
    needed, or both complete and to be compared).
    ``archived_at`` (not part of equality): for a report served by a simulated web archive
    (:mod:`simweb.wayback`), the time (UTC) of the capture the crawler should
    record; ``None`` for a report crawled live.
    """

    url: str
    title: str
    year: int
    region: str
    admin_level: str
    agency: str | None
    published: dt.date
    issuer: str
    stats: dict | None = field(default=None, compare=False, hash=False, repr=False)
    attachments: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    source: str = "page"
    archived_at: dt.datetime | None = field(default=None, compare=False, hash=False)

    def __repr__(self) -> str:
        # The attachment fields are shown only when set: a page report reads as it always did.
        shown = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.repr and not (f.name in _QUIET_WHEN_DEFAULT and value == f.default):
                shown.append(f"{f.name}={value!r}")
        return f"{type(self).__name__}({', '.join(shown)})"


_QUIET_WHEN_DEFAULT = ("attachments", "flags", "source", "archived_at")


@dataclass(frozen=True)
class SiteEntry:
    """A portal home page as a user would list it in sites.csv."""

    name: str
    url: str
    level: str | None
    region_code: str | None


@dataclass(frozen=True)
class LoggedRequest:
    """One request received by the simulated web (any host, any outcome)."""

    method: str
    url: str
    host: str
    status: int
    headers: dict
    at: float
    bytes_sent: int = 0  # status line, header block and body as written to the socket


@dataclass(frozen=True)
class Revision:
    """What one :meth:`SimulatedWeb.revise` changed (revisions are numbered from 1).

    ``edited``: reports whose page text changed (same URL, later Last-Modified, new ETag);
    ``added``: new reports, also appended to ``expected_reports``; ``lists``: list/column pages
    re-rendered to link the added reports (aliases included); ``changed``: every static URL
    whose response changed or appeared, sorted — exactly edited + added + lists.
    """

    number: int
    at: dt.datetime
    edited: list[ExpectedReport]
    added: list[ExpectedReport]
    lists: list[str]
    changed: list[str]


_TEXT_TYPES = ("text/", "application/xml", "application/javascript", "application/json")


class Page:
    """A prebuilt response: status, body bytes, validators and extra headers.

    ``fail_first`` > 0 makes the server answer ``fail_status`` (503 by default; ``Retry-After``:
    ``retry_after`` when set, else the web's ``retry_after``, 1 by default) to the first
    ``fail_first`` requests for this page before serving it.
    ``delay`` seconds pass before the answer (a slow server) — to the first ``delay_first``
    requests only when that is > 0 (a server that hangs once, then answers at once);
    ``truncate_at`` sends only that many body bytes under the full Content-Length, then closes
    the connection (a dropped transfer). ``content_encoding`` set: ``body`` is already encoded
    so and goes out verbatim with that ``Content-Encoding``, whatever the request accepts (a
    server sending ``br`` to a client that asked for gzip, a compression bomb).
    """

    __slots__ = (
        "status",
        "body",
        "content_type",
        "headers",
        "last_modified",
        "etag",
        "fail_first",
        "delay",
        "truncate_at",
        "fail_status",
        "retry_after",
        "delay_first",
        "content_encoding",
        "_gz",
    )

    def __init__(
        self,
        body: bytes,
        *,
        status: int = 200,
        content_type: str = "text/html; charset=utf-8",
        headers: list[tuple[str, str]] | None = None,
        last_modified: dt.datetime | dt.date | None = None,
        fail_first: int = 0,
        delay: float = 0.0,
        truncate_at: int | None = None,
        fail_status: int = 503,
        retry_after: str | None = None,
        delay_first: int = 0,
        content_encoding: str | None = None,
    ) -> None:
        self.status = status
        self.body = body
        self.content_type = content_type
        self.headers = list(headers or [])
        if isinstance(last_modified, dt.date) and not isinstance(last_modified, dt.datetime):
            last_modified = dt.datetime(
                last_modified.year, last_modified.month, last_modified.day, 9, 30
            )
        if last_modified is not None and last_modified.tzinfo is None:
            last_modified = last_modified.replace(tzinfo=dt.UTC)
        self.last_modified: dt.datetime | None = last_modified
        self.etag = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
        self.fail_first = fail_first
        self.delay = delay
        self.truncate_at = truncate_at
        self.fail_status = fail_status
        self.retry_after = retry_after
        self.delay_first = delay_first
        self.content_encoding = content_encoding
        self._gz: bytes | None = None

    @property
    def compressible(self) -> bool:
        if self.content_encoding is not None:
            return False  # encoded already: sent as it is
        return self.content_type.startswith(_TEXT_TYPES) and len(self.body) > 200

    @property
    def gzipped(self) -> bytes:
        """The body gzip-encoded (computed once, deterministic: mtime=0)."""
        if self._gz is None:
            self._gz = gzip.compress(self.body, compresslevel=6, mtime=0)
        return self._gz

    @property
    def last_modified_http(self) -> str | None:
        if self.last_modified is None:
            return None
        return format_datetime(self.last_modified.astimezone(dt.UTC), usegmt=True)


# (host, path, query, request headers) -> Page or None (None = fall through to 404)
DynamicHandler = Callable[["VirtualHost", str, str, dict], "Page | None"]


@dataclass
class VirtualHost:
    """One host name served by the simulated web."""

    name: str
    gzip: bool = False
    server: str = "nginx"
    extra_headers: list[tuple[str, str]] = field(default_factory=list)
    pages: dict[str, Page] = field(default_factory=dict)
    # path prefix -> handler, tried (longest prefix first) when no static page matches
    dynamic: dict[str, DynamicHandler] = field(default_factory=dict)
    not_found: Page | None = None
    encoding: str = "utf-8"
    # Also served over https (a CONNECT tunnel to port 443), the same pages as over http.
    # Off by default: the older portals are http-only, as many real ones still are.
    https: bool = False

    def resolve(self, target: str, headers: dict) -> Page | None:
        """Find the response for an origin-form target (path + optional query)."""
        page = self.pages.get(target)
        if page is not None:
            return page
        path, _, query = target.partition("?")
        for prefix in sorted(self.dynamic, key=len, reverse=True):
            if path.startswith(prefix):
                page = self.dynamic[prefix](self, path, query, headers)
                if page is not None:
                    return page
        if query:
            # like most CMS front ends: unknown query strings on a static page are ignored
            return self.pages.get(path)
        return None


def registered_domain(host: str) -> str:
    """Registered domain of a host name (``www.x.gov.cn`` -> ``x.gov.cn``)."""
    labels = host.lower().rstrip(".").split(".")
    n = (
        3
        if len(labels) >= 3
        and labels[-2] in ("gov", "com", "org", "edu", "net")
        and labels[-1] == "cn"
        else 2
    )
    return ".".join(labels[-n:])


@dataclass(frozen=True)
class Attachment:
    """A document file as a portal serves it: a PDF, DOCX, XLSX … or a broken stand-in.

    ``path`` is the origin-form target (``/uploadfiles/2023/01/x.pdf``,
    ``/attach/download.jsp?id=4711``); ``filename`` set adds ``Content-Disposition:
    attachment`` with it — as raw UTF-8 bytes in ``filename="…"`` (what many CMS send), or
    RFC 5987 ``filename*=UTF-8''…`` when ``rfc5987``. ``uploaded`` is its Last-Modified.
    """

    path: str
    body: bytes
    content_type: str
    uploaded: dt.datetime
    filename: str | None = None
    rfc5987: bool = False

    @property
    def disposition(self) -> str | None:
        """The Content-Disposition value as sent (a latin-1 str carrying the header bytes)."""
        if self.filename is None:
            return None
        if self.rfc5987:
            return f"attachment; filename*=UTF-8''{quote(self.filename, safe='')}"
        return 'attachment; filename="' + self.filename.encode().decode("latin-1") + '"'

    def page(self) -> Page:
        """The prebuilt response serving this file."""
        disposition = self.disposition
        headers = [("Content-Disposition", disposition)] if disposition else []
        return Page(
            self.body,
            content_type=self.content_type,
            headers=headers,
            last_modified=self.uploaded,
        )
