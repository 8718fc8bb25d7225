"""The crawl's capture log: every exchange written to WARC at once, its ``captures`` row queued
and inserted in batches (one executemany), before any row that refers to it.

No Scrapy here: ``govcrawl.extensions.ArchiveExtension`` owns one and counts what it writes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy.orm import Session

from archive import db
from archive.models import Capture
from archive.priors import PriorCapture
from archive.store import CaptureRow
from archive.warc import Exchange, RotatingWarcWriter, payload_digest


def request_digest(body: bytes) -> str | None:
    """The ``captures.request_digest`` of a request body: its WARC-style sha1 digest (what the
    request record's WARC-Payload-Digest says), None for a request without a body."""
    return payload_digest(body) if body else None


@dataclass(frozen=True)
class Captured:
    """What ``CaptureLog.capture`` wrote: the record id and whether it was a revisit."""

    id: str
    revisit: bool
    payload_digest: str | None


class CaptureLog:
    """Writes exchanges to WARC; queues their capture rows until ``flush``.

    Rows sent to the database but not yet committed are kept, so that a failed transaction can
    queue them again (``requeue``): the WARC records are written whatever the database does."""

    def __init__(self, writer: RotatingWarcWriter, run_id: int) -> None:
        self.writer = writer
        self.run_id = run_id
        self._queued: list[dict[str, Any]] = []  # not yet sent to the database
        self._sent: list[dict[str, Any]] = []  # sent, not yet committed
        self._seen_originals: dict[str, datetime] = {}  # revisited originals → when
        # Rows the database refused (and why), dropped from the batch; the owner records them.
        self.refused: list[tuple[dict[str, Any], Exception]] = []

    def capture(self, exchange: Exchange, prior: PriorCapture | None, *, source: str = "live",
                archive_url: str | None = None) -> Captured:
        """Write an exchange to WARC; its capture row goes out with the next flush.

        A 304, or a payload identical to ``prior``'s, becomes a revisit record referring to
        the prior's original (which is marked seen again). A capture taken from a web archive
        (``archive_url``) is written under its original URL and time, without a request record,
        followed by a metadata record naming where and when it was retrieved."""
        original = prior.original if prior is not None else None
        # One block: a metadata record that fails takes its response with it, so no response is
        # left in the file without the capture row that lists it (review scenario 15).
        with self.writer.all_or_nothing():
            ref = self.writer.write_exchange(exchange, original=original,
                                             with_request=archive_url is None)
            if archive_url is not None:
                self.writer.write_metadata(exchange.url, ref.record_id, {
                    "via": archive_url, "retrieved-at": db.now().isoformat(),
                    "archive-request": " ".join(f"{k}: {v};"
                                                for k, v in exchange.request_headers)})
        headers = {k.lower(): v for k, v in exchange.response_headers}
        revisit = ref.record_type == "revisit"
        if revisit and ref.refers_to:
            self._seen_originals[ref.refers_to] = exchange.fetched_at
        # A 304 need not repeat every validator (RFC 9110 15.4.5): its row, which becomes the
        # URL's latest capture, keeps the ones it omits, or the next crawl would have none.
        inherited = prior if exchange.status == 304 and prior is not None else None
        self._queued.append(CaptureRow(
            id=ref.record_id,
            run_id=self.run_id,
            url=exchange.url,
            method=exchange.method,
            status=exchange.status,
            content_type=headers.get("content-type"),
            fetched_at=exchange.fetched_at,
            payload_digest=ref.payload_digest,
            warc_file=ref.warc_file,
            warc_offset=ref.offset,
            warc_length=ref.length,
            record_type=ref.record_type,
            etag=headers.get("etag") or (inherited.etag if inherited else None),
            last_modified=headers.get("last-modified")
            or (inherited.last_modified if inherited else None),
            source=source,
            truncated=exchange.truncated,
            refers_to=ref.refers_to,
            archived_at=exchange.fetched_at if archive_url else None,
            archive_url=archive_url,
            request_digest=request_digest(exchange.request_body),
        ).values())
        return Captured(ref.record_id, revisit, ref.payload_digest)

    @property
    def queued(self) -> int:
        return len(self._queued)

    def flush(self, session: Session) -> None:
        """Insert the queued rows (one executemany) and move revisited originals' last-seen
        times; do it before writing rows that refer to them. A row the database refuses is
        dropped into ``refused`` (its record stays in the WARC) instead of failing the batch."""
        if self._queued:
            rows = self._queued
            refused = db.insert_each(session, Capture.__table__, rows)  # type: ignore[arg-type]
            # Not requeued: it would be refused again at every commit (review C1).
            dropped = {id(row) for row, _ in refused}
            self._sent.extend(row for row in rows if id(row) not in dropped)
            self.refused.extend(refused)
            self._queued = []
        if self._seen_originals:
            seen = [{"original": k, "seen": v} for k, v in self._seen_originals.items()]
            session.connection().execute(
                update(Capture.__table__).where(Capture.__table__.c.id == bindparam("original"))
                .values(last_seen_at=bindparam("seen")), seen)
            self._seen_originals = {}

    def committed(self) -> None:
        self._sent = []

    def requeue(self) -> None:
        """The transaction holding the sent rows was rolled back: queue them again."""
        self._queued = self._sent + self._queued
        self._sent = []

    def close(self) -> None:
        self.writer.close()
