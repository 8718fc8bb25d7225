"""Soak: memory of the crawl's main process over a long run (issue "Survive the real web", M7).

Feeds ``--reports`` synthetic report pages (default 10⁵) through the crawl's real main-process
components — the WARC capture middleware (WARC write, capture row) and the store pipeline
(ReportStore: report, version, ~170 table cells, the public record) — under a crawler built from
the project settings, on an SQLite database that already holds ``--captures`` capture rows
(default 10⁶: a year of weekly national re-crawls), which the archive loads as priors when the
crawl opens. Analysis is not run: it happens in the worker processes, whose memory is bounded by
``GOVCRAWL_EXTRACT_MEMORY_MB`` and recycling. Prints the process's RSS after the archive opened
and every tenth of the run, the peak, and the growth over the second half (flat = ~0).

    python benchmarks/soak.py [--reports 100000] [--captures 1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sqlite3
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MiB = 1 << 20


_INSERT = ("INSERT INTO captures (id, run_id, url, url_key, method, status, content_type, "
           "fetched_at, payload_digest, warc_file, warc_offset, warc_length, record_type, etag, "
           "last_modified, source) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")


def seed_captures(db_path: Path, count: int) -> None:
    """``count`` capture rows of an earlier run, as a year of re-crawls leaves them."""
    from archive import db

    db.connect(f"sqlite:///{db_path}").dispose()  # the schema
    started = datetime(2025, 1, 1, tzinfo=UTC)
    with sqlite3.connect(db_path) as conn:
        conn.execute("INSERT INTO crawl_runs (id, started_at, arguments, status, counts) "
                     "VALUES (1, ?, '{}', 'finished', '{}')", (started.isoformat(),))
        batch = []
        for i in range(count):
            url = f"http://www.site{i % 3000}.gov.cn/p/{i}.html"  # its own URL key, as written
            batch.append((f"<urn:uuid:{uuid.UUID(int=i)}>", 1, url, url,
                          "GET", 200, "text/html", (started + timedelta(seconds=i)).isoformat(),
                          f"sha1:{i:032d}", "/archive/old.warc.gz", i * 1000, 1000, "response",
                          f'"{i:x}"', None, "live"))
            if len(batch) == 50_000:
                conn.executemany(_INSERT, batch)
                batch = []
        if batch:
            conn.executemany(_INSERT, batch)


def synthetic_analysis(i: int):  # noqa: ANN201 - an Analysis; imported late (after sys.path)
    """A report's analysis as the workers return it: text, fields, ~170 cells of the tables."""
    from govcrawl.analysis.result import Analysis

    cells = [{"table": "T3", "row": f"r{r}", "column": f"c{c}", "label": f"行{r} 列{c}",
              "text": str(i % 97 + r + c), "value": float(i % 97 + r + c)}
             for r in range(24) for c in range(7)]
    return Analysis(title=f"某县{2008 + i % 16}年政府信息公开工作年度报告",
                    text="一、总体情况 " * 400 + str(i), raw_text="", year=2008 + i % 16,
                    region="某县", admin_level="county", format="std2021",
                    stats={"applications_new": i % 50, "handled_total": i % 50}, cells=cells)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--captures", type=int, default=1_000_000)
    args = parser.parse_args()

    from scrapy import Request
    from scrapy.http import HtmlResponse
    from scrapy.utils.test import get_crawler, get_reactor_settings

    from govcrawl import settings as project
    from govcrawl.extensions import ArchiveExtension
    from govcrawl.items import ReportPage
    from govcrawl.meta import CaptureMeta
    from govcrawl.middlewares import WarcCaptureMiddleware
    from govcrawl.spiders.annual_reports import AnnualReportsSpider
    from pipelines.store import StorePipeline

    process = psutil.Process()
    with tempfile.TemporaryDirectory(prefix="govcrawl-soak-") as tmp:
        db_path = Path(tmp) / "soak.sqlite"
        started = time.perf_counter()
        seed_captures(db_path, args.captures)
        print(f"seeded {args.captures:,} capture rows in {time.perf_counter() - started:.0f} s; "
              f"RSS {process.memory_info().rss / MiB:.0f} MiB")
        settings = {name: getattr(project, name) for name in dir(project) if name.isupper()}
        settings |= {"GOVCRAWL_DB_URL": f"sqlite:///{db_path}",
                     "GOVCRAWL_WARC_DIR": str(Path(tmp) / "warc"), "LOG_LEVEL": "WARNING",
                     "EXTENSIONS_BASE": {}, **get_reactor_settings()}
        crawler = get_crawler(AnnualReportsSpider, settings)
        site = "http://www.soak.gov.cn/"
        crawler.spider = AnnualReportsSpider.from_crawler(crawler, site=site)
        archive = ArchiveExtension.of(crawler)
        capture = WarcCaptureMiddleware.from_crawler(crawler)
        store = StorePipeline.from_crawler(crawler)
        store.open_spider()
        opened = process.memory_info().rss
        assert archive.priors.get(f"http://www.site1.gov.cn/p/{3001}.html") is not None or not args.captures
        print(f"archive opened over {args.captures:,} earlier captures: RSS {opened / MiB:.0f} MiB")
        body = ("<html><body>" + "<p>一、总体情况</p>" * 300 + "</body></html>").encode()
        samples: list[tuple[int, int]] = []
        peak = opened
        step = max(1, args.reports // 10)
        started = time.perf_counter()
        for i in range(args.reports):
            url = f"{site}zwgk/ndbg/{i}.html"
            request = Request(url)
            response = HtmlResponse(url, body=body, headers={"Content-Type": "text/html"},
                                    request=request)
            capture.process_response(request, response)
            store.process_item(ReportPage(
                url=url, body=body, content_type="text/html", site_url=site, site_name="某县",
                listed_title=f"某县{2008 + i % 16}年政府信息公开工作年度报告",
                fetched_at=datetime.now(UTC), capture_id=CaptureMeta.of(request).capture_id,
                analysis=synthetic_analysis(i)))
            if (i + 1) % 1000 == 0:
                peak = max(peak, process.memory_info().rss)
            if (i + 1) % step == 0:
                rss = process.memory_info().rss
                samples.append((i + 1, rss))
                print(f"{i + 1:>8,} reports  RSS {rss / MiB:6.0f} MiB  "
                      f"({(i + 1) / (time.perf_counter() - started):.0f} reports/s)", flush=True)
        asyncio.run(asyncio.sleep(0))
        archive.spider_closed(crawler.spider, "finished")
        peak = max(peak, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
        half = next(rss for n, rss in samples if n >= args.reports // 2)
        end = samples[-1][1]
        print(f"peak RSS {peak / MiB:.0f} MiB; RSS after the archive opened {opened / MiB:.0f} MiB; "
              f"growth over the second half {(end - half) / MiB:+.0f} MiB "
              f"({(end - half) / max(half, 1):+.1%})")
        os.sync()


if __name__ == "__main__":
    main()
