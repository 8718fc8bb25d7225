"""What a crawl was asked to do, decoded once from the Scrapy settings: ``CrawlConfig``.

Every way of starting a crawl (``govcrawl crawl``, ``scrapy crawl annual_reports -s …``, scrapyd)
ends here, so a run mode means the same whatever started it: the CLI only translates its flags
into settings, and the spider, the middlewares and the archive extension read ``CrawlConfig.of``.
Incoherent settings fail the crawl before it starts with a one-line ``ConfigError``.

Run modes: ``live`` (default: re-crawls ask with validators and stop early in lists), ``full``
(download and walk everything), ``wayback`` (the sites' past through a web archive; like ``full``
it sends no validators and walks every list page, so ``GOVCRAWL_FULL`` adds nothing to it).
``resume`` combines with each of them: it continues the interrupted run, which should be resumed
in the mode it was started in (``--full --resume`` after an interrupted ``--full`` crawl), so full
plus resume is coherent and accepted.

Also here: ``prepare_crawl``, the archive repair that runs once before every crawl.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy.settings import BaseSettings

from govcrawl.discovery.plan import Limits
from govcrawl.wayback import timestamp_of

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from sqlalchemy.orm import Session

    from archive.lock import ArchiveHold


class ConfigError(ValueError):
    """Settings that contradict each other or cannot work; the message is one line naming them."""


class Mode(StrEnum):
    """What is fetched and how (``resume`` is separate: it combines with every mode)."""

    LIVE = "live"
    FULL = "full"
    WAYBACK = "wayback"


# The CLI flag of each setting the CLI sets, so one message serves both ways of starting a crawl.
_FLAGS = {
    "GOVCRAWL_DB_URL": "--db", "GOVCRAWL_WARC_DIR": "--warc-dir", "GOVCRAWL_FULL": "--full",
    "GOVCRAWL_RESUME": "--resume", "GOVCRAWL_WAYBACK": "--wayback",
    "GOVCRAWL_WAYBACK_FROM": "--from", "GOVCRAWL_WAYBACK_TO": "--to",
    "GOVCRAWL_ARCHIVE_URL": "--archive-url",
}
_TIMESTAMP = re.compile(r"\d{4,14}")


def _name(setting: str) -> str:
    flag = _FLAGS.get(setting)
    return f"{setting} ({flag})" if flag else setting


class _Reader:
    """Typed reads of a settings object; an unreadable value is a ConfigError naming its setting."""

    def __init__(self, settings: BaseSettings) -> None:
        self.settings = settings

    def text(self, name: str) -> str:
        return str(self.settings.get(name) or "").strip()

    def flag(self, name: str) -> bool:
        try:
            return self.settings.getbool(name)
        except ValueError:
            raise ConfigError(f"{_name(name)} must be True or False, got "
                              f"{self.settings.get(name)!r}") from None

    def number(self, name: str, *, minimum: int = 0) -> int:
        try:
            value = self.settings.getint(name)
        except (TypeError, ValueError):
            raise ConfigError(f"{_name(name)} must be a whole number, got "
                              f"{self.settings.get(name)!r}") from None
        if value < minimum:
            raise ConfigError(f"{_name(name)} must be at least {minimum}, got {value}")
        return value

    def seconds(self, name: str) -> float:
        try:
            value = self.settings.getfloat(name)
        except (TypeError, ValueError):
            raise ConfigError(f"{_name(name)} must be a number of seconds, got "
                              f"{self.settings.get(name)!r}") from None
        if value < 0:
            raise ConfigError(f"{_name(name)} must not be negative, got {value}")
        return value

    def year(self, name: str) -> int | None:
        """A four-digit year, or None for 0 (no bound)."""
        value = self.number(name)
        if value == 0:
            return None
        if not 1000 <= value <= 9999:
            raise ConfigError(f"{_name(name)} must be a four-digit year (or 0: no bound), got {value}")
        return value


@dataclass(frozen=True)
class CrawlConfig:
    """The run mode and everything derived from it, the storage and the bounds of one crawl."""

    mode: Mode
    resume: bool  # continue the interrupted run (found when the archive is prepared)
    # -- storage
    db_url: str
    warc_dir: str
    warc_prefix: str
    warc_max_size: int
    # -- bounds and manners
    limits: Limits
    max_requests_per_site: int
    wall_delay: float  # seconds between requests to a host after it showed an anti-bot wall
    # -- derived from the mode
    conditional: bool  # If-None-Match / If-Modified-Since for pages captured before
    early_stop: bool  # stop walking a list behind an unchanged page of known reports
    # -- the web archive (used in wayback mode; the URL also by the WARC middleware)
    archive_url: str
    wayback_timestamp: str  # 14 digits: the target time of the captures asked for ("" if live)
    wayback_from: int | None
    wayback_to: int | None

    @property
    def wayback(self) -> bool:
        return self.mode is Mode.WAYBACK

    @property
    def full(self) -> bool:
        return self.mode is Mode.FULL

    def run_arguments(self) -> dict[str, Any]:
        """What the crawl_runs row records of the mode (the spider adds its site arguments)."""
        arguments: dict[str, Any] = {"mode": self.mode.value, "full": self.full}
        if self.wayback:
            arguments["wayback_timestamp"] = self.wayback_timestamp
        return arguments

    @classmethod
    def of(cls, crawler: Crawler) -> CrawlConfig:
        """The crawl's config, decoded on first use and then shared by all its components.

        The spider asks first, from ``from_crawler``, before Scrapy freezes the settings; the
        project has no add-ons that change settings after that, and one object per crawl keeps
        a target time of "now" the same everywhere."""
        config = _configs.get(crawler)
        if config is None:
            config = _configs[crawler] = cls.from_settings(crawler.settings)
        return config

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> CrawlConfig:
        """Decode and check the settings; raises ConfigError on an incoherent combination."""
        read = _Reader(settings)
        full, resume, wayback = (read.flag("GOVCRAWL_FULL"), read.flag("GOVCRAWL_RESUME"),
                                 read.flag("GOVCRAWL_WAYBACK"))
        mode = Mode.WAYBACK if wayback else Mode.FULL if full else Mode.LIVE
        conditional, early_stop = read.flag("GOVCRAWL_CONDITIONAL"), read.flag("GOVCRAWL_EARLY_STOP")

        db_url, warc_dir = read.text("GOVCRAWL_DB_URL"), read.text("GOVCRAWL_WARC_DIR")
        for name, value in (("GOVCRAWL_DB_URL", db_url), ("GOVCRAWL_WARC_DIR", warc_dir)):
            if not value:
                raise ConfigError(f"{_name(name)} is empty: the crawl has nowhere to store "
                                  "what it fetches")

        archive_url = read.text("GOVCRAWL_ARCHIVE_URL")
        parts = urlsplit(archive_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(f"{_name('GOVCRAWL_ARCHIVE_URL')} must be an http(s) URL such as "
                              f"https://web.archive.org, got {archive_url!r}")
        year_from, year_to = read.year("GOVCRAWL_WAYBACK_FROM"), read.year("GOVCRAWL_WAYBACK_TO")
        timestamp = read.text("GOVCRAWL_WAYBACK_TIMESTAMP")
        if not wayback and (year_from or year_to or timestamp):
            given = [_name(n) for n, v in (("GOVCRAWL_WAYBACK_FROM", year_from),
                                           ("GOVCRAWL_WAYBACK_TO", year_to),
                                           ("GOVCRAWL_WAYBACK_TIMESTAMP", timestamp)) if v]
            raise ConfigError(f"{' and '.join(given)} {'is' if len(given) == 1 else 'are'} set but "
                              f"{_name('GOVCRAWL_WAYBACK')} is off (only wayback crawls use these settings)")
        if year_from and year_to and year_from > year_to:
            raise ConfigError(f"{_name('GOVCRAWL_WAYBACK_FROM')} {year_from} is after "
                              f"{_name('GOVCRAWL_WAYBACK_TO')} {year_to}")
        if timestamp and not _TIMESTAMP.fullmatch(timestamp):
            raise ConfigError("GOVCRAWL_WAYBACK_TIMESTAMP must be 4 to 14 digits (YYYYMMDDhhmmss), "
                              f"got {timestamp!r}")
        if wayback and not timestamp:
            # The captures nearest to the end of the last year asked for, else to now.
            timestamp = timestamp_of(year_to, end=True)

        return cls(
            mode=mode,
            resume=resume,
            db_url=db_url,
            warc_dir=warc_dir,
            warc_prefix=read.text("GOVCRAWL_WARC_PREFIX"),
            warc_max_size=read.number("GOVCRAWL_WARC_MAX_SIZE", minimum=1),
            limits=Limits(
                max_section_hops=read.number("GOVCRAWL_MAX_SECTION_HOPS"),
                max_unit_hops=read.number("GOVCRAWL_MAX_UNIT_HOPS"),
                max_list_pages=read.number("GOVCRAWL_MAX_LIST_PAGES"),
                max_column_hops=read.number("GOVCRAWL_MAX_COLUMN_HOPS"),
            ),
            max_requests_per_site=read.number("GOVCRAWL_MAX_REQUESTS_PER_SITE"),
            wall_delay=read.seconds("GOVCRAWL_WALL_DELAY"),
            # A web archive answers with captures, not validators, and the past of a list must
            # be walked to its end; a full crawl asks for everything whole and walks it all.
            conditional=mode is Mode.LIVE and conditional,
            early_stop=mode is Mode.LIVE and early_stop,
            archive_url=archive_url,
            wayback_timestamp=timestamp,
            wayback_from=year_from,
            wayback_to=year_to,
        )


# One config per crawl (CrawlConfig.of); weak, so a finished crawler is not kept alive.
_configs: weakref.WeakKeyDictionary[Crawler, CrawlConfig] = weakref.WeakKeyDictionary()


# -- before a crawl starts ------------------------------------------------------------------------
# The repair (archive.recovery.prepare_run) must run exactly once per crawl and before it opens its
# run row, under the archive's hold (archive.lock: the WARC folder's flock and the database's
# lease), which the crawl then keeps until it closes. ArchiveExtension always asks for it
# (``prepared_run``), which covers scrapy crawl and scrapyd. ``govcrawl crawl`` runs it earlier
# (``prepare_crawl``), before Scrapy starts, so that a busy archive or nothing to resume is a
# one-line error with nothing logged before it; the result and the hold wait here, in this
# process, for that crawl's extension, which takes them instead of repairing again. Held in
# memory, not in a setting: nothing outside this process can claim them.
_prepared: dict[tuple[str, str], tuple[int | None, ArchiveHold]] = {}


def _prepare(config: CrawlConfig, session: Session | None,
             report: Callable[[str], None]) -> tuple[int | None, ArchiveHold]:
    from sqlalchemy import Engine

    from archive.db import session_factory
    from archive.lock import hold_archive
    from archive.recovery import prepare_run

    if session is None:
        with session_factory(config.db_url)() as own:
            return _prepare(config, own, report)
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    # Taken before anything is read: a second crawl, import or reparse on the folder or the
    # database is refused here (ArchiveBusy), before it could repair a live crawl's files.
    hold = hold_archive(engine, "crawl", folder=config.warc_dir)
    try:
        run, lines = prepare_run(session, config.warc_dir, resume=config.resume)
    except BaseException:
        hold.release()
        raise
    for line in lines:
        report(line)
    return run, hold


def prepare_crawl(config: CrawlConfig, report: Callable[[str], None]) -> int | None:
    """Take the archive, repair what a killed crawl left and choose the run to resume (None: a
    new run), ahead of the crawl this process is about to start. Raises
    archive.recovery.ArchiveBusy or NothingToResume; ``report`` gets one line per repair."""
    stale = _prepared.pop((config.db_url, config.warc_dir), None)
    if stale is not None:  # prepared before, and that crawl never opened: let its hold go
        stale[1].release()
    run, hold = _prepare(config, None, report)
    _prepared[(config.db_url, config.warc_dir)] = (run, hold)
    return run


def prepared_run(config: CrawlConfig, session: Session,
                 report: Callable[[str], None]) -> tuple[int | None, ArchiveHold]:
    """For the archive extension as the crawl opens: the run ``prepare_crawl`` chose for this
    archive in this process and its hold, else the hold taken and the repair done now (same
    exceptions). The caller releases the hold when the crawl ends."""
    key = (config.db_url, config.warc_dir)
    if key in _prepared:
        return _prepared.pop(key)
    return _prepare(config, session, report)
