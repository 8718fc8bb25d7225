"""Deployment to a real scrapyd: scrapyd-deploy the project, schedule a crawl, check what it stored.

scrapyd runs on 127.0.0.1 with its own working directory; every Python process it starts loads
tests/scrapyd/sitecustomize.py, which installs tests/netguard.py's guard and records where the
project's packages were imported from (they must come from the deployed egg).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from simweb import SimulatedWeb
from tests.conftest import FAST, TESTS

ROOT = TESTS.parent
BIN = Path(sys.executable).parent
PROXY_VARS = {"http_proxy", "https_proxy", "no_proxy", "all_proxy"}
# What a checkout holds besides the project: never part of what is deployed.
NOT_DEPLOYED = shutil.ignore_patterns(".git", ".venv*", ".pywb-venv", "data", "build", "dist",
                                      "*.egg-info", "__pycache__", ".pytest_cache", ".ruff_cache",
                                      ".hypothesis")
# No proxy for talking to scrapyd itself, whatever the environment says.
LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))

pytestmark = pytest.mark.skipif(not (BIN / "scrapyd-deploy").exists(),
                                reason="scrapyd-client not installed (pip install -e '.[test]')")


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without proxy or Scrapy project variables, plus ``extra``."""
    env = {k: v for k, v in os.environ.items()
           if k.lower() not in PROXY_VARS and not k.startswith(("SCRAPY_", "PYTHONPATH"))}
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def api(base: str, endpoint: str, data: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    """GET (or POST ``data`` to) a scrapyd JSON endpoint; fail unless its status is ok."""
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with LOCAL.open(f"{base}/{endpoint}", data=body, timeout=30) as resp:
        answer = json.load(resp)
    assert answer.get("status") == "ok", f"{endpoint}: {answer}"
    return answer


def stop_group(proc: subprocess.Popen[bytes]) -> None:
    """Terminate the process group we started scrapyd in (scrapyd and any crawl it launched)."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


@contextmanager
def scrapyd(workdir: Path, env: dict[str, str]) -> Iterator[str]:
    """Run scrapyd on 127.0.0.1 (free port) in ``workdir``; yield its base URL; always stop it."""
    workdir.mkdir(parents=True, exist_ok=True)
    for attempt in range(3):  # the free port may be taken before scrapyd binds it
        port = free_port()
        (workdir / "scrapyd.conf").write_text(
            "[scrapyd]\n"
            "bind_address = 127.0.0.1\n"
            f"http_port = {port}\n"
            f"eggs_dir = {workdir / 'eggs'}\n"
            f"logs_dir = {workdir / 'logs'}\n"
            f"dbs_dir = {workdir / 'dbs'}\n"
            "items_dir =\n"
            "jobs_dir =\n"
            "max_proc = 1\n"
            "poll_interval = 0.2\n", encoding="utf-8")
        log = open(workdir / "scrapyd.out", "wb")  # noqa: SIM115 (closed below)
        proc = subprocess.Popen([sys.executable, "-m", "scrapyd"], cwd=workdir, env=env,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 20
            while proc.poll() is None and time.monotonic() < deadline:
                try:
                    api(base, "daemonstatus.json")
                    break
                except OSError:
                    time.sleep(0.1)
            else:
                if attempt < 2 and proc.returncode is not None:
                    continue
                out = (workdir / "scrapyd.out").read_text(errors="replace")[-3000:]
                pytest.fail(f"scrapyd did not come up on {base}:\n{out}")
            yield base
            return
        finally:
            stop_group(proc)
            log.close()


def copy_project(dst: Path) -> Path:
    """A copy of the checkout to deploy from: scrapyd-deploy writes setup.py and build/ into it."""
    shutil.copytree(ROOT, dst, ignore=NOT_DEPLOYED)
    return dst


def deploy(project_dir: Path, base: str, home: Path) -> None:
    """``scrapyd-deploy pytest``: a [deploy:pytest] target in the user's scrapy.cfg (XDG config)
    pointing at ``base``; the project name comes from the project's own [deploy] section."""
    xdg = home / ".config"
    xdg.mkdir(parents=True, exist_ok=True)
    (xdg / "scrapy.cfg").write_text(f"[deploy:pytest]\nurl = {base}/\n", encoding="utf-8")
    proc = subprocess.run([str(BIN / "scrapyd-deploy"), "pytest", "--version", "r1"],
                          cwd=project_dir, env=clean_env(HOME=str(home), XDG_CONFIG_HOME=str(xdg)),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    answer = json.loads(proc.stdout)
    assert answer["status"] == "ok" and answer["project"] == "govcrawl", answer
    assert answer["spiders"] == 1, answer


def check_egg(egg: Path) -> None:
    """All three packages, the scrapy settings entry point, no tests."""
    with zipfile.ZipFile(egg) as zf:
        names = set(zf.namelist())
        entry_points = zf.read("EGG-INFO/entry_points.txt").decode()
    for module in ("govcrawl/settings.py", "govcrawl/spiders/annual_reports.py",
                   "govcrawl/discovery/plan.py", "pipelines/store.py", "pipelines/extract.py",
                   "archive/db.py", "archive/warc.py"):
        assert module in names, f"{module} missing from {egg.name}"
    assert not any(n.startswith("tests/") for n in names)
    assert "[scrapy]\nsettings = govcrawl.settings" in entry_points, entry_points


def wait_finished(base: str, job: str, timeout: float = 45) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        jobs = api(base, "listjobs.json?project=govcrawl")
        if any(j["id"] == job for j in jobs["finished"]):
            return
        time.sleep(0.2)
    pytest.fail(f"job {job} not finished after {timeout} s: {jobs}")


def test_deployed_to_scrapyd_the_scheduled_crawl_archives_every_report(
        test_web: SimulatedWeb, tmp_path: Path) -> None:
    server_dir, home = tmp_path / "scrapyd", tmp_path / "home"
    guard_log, modules_log = tmp_path / "netguard.log", tmp_path / "modules.jsonl"
    out, sites = tmp_path / "out", tmp_path / "sites.csv"  # absolute paths: scrapyd's cwd differs
    db, warc_dir = out / "govcrawl.sqlite", out / "warc"
    out.mkdir()
    project_dir = copy_project(tmp_path / "project")
    web = test_web  # the session's web (its 503 retried at once)
    web.reset()
    web.write_sites_csv(sites)
    # https_proxy too: https portals (华宁) are reached through the proxy's CONNECT tunnel.
    env = clean_env(http_proxy=web.proxy_url, https_proxy=web.proxy_url, HOME=str(home),
                    PYTHONPATH=str(TESTS / "scrapyd"),  # sitecustomize.py: the network guard
                    GOVCRAWL_NETGUARD_LOG=str(guard_log), GOVCRAWL_MODULES_LOG=str(modules_log))
    with scrapyd(server_dir, env) as base:
        deploy(project_dir, base, home)
        eggs = list((server_dir / "eggs" / "govcrawl").glob("*.egg"))
        assert len(eggs) == 1, eggs
        check_egg(eggs[0])
        settings = [f"GOVCRAWL_DB_URL=sqlite:///{db}", f"GOVCRAWL_WARC_DIR={warc_dir}",
                    *FAST[1::2]]  # FAST is ["-s", "KEY=VALUE", …]
        job = api(base, "schedule.json", [
            ("project", "govcrawl"), ("spider", "annual_reports"), ("sites", str(sites)),
            *(("setting", s) for s in settings)])["jobid"]
        wait_finished(base, job)
    crawl_log = server_dir / "logs" / "govcrawl" / "annual_reports" / f"{job}.log"
    log_text = crawl_log.read_text(errors="replace") if crawl_log.exists() else "(no job log)"
    server_out = (server_dir / "scrapyd.out").read_text(errors="replace")
    assert "'finish_reason': 'finished'" in log_text, log_text[-3000:] + server_out[-3000:]

    assert db.exists(), log_text[-3000:]
    with sqlite3.connect(db) as conn:
        found = {key for (key,) in conn.execute("SELECT url_key FROM reports")}  # any form
    expected = {e.url for e in web.expected_reports}
    assert expected and found == expected, (sorted(expected - found), sorted(found - expected))
    assert list(warc_dir.glob("*.warc.gz")), "no WARC files written"

    blocked = guard_log.read_text().splitlines() if guard_log.exists() else []
    assert blocked == [], blocked
    # The crawl ran the deployed egg with its settings module, not the checkout or the venv's copy.
    runs = [json.loads(line) for line in modules_log.read_text().splitlines()]
    crawl_runs = [r for r in runs if "crawl" in r["argv"]]  # python -m scrapyd.runner crawl …
    assert len(crawl_runs) == 1, runs
    assert crawl_runs[0]["settings_module"] == "govcrawl.settings"
    for name, path in crawl_runs[0]["modules"].items():
        assert path and path.startswith(str(eggs[0]) + os.sep), f"{name} imported from {path}"
