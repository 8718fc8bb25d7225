"""Incremental re-crawls on the simulated test web: crawl it, crawl it again unchanged, then again
after ``web.revise()`` (a few reports edited, a few added); print each re-crawl's requests and
bytes as a ratio of the first crawl's, and the rows it added.

    python benchmarks/recrawl.py

Bytes are counted twice, independently: by the crawler (status line, headers and body of every
response as received) and by the server (what the simulated web logged it sent)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simweb import build_test_web  # noqa: E402

FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False"]
TABLES = ("reports", "report_versions", "report_cells", "captures")


def _table_counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


def main() -> None:
    with build_test_web() as web, tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        web.write_sites_csv(work / "sites.csv")
        env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy", "no_proxy")}
        env |= {"http_proxy": web.proxy_url, "PYTHONPATH": str(ROOT)}
        results = []
        for label, revise in (("first crawl", False), ("unchanged", False), ("revised", True)):
            if revise:
                change = web.revise()
            web.reset()
            before = _table_counts(work / "r.sqlite") if results else dict.fromkeys(TABLES, 0)
            subprocess.run([sys.executable, "-m", "govcrawl.cli", "crawl", "--sites", "sites.csv",
                            "--db", "sqlite:///r.sqlite", "--warc-dir", "warc", *FAST],
                           cwd=work, env=env, check=True, capture_output=True)
            after = _table_counts(work / "r.sqlite")
            with sqlite3.connect(work / "r.sqlite") as conn:
                counts = json.loads(conn.execute(
                    "SELECT counts FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()[0])
            served = sum(r.bytes_sent for r in web.request_log)
            results.append((label, counts, served, {t: after[t] - before[t] for t in TABLES}))
    base_counts, base_served = results[0][1], results[0][2]
    print(f"{'crawl':12} {'requests':>8} {'ratio':>6} {'bytes in':>9} {'ratio':>6} "
          f"{'server sent':>11} {'ratio':>6}  304s  new changed  rows added")
    for label, counts, served, added in results:
        print(f"{label:12} {counts['requests']:>8} {counts['requests'] / base_counts['requests']:>6.2f} "
              f"{counts['received_bytes']:>9} {counts['received_bytes'] / base_counts['received_bytes']:>6.3f} "
              f"{served:>11} {served / base_served:>6.3f}  {counts['not_modified']:>4} "
              f"{counts['new']:>4} {counts['changed']:>7}  "
              + ", ".join(f"{t} +{n}" for t, n in added.items()))
    print(f"revision: {len(change.edited)} reports edited, {len(change.added)} added, "
          f"{len(change.lists)} list pages re-rendered")


if __name__ == "__main__":
    main()
