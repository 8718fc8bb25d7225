"""Run the govcrawl CLI with every non-loopback network attempt refused and recorded.

Usage: python tests/netguard.py LOGFILE govcrawl-args... | scrapy scrapy-args...  An audit hook sees every
``socket.connect`` and ``socket.getaddrinfo`` in this process and its workers (the analysis
pool's fork server imports this file as ``__mp_main__`` and installs the hook there too).
"""

from __future__ import annotations

import ipaddress
import os
import socket
import sys

LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def is_loopback(host: object) -> bool:
    if host is None:
        return True  # getaddrinfo(None, port): the local wildcard
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    name = str(host).strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name.split("%")[0]).is_loopback
    except ValueError:
        return False


def install(log_path: str) -> None:
    def hook(event: str, args: tuple) -> None:
        if event == "socket.connect":
            sock, address = args
            if sock.family not in (socket.AF_INET, socket.AF_INET6):
                return
            host = address[0]
        elif event == "socket.getaddrinfo":
            host = args[0]
        else:
            return
        if not is_loopback(host):
            with open(log_path, "a", encoding="utf-8") as fh:
                fh.write(f"{event} {host!r}\n")
            raise OSError(f"netguard: blocked non-loopback {event} to {host!r}")

    sys.addaudithook(hook)


if __name__ == "__mp_main__" and os.environ.get("NETGUARD_LOG"):
    # A worker process started by multiprocessing's fork server or spawn: guard it as well.
    install(os.environ["NETGUARD_LOG"])

if __name__ == "__main__":
    os.environ["NETGUARD_LOG"] = sys.argv[1]
    install(sys.argv[1])
    if sys.argv[2:3] == ["scrapy"]:  # the Scrapy way: scrapy crawl annual_reports -a sites=…
        from scrapy.cmdline import execute

        sys.argv = sys.argv[2:]
        execute()
    from govcrawl.cli import main

    sys.exit(main(sys.argv[2:]))
