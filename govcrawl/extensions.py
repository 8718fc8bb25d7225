"""The crawl's archive as a Scrapy extension: it composes the archive's parts for one crawl and
owns the database session and its commit policy.

- ``archive.capture_log.CaptureLog``: the WARC writer and the batch of capture rows;
- ``archive.crawl_history.CrawlHistory``: what the database knew when the crawl started
  (priors for conditional requests and revisits, a resumed run's own captures, stored reports);
- ``archive.run_record.RunRecord``: the ``crawl_runs`` row and the problems.

Components reach it with ``crawler.get_extension(ArchiveExtension)`` (``ArchiveExtension.of``).
Scrapy builds extensions after the spider and before the middlewares and pipelines, so the spider
uses it from ``start()`` on and everything else from ``from_crawler``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Self

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from archive import db
from archive.capture_log import Captured, CaptureLog
from archive.crawl_history import CrawlHistory
from archive.priors import PriorCapture
from archive.run_record import RunRecord
from archive.warc import Exchange, RotatingWarcWriter
from govcrawl.config import CrawlConfig, prepared_run

__all__ = ["ArchiveExtension", "Captured"]

logger = logging.getLogger(__name__)


class ArchiveExtension:
    """Opens the archive when Scrapy builds it and closes it with the spider (WARC file
    renamed, last rows committed, run row finished)."""

    COMMIT_EVERY = 200  # pending writes
    COMMIT_SECONDS = 5.0

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.config = config = CrawlConfig.of(crawler)
        self.session: Session = db.session_factory(config.db_url)()
        # The archive is repaired once per crawl, here or (govcrawl crawl) just before Scrapy
        # started; ArchiveBusy / NothingToResume fail the crawl (the CLI reports them itself).
        resume_run = prepared_run(config, self.session,
                                  lambda line: logger.warning("archive repaired: %s", line))
        # Scrapy makes the spider before the extensions: its site arguments are known here.
        arguments = dict(getattr(crawler.spider, "arguments", None) or {})
        self.runs = RunRecord(self.session, {**arguments, **config.run_arguments()}, resume_run)
        self.history = CrawlHistory(self.session, self.runs.id, resuming=self.runs.resuming)
        self.captures = CaptureLog(RotatingWarcWriter(
            config.warc_dir, max_size=config.warc_max_size, prefix=config.warc_prefix,
            warcinfo={
                "http-header-user-agent": settings.get("USER_AGENT"),
                "robots": "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
                "operator": settings.get("GOVCRAWL_OPERATOR") or settings.get("GOVCRAWL_CONTACT_URL"),
                "isPartOf": "govcrawl",
            }), self.runs.id)
        self._pending = 0
        self._last_commit = time.monotonic()
        self.closed = False
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    @classmethod
    def of(cls, crawler: Crawler) -> Self:
        """This crawl's archive (``crawler.get_extension``)."""
        archive = crawler.get_extension(cls)
        if archive is None:
            raise NotConfigured("govcrawl needs govcrawl.extensions.ArchiveExtension in EXTENSIONS")
        return archive

    # -- what the parts know ----------------------------------------------------------------------
    @property
    def run_id(self) -> int:
        return self.runs.id

    @property
    def priors(self) -> dict[str, PriorCapture]:
        return self.history.priors

    @property
    def resumed(self) -> dict[str, PriorCapture]:
        return self.history.resumed

    @property
    def writer(self) -> RotatingWarcWriter:
        return self.captures.writer

    # -- writes -----------------------------------------------------------------------------------
    def capture(self, exchange: Exchange, *, source: str = "live",
                archive_url: str | None = None) -> Captured:
        """Write an exchange to WARC (a revisit when the URL's prior capture holds the same
        payload, or for a 304); its capture row goes out with the next batch."""
        prior = self.history.priors.get(exchange.url) if exchange.method == "GET" else None
        captured = self.captures.capture(exchange, prior, source=source, archive_url=archive_url)
        stats = self.crawler.stats
        stats.inc_value("govcrawl/captures")
        stats.inc_value("govcrawl/captured_bytes", len(exchange.body))
        # What came over the wire: status line, header block and body (as received, encoded).
        stats.inc_value("govcrawl/received_bytes", len(exchange.body) + 17 + sum(
            len(k) + len(v) + 4 for k, v in exchange.response_headers))
        if captured.revisit:
            stats.inc_value("govcrawl/revisits/not_modified" if exchange.status == 304
                            else "govcrawl/revisits/identical_payload")
        self.touch()
        return captured

    def problem(self, kind: str, message: str, url: str | None = None) -> None:
        """Record a problem in the log and the database; the crawl goes on."""
        self.runs.problem(kind, message, url)
        self.crawler.stats.inc_value(f"govcrawl/problems/{kind}")
        self.touch()

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """One item's writes as a savepoint: if they fail, only they are undone (the capture
        rows and problems of the batch stay for the next commit)."""
        self.captures.flush(self.session)  # the rows the item's rows refer to
        savepoint = self.session.begin_nested()
        try:
            yield self.session
        except SQLAlchemyError:
            if savepoint.is_active:
                try:
                    savepoint.rollback()
                except SQLAlchemyError:
                    self.rollback()  # the connection itself failed: the whole batch
            else:
                self.rollback()
            raise
        savepoint.commit()
        self.touch()

    def touch(self) -> None:
        """Count a pending write; commit in batches (by count or age)."""
        self._pending += 1
        if self._pending >= self.COMMIT_EVERY or time.monotonic() - self._last_commit > self.COMMIT_SECONDS:
            self.commit()

    def flush_captures(self) -> None:
        """Insert the queued capture rows now (before rows that refer to them)."""
        self.captures.flush(self.session)

    def commit(self) -> None:
        try:
            self.captures.flush(self.session)
            self.session.commit()
            self.captures.committed()
        except SQLAlchemyError as exc:
            # The WARC records are safe; capture rows wait for the next commit.
            self.rollback()
            logger.error("database commit failed (%s); %d capture rows kept for the next commit",
                         str(exc).splitlines()[0], self.captures.queued)
            self.crawler.stats.inc_value("govcrawl/problems/db_error")
        self._pending = 0
        self._last_commit = time.monotonic()

    def rollback(self) -> None:
        """Undo a failed transaction; capture rows it held are queued again (WARC is untouched)."""
        self.session.rollback()
        self.captures.requeue()

    # -- lifecycle --------------------------------------------------------------------------------
    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.closed:
            return
        self.closed = True
        self.captures.close()
        self.commit()
        stats = self.crawler.stats.get_stats()
        process_counts = {
            k.removeprefix("govcrawl/"): v
            for k, v in stats.items()
            if k.startswith("govcrawl/") and isinstance(v, int | float)
        } | {
            "requests": stats.get("downloader/request_count", 0),
            "responses": stats.get("downloader/response_count", 0),
            "bytes_received": stats.get("downloader/response_bytes", 0),
        }
        self.runs.finish(reason, process_counts)
        self.commit()
        self.session.close()
        logger.info("WARC files: %s", ", ".join(str(p) for p in self.writer.closed_files) or "none")
