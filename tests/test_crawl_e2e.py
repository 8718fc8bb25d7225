"""End to end: the real spider, downloader, warcio and SQLite against the simulated gov.cn web."""

from __future__ import annotations

import gzip
import html
import json
import re
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.warc import read_record
from govcrawl.discovery.scope import registered_domain
from govcrawl.encoding import decode_html
from govcrawl.identity import url_key
from tests.conftest import CrawlResult, crawl, run_cli


def rows(result: CrawlResult, sql: str) -> list[tuple]:
    with sqlite3.connect(result.db_url.removeprefix("sqlite:///")) as conn:
        return conn.execute(sql).fetchall()


def test_crawl_exits_cleanly_without_touching_the_network(crawled: CrawlResult) -> None:
    assert crawled.returncode == 0, crawled.stderr[-3000:]
    assert crawled.blocked == []


def test_every_report_found_with_its_fields(crawled: CrawlResult) -> None:
    # By URL key: a report linked only as https:// or with :80 (华宁) is stored under that form.
    stored = {r[0]: r[1:] for r in rows(crawled, "SELECT url_key, title, year, region, admin_level, agency, published FROM reports")}
    expected = crawled.web.expected_reports
    missing = [e.url for e in expected if url_key(e.url) not in stored]
    assert missing == []
    for e in expected:
        title, year, region, level, agency, published = stored[url_key(e.url)]
        assert (title, year, region, level, agency, published) == (
            e.title, e.year, e.region, e.admin_level, e.agency, e.published.isoformat()), e.url


def test_no_distractor_or_stray_page_is_kept(crawled: CrawlResult) -> None:
    stored = [u for (u,) in rows(crawled, "SELECT url_key FROM reports")]
    assert set(stored) & {url_key(u) for u in crawled.web.distractor_urls} == set()
    assert set(stored) - {url_key(e.url) for e in crawled.web.expected_reports} == set()


def test_no_request_leaves_the_portals_domains(crawled: CrawlResult) -> None:
    web = crawled.web
    hosts = {r.host for r in crawled.requests}
    assert {registered_domain(h) for h in hosts} <= web.domains
    assert [r.url for r in crawled.requests if r.status == 502] == []
    assert not {r.url for r in crawled.requests} & web.offsite_urls


def test_every_request_identifies_the_crawler_and_asks_only_for_readable_encodings(crawled: CrawlResult) -> None:
    agents = {r.headers.get("User-Agent") for r in crawled.requests}
    assert len(agents) == 1
    agent = agents.pop()
    assert agent.startswith("govcrawl/") and "+https://" in agent
    assert {r.headers.get("Accept-Encoding") for r in crawled.requests} == {"gzip, deflate"}


def test_robots_txt_is_fetched_and_obeyed(crawled: CrawlResult) -> None:
    requested = {r.url for r in crawled.requests}
    assert {f"http://{h}/robots.txt" for h in {urlsplit(s.url).hostname for s in crawled.web.sites}} <= requested
    assert requested & crawled.web.robots_disallowed_urls == set()


def test_traps_are_not_followed_past_a_small_bound(crawled: CrawlResult) -> None:
    requested = [r.url for r in crawled.requests]
    for trap in crawled.web.trap_urls:
        parts = urlsplit(trap)
        prefix = f"{parts.scheme}://{parts.netloc}{parts.path.rsplit('/', 1)[0]}/"
        assert sum(url.startswith(prefix) for url in requested) <= 2, trap
    # Bounded and focused: far fewer requests than the web has pages.
    assert len(requested) < crawled.web.page_count() / 1.5


def test_every_capture_reads_back_at_its_offset(crawled: CrawlResult) -> None:
    captures = rows(crawled, "SELECT url, status, warc_file, warc_offset, warc_length, payload_digest, id FROM captures")
    assert len(captures) == len([r for r in crawled.requests if r.status != 502])
    for url, status, warc_file, offset, length, digest, record_id in captures:
        record, _ = read_record(warc_file, offset)
        assert record.rec_type == "response"
        assert record.rec_headers.get_header("WARC-Target-URI") == url
        assert record.rec_headers.get_header("WARC-Record-ID") == record_id
        assert record.rec_headers.get_header("WARC-Payload-Digest") == digest
        assert record.http_headers.get_statuscode() == str(status)
        with open(warc_file, "rb") as fh:  # the stored length is exactly one gzip member
            fh.seek(offset)
            assert gzip.decompress(fh.read(length)).startswith(b"WARC/1.1\r\n")


def test_warc_files_are_closed_and_pass_warcio_check(crawled: CrawlResult) -> None:
    files = sorted(crawled.warc_dir.iterdir())
    assert files and all(f.name.endswith(".warc.gz") for f in files)
    for path in files:
        check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", str(path)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr


