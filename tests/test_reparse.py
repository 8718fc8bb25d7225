"""`govcrawl reparse` rebuilds the same records from the WARC files alone, and exports the figures."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

import pytest

from govcrawl.identity import url_key
from tests.conftest import CrawlResult, run_cli

REPORT_COLUMNS = ("url", "title", "listed_title", "year", "published", "issuer", "region", "admin_level",
                  "agency", "format", "text", "raw_text", "encoding", "meta", "stats", "flags", "capture_id",
                  "first_seen", "last_seen")


def snapshot(db: Path) -> tuple[list[tuple], list[tuple]]:
    with sqlite3.connect(db) as conn:
        reports = conn.execute(f"SELECT {', '.join(REPORT_COLUMNS)} FROM reports ORDER BY url").fetchall()
        cells = conn.execute('SELECT r.url, c."table", c."row", c."column", c.label, c.value_text, c.value '
                             "FROM report_cells c JOIN reports r ON r.id = c.report_id "
                             'ORDER BY r.url, c."table", c."row", c."column"').fetchall()
    return reports, cells


@pytest.fixture
def db_copy(crawled: CrawlResult, tmp_path: Path) -> Path:
    source = sqlite3.connect(crawled.db_url.removeprefix("sqlite:///"))
    copy = tmp_path / "copy.sqlite"
    with sqlite3.connect(copy) as target:
        source.backup(target)
    source.close()
    return copy


def test_reparse_reproduces_the_crawls_records_and_is_idempotent(crawled: CrawlResult, db_copy: Path) -> None:
    before = snapshot(db_copy)
    assert before[1], "the crawl stored table cells"
    for _ in range(2):
        proc = run_cli(["reparse", "--db", f"sqlite:///{db_copy}", "--workers", "2"], crawled.workdir, None)
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert f"reparsed {len(before[0])} reports; 0 could not be read" in proc.stderr
        assert snapshot(db_copy) == before


def test_reparse_records_an_unreadable_capture_and_goes_on(crawled: CrawlResult, db_copy: Path) -> None:
    with sqlite3.connect(db_copy) as conn:
        (capture_id,) = conn.execute("SELECT capture_id FROM reports ORDER BY url LIMIT 1").fetchone()
        conn.execute("UPDATE captures SET warc_file = '/nonexistent/x.warc.gz' WHERE id = ?", (capture_id,))
    proc = run_cli(["reparse", "--db", f"sqlite:///{db_copy}"], crawled.workdir, None)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr
    assert "1 could not be read" in proc.stderr
    with sqlite3.connect(db_copy) as conn:
        assert conn.execute("SELECT count(*) FROM problems WHERE kind = 'reparse_error'").fetchone() == (1,)


def test_csv_has_key_figures_and_cells_export_is_tidy(crawled: CrawlResult) -> None:
    out = crawled.workdir / "stats.csv"
    proc = run_cli(["export", "--db", crawled.db_url, "--format", "csv", "--out", str(out)], crawled.workdir, None)
    assert proc.returncode == 0, proc.stderr
    with open(out, encoding="utf-8") as fh:
        rows = {r["url_key"]: r for r in csv.DictReader(fh)}  # any form of a report's URL
    for e in crawled.web.expected_reports:
        stats = e.stats or {}
        if "t3_new" in stats:
            row = rows[url_key(e.url)]
            assert (float(row["applications_new"]), float(row["handled_total"]), float(row["carried_forward"])) == (
                stats["t3_new"], stats["t3_handled"], stats["t3_forward"]), e.url
            assert row["format"] == stats["format"], e.url
    cells_out = crawled.workdir / "cells.csv"
    proc = run_cli(["export", "--db", crawled.db_url, "--format", "cells", "--out", str(cells_out)], crawled.workdir, None)
    assert proc.returncode == 0, proc.stderr
    with open(cells_out, encoding="utf-8") as fh:
        cells = list(csv.DictReader(fh))
    with sqlite3.connect(crawled.db_url.removeprefix("sqlite:///")) as conn:
        assert len(cells) == conn.execute("SELECT count(*) FROM report_cells").fetchone()[0]
    assert {"url", "table", "row", "column", "label", "value_text", "value"} <= set(cells[0])
    jsonl = crawled.workdir / "all.jsonl"
    run_cli(["export", "--db", crawled.db_url, "--out", str(jsonl)], crawled.workdir, None)
    first = json.loads(jsonl.read_text(encoding="utf-8").splitlines()[0])
    assert {"format", "stats", "tables", "flags"} <= set(first)
