"""The command line as a user meets it: the Scrapy way, bad input, the demo, user errors."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from archive.db import session_factory
from archive.export import iter_reports, report_record
from govcrawl.identity import url_key
from simweb import SimulatedWeb
from tests.conftest import FAST, TESTS, run_cli

ROOT = TESTS.parent


def report_count(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT count(*) FROM reports").fetchone()[0]


def test_malformed_site_rows_are_named_and_skipped_while_the_rest_is_crawled(test_web: SimulatedWeb, tmp_path: Path) -> None:
    fuxin = next(s for s in test_web.sites if "fuxin" in s.url)
    (tmp_path / "sites.csv").write_text(
        "name,url,level\n"
        "broken,www.nowhere.gov.cn,county\n"
        f"{fuxin.name},{fuxin.url},{fuxin.level}\n"
        "odd,http://www.odd.gov.cn/,village\n", encoding="utf-8")
    proc = run_cli(["crawl", "--sites", "sites.csv", "--db", "sqlite:///g.sqlite", "--warc-dir", "warc", *FAST],
                   tmp_path, test_web.proxy_url)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "sites.csv, line 2: URL must start with http" in proc.stderr
    assert "sites.csv, line 4: level must be one of" in proc.stderr
    expected = [e for e in test_web.expected_reports if "fuxin" in e.url]
    assert report_count(tmp_path / "g.sqlite") == len(expected)
    with sqlite3.connect(tmp_path / "g.sqlite") as conn:
        kinds = [k for (k,) in conn.execute("SELECT kind FROM problems WHERE kind = 'site_list'")]
    assert len(kinds) == 2


def test_one_portal_by_site_url(test_web: SimulatedWeb, tmp_path: Path) -> None:
    fuxin = next(s for s in test_web.sites if "fuxin" in s.url)
    proc = run_cli(["crawl", "--site", fuxin.url, "--db", "sqlite:///one.sqlite", *FAST], tmp_path, test_web.proxy_url)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert report_count(tmp_path / "one.sqlite") == len([e for e in test_web.expected_reports if "fuxin" in e.url])
    assert list((tmp_path / "data" / "warc").glob("*.warc.gz"))  # the default WARC folder


def test_spider_runs_the_scrapy_way_from_the_project(test_web: SimulatedWeb, tmp_path: Path) -> None:
    test_web.write_sites_csv(tmp_path / "sites.csv")
    db = tmp_path / "scrapy.sqlite"
    feed = tmp_path / "reports.jsonl"
    proc = run_cli(["scrapy", "crawl", "annual_reports", "-a", f"sites={tmp_path / 'sites.csv'}",
                    "-s", f"GOVCRAWL_DB_URL=sqlite:///{db}", "-s", f"GOVCRAWL_WARC_DIR={tmp_path / 'warc'}",
                    "-O", str(feed), *FAST],
                   ROOT, test_web.proxy_url, guard_log=tmp_path / "netguard.log")  # nothing in ROOT
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert report_count(db) == len(test_web.expected_reports)
    assert list((tmp_path / "warc").glob("*.warc.gz"))
    # Scrapy's feed export writes the public records: a report completed by an attachment
    # appears again after it, so the last line per URL is the report as stored.
    fed: dict[str, dict] = {}
    for line in feed.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        fed[record["url_key"]] = record  # one report whatever form of its URL it was fetched under
    assert set(fed) == {url_key(e.url) for e in test_web.expected_reports}
    exported = {}
    with session_factory(f"sqlite:///{db}")() as session:
        for report in iter_reports(session):
            exported[report.url_key] = report_record(report, cwd=str(ROOT))
    for url, record in fed.items():
        assert record == exported[url], url


def test_demo_crawls_the_bundled_portal_with_embedded_defaults(tmp_path: Path) -> None:
    proc = run_cli(["demo", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False"], tmp_path, None)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (tmp_path / "data" / "govcrawl.sqlite").exists()
    assert list((tmp_path / "data" / "warc").glob("*.warc.gz"))
    assert "database: sqlite:///data/govcrawl.sqlite" in proc.stdout
    from simweb import build_demo_web

    expected = len(build_demo_web().expected_reports)
    assert f" total {expected:>8}" in proc.stdout
    assert report_count(tmp_path / "data" / "govcrawl.sqlite") == expected
    assert not (tmp_path / "netguard.log").exists()


def test_user_errors_are_one_clear_line_without_traceback(tmp_path: Path) -> None:
    cases = [
        (["crawl", "--sites", "missing.csv"], "--sites: no such file: missing.csv"),
        (["crawl"], "give --sites FILE.csv or --site URL"),
        (["crawl", "--site", "http://www.a.gov.cn/", "--db", "nosuchdb://x"], "--db:"),
        (["export", "--db", "sqlite:///nowhere/y.sqlite"], "--db: no database at nowhere/y.sqlite"),
        (["crawl", "--site", "http://www.a.gov.cn/", "--db", f"sqlite:///{tmp_path}"], "--db: cannot open database"),
    ]
    for args, message in cases:
        proc = run_cli(args, tmp_path, None)
        assert proc.returncode == 2, (args, proc.stderr)
        assert message in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


def test_network_guard_refuses_and_records_non_loopback_attempts(tmp_path: Path) -> None:
    log = tmp_path / "guard.log"
    code = (f"import socket, sys; sys.path.insert(0, {str(TESTS)!r}); import netguard; netguard.install({str(log)!r})\n"
            "socket.getaddrinfo('127.0.0.1', 80)\n"
            "try:\n    socket.getaddrinfo('publicsuffix.org', 443)\nexcept OSError as e:\n    print('blocked', e)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "blocked netguard" in proc.stdout
    assert log.read_text().strip() == "socket.getaddrinfo 'publicsuffix.org'"


def test_per_site_request_budget_bounds_the_crawl_and_is_recorded_once(test_web: SimulatedWeb, tmp_path: Path) -> None:
    test_web.write_sites_csv(tmp_path / "sites.csv")
    test_web.reset()
    proc = run_cli(["crawl", "--sites", "sites.csv", "--db", "sqlite:///b.sqlite", *FAST,
                    "-s", "GOVCRAWL_MAX_REQUESTS_PER_SITE=3"], tmp_path, test_web.proxy_url)
    assert proc.returncode == 0, proc.stderr[-2000:]
    pages = [r for r in test_web.request_log if not r.url.endswith("/robots.txt")]
    # home page + at most 3 followed links per site, plus redirect hops and one retried 503
    assert len(pages) <= len(test_web.sites) * 4 + 3
    with sqlite3.connect(tmp_path / "b.sqlite") as conn:
        budget = conn.execute("SELECT url FROM problems WHERE kind = 'site_budget' ORDER BY url").fetchall()
    assert len(budget) == len(set(budget)) and budget


def test_warc_rotation_in_a_real_crawl_keeps_every_capture_readable(test_web: SimulatedWeb, tmp_path: Path) -> None:
    from warcio.archiveiterator import ArchiveIterator

    from archive.warc import read_record

    site = next(s for s in test_web.sites if "cangyuan" in s.url)
    proc = run_cli(["crawl", "--site", site.url, "--db", "sqlite:///r.sqlite", "--warc-dir", "warc", *FAST,
                    "-s", "GOVCRAWL_WARC_MAX_SIZE=20000"], tmp_path, test_web.proxy_url)
    assert proc.returncode == 0, proc.stderr[-2000:]
    files = sorted((tmp_path / "warc").iterdir())
    assert len(files) >= 3 and all(f.name.endswith(".warc.gz") for f in files)
    for path in files:
        with open(path, "rb") as fh:
            assert next(iter(ArchiveIterator(fh))).rec_type == "warcinfo"
    with sqlite3.connect(tmp_path / "r.sqlite") as conn:
        captures = conn.execute("SELECT url, warc_file, warc_offset FROM captures").fetchall()
    assert len({c[1] for c in captures}) == len(files)
    for url, warc_file, offset in captures:
        assert read_record(warc_file, offset)[0].rec_headers.get_header("WARC-Target-URI") == url
