"""Shared fixtures: the simulated gov.cn web and a real crawl of it through the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest

from simweb import SimulatedWeb, build_test_web

TESTS = Path(__file__).parent
# Fast settings for loopback: politeness delays off (their defaults are pinned in test_settings).
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
        "-s", "GOVCRAWL_RETRY_BACKOFF_BASE=0.2", "-s", "GOVCRAWL_EXTRACT_WORKERS=2",
        # The simulated hosts are reached through a proxy on 127.0.0.1: no DNS lookups at all.
        "-s", "GOVCRAWL_ALLOW_PRIVATE_ADDRESSES=True"]


@dataclass
class CrawlResult:
    web: SimulatedWeb
    workdir: Path
    db_url: str
    warc_dir: Path
    returncode: int
    stdout: str
    stderr: str
    blocked: list[str]  # non-loopback network attempts seen by the guard
    requests: list  # the server's request log of this crawl (the web is shared by other tests)


def cli_command(args: list[str], workdir: Path, proxy: str | None, guard_log: Path | None = None
                ) -> tuple[list[str], dict[str, str]]:
    """The command line and environment of ``govcrawl ARGS`` under the network guard, which
    records blocked attempts in ``guard_log`` (default ``workdir/netguard.log``)."""
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy", "no_proxy")}
    if proxy:
        env["http_proxy"] = proxy
        env["https_proxy"] = proxy  # https portals are reached through a CONNECT tunnel
    env["PYTHONPATH"] = os.pathsep.join([str(TESTS.parent), env.get("PYTHONPATH", "")])
    guard_log = guard_log or workdir / "netguard.log"
    return [sys.executable, str(TESTS / "netguard.py"), str(guard_log), *args], env


def run_cli(args: list[str], workdir: Path, proxy: str | None, guard_log: Path | None = None
            ) -> subprocess.CompletedProcess[str]:
    """Run ``govcrawl ARGS`` in a child under the network guard (loopback only)."""
    command, env = cli_command(args, workdir, proxy, guard_log)
    return subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True, timeout=600)


def crawl(web: SimulatedWeb, workdir: Path, extra: list[str] | None = None,
          db_url: str | None = None) -> CrawlResult:
    workdir.mkdir(parents=True, exist_ok=True)
    sites = workdir / "sites.csv"
    web.write_sites_csv(sites)
    db_url = db_url or f"sqlite:///{workdir / 'govcrawl.sqlite'}"
    warc_dir = workdir / "warc"
    proc = run_cli(["crawl", "--sites", str(sites), "--db", db_url, "--warc-dir", str(warc_dir),
                    *FAST, *(extra or [])], workdir, web.proxy_url)
    guard_log = workdir / "netguard.log"
    blocked = guard_log.read_text().splitlines() if guard_log.exists() else []
    return CrawlResult(web, workdir, db_url, warc_dir, proc.returncode, proc.stdout, proc.stderr,
                       blocked, list(web.request_log))


# -- parallel runs ---------------------------------------------------------------------------
# pyproject.toml's addopts run the suite on pytest-xdist workers with `--dist loadfile`: a module
# runs whole on one worker, so its module fixtures (a crawl, a server) are built once. Two
# refinements: the modules reading the session crawl (`crawled` below) count as one file, so that
# crawl is made once (FileGroupScheduling); and the slowest groups are handed out first, so that
# no long group starts last (pytest_collection_modifyitems). (`--dist loadgroup` with xdist_group
# marks would do the first, but pytest 9.2 broke it: pytest-xdist issue 1386.)
SHARED_CRAWL = "tests/conftest.py::crawled"  # the group's name
SHARED_CRAWL_MODULES = {
    "tests/test_crawl_e2e.py", "tests/test_attachments_e2e.py", "tests/test_research_data.py",
    "tests/test_reparse.py", "tests/test_replay_pywb.py", "tests/test_wacz.py",
}
SLOW_FIRST = [  # seconds on one of four workers on 2 cores, roughly; the rest come after
    SHARED_CRAWL,  # ~110: the session crawl, then export, reparse, WACZ, pywb over it
    "tests/test_fault_portals.py",  # ~110: the fault web crawled twice on SQLite and on PostgreSQL
    "tests/test_documents.py",  # ~100: bounded reads of PDF, XLSX and DOCX bombs
    "tests/test_resume.py",  # ~90: nine crawls, four of them killed
    "tests/test_incremental.py",  # ~70: five crawls
    "tests/test_cli.py",  # ~60
    "tests/test_postgres.py",
    "tests/test_wayback.py",
    "tests/test_linear_time.py",
    "tests/test_import.py",
    "tests/test_archive_recovery.py",
    "tests/test_safe_writes.py",
    "tests/test_scrapyd.py",
    "tests/test_bad_input.py",
]


def file_group(nodeid: str) -> str:
    """The group a test runs in under ``--dist loadfile``: its module, or the shared crawl's."""
    module = nodeid.split("::", 1)[0]
    return SHARED_CRAWL if module in SHARED_CRAWL_MODULES else module


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    if config.getvalue("dist") != "loadfile":
        return None  # xdist's own scheduler
    from xdist.scheduler import LoadFileScheduling

    class FileGroupScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return file_group(nodeid)

    return FileGroupScheduling(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    strays = {item.nodeid.split("::", 1)[0] for item in items
              if "crawled" in getattr(item, "fixturenames", ())
              and not hasattr(getattr(item, "module", None), "crawled")
              } - SHARED_CRAWL_MODULES
    if strays:  # each would make a crawl of its own on its worker
        warnings.warn(pytest.PytestWarning(
            f"add {sorted(strays)} to SHARED_CRAWL_MODULES in tests/conftest.py"), stacklevel=1)
    if os.environ.get("PYTEST_XDIST_WORKER"):  # the workers' order is the order groups go out
        rank = {group: i for i, group in enumerate(SLOW_FIRST)}
        items.sort(key=lambda item: rank.get(file_group(item.nodeid), len(rank)))  # stable


@pytest.fixture(scope="session")
def test_web() -> SimulatedWeb:
    web = build_test_web()
    # Its 503 asks for no wait (Retry-After: 0): honouring 1 s holds the host, whose pages end
    # every crawl, for a second. The session crawl below keeps the 1 s, which test_crawl_e2e
    # times; every other crawl of this web still gets the 503 and retries it.
    web.retry_after = 0
    web.start()
    yield web
    web.stop()


@pytest.fixture(scope="session")
def crawled(test_web: SimulatedWeb, tmp_path_factory: pytest.TempPathFactory) -> CrawlResult:
    """One real crawl of the simulated web, shared by the end-to-end tests."""
    test_web.reset()
    test_web.retry_after = 1
    try:
        return crawl(test_web, tmp_path_factory.mktemp("crawl"))
    finally:
        test_web.retry_after = 0
