"""Scenario 5 of the reliability review (M2): a ``--wayback`` crawl whose web archive redirects
out of scope — a capture that redirects to another domain, and a 429 followed by a redirect off
the archive host to a private address — on SQLite and on PostgreSQL. Both are refused and
recorded, nothing outside scope is requested, every other archived report is stored, the archive
verifies, and a second wayback crawl over it finishes too."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from archive import db
from archive.models import CrawlRun, Problem, Report
from govcrawl.discovery.scope import registered_domain
from simweb import ExpectedReport, Page, build_archive_web
from simweb.wayback import ARCHIVE_HOST, ArchiveWeb
from tests.archive_dbs import BACKENDS, database
from tests.test_fault_portals import Run, _run

ARCHIVE = f"http://{ARCHIVE_HOST}"
ELSEWHERE = "http://www.elsewhere-portal.com/zfxxgk/2019.html"  # another registered domain
PRIVATE = "http://127.0.0.2/latest/meta-data/"


@dataclass
class WaybackFaults:
    web: ArchiveWeb
    db_url: str
    off_domain: ExpectedReport  # its capture redirects to a capture of another domain
    off_archive: ExpectedReport  # 429 once, then a redirect to a private address
    first: Run
    second: Run
    verify: Run

    def rows(self, query: object) -> list:
        with db.session_factory(self.db_url)() as session:
            return list(session.execute(query).all())  # type: ignore[call-overload]


def _replay_url(report: ExpectedReport) -> str:
    assert report.archived_at is not None
    return f"{ARCHIVE}/web/{report.archived_at:%Y%m%d%H%M%S}id_/{report.url}"


def _inject(web: ArchiveWeb) -> tuple[ExpectedReport, ExpectedReport]:
    """Two archive-only reports whose exact captures now answer with the faults (a static page
    on the archive host wins over its replay handler)."""
    off_domain, off_archive = web.archive_only_reports[:2]
    timestamp = f"{off_domain.archived_at:%Y%m%d%H%M%S}"
    web.add_page(_replay_url(off_domain), Page(
        b"", status=302, content_type="text/html",
        headers=[("Location", f"{ARCHIVE}/web/{timestamp}id_/{ELSEWHERE}")]))
    web.add_page(_replay_url(off_archive), Page(
        b"", status=302, content_type="text/html", headers=[("Location", PRIVATE)],
        fail_first=1, fail_status=429, retry_after="0"))
    return off_domain, off_archive


@pytest.fixture(scope="module", params=BACKENDS)
def crawled(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[WaybackFaults]:
    web = build_archive_web()
    web.archive_rate_limit = 0  # the CDX 429s are tested in test_wayback; here only the faults
    off_domain, off_archive = _inject(web)
    # Names are resolved (private addresses refused) by netguard's stand-in DNS: every simulated
    # name resolves to nothing and goes through the proxy; the entry only switches it on.
    web.dns = {"stand-in.invalid": "192.0.2.1"}
    web.start()
    workdir = tmp_path_factory.mktemp(f"wayback-faults-{request.param}")
    sites, warc_dir = workdir / "sites.csv", workdir / "warc"
    web.write_sites_csv(sites)
    try:
        with database(request.param, workdir) as db_url:
            crawl = ["crawl", "--sites", str(sites), "--db", db_url, "--warc-dir", str(warc_dir),
                     "--wayback", "--archive-url", ARCHIVE, "-s", "DOWNLOAD_DELAY=0",
                     "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "GOVCRAWL_RETRY_BACKOFF_BASE=0.2",
                     "-s", "GOVCRAWL_EXTRACT_WORKERS=2"]
            first = _run(crawl, workdir, web)
            second = _run(crawl, workdir, web)
            verify = _run(["verify", "--db", db_url, "--warc-dir", str(warc_dir)], workdir, None)
            yield WaybackFaults(web, db_url, off_domain, off_archive, first, second, verify)
    finally:
        web.stop()


def test_both_wayback_crawls_finish(crawled: WaybackFaults) -> None:
    for run in (crawled.first, crawled.second):
        assert run.returncode == 0, run.stderr[-3000:]
        assert run.blocked == []
    statuses = [s for (s,) in crawled.rows(select(CrawlRun.status).order_by(CrawlRun.id))]
    assert statuses == ["finished", "finished"]
    assert crawled.verify.returncode == 0, crawled.verify.stdout[-3000:]


def test_archive_redirects_out_of_scope_are_refused_and_recorded(crawled: WaybackFaults) -> None:
    problems = crawled.rows(select(Problem.url, Problem.message).where(
        Problem.kind == "out_of_scope"))
    assert any(url.endswith(ELSEWHERE) and "web-archive capture" in message
               for url, message in problems), problems
    # In a wayback crawl every request goes to the archive: the redirect's target is asked of
    # the archive as a capture of 127.0.0.2, which is outside the sites, and refused.
    assert any(url.endswith(PRIVATE) and "web-archive capture" in message
               for url, message in problems), problems
    # The 429 was answered, and the redirect after it was refused, not followed.
    replays = [r.status for r in crawled.first.requests if r.url == _replay_url(crawled.off_archive)]
    assert replays[:2] == [429, 302], replays


def test_no_request_leaves_the_archive_or_the_sites(crawled: WaybackFaults) -> None:
    domains = {registered_domain(s.url.split("/")[2]) for s in crawled.web.sites}
    for run in (crawled.first, crawled.second):
        hosts = {r.host for r in run.requests}
        assert hosts <= {ARCHIVE_HOST} | {h for h in hosts if registered_domain(h) in domains}, hosts
        assert not [r.url for r in run.requests if ELSEWHERE in r.url or r.host == "127.0.0.2"]


def test_every_other_archived_report_is_stored(crawled: WaybackFaults) -> None:
    stored = {url for (url,) in crawled.rows(select(Report.url))}
    faulty = {crawled.off_domain.url, crawled.off_archive.url}
    wanted = {e.url for e in crawled.web.archive_only_reports} - faulty
    assert wanted and wanted <= stored, sorted(wanted - stored)
    assert not faulty & stored


def _get(web: ArchiveWeb, url: str) -> tuple[int, str | None]:
    """Status and Location of one GET of ``url`` through the web's proxy, redirects not followed."""
    connection = http.client.HTTPConnection("127.0.0.1", web.port, timeout=10)
    try:
        connection.request("GET", url)
        response = connection.getresponse()
        response.read()
        return response.status, response.getheader("Location")
    finally:
        connection.close()


def test_the_injected_archive_serves_the_faults() -> None:
    web = build_archive_web()
    off_domain, off_archive = _inject(web)
    with web:
        assert _get(web, _replay_url(off_archive)) == (429, None)
        assert _get(web, _replay_url(off_archive)) == (302, PRIVATE)
        status, location = _get(web, _replay_url(off_domain))
        assert status == 302 and location is not None and location.endswith(ELSEWHERE)
