"""Discovery quality on the simulated test web: recall, precision, requests made, traps touched.

    python benchmarks/recall.py
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from govcrawl.discovery.scope import registered_domain  # noqa: E402
from simweb import build_test_web  # noqa: E402


def main() -> None:
    with build_test_web() as web, tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        web.write_sites_csv(work / "sites.csv")
        env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy", "no_proxy")}
        env |= {"http_proxy": web.proxy_url, "PYTHONPATH": str(ROOT)}
        subprocess.run([sys.executable, "-m", "govcrawl.cli", "crawl", "--sites", "sites.csv",
                        "--db", "sqlite:///r.sqlite", "--warc-dir", "warc",
                        "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False"],
                       cwd=work, env=env, check=True, capture_output=True)
        with sqlite3.connect(work / "r.sqlite") as conn:
            stored = {u: (y, r, lv, a) for u, y, r, lv, a in conn.execute(
                "SELECT url, year, region, admin_level, agency FROM reports")}
        log = list(web.request_log)
    expected = {e.url: (e.year, e.region, e.admin_level, e.agency) for e in web.expected_reports}
    found = stored.keys() & expected.keys()
    exact = sum(stored[u] == expected[u] for u in found)
    trap_hits = [r.url for r in log if any(r.url.startswith(t.split("?")[0].rsplit("/", 1)[0]) for t in web.trap_urls)]
    offsite = [r.url for r in log if registered_domain(r.host) not in web.domains]
    print(f"reports: expected {len(expected)}, found {len(found)} (recall {len(found) / len(expected):.0%}), "
          f"stored {len(stored)} (precision {len(found) / max(1, len(stored)):.0%}), "
          f"distractors stored {len(stored.keys() & web.distractor_urls)}")
    print(f"fields exact (year, region, level, agency): {exact}/{len(found)}")
    print(f"requests: {len(log)} of {web.page_count()} pages on the web; trap requests {len(trap_hits)}; "
          f"off-site requests {len(offsite)}; robots-disallowed fetched "
          f"{len({r.url for r in log} & web.robots_disallowed_urls)}")


if __name__ == "__main__":
    main()
