"""pywb replays what we archived: every report page comes back with its original bytes.

pywb lives in its own virtual environment (.pywb-venv, made by `make test` or on first use): its
pins conflict with ours and its brotlipy shadows the brotli module Scrapy needs (STACK.md).
"""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from archive.warc import read_record
from tests.conftest import TESTS, CrawlResult

ROOT = TESTS.parent
PYWB_VENV = ROOT / ".pywb-venv"


def pywb_bin(name: str) -> Path:
    """A pywb command; the venv is made by the Makefile target (the one place pywb is pinned)."""
    if not (PYWB_VENV / "bin" / "wayback").exists():
        subprocess.run(["make", f"PYTHON={sys.executable}", ".pywb-venv/bin/wayback"], cwd=ROOT,
                       check=True, timeout=1200)
    return PYWB_VENV / "bin" / name


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def replay(crawled: CrawlResult, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A pywb server on loopback over the crawl's WARC files; yields the collection's base URL."""
    root = tmp_path_factory.mktemp("pywb")
    manager = str(pywb_bin("wb-manager"))
    subprocess.run([manager, "init", "govcrawl"], cwd=root, check=True, capture_output=True)
    warcs = [str(p) for p in sorted(crawled.warc_dir.glob("*.warc.gz"))]
    subprocess.run([manager, "add", "govcrawl", *warcs], cwd=root, check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen([str(pywb_bin("wayback")), "-b", "127.0.0.1", "-p", str(port)],
                              cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/govcrawl"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).close()
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), NoRedirect())
    try:
        with opener.open(url, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_pywb_replays_every_report_with_its_original_bytes(crawled: CrawlResult, replay: str) -> None:
    with sqlite3.connect(crawled.db_url.removeprefix("sqlite:///")) as conn:
        rows = conn.execute("SELECT r.url, c.warc_file, c.warc_offset, c.fetched_at FROM reports r "
                            "JOIN captures c ON c.id = r.capture_id").fetchall()
    assert len(rows) == len(crawled.web.expected_reports)
    for url, warc_file, offset, fetched_at in rows:
        stamp = "".join(ch for ch in fetched_at if ch.isdigit())[:14]
        status, _, body = fetch(f"{replay}/{stamp}id_/{url}")
        _, payload = read_record(warc_file, offset, decoded=True)
        assert status == 200, url
        assert body == payload, url


def test_pywb_replays_a_redirect_hop(crawled: CrawlResult, replay: str) -> None:
    source, target = next(iter(crawled.web.redirects.items()))
    status, headers, _ = fetch(f"{replay}/2id_/{source}")
    assert status in (301, 302)
    assert headers["Location"].endswith(target.split("://", 1)[1])
