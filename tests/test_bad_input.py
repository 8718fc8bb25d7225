"""Bad input costs only itself: truncated, slow, failing, garbage, broken and mislabelled pages.

A small portal of faults, crawled with the real stack: the run goes on, each problem is recorded
(log + database), and everything archived stays readable.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from archive.warc import read_record
from simweb import SimulatedWeb
from simweb.model import Page
from tests.conftest import CrawlResult, crawl
from tests.test_antibot import ALIYUN, JIASULE

HOST = "http://www.shimen.gov.cn"


def page(title: str, body: str) -> str:
    return (f"<html><head><meta charset='utf-8'><title>{title}_石门县人民政府</title></head><body>"
            f"<div class='nav'><a href='/'>首页</a></div><h1>{title}</h1>"
            f"<div class='info'>发布时间：2023-02-01 来源：石门县人民政府</div>"
            f"<div class='content'>{body}</div></body></html>")


def report_body(year: int) -> str:
    paragraph = (f"<p>{year}年，石门县人民政府认真贯彻落实《中华人民共和国政府信息公开条例》，"
                 f"全年主动公开政府信息1200条，收到政府信息公开申请12件，均已按期答复。</p>")
    return paragraph * 12


TITLES = {
    "ok": 2022, "truncated": 2021, "slow": 2020, "error": 2019, "garbage": 2018, "broken": 2017,
    "mislabelled": 2016,
}


def title(name: str) -> str:
    return f"石门县{TITLES[name]}年政府信息公开工作年度报告"


def faults_web() -> SimulatedWeb:
    web = SimulatedWeb("faults")
    web.host("www.shimen.gov.cn")
    links = "".join(f"<li><a href='/xxgk/ndbg/{name}.html'>{title(name)}</a></li>" for name in TITLES)
    links += "".join(f"<li><a href='/xxgk/ndbg/{name}.html'>石门县{year}年政府信息公开工作年度报告</a></li>"
                     for name, year in (("walled", 2015), ("waf", 2014)))
    web.add_page(f"{HOST}/", Page(page("石门县人民政府", "<a href='/xxgk/'>政府信息公开</a>").encode()))
    web.add_page(f"{HOST}/xxgk/", Page(page("政府信息公开", "<a href='/xxgk/ndbg/'>政府信息公开年报</a>").encode()))
    web.add_page(f"{HOST}/xxgk/ndbg/", Page(page("政府信息公开年报", f"<ul>{links}</ul>").encode()))
    full = {name: page(title(name), report_body(year)).encode() for name, year in TITLES.items()}
    web.add_page(f"{HOST}/xxgk/ndbg/ok.html", Page(full["ok"]))
    web.add_page(f"{HOST}/xxgk/ndbg/truncated.html", Page(full["truncated"], truncate_at=len(full["truncated"]) // 2))
    web.add_page(f"{HOST}/xxgk/ndbg/slow.html", Page(full["slow"], delay=3.0))
    web.add_page(f"{HOST}/xxgk/ndbg/error.html", Page(b"<h1>500 Internal Server Error</h1>", status=500))
    web.add_page(f"{HOST}/xxgk/ndbg/garbage.html", Page(bytes(range(256)) * 40, content_type="text/html"))
    broken = full["broken"].decode().replace("</p>", "").replace("</div>", "<td></tr></table>") + "<p><b><i"
    web.add_page(f"{HOST}/xxgk/ndbg/broken.html", Page(broken.encode() + b"\x00\x00"))
    gbk = full["mislabelled"].decode().replace("charset='utf-8'", "charset='gbk'").encode("gbk")
    web.add_page(f"{HOST}/xxgk/ndbg/mislabelled.html", Page(gbk, content_type="text/html; charset=utf-8"))
    walls = {"walled": (521, JIASULE), "waf": (200, ALIYUN)}
    for name, (status, body) in walls.items():
        web.add_page(f"{HOST}/xxgk/ndbg/{name}.html", Page(body, status=status))
    from simweb.model import SiteEntry

    web.sites.append(SiteEntry("石门县人民政府", f"{HOST}/", "county", None))
    return web


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> CrawlResult:
    with faults_web() as web:
        return crawl(web, tmp_path_factory.mktemp("faults"),
                     ["-s", "DOWNLOAD_TIMEOUT=1", "-s", "RETRY_TIMES=1", "-s", "GOVCRAWL_WALL_DELAY=0.5"])


def query(result: CrawlResult, sql: str) -> list[tuple]:
    with sqlite3.connect(result.db_url.removeprefix("sqlite:///")) as conn:
        return conn.execute(sql).fetchall()


def test_the_run_goes_on_and_finishes(faulty: CrawlResult) -> None:
    assert faulty.returncode == 0, faulty.stderr[-3000:]
    assert "Traceback" not in faulty.stderr
    assert query(faulty, "SELECT status FROM crawl_runs") == [("finished",)]


def test_good_broken_and_mislabelled_pages_become_clean_reports(faulty: CrawlResult) -> None:
    reports = {u.rsplit("/", 1)[1]: (y, r, lv, t, json.loads(f)) for u, y, r, lv, t, f in query(
        faulty, "SELECT url, year, region, admin_level, text, flags FROM reports")}
    for name in ("ok", "broken", "mislabelled"):
        year, region, level, text, flags = reports[f"{name}.html"]
        assert (year, region, level) == (TITLES[name], "石门县", "county"), name
        assert "主动公开政府信息1200条" in text and "\ufffd" not in text, name
        # Only the gaps of a table-less 2022 report, nothing about the capture or extraction.
        assert not {"truncated_capture", "no_text", "extract_failed"} & set(flags), name


def test_truncated_transfer_is_archived_marked_and_flagged(faulty: CrawlResult) -> None:
    (warc_file, offset), = query(faulty, "SELECT warc_file, warc_offset FROM captures WHERE url LIKE '%truncated.html'")
    record, payload = read_record(warc_file, offset)
    assert record.rec_headers.get_header("WARC-Truncated") == "disconnect"
    assert 0 < len(payload) < int(record.http_headers.get_header("Content-Length"))
    flags = query(faulty, "SELECT flags FROM reports WHERE url LIKE '%truncated.html'")
    assert json.loads(flags[0][0])[0] == "truncated_capture"
    assert ("truncated",) in query(faulty, "SELECT kind FROM problems WHERE url LIKE '%truncated.html'")


def test_timeouts_and_server_errors_are_recorded_with_where(faulty: CrawlResult) -> None:
    problems = query(faulty, "SELECT kind, url, message FROM problems")
    slow = [p for p in problems if p[1].endswith("slow.html")]
    assert slow and slow[0][0] == "fetch_error" and "Timeout" in slow[0][2]
    assert ("http_error", f"{HOST}/xxgk/ndbg/error.html", "HTTP 500") in problems
    # The 500 answers themselves are archived (each attempt).
    assert query(faulty, "SELECT count(*) FROM captures WHERE url LIKE '%error.html' AND status = 500") == [(2,)]
    assert query(faulty, "SELECT count(*) FROM reports WHERE url LIKE '%slow.html' OR url LIKE '%error.html'") == [(0,)]


def test_garbage_page_is_kept_with_its_listed_title_and_flagged(faulty: CrawlResult) -> None:
    (title_, year, text, flags), = query(faulty, "SELECT title, year, text, flags FROM reports WHERE url LIKE '%garbage.html'")
    assert (title_, year, text) == (title("garbage"), TITLES["garbage"], "")
    assert json.loads(flags)[0] == "no_text"
    assert ("empty_text",) in query(faulty, "SELECT kind FROM problems WHERE url LIKE '%garbage.html'")


def test_anti_bot_walls_are_archived_recorded_and_never_taken_for_reports(faulty: CrawlResult) -> None:
    for name, status in (("walled", 521), ("waf", 200)):
        url = f"{HOST}/xxgk/ndbg/{name}.html"
        assert query(faulty, f"SELECT count(*) FROM reports WHERE url = '{url}'") == [(0,)]
        assert query(faulty, f"SELECT status FROM captures WHERE url = '{url}'") == [(status,)]
        (message,), = query(faulty, f"SELECT message FROM problems WHERE kind = 'antibot_challenge' AND url = '{url}'")
        assert message.startswith(("jiasule", "aliyun_waf"))


def test_everything_archived_stays_readable(faulty: CrawlResult) -> None:
    for path in sorted(faulty.warc_dir.glob("*.warc.gz")):
        check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", str(path)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout
    for warc_file, offset, url in query(faulty, "SELECT warc_file, warc_offset, url FROM captures"):
        assert read_record(warc_file, offset)[0].rec_headers.get_header("WARC-Target-URI") == url
    assert not list(Path(faulty.warc_dir).glob("*.open"))


def test_hung_or_dead_extraction_workers_cost_only_their_page(tmp_path: Path) -> None:
    pipelines = json.dumps({"tests.extract_faults.FaultyExtractPipeline": 300, "pipelines.store.StorePipeline": 800})
    with faults_web() as web:
        result = crawl(web, tmp_path, ["-s", "DOWNLOAD_TIMEOUT=1", "-s", "RETRY_TIMES=1", "-s", "GOVCRAWL_WALL_DELAY=0.5",
                                       "-s", f"ITEM_PIPELINES={pipelines}", "-s", "GOVCRAWL_EXTRACT_TIMEOUT=3"])
    assert result.returncode == 0, result.stderr[-3000:]
    reports = {u.rsplit("/", 1)[1]: (t, json.loads(f)) for u, t, f in query(result, "SELECT url, text, flags FROM reports")}
    assert set(reports) == {f"{n}.html" for n in ("ok", "truncated", "garbage", "broken", "mislabelled")}
    assert reports["ok.html"] == ("", ["extract_failed"]) and reports["broken.html"] == ("", ["extract_failed"])
    assert "主动公开政府信息1200条" in reports["mislabelled.html"][0]  # pages caught in a restart are retried
    errors = {u.rsplit("/", 1)[1]: m for u, m in query(result, "SELECT url, message FROM problems WHERE kind = 'extract_error'")}
    assert set(errors) == {"ok.html", "broken.html"}
    assert "longer than 3 s" in errors["ok.html"] and "worker died" in errors["broken.html"]
    assert query(result, "SELECT year FROM reports WHERE url LIKE '%ok.html'") == [(TITLES["ok"],)]
