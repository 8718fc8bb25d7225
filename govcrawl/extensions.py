"""The crawl's archive as a Scrapy extension: it composes the archive's parts for one crawl and
owns the database session and its commit policy.

- ``archive.capture_log.CaptureLog``: the WARC writer and the batch of capture rows;
- ``archive.crawl_history.CrawlHistory``: what the database knew when the crawl started
  (priors for conditional requests and revisits, a resumed run's own captures, stored reports);
- ``archive.run_record.RunRecord``: the ``crawl_runs`` row and the problems;
- ``archive.lock.ArchiveHold``: the WARC folder's lock and the database's lease, taken before
  the archive is repaired and held until the crawl closes (one writer per archive).

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
from scrapy.utils.asyncio import AsyncioLoopingCall, create_looping_call
from scrapy.utils.defer import deferred_from_coro
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from twisted.internet.task import LoopingCall

from archive import db
from archive.capture_log import Captured, CaptureLog
from archive.crawl_history import CrawlHistory
from archive.lock import LeaseLost
from archive.priors import PriorLookup
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
        # The archive is taken and repaired once per crawl, here or (govcrawl crawl) just before
        # Scrapy started; ArchiveBusy / NothingToResume fail the crawl (the CLI reports them
        # itself). The hold is ours from here on: let go when the crawl closes, or now if the
        # crawl cannot open.
        try:
            resume_run, self.hold = prepared_run(
                config, self.session, lambda line: logger.warning("archive repaired: %s", line))
        except BaseException:
            self.session.close()
            raise
        try:
            # Scrapy makes the spider before the extensions: its site arguments are known here.
            arguments = dict(getattr(crawler.spider, "arguments", None) or {})
            self.runs = RunRecord(self.session, {**arguments, **config.run_arguments()},
                                  resume_run)
            self.hold.attach(self.session, self.runs.id)  # the lease names the live run
            self.session.commit()
            self.history = CrawlHistory(self.session, self.runs.id, resuming=self.runs.resuming)
            self.captures = CaptureLog(RotatingWarcWriter(
                config.warc_dir, max_size=config.warc_max_size, prefix=config.warc_prefix,
                warcinfo={
                    "http-header-user-agent": settings.get("USER_AGENT"),
                    "robots": "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
                    "operator": settings.get("GOVCRAWL_OPERATOR")
                    or settings.get("GOVCRAWL_CONTACT_URL"),
                    "isPartOf": "govcrawl",
                }), self.runs.id)
        except BaseException:
            self.session.close()
            self.hold.release()
            raise
        self._pending = 0
        self._last_commit = time.monotonic()
        self._ticks: AsyncioLoopingCall | LoopingCall | None = None
        self.closed = False
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
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
    def priors(self) -> PriorLookup:
        return self.history.priors

    @property
    def resumed(self) -> PriorLookup:
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
        self.flush_captures()  # the rows the item's rows refer to
        savepoint = self.session.begin_nested()
        try:
            yield self.session
        except SQLAlchemyError:
            # A row refused in a flush (PostgreSQL: a key too long for its column) leaves the
            # savepoint inactive, yet it is still the one to roll back: the outer transaction,
            # the batch's other reports, stays. Only if that fails is the whole batch undone.
            try:
                savepoint.rollback()
            except SQLAlchemyError:
                self.rollback()  # the connection itself failed: the whole batch
            raise
        savepoint.commit()
        self.touch()

    def touch(self) -> None:
        """Count a pending write; commit in batches (by count or age)."""
        self._pending += 1
        if self._pending >= self.COMMIT_EVERY or time.monotonic() - self._last_commit > self.COMMIT_SECONDS:
            self.commit()

    def flush_captures(self) -> None:
        """Insert the queued capture rows now (before rows that refer to them). A row the
        database refuses is a ``db_error`` problem; its record stays in the WARC file."""
        self.captures.flush(self.session)
        while self.captures.refused:
            row, exc = self.captures.refused.pop(0)
            reason = f"{type(exc).__name__}: {exc}".splitlines()[0]
            self.runs.problem("db_error", f"capture row {row.get('id')} refused: {reason}",
                              row.get("url"))
            self.crawler.stats.inc_value("govcrawl/problems/db_error")

    def commit(self) -> None:
        """Commit the batch; the database's lease is renewed in the same transaction (when it is
        due), so a crawl that commits holds its lease without a second connection."""
        lost: LeaseLost | None = None
        self._sync_warc()
        try:
            self.flush_captures()
            try:
                self.hold.renew(self.session)
            except LeaseLost as exc:
                lost = exc  # our rows are still ours to commit; then the crawl stops
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
        if lost is not None:
            self._stop(lost)

    def _sync_warc(self) -> None:
        """The records this batch's capture rows point at, on disk before the rows are
        committed: a power loss could otherwise leave the database pointing past the end of
        the WARC file (review L2). One fdatasync per batch, a few milliseconds."""
        try:
            self.writer.sync()
        except OSError as exc:
            # The rows are committed all the same (holding them back would lose the batch's
            # reports as well); a crash that then cuts their records is found by the next
            # crawl's repair, which flags the rows lost and fetches the pages again.
            # Not self.problem: its touch() could commit again from inside this commit.
            self.runs.problem("warc_write_error",
                              f"WARC file not synced to disk: {type(exc).__name__}: {exc}")
            self.crawler.stats.inc_value("govcrawl/problems/warc_write_error")

    def _stop(self, lost: LeaseLost) -> None:
        """Another process took the database after our lease expired (this one stalled past
        it): two writers must not go on, so this crawl closes."""
        logger.error("%s", lost)
        self.crawler.stats.inc_value("govcrawl/lease_lost")
        engine = getattr(self.crawler, "engine", None)
        if not self.closed and hasattr(engine, "close_spider_async"):
            deferred_from_coro(engine.close_spider_async(reason="lease_lost"))

    def _tick(self) -> None:
        """On a timer: a batch waiting since the last write is committed after COMMIT_SECONDS
        (its SQLite write lock released), and the lease renewed while nothing is written."""
        if self.closed:
            return
        if (self._pending and time.monotonic() - self._last_commit > self.COMMIT_SECONDS) \
                or self.hold.due():
            self.commit()

    def rollback(self) -> None:
        """Undo a failed transaction; capture rows it held are queued again (WARC is untouched)."""
        self.session.rollback()
        self.captures.requeue()

    # -- lifecycle --------------------------------------------------------------------------------
    def spider_opened(self, spider: Any) -> None:
        # Started with the engine (its loop runs then), stopped in spider_closed.
        self._ticks = create_looping_call(self._tick)
        self._ticks.start(self.COMMIT_SECONDS, now=False)

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.closed:
            return
        self.closed = True
        if self._ticks is not None and self._ticks.running:
            self._ticks.stop()
        try:
            self._close(reason)
        finally:
            self.session.close()
            self.hold.release()  # after the last commit: the next writer finds it all

    def _close(self, reason: str) -> None:
        # The batch first: its capture rows point at records already flushed to the file, so
        # they are right whatever closing the file does. Closing first lost the batch and left
        # the run "running" whenever the close failed (review M6).
        self.commit()
        try:
            self.captures.close()
        except OSError as exc:
            # Disk full or I/O error on the final fsync/rename: the records written are kept
            # (the next crawl's repair closes a left-over .open file); the run still finishes.
            self.problem("warc_write_error", f"closing the WARC file failed: "
                                             f"{type(exc).__name__}: {exc}")
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
        logger.info("WARC files: %s", ", ".join(str(p) for p in self.writer.closed_files) or "none")
