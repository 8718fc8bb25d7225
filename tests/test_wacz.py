"""CDXJ index and WACZ package of the crawl's WARC folder: the index points at every record, the
WACZ passes py-wacz's validator, lists every report, and pywb replays the reports from it.

Reuses the session's one crawl (``crawled``); pywb runs from its own venv as in
test_replay_pywb.
"""

from __future__ import annotations

import gzip
import json
import logging
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from warcio.timeutils import iso_date_to_timestamp

from archive.cdxj import index_warc_dir, write_cdxj
from archive.wacz import WaczSummary, write_wacz
from archive.warc import Exchange, Original, RotatingWarcWriter, iter_records, read_record
from simweb import SimulatedWeb
from tests.conftest import TESTS, CrawlResult
from tests.test_replay_pywb import fetch, free_port, pywb_bin

# py-wacz in a child with the network guard on: validation must not reach beyond loopback.
_GUARDED_WACZ = ("import sys; sys.path.insert(0, sys.argv[1]); import netguard; "
                 "netguard.install(sys.argv[2]); from wacz.main import main; "
                 "sys.exit(main(sys.argv[3:]))")


def parse_cdxj(text: str) -> list[tuple[str, str, dict]]:
    out = []
    for line in text.splitlines():
        urlkey, stamp, data = line.split(" ", 2)
        out.append((urlkey, stamp, json.loads(data)))
    return out


def report_rows(crawled: CrawlResult) -> list[tuple[str, str, int]]:
    """(url, warc_file, offset) of every report's capture."""
    with sqlite3.connect(crawled.db_url.removeprefix("sqlite:///")) as conn:
        return conn.execute("SELECT r.url, c.warc_file, c.warc_offset FROM reports r "
                            "JOIN captures c ON c.id = r.capture_id").fetchall()


def served_body(web: SimulatedWeb, url: str) -> bytes:
    """The bytes the simulated web serves for ``url`` (before any content-encoding)."""
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    page = web.hosts[parts.hostname].resolve(target, {})
    assert page is not None, url
    return page.body


@dataclass
class Packaged:
    summary: WaczSummary
    path: Path


@pytest.fixture(scope="module")
def packaged(crawled: CrawlResult, tmp_path_factory: pytest.TempPathFactory) -> Packaged:
    assert crawled.returncode == 0, crawled.stderr[-3000:]
    out = tmp_path_factory.mktemp("wacz") / "govcrawl.wacz"
    summary = write_wacz(crawled.db_url, str(crawled.warc_dir), str(out), title="govcrawl test")
    return Packaged(summary, out)