def test_warc_holds_raw_exchanges_redirects_and_requests(crawled: CrawlResult) -> None:
    records = []
    for path in sorted(crawled.warc_dir.glob("*.warc.gz")):
        with open(path, "rb") as fh:
            for r in ArchiveIterator(fh):
                records.append((r.rec_type, r.rec_headers.get_header("WARC-Target-URI"),
                                r.http_headers, r.rec_headers.get_header("WARC-Concurrent-To"),
                                r.rec_headers.get_header("WARC-Record-ID"),
                                r.raw_stream.read() if r.http_headers else b""))
    responses = {rec[4]: rec for rec in records if rec[0] == "response"}
    requests = [rec for rec in records if rec[0] == "request"]
    assert len(requests) == len(responses)
    assert all(req[3] in responses and responses[req[3]][1] == req[1] for req in requests)
    # Every redirect hop is its own response record.
    redirects = {src for src in crawled.web.redirects}
    statuses = {(rec[1], rec[2].get_statuscode()) for rec in responses.values()}
    assert any((src, code) in statuses for src in redirects for code in ("301", "302"))
    # Content-encoding kept as received: gzip bodies stay gzip in the record.
    gz = [rec for rec in responses.values() if rec[2].get_header("Content-Encoding") == "gzip"]
    assert gz and all(rec[5][:2] == b"\x1f\x8b" for rec in gz)
    assert not any(rec[2].get_header("Transfer-Encoding") for rec in responses.values())
    # Request records carry the full request line (query included) and the Host.
    queried = [req for req in requests if "?" in req[1]]
    assert queried and all(req[2].statusline.split(" ")[0].endswith("?" + req[1].split("?", 1)[1]) for req in queried)
    assert all(req[2].get_header("Host") == urlsplit(req[1]).netloc for req in requests)
    assert any(rec[1].endswith("/robots.txt") for rec in responses.values())


def _served_body(web, url: str) -> bytes:
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    return web.hosts[parts.hostname].resolve(target, {}).body


def test_report_capture_holds_the_report_page(crawled: CrawlResult) -> None:
    documents = 0
    for url, title, warc_file, offset in rows(crawled, "SELECT r.url, r.title, c.warc_file, c.warc_offset FROM reports r JOIN captures c ON c.id = r.capture_id"):
        record, payload = read_record(warc_file, offset, decoded=True)
        if url_key(url) in {url_key(u) for u in crawled.web.attachment_urls}:  # the list links the document itself
            assert payload == _served_body(crawled.web, url), url
            documents += 1
            continue
        html, _ = decode_html(payload, record.http_headers.get_header("Content-Type"))
        assert title in html
    assert documents == sum(e.url in crawled.web.attachment_urls for e in crawled.web.expected_reports)
    # The report's URL is its capture's, as requested (the form its content was fetched under).
    assert all(url == target for url, target in rows(
        crawled, "SELECT r.url, c.url FROM reports r JOIN captures c ON c.id = r.capture_id"))


def test_gbk_only_characters_survive_a_gb2312_page(crawled: CrawlResult) -> None:
    gbk_only = [e for e in crawled.web.expected_reports if not _encodable(e.title, "gb2312")]
    assert gbk_only, "the simulated web should hold a gb2312-declared page with GBK-only characters"
    stored = dict(rows(crawled, "SELECT url_key, text FROM reports"))
    for e in gbk_only:
        assert "\ufffd" not in stored[url_key(e.url)] and e.region in stored[url_key(e.url)]


def _encodable(text: str, codec: str) -> bool:
    try:
        text.encode(codec)
    except UnicodeEncodeError:
        return False
    return True


def test_problems_are_recorded_not_fatal(crawled: CrawlResult) -> None:
    problems = rows(crawled, "SELECT kind, url FROM problems")
    assert ("http_error", next(iter(crawled.web.dead_urls))) in problems
    run = rows(crawled, "SELECT status, counts FROM crawl_runs")
    assert run[0][0] == "finished" and json.loads(run[0][1])["reports_new"] == len(crawled.web.expected_reports)


def test_recrawl_updates_without_duplicating(crawled: CrawlResult, tmp_path: Path) -> None:
    before = rows(crawled, "SELECT url_key, first_seen, last_seen FROM reports ORDER BY url_key")
    crawled.web.reset()
    # --full walks every list page again (a default re-crawl stops early; see test_incremental).
    again = crawl(crawled.web, crawled.workdir, ["--full"])
    assert again.returncode == 0, again.stderr[-3000:]
    after = rows(crawled, "SELECT url_key, first_seen, last_seen FROM reports ORDER BY url_key")
    assert [r[0] for r in after] == [r[0] for r in before]
    assert all(a[1] == b[1] and a[2] > b[2] for a, b in zip(after, before, strict=True))
    assert rows(crawled, "SELECT count(*) FROM crawl_runs")[0][0] == 2


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_export_points_back_to_the_archive(crawled: CrawlResult, fmt: str) -> None:
    out = crawled.workdir / f"reports.{fmt}"
    proc = run_cli(["export", "--db", crawled.db_url, "--format", fmt, "--out", str(out)], crawled.workdir, None)
    assert proc.returncode == 0, proc.stderr
    expected_count = rows(crawled, "SELECT count(*) FROM reports")[0][0]
    if fmt == "csv":
        import csv

        with open(out, encoding="utf-8") as fh:
            table = list(csv.DictReader(fh))
        assert len(table) == expected_count
        assert {"url", "title", "year", "region", "admin_level", "agency", "published", "warc_file", "warc_offset"} <= set(table[0])
        return
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == expected_count
    for item in lines:
        assert {"url", "title", "year", "region", "admin_level", "agency", "published", "text", "stats", "capture"} <= set(item)
        assert isinstance(item["year"], int) and isinstance(item["stats"], dict)
        capture = item["capture"]
        path = crawled.workdir / capture["warc_file"]  # relative to the export's working directory
        record, _ = read_record(str(path), capture["offset"])
        assert record.rec_headers.get_header("WARC-Target-URI") == item["url"]
        assert record.rec_headers.get_header("WARC-Payload-Digest") == capture["digest"]


