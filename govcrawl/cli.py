"""``govcrawl`` command line: crawl, status, history, verify, import, index, wacz, export,
reparse, demo."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from sqlalchemy.exc import ArgumentError, OperationalError

from govcrawl import settings as defaults
from govcrawl.analysis import PoolLimits
from govcrawl.config import ConfigError, CrawlConfig, prepare_crawl


class UserError(Exception):
    """A problem the user can fix; printed without a traceback."""


def project_settings(db_url: str, warc_dir: str, overrides: Sequence[str] = ()) -> Settings:
    settings = Settings()
    settings.setmodule("govcrawl.settings", priority="project")
    settings.set("GOVCRAWL_DB_URL", db_url, priority="cmdline")
    settings.set("GOVCRAWL_WARC_DIR", warc_dir, priority="cmdline")
    for pair in overrides:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UserError(f"-s expects KEY=VALUE, got {pair!r}")
        settings.set(key.strip(), value, priority="cmdline")
    return settings


def check_db_url(url: str, *, must_exist: bool = False) -> None:
    from sqlalchemy.engine import make_url

    from archive.db import connect

    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise UserError(f"--db: not a database URL: {url!r} ({exc})") from None
    if (must_exist and parsed.get_backend_name() == "sqlite" and parsed.database
            and not Path(parsed.database).exists()):
        raise UserError(f"--db: no database at {parsed.database} (run govcrawl crawl first)")
    try:
        connect(url).dispose()
    except ArgumentError as exc:
        raise UserError(f"--db: not a database URL: {url!r} ({exc})") from None
    except OperationalError as exc:
        raise UserError(f"--db: cannot open database {url!r}: {exc.orig}") from None
    except ModuleNotFoundError as exc:
        raise UserError(f"--db: the driver for {url!r} is not installed ({exc.name})") from None


class CrawlFailed(Exception):
    """The crawl could not run (a bug or a broken environment); details are in the log."""


def run_crawl(settings: Settings, *, sites: str | None, site: str | None) -> None:
    if sites and not Path(sites).is_file():
        raise UserError(f"--sites: no such file: {sites}")
    if not sites and not site:
        raise UserError("give --sites FILE.csv or --site URL")
    try:
        # The crawl decodes the same settings again (CrawlConfig.of); this copy checks them
        # before Scrapy starts logging, so a contradiction is one line and exit status 2.
        config = CrawlConfig.from_settings(settings)
    except ConfigError as exc:
        raise UserError(str(exc)) from None
    check_db_url(config.db_url)
    prepare_archive(config)
    process = CrawlerProcess(settings)
    failures: list[str] = []
    deferred = process.crawl("annual_reports", sites=sites, site=site)
    deferred.addErrback(lambda failure: failures.append(failure.getErrorMessage()))
    process.start()
    if failures:
        raise CrawlFailed(failures[0])


def prepare_archive(config: CrawlConfig) -> int | None:
    """Repair what a killed crawl left (``govcrawl.config.prepare_crawl``, which hands the result
    to the crawl about to start); the run to resume, if asked."""
    from archive.recovery import ArchiveBusy, NothingToResume

    try:
        return prepare_crawl(config, lambda line: print(f"govcrawl: {line}", file=sys.stderr))
    except ArchiveBusy as exc:
        raise UserError(str(exc)) from None
    except NothingToResume:
        raise UserError(f"--resume: no interrupted crawl in {config.db_url}") from None


def reports_per_year(db_url: str) -> list[tuple[int | None, int, Counter[str]]]:
    """(year, count, count by admin level) for the report table."""
    from sqlalchemy import select

    from archive.db import session_factory
    from archive.models import Report

    with session_factory(db_url)() as session:
        rows = session.execute(select(Report.year, Report.admin_level)).all()
    years: dict[int | None, Counter[str]] = {}
    for year, level in rows:
        years.setdefault(year, Counter())[level or "?"] += 1
    return [(y, sum(c.values()), c) for y, c in sorted(years.items(), key=lambda kv: kv[0] or 0)]


def last_run_counts(db_url: str) -> dict[str, int]:
    from sqlalchemy import select

    from archive.db import session_factory
    from archive.models import CrawlRun

    with session_factory(db_url)() as session:
        run = session.scalar(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(1))
        return dict(run.counts) if run else {}


def print_year_table(db_url: str) -> None:
    rows = reports_per_year(db_url)
    print(f"{'year':>6} {'reports':>8}  by level")
    for year, count, levels in rows:
        detail = ", ".join(f"{k} {v}" for k, v in sorted(levels.items()))
        print(f"{year if year is not None else '?':>6} {count:>8}  {detail}")
    print(f"{'total':>6} {sum(r[1] for r in rows):>8}")


def crawl_settings(args: argparse.Namespace) -> Settings:
    """``govcrawl crawl``'s flags as the settings ``scrapy crawl -s`` would give; what they imply
    (no validators in a wayback crawl, its target time …) is derived by ``CrawlConfig``."""
    settings = project_settings(args.db, args.warc_dir, args.set)
    given = {"GOVCRAWL_FULL": args.full or None, "GOVCRAWL_RESUME": args.resume or None,
             "GOVCRAWL_WAYBACK": args.wayback or None, "GOVCRAWL_WAYBACK_FROM": args.year_from,
             "GOVCRAWL_WAYBACK_TO": args.year_to, "GOVCRAWL_ARCHIVE_URL": args.archive_url}
    for key, value in given.items():
        if value is not None:  # a flag not given leaves the setting (and any -s) alone
            settings.set(key, value, priority="cmdline")
    return settings


def cmd_crawl(args: argparse.Namespace) -> None:
    run_crawl(crawl_settings(args), sites=args.sites, site=args.site)


def cmd_status(args: argparse.Namespace) -> None:
    from archive.db import session_factory
    from archive.runs import status_lines

    check_db_url(args.db, must_exist=True)
    with session_factory(args.db)() as session:
        print("\n".join(status_lines(session, runs=args.runs)))


def cmd_history(args: argparse.Namespace) -> None:
    from archive.db import session_factory
    from archive.history import history_lines

    check_db_url(args.db, must_exist=True)
    with session_factory(args.db)() as session:
        lines = history_lines(session, args.url)
    if lines is None:
        raise UserError(f"no report with URL {args.url} in {args.db}")
    print("\n".join(lines))


def cmd_verify(args: argparse.Namespace) -> None:
    from archive.db import session_factory
    from archive.verify import format_problem, format_summary, verify_archive

    check_db_url(args.db, must_exist=True)
    if not Path(args.warc_dir).is_dir():
        raise UserError(f"--warc-dir: no such folder: {args.warc_dir}")
    with session_factory(args.db)() as session:
        # Each problem printed as found (a big archive takes a while); the summary counts all.
        report = verify_archive(session, args.warc_dir,
                                emit=lambda problem: print(format_problem(problem), flush=True))
    print(format_summary(report))
    if not report.ok:
        raise Unverified(f"{report.total} problems")


def cmd_import(args: argparse.Namespace) -> None:
    from archive.importer import import_files
    from archive.lock import ArchiveBusy

    missing = [path for path in args.files if not Path(path).is_file()]
    if missing:
        raise UserError(f"import: no such file: {', '.join(missing)}")
    check_db_url(args.db)
    settings = project_settings(args.db, defaults.GOVCRAWL_WARC_DIR, args.set)
    try:
        result = import_files(args.db, args.files, copy_dir=args.copy, workers=args.workers,
                              limits=PoolLimits.from_settings(settings),
                              max_payload=settings.getint("DOWNLOAD_MAXSIZE"))
    except ArchiveBusy as exc:  # a crawl, import or reparse writes to the database or folder
        raise UserError(f"import: {exc}") from None
    print("\n".join(result.lines()), file=sys.stderr)
    if not result.ok:
        raise CommandFailed("import: no file could be imported (see the lines above)")


def cmd_index(args: argparse.Namespace) -> None:
    from archive.cdxj import index_warc_dir

    if not Path(args.warc_dir).is_dir():
        raise UserError(f"--warc-dir: no such folder: {args.warc_dir}")
    out = args.out or str(Path(args.warc_dir) / "index.cdxj")
    lines = index_warc_dir(args.warc_dir, out)
    print(f"indexed {lines} records into {out}", file=sys.stderr)


def cmd_wacz(args: argparse.Namespace) -> None:
    from archive.wacz import WaczError, write_wacz

    check_db_url(args.db, must_exist=True)
    try:
        summary = write_wacz(args.db, args.warc_dir, args.out, title=args.title)
    except (ValueError, FileNotFoundError, WaczError) as exc:
        raise UserError(f"wacz: {exc}") from None
    print(f"wrote {summary.path}: {len(summary.warc_files)} WARC files, {summary.pages} report "
          f"pages, {summary.size:,} bytes in {summary.seconds:.1f} s", file=sys.stderr)
    for item in [*summary.skipped_open, *summary.skipped_reports]:
        print(f"govcrawl: skipped {item}", file=sys.stderr)


class CommandFailed(Exception):
    """A command ran but did not achieve its purpose (said above); exit status 1."""


class Unverified(Exception):
    """``govcrawl verify`` found problems (they are printed; nothing was changed)."""


def cmd_export(args: argparse.Namespace) -> None:
    from archive.db import session_factory
    from archive.export import export

    check_db_url(args.db, must_exist=True)
    out_path = Path(args.out) if args.out and args.out != "-" else None
    if out_path is not None:
        out_path.parent.mkdir(parents=True, exist_ok=True)
    with session_factory(args.db)() as session:
        if out_path is None:
            count = export(session, args.format, sys.stdout)
        else:
            with open(out_path, "w", encoding="utf-8", newline="") as fh:
                count = export(session, args.format, fh)
    print(f"exported {count} reports to {out_path or 'stdout'}", file=sys.stderr)


def cmd_reparse(args: argparse.Namespace) -> None:
    from archive.lock import ArchiveBusy
    from govcrawl.reparse import reparse

    check_db_url(args.db, must_exist=True)
    settings = project_settings(args.db, defaults.GOVCRAWL_WARC_DIR, args.set)
    try:
        result = reparse(args.db, workers=args.workers, limits=PoolLimits.from_settings(settings),
                         max_payload=settings.getint("DOWNLOAD_MAXSIZE"))
    except ArchiveBusy as exc:  # a crawl, import or reparse writes to the database
        raise UserError(f"reparse: {exc}") from None
    print(f"reparsed {result.reports} reports; {result.failed} could not be read (see table problems)",
          file=sys.stderr)


def cmd_demo(args: argparse.Namespace) -> None:
    # The simulated web is a separate package (simweb), installed with the source tree; a plain
    # `pip install govcrawl` crawls without it.
    try:
        from simweb import build_demo_web
    except ModuleNotFoundError as exc:
        if exc.name is None or exc.name.split(".")[0] != "simweb":
            raise
        raise UserError("the demo needs the simulated web (package simweb): install govcrawl "
                        "from its source tree (make install)") from None

    with build_demo_web() as web:
        # The demo portal lives on loopback; the crawler reaches it as a proxy, as in the tests.
        os.environ["http_proxy"] = web.proxy_url
        os.environ.pop("no_proxy", None)
        os.environ.pop("NO_PROXY", None)
        sites_csv = Path(args.warc_dir).parent / "demo-sites.csv"
        sites_csv.parent.mkdir(parents=True, exist_ok=True)
        web.write_sites_csv(sites_csv)
        log_file = sites_csv.parent / "demo.log"
        print(f"demo web on {web.proxy_url}: " + ", ".join(s.url for s in web.sites))
        print(f"crawling with the default (polite) settings; Scrapy's log goes to {log_file}")
        settings = project_settings(args.db, args.warc_dir, [f"LOG_FILE={log_file}", *args.set])
        run_crawl(settings, sites=str(sites_csv), site=None)
    warcs = sorted(Path(args.warc_dir).glob("*.warc.gz"))
    counts = last_run_counts(args.db)
    print()
    print(f"archived {counts.get('captures', 0)} exchanges ({counts.get('captured_bytes', 0):,} bytes) "
          f"as request + response records")
    print(f"WARC files ({len(warcs)}) in {Path(args.warc_dir).resolve()}")
    print(f"database: {args.db}")
    problems = sum(v for k, v in counts.items() if k.startswith("problems/"))
    print(f"problems recorded (table problems): {problems}")
    print(f"reports expected on the demo web: {len(web.expected_reports)}; found:")
    print_year_table(args.db)
    print(f"\nnext: govcrawl export --db {args.db} --format csv --out reports.csv")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="govcrawl", description=__doc__)
    # The storage defaults are the crawl's (govcrawl/settings.py), so every command finds them.
    db_default, warc_default = defaults.GOVCRAWL_DB_URL, defaults.GOVCRAWL_WARC_DIR
    parser.add_argument("--log-level", default="INFO", help="Scrapy log level (default INFO)")
    sub = parser.add_subparsers(dest="command", required=True)

    def storage(p: argparse.ArgumentParser) -> None:
        p.add_argument("--db", default=db_default, help=f"SQLAlchemy URL (default {db_default})")
        p.add_argument("--warc-dir", default=warc_default,
                       help=f"WARC folder (default {warc_default})")
        p.add_argument("-s", "--set", action="append", default=[], metavar="KEY=VALUE",
                       help="override a Scrapy/govcrawl setting")

    def analysis_options(p: argparse.ArgumentParser) -> None:
        # The crawl's analysis limits (GOVCRAWL_EXTRACT_TIMEOUT, _MEMORY_MB …) apply here too.
        p.add_argument("--workers", type=int, default=0,
                       help="analysis worker processes (default: one per core)")
        p.add_argument("-s", "--set", action="append", default=[], metavar="KEY=VALUE",
                       help="override a govcrawl setting (e.g. GOVCRAWL_EXTRACT_TIMEOUT=30)")

    crawl = sub.add_parser("crawl", help="crawl portals for annual reports")
    crawl.add_argument("--sites", help="CSV with header name,url[,level,region_code]")
    crawl.add_argument("--site", help="one portal home URL (comma-separate several)")
    crawl.add_argument("--full", action="store_true",
                       help="download and walk everything again (no conditional requests, no early "
                            "stop in lists)")
    crawl.add_argument("--wayback", action="store_true",
                       help="crawl the sites' past through a web archive (raw captures nearest to "
                            "--to, and the archive's CDX index for pages nothing links to any more)")
    crawl.add_argument("--from", dest="year_from", type=int, metavar="YEAR",
                       help="with --wayback: captures from this year on")
    crawl.add_argument("--to", dest="year_to", type=int, metavar="YEAR",
                       help="with --wayback: captures up to this year (the target time)")
    crawl.add_argument("--archive-url", help="with --wayback: the archive's base URL "
                                             "(default https://web.archive.org)")
    crawl.add_argument("--resume", action="store_true",
                       help="continue the crawl that was stopped or killed, without refetching "
                            "what it completed")
    storage(crawl)
    crawl.set_defaults(func=cmd_crawl)

    status = sub.add_parser("status", help="the last crawl runs and each site's report years")
    status.add_argument("--db", default=db_default)
    status.add_argument("--runs", type=int, default=10, help="how many runs to show (default 10)")
    status.set_defaults(func=cmd_status)

    history = sub.add_parser("history", help="the versions of one report and what changed")
    history.add_argument("url", help="the report's URL")
    history.add_argument("--db", default=db_default)
    history.set_defaults(func=cmd_history)

    verify = sub.add_parser("verify", help="check every WARC file and capture pointer; changes nothing")
    verify.add_argument("--db", default=db_default)
    verify.add_argument("--warc-dir", default=warc_default)
    verify.set_defaults(func=cmd_verify)

    imp = sub.add_parser("import", help="find and parse the reports in third-party WARC/ARC files "
                                         "(pointers into the files; nothing copied without --copy)")
    imp.add_argument("files", nargs="+", metavar="FILE", help=".warc(.gz) or .arc(.gz) files")
    imp.add_argument("--db", default=db_default)
    imp.add_argument("--copy", metavar="DIR", help="copy the files into DIR and point there")
    analysis_options(imp)
    imp.set_defaults(func=cmd_import)

    index = sub.add_parser("index", help="write a CDXJ index of the WARC folder")
    index.add_argument("--warc-dir", default=warc_default)
    index.add_argument("--out", help="index file (default WARC_DIR/index.cdxj)")
    index.set_defaults(func=cmd_index)

    wacz = sub.add_parser("wacz", help="package the WARCs, an index and the report pages as WACZ "
                                       "(opens in ReplayWeb.page)")
    wacz.add_argument("--out", required=True, help="the .wacz file to write")
    wacz.add_argument("--db", default=db_default)
    wacz.add_argument("--warc-dir", default=warc_default)
    wacz.add_argument("--title", help="collection title")
    wacz.set_defaults(func=cmd_wacz)

    exp = sub.add_parser("export", help="export reports as JSONL or CSV")
    exp.add_argument("--db", default=db_default)
    exp.add_argument("--format", choices=("jsonl", "csv", "cells"), default="jsonl",
                     help="jsonl: one report per line; csv: one row per report with its key figures; "
                          "cells: the standard tables as tidy cells")
    exp.add_argument("--out", default="-", help="output file (default stdout)")
    exp.set_defaults(func=cmd_export)

    rep = sub.add_parser("reparse", help="re-run extraction and parsing over the archived reports")
    rep.add_argument("--db", default=db_default)
    analysis_options(rep)
    rep.set_defaults(func=cmd_reparse)

    demo = sub.add_parser("demo", help="crawl a bundled simulated portal on loopback")
    storage(demo)
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.getLogger("scrapy").setLevel(args.log_level)
    if getattr(args, "set", None) is not None:
        args.set = [*args.set, f"LOG_LEVEL={args.log_level}"]
    try:
        args.func(args)
    except UserError as exc:
        print(f"govcrawl: error: {exc}", file=sys.stderr)
        return 2
    except CrawlFailed as exc:
        print(f"govcrawl: error: the crawl could not run: {exc} (see the log above)", file=sys.stderr)
        return 1
    except Unverified as exc:
        print(f"govcrawl: verify: {exc}", file=sys.stderr)
        return 1
    except CommandFailed as exc:
        print(f"govcrawl: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
