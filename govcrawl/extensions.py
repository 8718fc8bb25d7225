"""The per-crawl archive: one WARC writer, one database session, one crawl-run row.

The WARC middleware and the pipelines reach it with ``ArchiveExtension.of(crawler)``; the
extension opens it with the spider and closes it (WARC file renamed, run row finished) at the end.
"""

from __future__ import annotations

import logging
import time
import weakref
from typing import Any, ClassVar, Self

from scrapy import signals
from scrapy.crawler import Crawler
from sqlalchemy import insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from archive import db
from archive.models import Capture, CrawlRun
from archive.warc import Exchange, RotatingWarcWriter

logger = logging.getLogger(__name__)


class ArchiveExtension:
    """Owns the crawl's WARC writer and database session; counts what it stores."""

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
        self.run = CrawlRun(started_at=db.now(), arguments=dict(settings.getdict("GOVCRAWL_RUN_ARGUMENTS")))
        self.session.add(self.run)
        self.session.commit()
        self._pending = 0
        self._captures: list[dict[str, Any]] = []  # rows not yet sent to the database
        self._flushed: list[dict[str, Any]] = []  # sent, not yet committed
        self._last_commit = time.monotonic()
        self.closed = False
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

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
    def capture(self, exchange: Exchange, *, source: str = "live") -> str:
        """Write an exchange to WARC; its capture row is inserted with the next batch.

        Returns the capture's id (the response record's WARC-Record-ID)."""
        ref = self.writer.write_exchange(exchange)
        headers = {k.lower(): v for k, v in exchange.response_headers}
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
            record_type="response",
            etag=headers.get("etag"),
            last_modified=headers.get("last-modified"),
            source=source,
        )
        self._captures.append(row)
        self.crawler.stats.inc_value("govcrawl/captures")
        self.crawler.stats.inc_value("govcrawl/captured_bytes", len(exchange.body))
        self.touch()
        return ref.record_id

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
        self.run.finished_at = db.now()
        self.run.status = "finished" if reason == "finished" else reason
        self.run.counts = {
            k.removeprefix("govcrawl/"): v
            for k, v in stats.items()
            if k.startswith("govcrawl/") and isinstance(v, int | float)
        } | {
            "requests": stats.get("downloader/request_count", 0),
            "responses": stats.get("downloader/response_count", 0),
        }
        self.commit()
        self.session.close()
        logger.info("WARC files: %s", ", ".join(str(p) for p in self.writer.closed_files) or "none")
