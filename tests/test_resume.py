"""A crawl killed (SIGKILL) or stopped (SIGTERM) at several points, then ``govcrawl crawl
--resume``: the same reports as an uninterrupted crawl, nothing completed fetched again, every
WARC file whole and ``govcrawl verify`` clean. Real processes, real signals, the simulated web."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord

from archive.warc import payload_digest
from govcrawl.identity import url_key
from simweb import SimulatedWeb
from tests.conftest import FAST, CrawlResult, cli_command, crawl, run_cli

# Kill points as shares of an uninterrupted crawl's WARC bytes, jittered by a seeded RNG so
# the points differ from run to run of the suite yet a failure can be replayed from its seed.
SEED = int(os.environ.get("GOVCRAWL_RESUME_SEED", time.time_ns() % 10_000))
SHARES = [0.12, 0.4, 0.75]


@pytest.fixture(scope="module")
def web(test_web: SimulatedWeb) -> SimulatedWeb:
    return test_web  # the session's web (its 503 retried at once); each crawl resets it first


@pytest.fixture(scope="module")
def uninterrupted(web: SimulatedWeb, tmp_path_factory: pytest.TempPathFactory) -> CrawlResult:
    web.reset()
    result = crawl(web, tmp_path_factory.mktemp("whole"))
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def _reports(db_url: str) -> set[tuple]:
    # By URL key: which form of a report's URL a crawl meets first (华宁 links several) depends
    # on the order pages come back in.
    with sqlite3.connect(db_url.removeprefix("sqlite:///")) as conn:
        return set(conn.execute("SELECT url_key, title, year, region, admin_level, agency, "
                                "format, stats, published FROM reports"))


def _warc_bytes(warc_dir: Path) -> int:
    return sum(p.stat().st_size for p in warc_dir.glob("*.warc.gz*")) if warc_dir.exists() else 0


def _start(web: SimulatedWeb, workdir: Path) -> subprocess.Popen[str]:
    sites = workdir / "sites.csv"
    web.write_sites_csv(sites)
    command, env = cli_command(
        ["crawl", "--sites", str(sites), "--db", f"sqlite:///{workdir / 'govcrawl.sqlite'}",
         "--warc-dir", str(workdir / "warc"), *FAST], workdir, web.proxy_url)
    # Its own session: the signal reaches the crawler and its extraction workers, as a
    # service manager or the OOM killer's cgroup kill would.
    return subprocess.Popen(command, cwd=workdir, env=env, text=True, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _whole_member(data: bytes, offset: int) -> bool:
    """Does the gzip member at ``offset`` end with its trailer (not cut mid-write)?"""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        inflater.decompress(data[offset:])
    except zlib.error:
        return False
    return inflater.eof


# One request, whatever form of its URL: method, URL key, body digest (None without a body).
# A script-built list POSTs each of its pages to one URL; only the body tells them apart.
Fetch = tuple[str, str, str | None]
_NO_BODY = payload_digest(b"")


def _records(warc_dir: Path) -> Iterator[tuple[ArcWarcRecord, bool]]:
    """Every readable record of the WARC files as they are, and whether its gzip member is
    whole (trailer included); a killed crawl's cut tail ends a file's walk."""
    for path in warc_dir.glob("*.warc.gz*"):
        data = path.read_bytes()
        with open(path, "rb") as fh:
            records = ArchiveIterator(fh)
            try:
                for record in records:
                    record.content_stream().read()  # a cut record raises here
                    yield record, _whole_member(data, records.get_record_offset())
            except Exception:  # noqa: BLE001 - the cut tail of a killed crawl's file
                pass


def _fetch(request: ArcWarcRecord) -> Fetch:
    digest = request.rec_headers.get_header("WARC-Payload-Digest")
    # warcio reads a request line's method where a status line has its protocol
    return (request.http_headers.protocol, url_key(request.rec_headers.get_header("WARC-Target-URI")),
            None if digest in (None, _NO_BODY) else digest)


def _complete_responses(warc_dir: Path) -> tuple[set[Fetch], set[str]]:
    """The requests with a whole 200 response record (its gzip member complete, trailer
    included) in the WARC files as the kill left them; and every record id there."""
    complete, requests, ids = set(), {}, set()
    for record, whole in _records(warc_dir):
        ids.add(record.rec_headers.get_header("WARC-Record-ID"))
        if record.rec_type == "request":
            requests[record.rec_headers.get_header("WARC-Concurrent-To")] = _fetch(record)
        elif (record.rec_type == "response" and whole
              and record.http_headers.get_statuscode() == "200"):
            complete.add(record.rec_headers.get_header("WARC-Record-ID"))
    return {requests[rid] for rid in complete if rid in requests}, ids


def _fetched_since(warc_dir: Path, before: set[str], log: list) -> set[Fetch]:
    """What the resumed crawl fetched: its request records (every exchange is archived), and
    the GETs the server saw (its log has no bodies)."""
    archived = {_fetch(record) for record, _ in _records(warc_dir) if record.rec_type == "request"
                and record.rec_headers.get_header("WARC-Record-ID") not in before}
    return archived | {("GET", url_key(r.url), None) for r in log if r.method == "GET"}


def _interrupt_and_resume(web: SimulatedWeb, workdir: Path, total: int, share: float,
                          sig: signal.Signals) -> tuple[CrawlResult, set[Fetch], set[Fetch]]:
    web.reset()
    workdir.mkdir(parents=True, exist_ok=True)
    proc = _start(web, workdir)
    threshold = int(total * share)
    deadline = time.monotonic() + 120
    while _warc_bytes(workdir / "warc") < threshold and proc.poll() is None:
        assert time.monotonic() < deadline, "crawl never reached the kill point"
        time.sleep(0.005)
    assert proc.poll() is None, f"the crawl ended before {share:.0%} of its bytes: {proc.stderr.read()[-2000:]}"
    os.killpg(proc.pid, sig)
    proc.wait(timeout=120)
    if sig is signal.SIGKILL:
        assert proc.returncode == -signal.SIGKILL
    done_before, records_before = _complete_responses(workdir / "warc")
    web.reset()
    resumed = crawl(web, workdir, ["--resume"])
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert resumed.blocked == []
    return resumed, done_before, _fetched_since(workdir / "warc", records_before, web.request_log)


@pytest.mark.parametrize("share", SHARES, ids=[f"kill-at-{int(s * 100)}pct" for s in SHARES])
def test_sigkill_then_resume(web: SimulatedWeb, uninterrupted: CrawlResult, tmp_path: Path,
                             share: float) -> None:
    total = _warc_bytes(uninterrupted.warc_dir)
    jittered = min(0.95, share + random.Random(SEED + int(share * 100)).uniform(-0.08, 0.08))
    resumed, done_before, refetched = _interrupt_and_resume(
        web, tmp_path, total, jittered, signal.SIGKILL)
    context = f"seed {SEED}, killed at {jittered:.0%} of {total} bytes"
    assert done_before, context
    assert _reports(resumed.db_url) == _reports(uninterrupted.db_url), context
    # Nothing the killed crawl had completely fetched is downloaded again.
    assert not done_before & refetched, (context, sorted(done_before & refetched)[:5])
    assert not list((tmp_path / "warc").glob("*.open")), context
    verify = run_cli(["verify", "--db", resumed.db_url, "--warc-dir", str(resumed.warc_dir)],
                     tmp_path, None)
    assert verify.returncode == 0, (context, verify.stdout[-3000:])
    with sqlite3.connect(resumed.db_url.removeprefix("sqlite:///")) as conn:
        runs = conn.execute("SELECT status FROM crawl_runs").fetchall()
    assert runs == [("finished",)], context


def test_sigterm_then_resume(web: SimulatedWeb, uninterrupted: CrawlResult, tmp_path: Path) -> None:
    resumed, done_before, refetched = _interrupt_and_resume(
        web, tmp_path, _warc_bytes(uninterrupted.warc_dir), 0.5, signal.SIGTERM)
    assert _reports(resumed.db_url) == _reports(uninterrupted.db_url)
    assert not done_before & refetched, sorted(done_before & refetched)[:5]
    verify = run_cli(["verify", "--db", resumed.db_url, "--warc-dir", str(resumed.warc_dir)],
                     tmp_path, None)
    assert verify.returncode == 0, verify.stdout[-3000:]


def test_resume_without_an_interrupted_crawl_says_so(uninterrupted: CrawlResult) -> None:
    proc = run_cli(["crawl", "--site", "http://www.example.gov.cn/", "--resume",
                    "--db", uninterrupted.db_url, "--warc-dir", str(uninterrupted.warc_dir)],
                   uninterrupted.workdir, None)
    assert proc.returncode == 2
    assert "no interrupted crawl" in proc.stderr and "Traceback" not in proc.stderr