def wacz_member(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as zf:
        return zf.read(name)


def pages_of(path: Path) -> tuple[dict, list[dict]]:
    header, *pages = [json.loads(line) for line in
                      wacz_member(path, "pages/pages.jsonl").decode("utf-8").splitlines()]
    return header, pages


# -- CDXJ ---------------------------------------------------------------------------------------
def test_cdxj_has_one_sorted_line_per_response_record_pointing_at_it(
        crawled: CrawlResult, tmp_path: Path) -> None:
    out = tmp_path / "index.cdxj"
    count = index_warc_dir(crawled.warc_dir, out)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert count == len(lines) > 0
    assert lines == sorted(lines)
    warcs = sorted(str(p) for p in crawled.warc_dir.glob("*.warc.gz"))
    # Every record's offset, to check each line's length reaches exactly the next record.
    offsets: dict[str, list[int]] = {}
    wanted: set[tuple[str, int]] = set()
    for path, offset, record in iter_records(warcs):
        offsets.setdefault(Path(path).name, []).append(offset)
        if record.rec_type in ("response", "revisit"):
            wanted.add((Path(path).name, offset))
    entries = parse_cdxj("\n".join(lines))
    assert {(e["filename"], int(e["offset"])) for _, _, e in entries} == wanted
    assert len(entries) == len(wanted)
    for _, stamp, entry in entries:
        path = crawled.warc_dir / entry["filename"]
        offset, length = int(entry["offset"]), int(entry["length"])
        record, _ = read_record(str(path), offset)
        assert record.rec_type in ("response", "revisit")
        assert record.rec_headers.get_header("WARC-Target-URI") == entry["url"]
        assert iso_date_to_timestamp(record.rec_headers.get_header("WARC-Date")) == stamp
        assert len(stamp) == 14
        assert entry["status"] == record.http_headers.get_statuscode() and entry["mime"]
        following = [o for o in offsets[entry["filename"]] if o > offset]
        assert offset + length == (following[0] if following else path.stat().st_size)
    # The report pages are all in it.
    keyed = {(e["filename"], int(e["offset"])) for _, _, e in entries}
    for url, warc_file, offset in report_rows(crawled):
        assert (Path(warc_file).name, offset) in keyed, url


def test_cdxj_lines_are_the_ones_cdxj_indexer_writes(crawled: CrawlResult, tmp_path: Path) -> None:
    warcs = sorted(str(p) for p in crawled.warc_dir.glob("*.warc.gz"))
    ours = tmp_path / "ours.cdxj"
    write_cdxj(warcs, ours)
    cli = subprocess.run([sys.executable, "-m", "cdxj_indexer.main", "--sort", *warcs],
                         capture_output=True, text=True, encoding="utf-8", check=True)
    assert ours.read_text(encoding="utf-8") == cli.stdout


def _exchange(url: str, status: int, body: bytes, minute: int) -> Exchange:
    return Exchange(url=url, method="GET", request_headers=[("Host", "www.x.gov.cn")],
                    request_body=b"", status=status, protocol="HTTP/1.1",
                    response_headers=[("Content-Type", "text/html; charset=utf-8")], body=body,
                    fetched_at=datetime(2024, 3, 1, 8, minute, tzinfo=UTC))


def test_cdxj_indexes_revisit_records_as_warc_revisit(tmp_path: Path) -> None:
    writer = RotatingWarcWriter(tmp_path / "warc")
    url = "http://www.x.gov.cn/art/2024/1/1/art_1.html"
    first = writer.write_exchange(_exchange(url, 200, b"<p>report</p>", 0))
    original = Original(first.record_id, url, datetime(2024, 3, 1, 8, 0, tzinfo=UTC),
                        first.payload_digest)
    same = writer.write_exchange(_exchange(url, 200, b"<p>report</p>", 1), original=original)
    not_modified = writer.write_exchange(_exchange(url, 304, b"", 2), original=original)
    writer.close()
    assert (same.record_type, not_modified.record_type) == ("revisit", "revisit")
    out = tmp_path / "index.cdxj"
    assert index_warc_dir(tmp_path / "warc", out) == 3
    entries = parse_cdxj(out.read_text(encoding="utf-8"))
    assert [(stamp, e["mime"], e["status"]) for _, stamp, e in entries] == [
        ("20240301080000", "text/html", "200"),
        ("20240301080100", "warc/revisit", "200"),
        ("20240301080200", "warc/revisit", "304"),
    ]
    assert [int(e["offset"]) for _, _, e in entries] == [first.offset, same.offset,
                                                          not_modified.offset]
    assert all(e["digest"] == first.payload_digest for _, _, e in entries[:2])


def test_index_leaves_out_files_still_being_written(
        crawled: CrawlResult, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    folder = tmp_path / "warc"
    folder.mkdir()
    (warc,) = sorted(crawled.warc_dir.glob("*.warc.gz"))[:1]
    shutil.copy(warc, folder / warc.name)
    shutil.copy(warc, folder / "GOVCRAWL-in-progress.warc.gz.open")
    with caplog.at_level(logging.WARNING, logger="archive.cdxj"):
        count = index_warc_dir(folder, tmp_path / "index.cdxj")
    assert count == write_cdxj([warc], tmp_path / "one.cdxj")
    assert "GOVCRAWL-in-progress.warc.gz.open" in caplog.text
    assert "in-progress" not in (tmp_path / "index.cdxj").read_text(encoding="utf-8")


# -- WACZ ---------------------------------------------------------------------------------------
def test_wacz_passes_py_wacz_validation(packaged: Packaged, tmp_path: Path) -> None:
    guard_log = tmp_path / "netguard.log"
    proc = subprocess.run([sys.executable, "-c", _GUARDED_WACZ, str(TESTS), str(guard_log),
                           "validate", "-f", str(packaged.path)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Validation succeeded, the passed WACZ is valid" in proc.stdout, proc.stdout
    assert not guard_log.exists(), guard_log.read_text()


def test_wacz_stores_the_closed_warcs_and_hashes_every_file(
        crawled: CrawlResult, packaged: Packaged) -> None:
    warcs = sorted(p.name for p in crawled.warc_dir.glob("*.warc.gz"))
    assert sorted(packaged.summary.warc_files) == warcs
    with zipfile.ZipFile(packaged.path) as zf:
        infos = {i.filename: i for i in zf.infolist()}
        package = json.loads(zf.read("datapackage.json"))
    assert {f"archive/{w}" for w in warcs} | {"indexes/index.cdx.gz", "pages/pages.jsonl",
                                              "datapackage.json"} <= set(infos)
    for name in warcs:  # stored, so a replayer reads a record by range without inflating
        assert infos[f"archive/{name}"].compress_type == zipfile.ZIP_STORED
    assert package["wacz_version"] == "1.1.1" and package["title"] == "govcrawl test"
    listed = {r["path"]: r for r in package["resources"]}
    assert set(listed) == set(infos) - {"datapackage.json", "datapackage-digest.json"}
    assert all(r["hash"].startswith("sha256:") for r in listed.values())
    digest = json.loads(wacz_member(packaged.path, "datapackage-digest.json"))
    assert digest["path"] == "datapackage.json" and digest["hash"].startswith("sha256:")
    assert packaged.summary.size == packaged.path.stat().st_size


def test_wacz_pages_list_every_report_at_its_capture(
        crawled: CrawlResult, packaged: Packaged) -> None:
    header, pages = pages_of(packaged.path)
    assert header["format"] == "json-pages-1.0"
    rows = report_rows(crawled)
    assert len(rows) == len(crawled.web.expected_reports)
    assert sorted(p["url"] for p in pages) == sorted(url for url, _, _ in rows)
    assert packaged.summary.pages == len(pages) and packaged.summary.skipped_reports == []
    assert len({p["id"] for p in pages}) == len(pages) and all(p["title"] for p in pages)
    # Each page's url and ts match a line of the WACZ's own index (what a replayer looks up).
    index = parse_cdxj(gzip.decompress(wacz_member(packaged.path, "indexes/index.cdx.gz"))
                       .decode("utf-8"))
    indexed = {(e["url"], stamp) for _, stamp, e in index}
    for page in pages:
        assert (page["url"], iso_date_to_timestamp(page["ts"])) in indexed, page


def test_wacz_leaves_out_open_files_and_reports_it(
        crawled: CrawlResult, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    folder = tmp_path / "warc"
    shutil.copytree(crawled.warc_dir, folder)
    (folder / "GOVCRAWL-in-progress.warc.gz.open").write_bytes(b"")
    with caplog.at_level(logging.WARNING):
        summary = write_wacz(crawled.db_url, str(folder), str(tmp_path / "a.wacz"))
    assert summary.skipped_open == ["GOVCRAWL-in-progress.warc.gz.open"]
    assert "GOVCRAWL-in-progress.warc.gz.open" in caplog.text
    with zipfile.ZipFile(summary.path) as zf:
        assert not [n for n in zf.namelist() if "in-progress" in n]
    # The database names the original folder; matching by file name still finds every page.
    assert summary.pages == len(report_rows(crawled))


def test_wacz_needs_closed_warc_files(crawled: CrawlResult, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no closed WARC files"):
        write_wacz(crawled.db_url, str(tmp_path), str(tmp_path / "a.wacz"))
    assert not (tmp_path / "a.wacz").exists()


# -- replay from the WACZ -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def wacz_replay(packaged: Packaged, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """pywb on loopback over a collection made from the WACZ; yields the collection's URL.

    pywb 2.10 takes a WACZ only with ``--unpack-wacz``: it copies the WARCs out and merges the
    WACZ's own index (file names rewritten) into the collection's."""
    root = tmp_path_factory.mktemp("pywb-wacz")
    manager = str(pywb_bin("wb-manager"))
    subprocess.run([manager, "init", "fromwacz"], cwd=root, check=True, capture_output=True)
    subprocess.run([manager, "add", "--unpack-wacz", "fromwacz", str(packaged.path)], cwd=root,
                   check=True, capture_output=True)
    assert list((root / "collections" / "fromwacz" / "archive").glob("*.warc.gz"))
    port = free_port()
    server = subprocess.Popen([str(pywb_bin("wayback")), "-b", "127.0.0.1", "-p", str(port)],
                              cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = datetime.now(UTC) + timedelta(seconds=60)
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).close()
                break
            except (urllib.error.URLError, ConnectionError):
                assert server.poll() is None, "pywb exited"
                assert datetime.now(UTC) < deadline, "pywb did not start"
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}/fromwacz"
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_pywb_replays_every_report_from_the_wacz(
        crawled: CrawlResult, packaged: Packaged, wacz_replay: str) -> None:
    _, pages = pages_of(packaged.path)
    assert pages
    for page in pages:
        stamp = iso_date_to_timestamp(page["ts"])
        status, headers, body = fetch(f"{wacz_replay}/{stamp}id_/{page['url']}")
        assert status == 200, page["url"]
        if headers.get("Content-Encoding", "").lower() == "gzip":
            body = gzip.decompress(body)
        assert body == served_body(crawled.web, page["url"]), page["url"]


def test_index_and_wacz_commands(crawled: CrawlResult, tmp_path: Path) -> None:
    from tests.conftest import run_cli

    index = run_cli(["index", "--warc-dir", str(crawled.warc_dir), "--out",
                     str(tmp_path / "i.cdxj")], tmp_path, None)
    assert index.returncode == 0, index.stderr
    lines = (tmp_path / "i.cdxj").read_text().splitlines()
    captures = sqlite3.connect(crawled.db_url.removeprefix("sqlite:///")).execute(
        "SELECT count(*) FROM captures WHERE run_id = 1").fetchone()[0]
    assert len(lines) >= captures and f"indexed {len(lines)} records" in index.stderr
    out = tmp_path / "c.wacz"
    wacz = run_cli(["wacz", "--out", str(out), "--db", crawled.db_url, "--warc-dir",
                    str(crawled.warc_dir), "--title", "test"], tmp_path, None)
    assert wacz.returncode == 0, wacz.stderr
    assert zipfile.is_zipfile(out) and "report pages" in wacz.stderr
    missing = run_cli(["wacz", "--out", str(tmp_path / "x.wacz"), "--db", crawled.db_url,
                       "--warc-dir", str(tmp_path / "nowhere")], tmp_path, None)
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
