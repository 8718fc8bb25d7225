"""Shared fixtures: the simulated gov.cn web and a real crawl of it through the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
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


def cli_command(args: list[str], workdir: Path, proxy: str | None
                ) -> tuple[list[str], dict[str, str]]:
    """The command line and environment of ``govcrawl ARGS`` under the network guard."""
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy", "no_proxy")}
    if proxy:
        env["http_proxy"] = proxy
    env["PYTHONPATH"] = os.pathsep.join([str(TESTS.parent), env.get("PYTHONPATH", "")])
    guard_log = workdir / "netguard.log"
    return [sys.executable, str(TESTS / "netguard.py"), str(guard_log), *args], env


def run_cli(args: list[str], workdir: Path, proxy: str | None) -> subprocess.CompletedProcess[str]:
    """Run ``govcrawl ARGS`` in a child under the network guard (loopback only)."""
    command, env = cli_command(args, workdir, proxy)
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


@pytest.fixture(scope="session")
def test_web() -> SimulatedWeb:
    web = build_test_web()
    web.start()
    yield web
    web.stop()


@pytest.fixture(scope="session")
def crawled(test_web: SimulatedWeb, tmp_path_factory: pytest.TempPathFactory) -> CrawlResult:
    """One real crawl of the simulated web, shared by the end-to-end tests."""
    test_web.reset()
    return crawl(test_web, tmp_path_factory.mktemp("crawl"))
