"""Discovery quality on the simulated test web, per portal: reports found / expected, requests per
report, browser-rendered pages / all pages; and what a browser page costs next to a plain one.

Two crawls of the same web in one run: with the browser (the default) and without it
(``GOVCRAWL_BROWSER_ENABLED=False``). The portals that need no browser behave the same in both, so
the difference in CPU (the crawl's whole process tree: Scrapy, the analysis workers, Playwright's
driver and Chromium — each waited for, so counted by ``RUSAGE_CHILDREN``) and in wall time,
divided by the pages rendered, is the cost of a rendered page; the crawl without the browser,
divided by its pages, the cost of a plain one.

    python benchmarks/recall.py
"""

from __future__ import annotations

import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from govcrawl.discovery.scope import registered_domain  # noqa: E402
from govcrawl.identity import url_key  # noqa: E402
from simweb import SimulatedWeb, build_test_web  # noqa: E402


@dataclass
class Crawl:
    stored: dict[str, tuple]  # url key → (year, region, level, agency)
    requests: list  # the web's request log
    counts: dict[str, int]
    cpu: float  # seconds, the crawl's process tree
    wall: float


def crawl(web: SimulatedWeb, work: Path, *settings: str) -> Crawl:
    web.reset()
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy", "no_proxy")}
    env |= {"http_proxy": web.proxy_url, "https_proxy": web.proxy_url, "PYTHONPATH": str(ROOT)}
    work.mkdir()
    web.write_sites_csv(work / "sites.csv")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "govcrawl.cli", "crawl", "--sites", "sites.csv",
                    "--db", "sqlite:///r.sqlite", "--warc-dir", "warc",
                    "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
                    *(arg for s in settings for arg in ("-s", s))],
                   cwd=work, env=env, check=True, capture_output=True)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    with sqlite3.connect(work / "r.sqlite") as conn:
        stored = {url_key(u): (y, r, lv, a) for u, y, r, lv, a in conn.execute(
            "SELECT url, year, region, admin_level, agency FROM reports")}
        (counts,) = conn.execute("SELECT counts FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()
    return Crawl(stored, list(web.request_log), json.loads(counts or "{}"), cpu, wall)


def per_portal(web: SimulatedWeb, run: Crawl) -> None:
    expected_by: dict[str, dict[str, tuple]] = defaultdict(dict)
    for e in web.expected_reports:
        expected_by[registered_domain(e.url.split("/")[2])][url_key(e.url)] = (
            e.year, e.region, e.admin_level, e.agency)
    names = {registered_domain(s.url.split("/")[2]): s.name for s in web.sites}
    requests = Counter(registered_domain(r.host) for r in run.requests)
    print(f"{'portal':<28} {'found':>9} {'exact':>6} {'req/report':>11}")
    for domain in sorted(expected_by):
        expected = expected_by[domain]
        found = expected.keys() & run.stored.keys()
        exact = sum(run.stored[k] == expected[k] for k in found)
        print(f"{names.get(domain, domain)[:14]:<14}{domain:<14} {len(found):>4}/{len(expected):<4} "
              f"{exact:>6} {requests[domain] / max(1, len(expected)):>11.1f}")


def main() -> None:
    with build_test_web() as web, tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        with_browser = crawl(web, work / "browser")
        without = crawl(web, work / "plain", "GOVCRAWL_BROWSER_ENABLED=False")
        expected = {url_key(e.url): e for e in web.expected_reports}
        run = with_browser
        found = run.stored.keys() & expected.keys()
        distractors = {url_key(u) for u in web.distractor_urls}
        log = run.requests
        trap_hits = [r.url for r in log if any(
            r.url.startswith(t.split("?")[0].rsplit("/", 1)[0]) for t in web.trap_urls)]
        offsite = [r.url for r in log if registered_domain(r.host) not in web.domains]
        per_portal(web, run)
        print(f"reports: expected {len(expected)}, found {len(found)} "
              f"(recall {len(found) / len(expected):.0%}), stored {len(run.stored)} "
              f"(precision {len(found) / max(1, len(run.stored)):.0%}), "
              f"distractors stored {len(run.stored.keys() & distractors)}")
        print(f"requests: {len(log)} of {web.page_count()} pages on the web; trap requests "
              f"{len(trap_hits)}; off-site requests {len(offsite)}; robots-disallowed fetched "
              f"{len({r.url for r in log} & web.robots_disallowed_urls)}")
        rendered = run.counts.get("browser/pages", 0)
        pages = run.counts.get("responses", len(log))
        print(f"browser: {rendered} rendered pages of {pages} responses "
              f"({rendered / max(1, pages):.1%}); {run.counts.get('browser/exchanges', 0)} "
              f"exchanges made for them; without the browser {len(without.stored.keys() & expected.keys())} "
              f"of {len(expected)} reports found")
        plain_pages = without.counts.get("responses", len(without.requests))
        if rendered:
            cpu_plain = without.cpu / max(1, plain_pages)
            wall_plain = without.wall / max(1, plain_pages)
            cpu_browser = max(0.0, with_browser.cpu - without.cpu) / rendered
            wall_browser = max(0.0, with_browser.wall - without.wall) / rendered
            print(f"cost per page: plain {cpu_plain * 1000:.1f} CPU ms, {wall_plain * 1000:.1f} ms "
                  f"wall; browser-rendered {cpu_browser * 1000:.0f} CPU ms, "
                  f"{wall_browser * 1000:.0f} ms wall — ratio {cpu_browser / cpu_plain:.0f}× CPU, "
                  f"{wall_browser / wall_plain:.0f}× wall")


if __name__ == "__main__":
    main()
