"""What earlier crawls captured, per URL key: validators for conditional requests, the original a
revisit record refers to, and the archived response a resumed crawl replays instead of refetching.

Looked up by the URL's key (``govcrawl.identity.url_key``): a page first fetched as
``https://host/a.html`` is asked for conditionally, and revisited, when a link gives it as
``http://host/a.html``. Requests with a body (a script-built list's POSTs) are told apart by
its digest (``captures.request_digest``)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.db import aware
from archive.models import Capture
from archive.warc import Original, read_record
from govcrawl.identity import url_key

# Chunk size of IN (…) lookups (SQLite allows 32766 variables; stay far below).
_CHUNK = 500


@dataclass(frozen=True)
class PriorCapture:
    """The latest usable capture of a URL key and the response record holding its payload."""

    capture_id: str
    url: str  # as that capture requested it (one form of the key)
    status: int
    record_type: str
    fetched_at: datetime
    etag: str | None
    last_modified: str | None
    original: Original | None  # None: the payload record could not be found
    body_file: str | None
    body_offset: int | None


@dataclass(frozen=True)
class StoredResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes  # as received (content-encoding kept)


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i:i + _CHUNK]


def load_priors(session: Session, *, runs: Collection[int] | None = None,
                exclude_runs: Collection[int] = (), statuses: Collection[int] = (200, 304),
                sources: Collection[str] | None = ("live",),
                urls: Collection[str] | None = None, method: str = "GET",
                request_digest: str | None = None) -> dict[str, PriorCapture]:
    """Latest capture per URL key of a ``method`` request with this body (``request_digest``;
    None: none) and one of ``statuses`` (whole transfers only), with the response record it
    rests on (itself, or the original of a revisit); keyed by URL key. By default only our own
    live GET captures: an archive's or an imported file's validators are not the server's now.
    Captures flagged lost (their record cut off by a crash) are not had: no validators come from
    them and no revisit refers to them, so their URL is fetched whole again.
    ``urls``: only the keys of these URLs, any form of each (the crawl looks them up one at a
    time, see ``PriorLookup``)."""
    query = select(Capture.id, Capture.url, Capture.url_key, Capture.status, Capture.record_type,
                   Capture.fetched_at, Capture.etag, Capture.last_modified,
                   Capture.payload_digest, Capture.warc_file, Capture.warc_offset,
                   Capture.refers_to).where(
        Capture.method == method, Capture.status.in_(list(statuses)),
        Capture.truncated.is_(None), Capture.lost_at.is_(None),
        Capture.request_digest.is_(None) if request_digest is None
        else Capture.request_digest == request_digest)
    if urls is not None:
        query = query.where(Capture.url_key.in_(sorted({url_key(url) for url in urls})))
    if runs is not None:
        query = query.where(Capture.run_id.in_(list(runs)))
    if sources is not None:
        query = query.where(Capture.source.in_(list(sources)))
    if exclude_runs:
        query = query.where(Capture.run_id.not_in(list(exclude_runs)))
    latest: dict[str, tuple] = {}
    for row in session.execute(query.order_by(Capture.fetched_at, Capture.id)):
        latest[row.url_key or url_key(row.url)] = row
    wanted = sorted({row.refers_to for row in latest.values()
                     if row.record_type == "revisit" and row.refers_to})
    originals: dict[str, tuple] = {}
    for chunk in _chunks(wanted):
        for row in session.execute(
                select(Capture.id, Capture.url, Capture.fetched_at, Capture.payload_digest,
                       Capture.warc_file, Capture.warc_offset).where(
                    Capture.id.in_(chunk), Capture.lost_at.is_(None))):
            originals[row.id] = row
    priors = {}
    for key, row in latest.items():
        base = row if row.record_type == "response" else originals.get(row.refers_to)
        original = None if base is None else Original(
            base.id, base.url, aware(base.fetched_at), base.payload_digest)
        priors[key] = PriorCapture(
            capture_id=row.id, url=row.url, status=row.status, record_type=row.record_type,
            fetched_at=aware(row.fetched_at), etag=row.etag, last_modified=row.last_modified,
            original=original,
            body_file=None if base is None else base.warc_file,
            body_offset=None if base is None else base.warc_offset)
    return priors


def stored_response(prior: PriorCapture) -> StoredResponse:
    """The archived response of ``prior`` (for a revisit, its original), raw as received.

    Raises OSError or ValueError when the record cannot be read."""
    if prior.body_file is None or prior.body_offset is None:
        raise ValueError(f"no archived payload for {prior.url}")
    record, body = read_record(prior.body_file, prior.body_offset)
    if record.http_headers is None:
        raise ValueError(f"record at {prior.body_file}:{prior.body_offset} has no HTTP headers")
    status = int(record.http_headers.get_statuscode() or 0)
    return StoredResponse(status, list(record.http_headers.headers), body)


class PriorLookup:
    """The prior capture of a URL (by its key), looked up when the crawl first needs it and kept
    for a while.

    A crawl needs the priors of the URLs it requests, a few thousand per portal; loading the
    latest capture of every URL ever archived costs about 1 KiB each (1.1 GiB for 10⁶ URLs,
    measured by benchmarks/soak.py). One indexed query per new URL key instead, answers (misses
    included) kept in a bounded cache: a URL is asked about when requested, answered and
    stored, close together."""

    CACHE = 4096

    def __init__(self, session: Session, **filters: object) -> None:
        self.session = session
        self.filters = filters
        self._cache: OrderedDict[tuple[str, str, str | None], PriorCapture | None] = OrderedDict()

    def get(self, url: str, method: str = "GET",
            request_digest: str | None = None) -> PriorCapture | None:
        """The latest capture of ``url``'s key by a ``method`` request whose body has
        ``request_digest`` (None: a request without a body)."""
        key = (method, url_key(url), request_digest)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        prior = load_priors(self.session, urls=[url], method=method,  # type: ignore[arg-type]
                            request_digest=request_digest, **self.filters).get(key[1])
        self._cache[key] = prior
        if len(self._cache) > self.CACHE:
            self._cache.popitem(last=False)
        return prior

    def __getitem__(self, url: str) -> PriorCapture:
        prior = self.get(url)
        if prior is None:
            raise KeyError(url)
        return prior

    def __contains__(self, url: object) -> bool:
        return isinstance(url, str) and self.get(url) is not None
