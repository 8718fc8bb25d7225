"""Reports published as attachments, end to end on the simulated web (the 洪泽区 portal and
阜新's PDF): found, archived raw, read, parsed, combined with their pages, and flagged."""

from __future__ import annotations

import json
import sqlite3

from archive.warc import read_record
from govcrawl.identity import url_key
from govcrawl.report.analyse import STAT_KEYS
from tests.conftest import CrawlResult, run_cli
from tests.test_crawl_e2e import _served_body


def rows(result: CrawlResult, sql: str, *args: object) -> list[tuple]:
    with sqlite3.connect(result.db_url.removeprefix("sqlite:///")) as conn:
        return conn.execute(sql, args).fetchall()


def _with_documents(crawled: CrawlResult) -> list:
    return [e for e in crawled.web.expected_reports if e.attachments]


def _matches(expected: str, flag: str) -> bool:
    return flag == expected or flag.startswith(expected + ":")


def test_every_document_of_a_report_is_archived_raw(crawled: CrawlResult) -> None:
    reports = _with_documents(crawled)
    assert len(reports) >= 10
    for e in reports:
        # report_url holds the report's URL key; a document is known by its key too (华宁's PDF
        # report is fetched as https:// or with :80, whatever its plain URL).
        stored = dict(rows(crawled, "SELECT a.url_key, a.capture_id FROM attachments a "
                                    "WHERE a.report_url = ?", url_key(e.url)))
        assert set(stored) == {url_key(u) for u in e.attachments}, e.url
        for url, capture_id in stored.items():
            warc_file, offset = rows(crawled, "SELECT warc_file, warc_offset FROM captures "
                                              "WHERE id = ?", capture_id)[0]
            _, payload = read_record(warc_file, offset, decoded=True)
            assert payload == _served_body(crawled.web, url), url


def test_figures_come_from_whichever_part_holds_the_tables(crawled: CrawlResult) -> None:
    checked = 0
    for e in _with_documents(crawled):
        want = {k: v for k, v in (e.stats or {}).items() if k in STAT_KEYS}
        if not want:
            continue
        (stats,) = rows(crawled, "SELECT stats FROM reports WHERE url_key = ?", url_key(e.url))[0]
        got = json.loads(stats)
        assert {k: got.get(k) for k in want} == want, e.url
        checked += 1
    assert checked >= 6


def test_each_report_carries_the_flags_its_documents_call_for(crawled: CrawlResult) -> None:
    for e in _with_documents(crawled):
        (flags,) = rows(crawled, "SELECT flags FROM reports WHERE url_key = ?", url_key(e.url))[0]
        flags = json.loads(flags)
        for want in e.flags:
            assert any(_matches(want, f) for f in flags), (e.url, want, flags)


def test_page_attachment_disagreement_names_the_numbers(crawled: CrawlResult) -> None:
    (e,) = [e for e in crawled.web.expected_reports if "page_attachment_disagree" in e.flags]
    (flags,) = rows(crawled, "SELECT flags FROM reports WHERE url_key = ?", url_key(e.url))[0]
    disagree = [f for f in json.loads(flags) if f.startswith("page_attachment_disagree")]
    page_new = e.stats["applications_new"]
    assert f"page_attachment_disagree: applications_new {page_new} != {page_new + 3} " \
           f"({e.attachments[0]})" in disagree


def test_documents_that_are_not_reports_are_left_alone(crawled: CrawlResult) -> None:
    not_reports = crawled.web.distractor_urls & crawled.web.attachment_urls
    assert not_reports
    not_reports = {url_key(u) for u in not_reports}
    stored = {u for (u,) in rows(crawled, "SELECT url_key FROM reports")}
    attached = {u for (u,) in rows(crawled, "SELECT url_key FROM attachments")}
    assert not (not_reports & stored) and not (not_reports & attached)


def test_export_lists_attachments_with_their_captures(crawled: CrawlResult) -> None:
    out = crawled.workdir / "with-attachments.jsonl"
    proc = run_cli(["export", "--db", crawled.db_url, "--out", str(out)], crawled.workdir, None)
    assert proc.returncode == 0, proc.stderr
    records = {r["url_key"]: r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    for e in _with_documents(crawled):
        attachments = records[url_key(e.url)]["attachments"]
        assert {url_key(a["url"]) for a in attachments} == {url_key(u) for u in e.attachments}
        for a in attachments:
            record, _ = read_record(str(crawled.workdir / a["capture"]["warc_file"]),
                                    a["capture"]["offset"])
            assert record.rec_headers.get_header("WARC-Target-URI") == a["url"]
            assert a["kind"] in ("pdf", "docx", "xlsx", "html")
