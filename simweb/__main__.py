"""Serve a simulated web in the foreground: ``python -m simweb [--port P] [--web test]``."""

from __future__ import annotations

import argparse
import contextlib
import sys

from .portals import build_demo_web, build_large_web, build_test_web


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m simweb", description=__doc__)
    ap.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: ephemeral)")
    ap.add_argument("--web", choices=["test", "demo", "large"], default="test")
    ap.add_argument("--sites-csv", metavar="PATH", help="also write the site list as CSV")
    args = ap.parse_args(argv)
    web = {"test": build_test_web, "demo": build_demo_web, "large": build_large_web}[args.web]()
    web.start(args.port)
    if args.sites_csv:
        web.write_sites_csv(args.sites_csv)
    print(
        f"simulated web '{args.web}': {web.page_count()} pages, {len(web.expected_reports)} expected reports"
    )
    print(f"proxy: {web.proxy_url}   (export http_proxy={web.proxy_url})")
    for s in web.sites:
        print(f"  {s.name}\t{s.url}\t{s.level or ''}\t{s.region_code or ''}")
    print("Ctrl-C to stop.", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        web.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
