"""The per-crawl archive: one WARC writer, one database session, one crawl-run row.

The WARC middleware and the pipelines reach it with ``ArchiveExtension.of(crawler)``; the
extension opens it with the spider and closes it (WARC file renamed, run row finished) at the end.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import weakref
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Self

from scrapy import signals
from scrapy.crawler import Crawler
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from archive import db
from archive.models import Attachment, Capture, CrawlRun, Report
from archive.priors import PriorCapture, load_priors
from archive.recovery import prepare_run
from archive.runs import run_counts
from archive.warc import Exchange, RotatingWarcWriter

logger = logging.getLogger(__name__)
# What a resumed run replays from its own earlier captures: pages and redirect hops.
_REPLAYABLE = (200, 301, 302, 303, 304, 307, 308)


@dataclass(frozen=True)
class Captured:
    """What ``ArchiveExtension.capture`` wrote: the row id and whether it was a revisit."""

    id: str
    revisit: bool
    payload_digest: str | None


class ArchiveExtension:
    """Owns the crawl's WARC writer and database session; counts what it stores.

    Knows what earlier runs captured (``priors``: validators, originals for revisit records) and,
    when resuming, what this run captured before it was stopped (``resumed``)."""

    _instances: ClassVar[weakref.WeakKeyDictionary[Crawler, ArchiveExtension]] = (
        weakref.WeakKeyDictionary()
    )
    COMMIT_EVERY = 200
    COMMIT_SECONDS = 5.0

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.db_url: str = settings.get("GOVCRAWL_DB_URL")
        self.session: Session = db.session_factory(self.db_url)()
        self.writer = RotatingWarcWriter(
            settings.get("GOVCRAWL_WARC_DIR"),
            max_size=settings.getint("GOVCRAWL_WARC_MAX_SIZE"),
            prefix=settings.get("GOVCRAWL_WARC_PREFIX"),
            warcinfo={
                "http-header-user-agent": settings.get("USER_AGENT"),
                "robots": "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
                "operator": settings.get("GOVCRAWL_OPERATOR") or settings.get("GOVCRAWL_CONTACT_URL"),
                "isPartOf": "govcrawl",
            },
        )
        self.full = settings.getbool("GOVCRAWL_FULL")
        self.archive_base: str = settings.get("GOVCRAWL_ARCHIVE_URL")
        resume_run = settings.getint("GOVCRAWL_RESUME_RUN")
        if not settings.getbool("GOVCRAWL_ARCHIVE_PREPARED"):
            # Started without the CLI (scrapy crawl, scrapyd): repair and find the run here.
            resumed, lines = prepare_run(self.session, settings.get("GOVCRAWL_WARC_DIR"),
                                         resume=settings.getbool("GOVCRAWL_RESUME"))
            resume_run = resumed or 0
            for line in lines:
                logger.warning("archive repaired: %s", line)
        self.run = self._open_run(resume_run,
                                  dict(settings.getdict("GOVCRAWL_RUN_ARGUMENTS")))
        # Earlier runs' captures per URL; this run's own when it resumes after a stop.
        self.priors: dict[str, PriorCapture] = load_priors(self.session, exclude_runs=[self.run.id])
        self.resumed: dict[str, PriorCapture] = (
            load_priors(self.session, runs=[self.run.id], statuses=_REPLAYABLE, sources=None)
            if self.resuming else {})
        # Report URL → the capture its stored content came from.
        self.stored_reports: dict[str, str | None] = {
            url: capture for url, capture in self.session.execute(
                select(Report.url, Report.capture_id))}
        # (report URL, attachment URL) → the capture its stored analysis came from.
        self.stored_attachments: dict[tuple[str, str], str | None] = {
            (report_url, url): capture for report_url, url, capture in self.session.execute(
                select(Attachment.report_url, Attachment.url, Attachment.capture_id))}
        self._seen_originals: dict[str, datetime] = {}
        self._pending = 0
        self._captures: list[dict[str, Any]] = []  # rows not yet sent to the database
        self._flushed: list[dict[str, Any]] = []  # sent, not yet committed
        self._last_commit = time.monotonic()
        self.closed = False
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    def _open_run(self, resume_run: int, arguments: dict[str, Any]) -> CrawlRun:
        process = {"pid": os.getpid(), "host": socket.gethostname()}
        self.resuming = bool(resume_run)
        if resume_run:
            run = self.session.get(CrawlRun, resume_run)
            if run is None:
                raise ValueError(f"no crawl run {resume_run} to resume")
            run.status = "running"
            run.finished_at = None
            run.arguments = {**run.arguments, **process,
                             "resumed": [*run.arguments.get("resumed", []), db.now().isoformat()]}
        else:
            run = CrawlRun(started_at=db.now(), arguments={**arguments, **process})
            self.session.add(run)
        self.session.commit()
        return run

    @classmethod
    def of(cls, crawler: Crawler) -> Self:
        """The archive of this crawl (made on first use)."""
        instance = cls._instances.get(crawler)
        if instance is None:
            instance = cls._instances[crawler] = cls(crawler)
        return instance  # type: ignore[return-value]

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls.of(crawler)

    # -- writes ----------------------------------------------------------------------------------
    def capture(self, exchange: Exchange, *, source: str = "live",
                archive_url: str | None = None) -> Captured:
        """Write an exchange to WARC; its capture row is inserted with the next batch.

        A 304, or a payload identical to the last capture's of the URL, becomes a revisit record
        referring to that capture's original (which is marked seen again). A capture taken from
        a web archive (``archive_url``) is written under its original URL and time, without a
        request record, followed by a metadata record naming where and when it was retrieved."""
        prior = self.priors.get(exchange.url) if exchange.method == "GET" else None
        original = prior.original if prior is not None else None
        ref = self.writer.write_exchange(exchange, original=original,
                                         with_request=archive_url is None)
        if archive_url is not None:
            self.writer.write_metadata(exchange.url, ref.record_id, {
                "via": archive_url, "retrieved-at": db.now().isoformat(),
                "archive-request": " ".join(f"{k}: {v};" for k, v in exchange.request_headers)})
        headers = {k.lower(): v for k, v in exchange.response_headers}
        revisit = ref.record_type == "revisit"
        if revisit and ref.refers_to:
            self._seen_originals[ref.refers_to] = exchange.fetched_at
        row = dict(
            id=ref.record_id,
            run_id=self.run.id,
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
            etag=headers.get("etag"),
            last_modified=headers.get("last-modified"),
            source=source,
            truncated=exchange.truncated,
            refers_to=ref.refers_to,
            last_seen_at=exchange.fetched_at,
            archived_at=exchange.fetched_at if archive_url else None,
            archive_url=archive_url,
        )
        self._captures.append(row)
        stats = self.crawler.stats
        stats.inc_value("govcrawl/captures")
        stats.inc_value("govcrawl/captured_bytes", len(exchange.body))
        # What came over the wire: status line, header block and body (as received, encoded).
        stats.inc_value("govcrawl/received_bytes", len(exchange.body) + 17 + sum(
            len(k) + len(v) + 4 for k, v in exchange.response_headers))
        if revisit:
            stats.inc_value("govcrawl/revisits/not_modified" if exchange.status == 304
                            else "govcrawl/revisits/identical_payload")
        self.touch()
        return Captured(ref.record_id, revisit, ref.payload_digest)

    def problem(self, kind: str, message: str, url: str | None = None) -> None:
        """Record a problem in the log and the database; the crawl goes on."""
        logger.warning("%s: %s%s", kind, message, f" ({url})" if url else "")
        db.record_problem(self.session, kind, message, url=url, run_id=self.run.id)
        self.crawler.stats.inc_value(f"govcrawl/problems/{kind}")
        self.touch()

    def touch(self) -> None:
        """Count a pending write; commit in batches (by count or age)."""
        self._pending += 1
        if self._pending >= self.COMMIT_EVERY or time.monotonic() - self._last_commit > self.COMMIT_SECONDS:
            self.commit()

    def flush_captures(self) -> None:
        """Insert pending capture rows (one executemany); do it before rows that refer to them."""
        if self._captures:
            self.session.execute(insert(Capture), self._captures)
            self._flushed.extend(self._captures)
            self._captures = []
        if self._seen_originals:
            seen = [{"original": k, "seen": v} for k, v in self._seen_originals.items()]
            self.session.connection().execute(
                update(Capture.__table__).where(Capture.__table__.c.id == bindparam("original"))
                .values(last_seen_at=bindparam("seen")), seen)
            self._seen_originals = {}

    def commit(self) -> None:
        try:
            self.flush_captures()
            self.session.commit()
            self._flushed = []
        except SQLAlchemyError as exc:
            # The WARC records are safe; capture rows wait for the next commit.
            self.rollback()
            logger.error("database commit failed (%s); %d capture rows kept for the next commit",
                         str(exc).splitlines()[0], len(self._captures))
            self.crawler.stats.inc_value("govcrawl/problems/db_error")
        self._pending = 0
        self._last_commit = time.monotonic()

    def rollback(self) -> None:
        """Undo a failed transaction; capture rows it held are queued again (WARC is untouched)."""
        self.session.rollback()
        self._captures = self._flushed + self._captures
        self._flushed = []

    # -- lifecycle -------------------------------------------------------------------------------
    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.closed:
            return
        self.closed = True
        self.writer.close()
        stats = self.crawler.stats.get_stats()
        self.commit()
        previous = self.run.counts if self.resuming else {}
        process_counts = {
            k.removeprefix("govcrawl/"): v
            for k, v in stats.items()
            if k.startswith("govcrawl/") and isinstance(v, int | float)
        } | {
            "requests": stats.get("downloader/request_count", 0),
            "responses": stats.get("downloader/response_count", 0),
            "bytes_received": stats.get("downloader/response_bytes", 0),
        }
        # Process counters add up over a run's resumptions; the outcome counts come from the
        # database, which holds the whole run whatever stopped it.
        counts = {k: previous.get(k, 0) + v for k, v in process_counts.items()}
        counts |= run_counts(self.session, self.run.id)
        self.run.finished_at = db.now()
        self.run.status = "finished" if reason == "finished" else reason
        self.run.counts = counts
        self.commit()
        self.session.close()
        logger.info("WARC files: %s", ", ".join(str(p) for p in self.writer.closed_files) or "none")
