"""Re-crawls: conditional requests archived as revisit records, early stop in lists, versions of
edited reports, new reports found — the real spider, downloader, warcio and SQLite, three crawls of
one simulated web (first, unchanged, revised)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.warc import IDENTICAL_PAYLOAD, SERVER_NOT_MODIFIED, read_record
from govcrawl.identity import url_key
from simweb import SimulatedWeb, build_test_web
from tests.conftest import CrawlResult, crawl, run_cli


@dataclass
class Crawls:
    web: SimulatedWeb
    workdir: Path
    first: CrawlResult
    unchanged: CrawlResult
    revised: CrawlResult
    logs: list[list]  # the server's request log of each crawl
    change: object  # what web.revise() changed

    def rows(self, sql: str, *args: object) -> list[tuple]:
        with sqlite3.connect(self.first.db_url.removeprefix("sqlite:///")) as conn:
            return conn.execute(sql, args).fetchall()

    def counts(self, run: int) -> dict:
        return json.loads(self.rows("SELECT counts FROM crawl_runs WHERE id = ?", run)[0][0])


@pytest.fixture(scope="module")
def crawls(tmp_path_factory: pytest.TempPathFactory) -> Crawls:
    web = build_test_web()
    web.retry_after = 0  # the 503 is retried at once (see conftest.test_web)
    web.start()
    try:
        workdir = tmp_path_factory.mktemp("incremental")
        logs = []
        results = []
        for step in range(3):
            if step == 2:
                change = web.revise()
            web.reset()
            result = crawl(web, workdir)
            assert result.returncode == 0, result.stderr[-3000:]
            assert result.blocked == []
            results.append(result)
            logs.append(list(web.request_log))
        yield Crawls(web, workdir, *results, logs=logs, change=change)
    finally:
        web.stop()


def _records(result: CrawlResult, run_files: set[str]) -> list:
    out = []
    for path in sorted(result.warc_dir.glob("*.warc.gz")):
        if str(path) not in run_files:
            continue
        with open(path, "rb") as fh:
            it = ArchiveIterator(fh)
            for record in it:
                out.append((str(path), it.get_record_offset(), record.rec_type,
                            dict(record.rec_headers.headers)))
    return out


def _run_files(crawls: Crawls, run: int) -> set[str]:
    return {f for (f,) in crawls.rows("SELECT DISTINCT warc_file FROM captures WHERE run_id = ?", run)}


def test_unchanged_recrawl_transfers_under_a_tenth_and_adds_no_rows(crawls: Crawls) -> None:
    first, second = crawls.counts(1), crawls.counts(2)
    assert second["received_bytes"] <= 0.10 * first["received_bytes"], (first, second)
    assert second["new"] == 0 and second["changed"] == 0
    assert crawls.rows("SELECT count(*) FROM report_versions WHERE run_id = 2")[0][0] == 0
    reports_after_first = len(crawls.web.expected_reports) - len(crawls.change.added)
    assert crawls.counts(1)["new"] == reports_after_first
    assert second["not_modified"] > 0.7 * second["fetched"]


def test_not_modified_is_a_server_not_modified_revisit_of_the_original(crawls: Crawls) -> None:
    revisits = crawls.rows(
        "SELECT r.id, r.url, r.warc_file, r.warc_offset, r.refers_to, o.url, o.fetched_at, o.run_id "
        "FROM captures r JOIN captures o ON o.id = r.refers_to "
        "WHERE r.run_id = 2 AND r.record_type = 'revisit' AND r.status = 304")
    assert len(revisits) == crawls.counts(2)["not_modified"] > 0
    for _, url, warc_file, offset, refers_to, o_url, _, o_run in revisits:
        # The original is the URL's latest capture under any form of it (a portal linking a page
        # over https once and http the next time: one resource, URL key).
        assert url_key(o_url) == url_key(url) and o_run == 1
        record, body = read_record(warc_file, offset)
        h = record.rec_headers
        assert record.rec_type == "revisit" and body == b""
        assert h.get_header("WARC-Profile") == SERVER_NOT_MODIFIED
        assert h.get_header("WARC-Refers-To") == refers_to
        assert h.get_header("WARC-Refers-To-Target-URI") == o_url
        assert record.http_headers.get_statuscode() == "304"
        original, payload = read_record(*crawls.rows(
            "SELECT warc_file, warc_offset FROM captures WHERE id = ?", refers_to)[0])
        assert original.rec_type == "response" and payload
        assert h.get_header("WARC-Refers-To-Date") == original.rec_headers.get_header("WARC-Date")
    # The request record says what was asked: the validators of the earlier capture.
    requests = [r for r in _records(crawls.unchanged, _run_files(crawls, 2)) if r[2] == "request"]
    asked = [read_record(r[0], r[1])[0].http_headers for r in requests]
    assert sum(1 for h in asked if h.get_header("If-None-Match")) >= len(revisits)
    # The original's last-seen time moved with the revisit.
    moved = crawls.rows("SELECT count(*) FROM captures o JOIN captures r ON r.refers_to = o.id "
                        "WHERE r.run_id = 2 AND o.last_seen_at > o.fetched_at")[0][0]
    assert moved == len(revisits)


def test_every_warc_file_passes_warcio_check(crawls: Crawls) -> None:
    files = sorted(str(p) for p in crawls.first.warc_dir.glob("*.warc.gz"))
    proc = subprocess.run([str(Path(sys.executable).parent / "warcio"), "check", *files],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_lists_stop_early_when_unchanged_and_known(crawls: Crawls) -> None:
    first, second = crawls.logs[0], crawls.logs[1]
    assert crawls.counts(2)["early_stops"] > 0
    assert len(second) < len(first)
    # What the early stop skipped is only list pages behind an unchanged one.
    skipped = {r.url for r in first} - {r.url for r in second}
    report_urls = {e.url for e in crawls.web.expected_reports}
    assert skipped and all(url not in report_urls or url in _deep_report_urls(crawls) for url in skipped)


def _deep_report_urls(crawls: Crawls) -> set[str]:
    """Reports only linked from list pages after the first: not revisited after an early stop."""
    first_urls = {r.url for r in crawls.logs[0]}
    second_urls = {r.url for r in crawls.logs[1]}
    return {e.url for e in crawls.web.expected_reports if e.url in first_urls - second_urls}


def test_revised_web_edited_reports_gain_a_version_new_reports_found(crawls: Crawls) -> None:
    change = crawls.change
    versions = dict(crawls.rows("SELECT r.url_key, count(v.id) FROM reports r "
                                "JOIN report_versions v ON v.report_id = r.id GROUP BY r.url_key"))
    reachable_edits = [e for e in change.edited if e.url not in _deep_report_urls(crawls)]
    assert reachable_edits, "the revision must edit a report a default re-crawl revisits"
    for report in reachable_edits:
        assert versions[report.url] == 2, report.url
    for report in change.added:
        assert versions.get(report.url) == 1, report.url
    assert crawls.counts(3)["new"] == len(change.added)
    assert crawls.counts(3)["changed"] == len(reachable_edits)
    stored = dict(crawls.rows("SELECT url_key, year FROM reports"))
    assert {e.url: e.year for e in change.added} == {e.url: stored.get(e.url) for e in change.added}
    untouched = set(versions) - {e.url for e in change.edited} - {e.url for e in change.added}
    assert all(versions[url] == 1 for url in untouched)


def test_history_prints_versions_and_the_diff(crawls: Crawls) -> None:
    edited = next(e for e in crawls.change.edited if e.url not in _deep_report_urls(crawls))
    proc = run_cli(["history", edited.url, "--db", crawls.first.db_url], crawls.workdir, None)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "2 version(s)" in out and "  v1  " in out and "  v2  " in out
    texts = [t for (t,) in crawls.rows(
        "SELECT v.text FROM report_versions v JOIN reports r ON r.id = v.report_id "
        "WHERE r.url_key = ? ORDER BY v.id", url_key(edited.url))]
    added_lines = set(texts[1].splitlines()) - set(texts[0].splitlines())
    assert added_lines and all(f"+{line}" in out for line in added_lines)
    missing = run_cli(["history", "http://www.nowhere.gov.cn/x.html", "--db", crawls.first.db_url],
                      crawls.workdir, None)
    assert missing.returncode == 2 and "no report with URL" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_status_shows_runs_and_coverage(crawls: Crawls) -> None:
    proc = run_cli(["status", "--db", crawls.first.db_url], crawls.workdir, None)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    runs = [line.split() for line in lines if line[:4].strip().isdigit()]
    assert [r[0] for r in runs] == ["1", "2", "3"] and all("finished" in r for r in runs)
    for site in crawls.web.sites:
        assert any(line.startswith(site.name[:24]) for line in lines), site.name


def test_verify_is_clean_after_three_crawls(crawls: Crawls) -> None:
    proc = run_cli(["verify", "--db", crawls.first.db_url, "--warc-dir", str(crawls.first.warc_dir)],
                   crawls.workdir, None)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_identical_payload_becomes_a_revisit_when_the_server_ignores_validators(
        test_web: SimulatedWeb, tmp_path: Path) -> None:
    web = test_web  # the session's web, never revised (its 503 retried at once)
    web.reset()
    first = crawl(web, tmp_path)
    web.reset()
    second = crawl(web, tmp_path, ["-s", "GOVCRAWL_CONDITIONAL=False", "--full"])
    assert first.returncode == second.returncode == 0, second.stderr[-3000:]
    with sqlite3.connect(first.db_url.removeprefix("sqlite:///")) as conn:
        counts = json.loads(conn.execute("SELECT counts FROM crawl_runs WHERE id = 2").fetchone()[0])
        revisits = conn.execute(
            "SELECT r.warc_file, r.warc_offset, r.refers_to, r.payload_digest, o.payload_digest "
            "FROM captures r JOIN captures o ON o.id = r.refers_to WHERE r.run_id = 2").fetchall()
        versions = conn.execute("SELECT count(*) FROM report_versions").fetchone()[0]
    assert counts["not_modified"] == 0 and counts["identical_payload"] == len(revisits) > 30
    assert versions == len(web.expected_reports)  # nothing new, nothing stored twice
    for warc_file, offset, refers_to, digest, original_digest in revisits:
        record, body = read_record(warc_file, offset)
        h = record.rec_headers
        assert h.get_header("WARC-Profile") == IDENTICAL_PAYLOAD and body == b""
        assert h.get_header("WARC-Refers-To") == refers_to
        assert digest == original_digest == h.get_header("WARC-Payload-Digest")


def test_a_recrawl_asks_conditionally_whatever_form_a_page_was_first_fetched_under(
        crawls: Crawls) -> None:
    # 华宁 links its pages as https://, http:// and http://host:80/: which form a crawl meets
    # first varies, and the archive's copy of any form is the page's (URL key).
    host = "www.huaning.gov.cn"
    first = {url_key(r.url) for r in crawls.logs[0] if r.host == host and r.status == 200}
    again = [r for r in crawls.logs[1] if r.host == host and url_key(r.url) in first]
    assert again
    unasked = [r.url for r in again if not (r.headers.get("If-None-Match")
                                            or r.headers.get("If-Modified-Since"))]
    assert unasked == []
