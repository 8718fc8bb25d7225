"""``govcrawl crawl --wayback``: the past of two portals through a simulated Wayback Machine (raw
``id_`` captures, CDX API, 429s) after a live crawl of them — archive-only reports recovered with
their year and provenance, no duplicates of reports also found live. Real spider, downloader,
warcio and SQLite under the network guard."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.warc import read_record
from simweb import build_archive_web
from simweb.server import SimulatedWeb
from tests.conftest import CrawlResult, crawl, run_cli

ARCHIVE = ["--archive-url", "http://web.archive.org"]


@dataclass
class Crawled:
    web: SimulatedWeb
    live: CrawlResult
    past: CrawlResult
    past_requests: list

    def rows(self, sql: str, *args: object) -> list[tuple]:
        with sqlite3.connect(self.live.db_url.removeprefix("sqlite:///")) as conn:
            return conn.execute(sql, args).fetchall()


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Crawled:
    web = build_archive_web()
    web.start()
    try:
        workdir = tmp_path_factory.mktemp("wayback")
        web.retry_after = 0  # the live portal's 503 is retried at once (see conftest.test_web)
        live = crawl(web, workdir)
        assert live.returncode == 0, live.stderr[-3000:]
        web.reset()
        web.retry_after = 1  # the archive's 429s ask for 1 s, timed below
        past = crawl(web, workdir, ["--wayback", *ARCHIVE])
        assert past.returncode == 0, past.stderr[-3000:]
        assert live.blocked == past.blocked == []
        yield Crawled(web, live, past, list(past.requests))
    finally:
        web.stop()


def _aware(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def test_every_archive_only_report_is_recovered_with_its_year(crawled: Crawled) -> None:
    stored = {url: (title, year, region) for url, title, year, region in crawled.rows(
        "SELECT url, title, year, region FROM reports")}
    for e in crawled.web.archive_only_reports:
        assert e.url in stored, e.url
        assert stored[e.url] == (e.title, e.year, e.region), e.url
    assert set(crawled.web.cdx_only_urls) <= set(stored)


def test_provenance_of_archived_captures(crawled: Crawled) -> None:
    for e in crawled.web.archive_only_reports:
        ((source, archived_at, archive_url, warc_file, offset),) = crawled.rows(
            "SELECT c.source, c.archived_at, c.archive_url, c.warc_file, c.warc_offset "
            "FROM reports r JOIN captures c ON c.id = r.capture_id WHERE r.url = ?", e.url)
        assert source == "wayback" and _aware(archived_at) == e.archived_at, e.url
        assert archive_url.startswith("http://web.archive.org/web/") and archive_url.endswith(e.url)
        record, payload = read_record(warc_file, offset)
        headers = record.rec_headers
        # The original URL and the original capture time, the original's bytes and headers.
        assert headers.get_header("WARC-Target-URI") == e.url
        assert headers.get_header("WARC-Date").startswith(e.archived_at.strftime("%Y-%m-%dT%H:%M:%S"))
        assert not any(k.lower().startswith("x-archive-orig-") for k, _ in record.http_headers.headers)
        (capture,) = [c for c in crawled.web.captures_of(e.url) if c.status == 200]
        assert payload == capture.body, e.url
        # A metadata record right after it names where it came from.
        with open(warc_file, "rb") as fh:
            metadata = [r.content_stream().read().decode() for r in ArchiveIterator(fh)
                        if r.rec_type == "metadata" and r.rec_headers.get_header(
                            "WARC-Concurrent-To") == headers.get_header("WARC-Record-ID")]
        assert len(metadata) == 1 and f"via: {archive_url}" in metadata[0]


def test_reports_found_live_and_in_the_archive_are_one_report(crawled: Crawled) -> None:
    for e in crawled.web.archived_live_reports:
        assert crawled.rows("SELECT count(*) FROM reports WHERE url = ?", e.url) == [(1,)]
        sources = {s for (s,) in crawled.rows("SELECT source FROM captures WHERE url = ?", e.url)}
        assert sources == {"live", "wayback"}, e.url
        (last_seen,) = crawled.rows("SELECT last_seen FROM reports WHERE url = ?", e.url)[0]
        assert _aware(last_seen).year >= 2026  # the archive's older copy does not make it stale
    # The report the archive holds in an earlier wording keeps that wording as a past version.
    for url in crawled.web.archive_changed_urls:
        versions = crawled.rows("SELECT v.seen_at FROM report_versions v JOIN reports r "
                                "ON r.id = v.report_id WHERE r.url = ? ORDER BY v.seen_at", url)
        assert len(versions) == 2 and _aware(versions[0][0]).year < 2026


def test_the_wayback_crawl_asks_only_the_archive_and_honours_its_429(crawled: Crawled) -> None:
    hosts = {r.host for r in crawled.past_requests}
    assert hosts == {"web.archive.org"}
    cdx = [r for r in crawled.past_requests if "/cdx/" in r.url]
    limited = [r for r in cdx if r.status == 429]
    assert limited and any(r.status == 200 for r in cdx)
    first_ok = min(r.at for r in cdx if r.status == 200)
    assert first_ok - min(r.at for r in limited) >= 1.0  # Retry-After: 1


def test_dead_captures_are_recorded_and_redirect_captures_followed(crawled: Crawled) -> None:
    stored = {u for (u,) in crawled.rows("SELECT url FROM reports")}
    assert not set(crawled.web.archive_404_urls) & stored
    for old, new in crawled.web.archive_redirects.items():
        assert new in stored and old not in stored


def test_status_shows_reports_found_only_in_the_archive(crawled: Crawled, tmp_path: Path) -> None:
    proc = run_cli(["status", "--db", crawled.live.db_url], tmp_path, None)
    assert proc.returncode == 0, proc.stderr
    (line,) = [line for line in proc.stdout.splitlines() if line.startswith("沧源")]
    cells = line.split()[2:-1]  # name, total, one cell per report year, last seen
    archive_only_years = {e.year for e in crawled.web.archive_only_reports if "cangyuan" in e.url}
    assert sum(cell.endswith("a") for cell in cells) == len(archive_only_years)


def test_export_carries_provenance(crawled: Crawled, tmp_path: Path) -> None:
    out = tmp_path / "r.jsonl"
    proc = run_cli(["export", "--db", crawled.live.db_url, "--out", str(out)], tmp_path, None)
    assert proc.returncode == 0, proc.stderr
    records = {r["url"]: r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    for e in crawled.web.archive_only_reports:
        assert records[e.url]["source"] == "wayback"
        assert _aware(records[e.url]["archived_at"]) == e.archived_at
