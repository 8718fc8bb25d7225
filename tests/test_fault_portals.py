"""The fault-injection web (simweb.faults) crawled end to end, on SQLite and on PostgreSQL: every
fault leaves its problem row, no request leaves the sites or reaches a private address, every
other report is stored, the archive verifies, and a second crawl over it finishes too.

One crawl pair per backend (module fixture); one test per scenario of the reliability review's
list (issue 11), numbered as there. The crawl runs without GOVCRAWL_ALLOW_PRIVATE_ADDRESSES, its
names resolved by netguard's stand-in resolver (web.dns; every other name resolves to nothing and
goes through the simulated web's proxy)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from archive import db
from archive.models import Capture, CrawlRun, Problem, Report, Site
from archive.warc import read_record
from govcrawl.discovery.scope import ip_literal, registered_domain
from simweb import LoggedRequest, SimulatedWeb
from simweb.faults import CRAWL_SETTINGS, Fault, build_fault_web
from tests.archive_dbs import BACKENDS, database
from tests.conftest import FAST, cli_command
from tests.crawl.helpers import archive_of, close_all, close_crawler, make_crawler

CRAWL_BOUND = 240.0  # seconds per crawl: a Retry-After of 9999 s or a stalled reactor is far past it
RETRY_TIMES = 3  # the project's default, which the crawl keeps


@dataclass
class Run:
    """One `govcrawl` command: its outcome, wall time and what reached the simulated web."""

    returncode: int
    stdout: str
    stderr: str
    seconds: float
    requests: list[LoggedRequest]
    blocked: list[str]  # non-loopback network attempts netguard refused


@dataclass
class FaultCrawl:
    web: SimulatedWeb
    backend: str
    db_url: str
    warc_dir: Path
    first: Run
    second: Run
    verify: Run
    warcio: list[subprocess.CompletedProcess[str]]
    reparse: Run

    def rows(self, query: Any) -> list[Any]:
        with db.session_factory(self.db_url)() as session:
            return list(session.execute(query).all())

    def problems(self, kind: str | None = None, run: int = 1) -> list[tuple[str, str | None, str]]:
        """(kind, url, message) of the problems of crawl ``run`` (1 or 2)."""
        run_id = self.rows(select(CrawlRun.id).order_by(CrawlRun.id))[run - 1][0]
        query = select(Problem.kind, Problem.url, Problem.message).where(Problem.run_id == run_id)
        if kind is not None:
            query = query.where(Problem.kind == kind)
        return [tuple(r) for r in self.rows(query.order_by(Problem.id))]

    def reports(self) -> dict[str, Any]:
        return {r.url: r for r in self.rows(select(Report.url, Report.text))}


def _run(args: list[str], workdir: Path, web: SimulatedWeb | None) -> Run:
    guard_log = workdir / f"netguard-{args[0]}.log"
    guard_log.unlink(missing_ok=True)
    command, env = cli_command(args, workdir, web.proxy_url if web else None, guard_log)
    if web is not None:
        env["NETGUARD_HOSTS"] = ",".join(f"{name}={address}" for name, address in web.dns.items())
        web.reset()
    started = time.monotonic()
    proc = subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True,
                          timeout=600)
    seconds = time.monotonic() - started
    blocked = guard_log.read_text().splitlines() if guard_log.exists() else []
    requests = list(web.request_log) if web is not None else []
    return Run(proc.returncode, proc.stdout, proc.stderr, seconds, requests, blocked)


def _crawl_twice(web: SimulatedWeb, workdir: Path, backend: str, db_url: str) -> FaultCrawl:
    sites, warc_dir = workdir / "sites.csv", workdir / "warc"
    web.write_sites_csv(sites)
    settings = [arg for key, value in CRAWL_SETTINGS.items() for arg in ("-s", f"{key}={value}")]
    crawl = ["crawl", "--sites", str(sites), "--db", db_url, "--warc-dir", str(warc_dir), *FAST,
             # after FAST (the later -s wins): names are resolved and private addresses refused
             "-s", "GOVCRAWL_ALLOW_PRIVATE_ADDRESSES=False", *settings]
    first = _run(crawl, workdir, web)
    second = _run(crawl, workdir, web)
    verify = _run(["verify", "--db", db_url, "--warc-dir", str(warc_dir)], workdir, None)
    warcio = [subprocess.run([sys.executable, "-m", "warcio.cli", "check", str(path)],
                             capture_output=True, text=True)
              for path in sorted(warc_dir.iterdir())]
    reparse = _run(["reparse", "--db", db_url], workdir, None)
    return FaultCrawl(web, backend, db_url, warc_dir, first, second, verify, warcio, reparse)


@pytest.fixture(scope="module")
def fault_web() -> Iterator[SimulatedWeb]:
    web = build_fault_web()
    web.start()
    yield web
    web.stop()


@pytest.fixture(scope="module", params=BACKENDS)
def faulty(request: pytest.FixtureRequest, fault_web: SimulatedWeb,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultCrawl]:
    workdir = tmp_path_factory.mktemp(f"faults-{request.param}")
    with database(request.param, workdir) as db_url:
        yield _crawl_twice(fault_web, workdir, request.param, db_url)


def faults(web: SimulatedWeb, number: int) -> list[Fault]:
    found = [fault for fault in web.faults if fault.number == number]
    assert found, f"no fault numbered {number} in the fault web"
    return found


def assert_recorded(crawl: FaultCrawl, number: int) -> None:
    """Each fault of scenario ``number``: its problem row in the first crawl, nothing of it
    requested that must not be."""
    requested = [r.url for r in crawl.first.requests]
    for fault in faults(crawl.web, number):
        for prefix in fault.never_requested:
            assert not [url for url in requested if url.startswith(prefix)], (fault.name, prefix)
        if fault.problem_kind is None:
            continue
        rows = crawl.problems(fault.problem_kind)
        matching = [url for _, url, _ in rows
                    if (fault.url is None or url == fault.url)
                    and (fault.url_prefix is None or (url or "").startswith(fault.url_prefix))]
        assert matching, (fault.name, fault.problem_kind, rows)


def requests_for(run: Run, url: str) -> list[int]:
    """Statuses of the requests for ``url``, in order."""
    return [r.status for r in run.requests if r.url == url]


# -- every fault at once -----------------------------------------------------------------------------
def test_both_crawls_finish_in_bounded_time(faulty: FaultCrawl) -> None:
    for run in (faulty.first, faulty.second):
        assert run.returncode == 0, run.stderr[-3000:]
        assert run.seconds < CRAWL_BOUND, run.seconds
    assert [s for (s,) in faulty.rows(select(CrawlRun.status).order_by(CrawlRun.id))] == [
        "finished", "finished"]


def test_every_other_report_is_stored(faulty: FaultCrawl) -> None:
    assert set(faulty.reports()) == {e.url for e in faulty.web.expected_reports}


def test_no_request_leaves_the_sites_or_goes_to_an_address(faulty: FaultCrawl) -> None:
    listed = {registered_domain(s.url) for s in faulty.web.sites}
    for run in (faulty.first, faulty.second):
        assert run.blocked == []
        outside = [r.url for r in run.requests
                   if registered_domain(r.host) not in listed or ip_literal(r.host) is not None
                   or urlsplit(r.url).port not in (None, 80)]
        assert outside == []
        assert [r.url for r in run.requests if r.status == 502] == []  # no unknown host


def test_the_archive_verifies_and_every_warc_passes_warcio_check(faulty: FaultCrawl) -> None:
    assert faulty.verify.returncode == 0, faulty.verify.stdout + faulty.verify.stderr
    assert faulty.warcio
    for check in faulty.warcio:
        assert check.returncode == 0, check.stdout + check.stderr


def test_reparse_reads_every_archived_report_again(faulty: FaultCrawl) -> None:
    # Among them the br and zstd ones, archived raw (scenario 6).
    assert faulty.reparse.returncode == 0, faulty.reparse.stderr[-3000:]
    summary = f"reparsed {len(faulty.web.expected_reports)} reports; 0 could not be read"
    assert summary in faulty.reparse.stderr, faulty.reparse.stderr[-3000:]


# -- scope / SSRF ------------------------------------------------------------------------------------
def test_01_a_redirect_after_a_retry_or_a_timeout_is_refused(faulty: FaultCrawl) -> None:
    assert_recorded(faulty, 1)
    site = faults(faulty.web, 1)[0].site_url
    assert requests_for(faulty.first, f"{site}ndbg/2021.html") == [503, 302]
    assert requests_for(faulty.first, f"{site}ndbg/2020.html")[-1] == 302  # after the timeout


def test_02_a_meta_refresh_after_a_retry_is_refused(faulty: FaultCrawl) -> None:
    assert_recorded(faulty, 2)
    site = faults(faulty.web, 2)[0].site_url
    assert requests_for(faulty.first, f"{site}ndbg/2021.html") == [503, 200]


def test_03_names_resolving_to_private_addresses_are_never_fetched(faulty: FaultCrawl) -> None:
    assert_recorded(faulty, 3)
    hosts = {r.host for r in faulty.first.requests + faulty.second.requests}
    assert hosts & set(faulty.web.dns) == set()
    messages = [m for _, _, m in faulty.problems("out_of_scope")]
    assert any("169.254.169.254, a link-local address" in m for m in messages)
    assert any("127.0.0.1, a loopback address" in m for m in messages)


def test_04_links_to_other_ports_are_refused(faulty: FaultCrawl) -> None:
    assert_recorded(faulty, 4)
    messages = {url: m for _, url, m in faulty.problems("out_of_scope")}
    for fault in faults(faulty.web, 4):
        assert f"port {urlsplit(fault.url or '').port} is not allowed" in messages[fault.url]


# -- decompression -----------------------------------------------------------------------------------
def test_06_bombs_are_archived_raw_and_unasked_encodings_read(faulty: FaultCrawl) -> None:
    assert_recorded(faulty, 6)
    stored = faulty.reports()
    for fault in faults(faulty.web, 6):
        ((warc_file, offset),) = faulty.rows(
            select(Capture.warc_file, Capture.warc_offset).where(Capture.url == fault.url)
            .where(Capture.run_id == 1))
        record, payload = read_record(warc_file, offset)
        coding = fault.name.split("-")[0]
        assert record.http_headers.get_header("Content-Encoding") == coding
        assert len(payload) < 64 * 1024  # as sent: a bomb stays a few KiB in the archive
        if fault.problem_kind is None:  # br, zstd: decoded and stored
            assert "政府信息公开" in stored[fault.url].text


# -- main-thread CPU ---------------------------------------------------------------------------------
def test_09_hostile_pages_cost_seconds_and_a_huge_page_is_read_in_part(faulty: FaultCrawl) -> None:
    assert_recorded(faulty, 9)
    for fault in faults(faulty.web, 9):  # each fetched and read, and the crawl went on (bounded)
        assert 200 in requests_for(faulty.first, fault.url or ""), fault.name
    (comment_run,) = [f for f in faults(faulty.web, 9) if f.name == "comment-run"]
    assert comment_run.url in faulty.reports()


# -- database widths ---------------------------------------------------------------------------------
def test_10_over_long_values_are_cut_and_the_rest_stored(faulty: FaultCrawl) -> None:
    assert_recorded(faulty, 10)
    by_name = {f.name: f for f in faults(faulty.web, 10)}
    headers = by_name["long-headers"]
    ((content_type, etag, last_modified),) = faulty.rows(
        select(Capture.content_type, Capture.etag, Capture.last_modified)
        .where(Capture.url == headers.url).where(Capture.run_id == 1))
    assert (len(content_type), len(etag), len(last_modified)) == (200, 300, 100)
    assert content_type.startswith("text/html; charset=utf-8; profile=pp")
    reports = faulty.reports()
    assert headers.url in reports
    pdf = reports[by_name["nul-in-pdf-text"].url]
    assert "一、总体情况" in pdf.text and "\x00" not in pdf.text
    ((_, _, message),) = faulty.problems("site_list")
    assert "name longer than 200 characters" in message
    site_urls = {url for (url,) in faulty.rows(select(Site.url))}
    assert by_name["long-csv-row"].site_url not in site_urls
    assert len(site_urls) == len(faulty.web.sites) - 1  # the rest of the list is crawled


# -- politeness --------------------------------------------------------------------------------------
def test_18_an_unreadable_robots_txt_keeps_its_host_out(faulty: FaultCrawl) -> None:
    assert_recorded(faulty, 18)
    for fault in faults(faulty.web, 18):
        host = urlsplit(fault.site_url).hostname
        paths = {urlsplit(r.url).path for r in faulty.first.requests if r.host == host}
        assert paths == {"/robots.txt"}, (fault.name, paths)


def test_19_rate_limits_are_capped_and_odd_retry_after_values_retried(faulty: FaultCrawl) -> None:
    assert_recorded(faulty, 19)
    for fault in faults(faulty.web, 19):
        statuses = requests_for(faulty.first, fault.site_url)
        if fault.problem_kind == "http_error":  # 429 for ever: given up after the retries
            assert statuses == [429] * (RETRY_TIMES + 1), fault.name
        else:  # 429 once with Retry-After -5 or a -0000 date: retried, the site crawled
            assert statuses == [429, 200], fault.name
    stored = faulty.reports()
    assert {e.url for e in faulty.web.expected_reports if "f19-" in e.url} <= set(stored)


# -- the fix this suite found ------------------------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
def test_a_row_refused_in_its_flush_costs_only_its_own_item(tmp_path: Path, backend: str) -> None:
    # On PostgreSQL a report URL over 2,000 characters failed in the flush, which leaves the
    # savepoint inactive; the unit of work then rolled back the whole batch: nine reports lost.
    with database(backend, tmp_path) as db_url:
        crawler = make_crawler(tmp_path, GOVCRAWL_DB_URL=db_url)
        archive = archive_of(crawler)
        try:
            with archive.unit_of_work() as session:
                session.add(Site(name="a", url="http://www.a.gov.cn/", domain="a.gov.cn"))
            with pytest.raises(IntegrityError), archive.unit_of_work() as session:
                session.add(Site(name="a again", url="http://www.a.gov.cn/", domain="a.gov.cn"))
                session.flush()
            with archive.unit_of_work() as session:
                session.add(Site(name="b", url="http://www.b.gov.cn/", domain="b.gov.cn"))
            archive.commit()
            close_crawler(crawler)
            with db.session_factory(db_url)() as session:
                assert sorted(session.scalars(select(Site.name))) == ["a", "b"]
        finally:
            close_all()
