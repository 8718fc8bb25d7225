"""CrawlConfig: the run modes decoded once from the settings, the same whichever way a crawl is
started (``govcrawl crawl``, ``scrapy crawl -s …``, scrapyd); the components switched off by it;
the archive prepared once per crawl."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from scrapy import signals
from scrapy.commands.crawl import Command
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.settings import Settings
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.project import get_project_settings
from scrapy.utils.test import get_crawler, get_reactor_settings

import archive.recovery
from archive.recovery import NothingToResume
from govcrawl import settings as project
from govcrawl.cli import build_parser, crawl_settings
from govcrawl.config import ConfigError, CrawlConfig, Mode, prepare_crawl
from govcrawl.discovery.plan import Limits
from govcrawl.extensions import ArchiveExtension
from govcrawl.middlewares import (
    ConditionalRequestMiddleware,
    ResumeReplayMiddleware,
    WaybackMiddleware,
)
from govcrawl.spiders.annual_reports import AnnualReportsSpider

SITE = "http://www.lueyang.gov.cn/"


def settings(**values: Any) -> Settings:
    """The project settings with ``values`` set as ``-s KEY=VALUE`` sets them (strings)."""
    result = Settings()
    result.setmodule("govcrawl.settings", priority="project")
    result.setdict({k: str(v) for k, v in values.items()}, priority="cmdline")
    return result


def config(**values: Any) -> CrawlConfig:
    return CrawlConfig.from_settings(settings(**values))


# -- derivations -------------------------------------------------------------------------------

def test_by_default_a_live_crawl_with_validators_and_early_stop() -> None:
    c = config()
    assert (c.mode, c.resume, c.conditional, c.early_stop) == (Mode.LIVE, False, True, True)
    assert (c.db_url, c.warc_dir) == (project.GOVCRAWL_DB_URL, project.GOVCRAWL_WARC_DIR)
    assert c.limits == Limits(max_section_hops=3, max_unit_hops=3, max_list_pages=200,
                              max_column_hops=3)
    assert (c.max_requests_per_site, c.wall_delay) == (5000, 30.0)
    assert (c.wayback_timestamp, c.wayback_from, c.wayback_to) == ("", None, None)


def test_wayback_sends_no_validators_walks_every_list_page_and_aims_at_the_end_of_to() -> None:
    c = config(GOVCRAWL_WAYBACK=True, GOVCRAWL_WAYBACK_FROM=2015, GOVCRAWL_WAYBACK_TO=2019,
               GOVCRAWL_CONDITIONAL=True, GOVCRAWL_EARLY_STOP=True)
    assert c.mode is Mode.WAYBACK and c.wayback and not c.full
    assert not c.conditional and not c.early_stop
    assert (c.wayback_timestamp, c.wayback_from, c.wayback_to) == ("20191231235959", 2015, 2019)


def test_wayback_without_to_aims_at_now_and_an_explicit_timestamp_wins() -> None:
    now = config(GOVCRAWL_WAYBACK=True).wayback_timestamp
    assert len(now) == 14 and now[:4] in {str(datetime.now(UTC).year - 1), str(datetime.now(UTC).year)}
    explicit = config(GOVCRAWL_WAYBACK=True, GOVCRAWL_WAYBACK_TO=2019,
                      GOVCRAWL_WAYBACK_TIMESTAMP="20180601")
    assert explicit.wayback_timestamp == "20180601"


def test_full_sends_no_validators_and_walks_everything() -> None:
    c = config(GOVCRAWL_FULL=True)
    assert c.mode is Mode.FULL and c.full and not c.conditional and not c.early_stop
    # A wayback crawl already walks everything: --full adds nothing to it.
    assert config(GOVCRAWL_FULL=True, GOVCRAWL_WAYBACK=True).mode is Mode.WAYBACK


def test_resume_combines_with_every_mode() -> None:
    for mode, values in ((Mode.LIVE, {}), (Mode.FULL, {"GOVCRAWL_FULL": True}),
                         (Mode.WAYBACK, {"GOVCRAWL_WAYBACK": True})):
        c = config(GOVCRAWL_RESUME=True, **values)
        assert (c.mode, c.resume) == (mode, True)


def test_one_switch_alone_turns_off_only_its_feature() -> None:
    c = config(GOVCRAWL_CONDITIONAL=False)
    assert c.mode is Mode.LIVE and not c.conditional and c.early_stop


# -- incoherent settings -------------------------------------------------------------------------

@pytest.mark.parametrize(("values", "message"), [
    ({"GOVCRAWL_WAYBACK": True, "GOVCRAWL_WAYBACK_FROM": 2020, "GOVCRAWL_WAYBACK_TO": 2019},
     "GOVCRAWL_WAYBACK_FROM (--from) 2020 is after GOVCRAWL_WAYBACK_TO (--to) 2019"),
    ({"GOVCRAWL_WAYBACK_TO": 2019},
     "GOVCRAWL_WAYBACK_TO (--to) is set but GOVCRAWL_WAYBACK (--wayback) is off"),
    ({"GOVCRAWL_WAYBACK_FROM": 2012, "GOVCRAWL_WAYBACK_TIMESTAMP": "20190101"},
     "GOVCRAWL_WAYBACK_FROM (--from) and GOVCRAWL_WAYBACK_TIMESTAMP are set but"),
    ({"GOVCRAWL_DB_URL": ""}, "GOVCRAWL_DB_URL (--db) is empty"),
    ({"GOVCRAWL_WARC_DIR": "  "}, "GOVCRAWL_WARC_DIR (--warc-dir) is empty"),
    ({"GOVCRAWL_WAYBACK": True, "GOVCRAWL_ARCHIVE_URL": "ftp://archive.example.org"},
     "GOVCRAWL_ARCHIVE_URL (--archive-url) must be an http(s) URL"),
    ({"GOVCRAWL_ARCHIVE_URL": "web.archive.org"}, "must be an http(s) URL such as https://web.archive.org, "
                                                  "got 'web.archive.org'"),
    ({"GOVCRAWL_WAYBACK": True, "GOVCRAWL_WAYBACK_TO": 19}, "GOVCRAWL_WAYBACK_TO (--to) must be a four-digit year"),
    ({"GOVCRAWL_WAYBACK": True, "GOVCRAWL_WAYBACK_TIMESTAMP": "2019-06"}, "must be 4 to 14 digits"),
    ({"GOVCRAWL_WAYBACK": "maybe"}, "GOVCRAWL_WAYBACK (--wayback) must be True or False, got 'maybe'"),
    ({"GOVCRAWL_MAX_LIST_PAGES": "many"}, "GOVCRAWL_MAX_LIST_PAGES must be a whole number, got 'many'"),
    ({"GOVCRAWL_MAX_REQUESTS_PER_SITE": -1}, "GOVCRAWL_MAX_REQUESTS_PER_SITE must be at least 0"),
    ({"GOVCRAWL_WARC_MAX_SIZE": 0}, "GOVCRAWL_WARC_MAX_SIZE must be at least 1"),
    ({"GOVCRAWL_WALL_DELAY": -5}, "GOVCRAWL_WALL_DELAY must not be negative"),
])
def test_incoherent_settings_are_one_clear_config_error(values: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        config(**values)
    assert message in str(raised.value)
    assert "\n" not in str(raised.value) and isinstance(raised.value, ValueError)


# -- the same config whichever way the crawl is started -----------------------------------------

def scrapy_crawl_settings(monkeypatch: pytest.MonkeyPatch, args: list[str]) -> Settings:
    """The settings ``scrapy crawl annual_reports ARGS`` runs with, as Scrapy builds them."""
    monkeypatch.setenv("SCRAPY_SETTINGS_MODULE", "govcrawl.settings")
    command = Command()
    command.settings = get_project_settings()
    parser = argparse.ArgumentParser()
    command.add_options(parser)
    command.process_options([], parser.parse_args(args))
    return command.settings


@pytest.mark.parametrize(("cli", "scrapy_crawl"), [
    (["--wayback", "--to", "2019"], ["-s", "GOVCRAWL_WAYBACK=True", "-s", "GOVCRAWL_WAYBACK_TO=2019"]),
    (["--wayback", "--from", "2012", "--to", "2019", "--archive-url", "http://archive.test"],
     ["-s", "GOVCRAWL_WAYBACK=True", "-s", "GOVCRAWL_WAYBACK_FROM=2012", "-s", "GOVCRAWL_WAYBACK_TO=2019",
      "-s", "GOVCRAWL_ARCHIVE_URL=http://archive.test"]),
    (["--full", "--resume"], ["-s", "GOVCRAWL_FULL=True", "-s", "GOVCRAWL_RESUME=True"]),
    ([], []),
])
def test_scrapy_crawl_settings_give_the_config_of_the_cli_flags(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, cli: list[str], scrapy_crawl: list[str]) -> None:
    db, warc = f"sqlite:///{tmp_path / 'g.sqlite'}", str(tmp_path / "warc")
    args = build_parser().parse_args(["crawl", "--site", SITE, "--db", db, "--warc-dir", warc, *cli])
    from_cli = CrawlConfig.from_settings(crawl_settings(args))
    from_scrapy = CrawlConfig.from_settings(scrapy_crawl_settings(
        monkeypatch, ["-s", f"GOVCRAWL_DB_URL={db}", "-s", f"GOVCRAWL_WARC_DIR={warc}", *scrapy_crawl]))
    assert from_scrapy == from_cli


def test_the_cli_takes_its_storage_defaults_from_the_settings_module() -> None:
    args = build_parser().parse_args(["crawl", "--site", SITE])
    assert (args.db, args.warc_dir) == (project.GOVCRAWL_DB_URL, project.GOVCRAWL_WARC_DIR)
    assert build_parser().parse_args(["verify"]).warc_dir == project.GOVCRAWL_WARC_DIR


# -- components built from it --------------------------------------------------------------------

@pytest.fixture
def make_crawler(tmp_path: Path) -> Iterator[Callable[..., Crawler]]:
    """Crawlers over the project settings with their archive in ``tmp_path`` (the extension is
    built, so the archive is prepared and the run row opened, as when a crawl starts)."""
    made: list[Crawler] = []

    def make(**values: Any) -> Crawler:
        crawler = get_crawler(AnnualReportsSpider, {
            **{name: getattr(project, name) for name in dir(project) if name.isupper()},
            **get_reactor_settings(),
            "GOVCRAWL_DB_URL": f"sqlite:///{tmp_path / 'govcrawl.sqlite'}",
            "GOVCRAWL_WARC_DIR": str(tmp_path / "warc"),
            "LOG_LEVEL": "WARNING",
            **values,
        })
        made.append(crawler)
        return crawler

    yield make
    for crawler in made:
        close(crawler)


def close(crawler: Crawler, reason: str = "finished") -> None:
    crawler.signals.send_catch_log(signals.spider_closed, spider=crawler.spider, reason=reason)


def installed(crawler: Crawler) -> set[str]:
    names = set()
    for cls in (ConditionalRequestMiddleware, WaybackMiddleware, ResumeReplayMiddleware):
        try:
            build_from_crawler(cls, crawler)
        except NotConfigured:
            continue
        names.add(cls.__name__)
    return names


def test_a_live_crawl_installs_only_the_conditional_middleware(make_crawler: Callable[..., Crawler]) -> None:
    assert installed(make_crawler()) == {"ConditionalRequestMiddleware"}


def test_a_full_crawl_installs_none_of_them(make_crawler: Callable[..., Crawler]) -> None:
    assert installed(make_crawler(GOVCRAWL_FULL=True)) == set()


def test_a_wayback_crawl_installs_the_wayback_middleware_aimed_at_to(
        make_crawler: Callable[..., Crawler]) -> None:
    crawler = make_crawler(GOVCRAWL_WAYBACK=True, GOVCRAWL_WAYBACK_TO=2019,
                           GOVCRAWL_ARCHIVE_URL="http://archive.test")
    assert installed(crawler) == {"WaybackMiddleware"}
    wayback = build_from_crawler(WaybackMiddleware, crawler)
    assert (wayback.base, wayback.timestamp) == ("http://archive.test", "20191231235959")


def test_resuming_installs_the_replay_middleware_and_continues_the_interrupted_run(
        make_crawler: Callable[..., Crawler]) -> None:
    first = make_crawler()
    close(first, reason="shutdown")  # stopped: unfinished, its process gone once it exits
    interrupted = ArchiveExtension.of(first).run_id
    resumed = make_crawler(GOVCRAWL_RESUME=True)
    assert installed(resumed) == {"ConditionalRequestMiddleware", "ResumeReplayMiddleware"}
    archive = ArchiveExtension.of(resumed)
    assert archive.runs.resuming and archive.run_id == interrupted


def test_resuming_with_nothing_interrupted_fails_the_crawl_as_it_opens(
        make_crawler: Callable[..., Crawler]) -> None:
    with pytest.raises(NothingToResume):
        make_crawler(GOVCRAWL_RESUME=True)


def test_the_run_row_records_the_mode(make_crawler: Callable[..., Crawler]) -> None:
    run = ArchiveExtension.of(make_crawler(GOVCRAWL_FULL=True)).runs.run
    assert run.arguments["mode"] == "full" and run.arguments["full"] is True


def test_the_spider_reads_its_mode_and_bounds_when_made(tmp_path: Path) -> None:
    crawler = Crawler(AnnualReportsSpider, settings(
        GOVCRAWL_WAYBACK=True, GOVCRAWL_ARCHIVE_URL="http://archive.test",
        GOVCRAWL_MAX_LIST_PAGES=7, GOVCRAWL_MAX_REQUESTS_PER_SITE=11,
        GOVCRAWL_DB_URL=f"sqlite:///{tmp_path / 'g.sqlite'}"))
    spider = AnnualReportsSpider.from_crawler(crawler, site=SITE)
    assert spider.limits.max_list_pages == 7 and spider.config.max_requests_per_site == 11
    assert spider.wayback and not spider.early_stop
    assert "archive.test" in spider.allowed_domains  # every request goes to the archive
    assert CrawlConfig.of(crawler) is spider.config  # one config per crawl
    assert spider.arguments == {"sites": None, "site": SITE}


def test_the_spider_stops_incoherent_settings_before_the_archive_is_opened(tmp_path: Path) -> None:
    crawler = Crawler(AnnualReportsSpider, settings(
        GOVCRAWL_WAYBACK=True, GOVCRAWL_WAYBACK_FROM=2021, GOVCRAWL_WAYBACK_TO=2019,
        GOVCRAWL_DB_URL=f"sqlite:///{tmp_path / 'g.sqlite'}"))
    with pytest.raises(ConfigError, match="2021 is after"):
        AnnualReportsSpider.from_crawler(crawler, site=SITE)
    assert not (tmp_path / "g.sqlite").exists()


# -- the archive is prepared once per crawl -------------------------------------------------------

@pytest.fixture
def preparations(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Each call of archive.recovery.prepare_run (its ``resume``), still doing the real work."""
    calls: list[bool] = []
    real = archive.recovery.prepare_run

    def counted(session: Any, warc_dir: str, *, resume: bool) -> Any:
        calls.append(resume)
        return real(session, warc_dir, resume=resume)

    monkeypatch.setattr(archive.recovery, "prepare_run", counted)
    return calls


def test_a_crawl_started_by_scrapy_prepares_its_archive_when_it_opens(
        make_crawler: Callable[..., Crawler], preparations: list[bool]) -> None:
    make_crawler()
    assert preparations == [False]


def test_a_crawl_the_cli_prepared_is_not_prepared_again(
        make_crawler: Callable[..., Crawler], preparations: list[bool], tmp_path: Path) -> None:
    lines: list[str] = []
    cli_config = config(GOVCRAWL_DB_URL=f"sqlite:///{tmp_path / 'govcrawl.sqlite'}",
                        GOVCRAWL_WARC_DIR=str(tmp_path / "warc"))
    assert prepare_crawl(cli_config, lines.append) is None
    close(make_crawler())
    assert preparations == [False]
    make_crawler()  # the next crawl in this process prepares its archive again
    assert preparations == [False, False]
