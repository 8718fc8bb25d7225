"""Benchmark: the full govcrawl pipeline vs. bare Scrapy on the same simulated web, same run.

1. Crawl a large simulated web (>= 50 portals) with ``govcrawl crawl`` (politeness off: no delay,
   no AutoThrottle, 8 requests per host) — discovery, WARC, extraction in a process pool, SQLite.
2. Fetch exactly the URLs that crawl fetched with a bare Scrapy spider (no pipelines, no WARC).
Prints pages/s, CPU ms per page (parent + workers, from wait4) and peak RSS for both, and the ratios.

    python benchmarks/crawl.py [--portals 50] [--reports 20]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simweb import build_large_web  # noqa: E402

FAST = ["DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=False", "CONCURRENT_REQUESTS=32",
        "CONCURRENT_REQUESTS_PER_DOMAIN=8", "LOG_LEVEL=INFO"]


def sample_peak_rss(pid: int, peak: list[int], done: threading.Event) -> None:
    """Peak of the summed RSS of ``pid`` and its worker processes, sampled every 20 ms.

    (``ru_maxrss`` from wait4 is no use here: it keeps the parent's high-water mark across exec.)"""
    try:
        root = psutil.Process(pid)
        while not done.is_set():
            tree = [root, *root.children(recursive=True)]
            total = 0
            for proc in tree:
                with contextlib.suppress(psutil.Error):  # a worker may exit meanwhile
                    total += proc.memory_info().rss
            peak[0] = max(peak[0], total)
            done.wait(0.02)
    except psutil.Error:
        return


def run_measured(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, int, str]:
    """Run ``cmd``; returns (wall s, CPU s incl. waited-for workers, peak RSS bytes, stderr)."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak, done = [0], threading.Event()
    sampler = threading.Thread(target=sample_peak_rss, args=(proc.pid, peak, done), daemon=True)
    sampler.start()
    stderr = proc.stderr.read() if proc.stderr else ""
    done.set()
    sampler.join()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"benchmark command failed ({proc.returncode}): {' '.join(cmd)}\n{stderr[-3000:]}")
    return wall, usage.ru_utime + usage.ru_stime, peak[0], stderr


def scrapy_stat(log: str, name: str) -> float:
    match = re.search(rf"'{re.escape(name)}': ([0-9.]+)", log)
    if not match:
        sys.exit(f"stat {name} not found in the crawl log")
    return float(match.group(1))


def extraction_cost(samples: list[tuple[str, int, str, str]]) -> float:
    """CPU ms per report of the worker-side extraction (trafilatura + fields), in this process."""
    from archive.warc import read_record
    from govcrawl.analysis.worker import AnalysisTask, analyse

    tasks = [AnalysisTask(url=url, body=read_record(f, off, decoded=True)[1], content_type=ctype,
                          document=False) for f, off, url, ctype in samples]
    analyse(tasks[0])  # warm up imports and caches
    started = time.process_time()
    for task in tasks:
        analyse(task)
    return 1000 * (time.process_time() - started) / len(tasks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--portals", type=int, default=50)
    parser.add_argument("--reports", type=int, default=20, help="reports per portal")
    args = parser.parse_args()

    with build_large_web(n_portals=args.portals, reports_per_portal=args.reports) as web, \
            tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        sites = work / "sites.csv"
        web.write_sites_csv(sites)
        env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy", "no_proxy")}
        env |= {"http_proxy": web.proxy_url, "PYTHONPATH": str(ROOT)}
        db = work / "bench.sqlite"
        settings = [x for pair in FAST for x in ("-s", pair)]

        full_cmd = [sys.executable, "-m", "govcrawl.cli", "crawl", "--sites", str(sites),
                    "--db", f"sqlite:///{db}", "--warc-dir", str(work / "warc"), *settings]
        full_wall, full_cpu, full_rss, full_log = run_measured(full_cmd, env, work)
        full_pages = scrapy_stat(full_log, "downloader/response_count")
        full_elapsed = scrapy_stat(full_log, "elapsed_time_seconds")

        with sqlite3.connect(db) as conn:
            urls = [u for (u,) in conn.execute("SELECT url FROM captures WHERE url NOT LIKE '%/robots.txt' ORDER BY fetched_at")]
            reports = conn.execute("SELECT count(*) FROM reports").fetchone()[0]
            samples = conn.execute("SELECT c.warc_file, c.warc_offset, c.url, c.content_type FROM reports r "
                                   "JOIN captures c ON c.id = r.capture_id LIMIT 200").fetchall()
        extract_ms = extraction_cost(samples)
        (work / "urls.txt").write_text("\n".join(urls))
        bare_cmd = [sys.executable, "-m", "scrapy.cmdline", "runspider", str(ROOT / "benchmarks" / "bare_spider.py"),
                    "-a", f"urls={work / 'urls.txt'}", "-s", "ROBOTSTXT_OBEY=False", "-s", "TELNETCONSOLE_ENABLED=False",
                    *settings]
        bare_wall, bare_cpu, bare_rss, bare_log = run_measured(bare_cmd, env, work)
        bare_pages = scrapy_stat(bare_log, "downloader/response_count")
        bare_elapsed = scrapy_stat(bare_log, "elapsed_time_seconds")

    full_rate, bare_rate = full_pages / full_elapsed, bare_pages / bare_elapsed
    print(f"simulated web: {args.portals} portals, {len(web.expected_reports)} reports; "
          f"full crawl stored {reports} reports; {os.cpu_count()} cores")
    print(f"{'':16}{'pages':>8}{'pages/s':>10}{'CPU ms/page':>13}{'peak RSS MiB':>14}  (RSS: process + workers)")
    for name, pages, rate, cpu, rss in (("bare Scrapy", bare_pages, bare_rate, bare_cpu, bare_rss),
                                        ("full pipeline", full_pages, full_rate, full_cpu, full_rss)):
        print(f"{name:16}{pages:>8.0f}{rate:>10.1f}{1000 * cpu / pages:>13.2f}{rss / 2**20:>14.1f}")
    print(f"ratio full/bare: pages/s {full_rate / bare_rate:.2f}x, "
          f"CPU per page {(full_cpu / full_pages) / (bare_cpu / bare_pages):.2f}x")
    print(f"of which extraction (worker processes): {extract_ms:.1f} CPU ms per report page, "
          f"{extract_ms * reports / 1000:.1f} CPU s of the full crawl's {full_cpu:.1f} s")


if __name__ == "__main__":
    main()