def test_503_is_retried_after_the_servers_retry_after(crawled: CrawlResult) -> None:
    flaky = next(iter(crawled.web.flaky_urls))
    attempts = [r for r in crawled.requests if r.url == flaky]
    assert [r.status for r in attempts] == [503, 200]
    # Retry-After: 1 wins over the 0.2 s backoff base the tests set.
    assert attempts[1].at - attempts[0].at >= 0.95


def test_report_text_is_the_article_not_the_page_chrome(crawled: CrawlResult) -> None:
    texts = dict(rows(crawled, "SELECT url_key, text FROM reports"))
    for e in crawled.web.expected_reports:
        text = texts[url_key(e.url)]
        assert not any(chrome in text for chrome in ("您现在的位置", "当前位置", "首 页", "版权所有")), e.url
        if {"needs_ocr", "not_a_document", "damaged_document", "t3_missing"} & set(e.flags):
            continue  # a scan, an error page, a cut PDF, a placeholder PDF: no sections to find
        if "seed" not in (e.stats or {}):  # the real seed texts keep their own flattened layout
            assert any(line.startswith("一、") for line in text.splitlines()), e.url


# -- 华宁县: one report, many URL forms (simweb.aliases) ------------------------------------
HUANING = "www.huaning.gov.cn"
_ANCHOR = re.compile(r'<a\s[^>]*href="([^"]*)"[^>]*>(.*?)</a>', re.S)


def _huaning_pages(crawled: CrawlResult) -> list[tuple[str, str]]:
    """The HTML pages of 华宁 the crawl fetched: (URL as requested, text)."""
    vh = crawled.web.hosts[HUANING]
    pages = []
    for request in crawled.requests:
        if request.host != HUANING or request.status != 200:
            continue
        parts = urlsplit(request.url)
        page = vh.resolve(parts.path + (f"?{parts.query}" if parts.query else ""), {})
        if page is not None and page.content_type.startswith("text/html"):
            pages.append((request.url, page.body.decode(vh.encoding, "replace")))
    return pages


def test_each_huaning_report_is_stored_once_with_the_forms_it_was_linked_under(
        crawled: CrawlResult) -> None:
    expected = {url_key(e.url): e for e in crawled.web.expected_reports
                if urlsplit(e.url).hostname == HUANING}
    assert len(expected) == 5
    reports = rows(crawled, "SELECT id, url, url_key FROM reports "
                            f"WHERE url_key LIKE 'http://{HUANING}/%' ORDER BY url_key")
    assert sorted(key for _, _, key in reports) == sorted(expected)  # each once
    forms = {}
    for report_id, url, key in reports:
        forms[key] = {u for (u,) in rows(crawled, f"SELECT url FROM report_urls WHERE report_id = {report_id}")}
        assert url in forms[key] and forms[key] <= crawled.web.url_aliases[expected[key].url], key
    # Every form a fetched page gave a report under, its title the link's text, is one of its
    # URLs (the one fetched, or one noted instead of fetching the page again).
    linked: dict[str, set[str]] = {key: set() for key in expected}
    for page_url, text in _huaning_pages(crawled):
        for href, label in _ANCHOR.findall(text):
            link = urljoin(page_url, html.unescape(href)).split("#", 1)[0]
            if url_key(link) in linked and "年度报告" in label:
                linked[url_key(link)].add(link)
    assert forms == linked
    # The crawl followed links of several forms (https, :80 …) and still stored each once.
    assert len({urlsplit(url).scheme + str(urlsplit(url).port) for _, url, _ in reports}) > 1


def test_no_resource_of_the_huaning_portal_is_fetched_twice(crawled: CrawlResult) -> None:
    fetched = Counter(url_key(r.url) for r in crawled.requests if r.host == HUANING)
    assert fetched and max(fetched.values()) == 1, fetched.most_common(3)
    # robots.txt too: host and host:80 (and https) are one site with one robots.txt
    assert fetched[f"http://{HUANING}/robots.txt"] == 1
