"""Run the govcrawl CLI with every non-loopback network attempt refused and recorded.

Usage: python tests/netguard.py LOGFILE govcrawl-args... | scrapy scrapy-args...  An audit hook sees every
``socket.connect`` and ``socket.getaddrinfo`` in this process and its workers (the analysis
pool's fork server imports this file as ``__mp_main__`` and installs the hook there too).

``NETGUARD_HOSTS="name=address,name2=address2"`` (opt-in) stands in for DNS in the crawl's
process: those names resolve to those addresses (a portal name pointing at 169.254.169.254 or
127.0.0.1), every other name that is not loopback or an IP literal resolves to nothing
(``socket.gaierror``, as for an unknown name) — no lookup leaves the process, none is logged.
Without it, nothing is resolved differently.
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


def _name(host: object) -> str:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    return str(host).lower().rstrip(".")


def fake_resolver(spec: str) -> dict[str, str]:
    """Answer ``socket.gethostbyname``/``getaddrinfo`` from ``spec`` (``name=address,…``), the
    functions Twisted's threaded resolver (and so Scrapy's caching one) and asyncio call."""
    table = {}
    for pair in filter(None, (part.strip() for part in spec.split(","))):
        name, _, address = pair.partition("=")
        table[_name(name)] = ipaddress.ip_address(address.strip()).compressed
    real_gethostbyname, real_getaddrinfo = socket.gethostbyname, socket.getaddrinfo

    def known(host: object) -> str | None:
        name = _name(host)
        if name in table:
            return table[name]
        if host is None or is_loopback(host) or _is_literal(name):
            return None  # resolved as usual
        raise socket.gaierror(socket.EAI_NONAME, f"netguard: {name!r} is not a known name")

    def gethostbyname(host: str) -> str:
        address = known(host)
        return real_gethostbyname(host) if address is None else address

    def getaddrinfo(host: object, port: object, family: int = 0, type: int = 0,  # noqa: A002
                    proto: int = 0, flags: int = 0) -> list:
        address = known(host)
        if address is None:
            return real_getaddrinfo(host, port, family, type, proto, flags)
        ip = ipaddress.ip_address(address)
        af = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
        if isinstance(port, bytes):
            port = port.decode("ascii")
        number = port if isinstance(port, int) else (
            int(port) if str(port or 0).isdigit() else socket.getservbyname(str(port)))
        sockaddr = (address, number, 0, 0) if ip.version == 6 else (address, number)
        return [(af, type or socket.SOCK_STREAM, proto or socket.IPPROTO_TCP, "", sockaddr)]

    socket.gethostbyname = gethostbyname
    socket.getaddrinfo = getaddrinfo
    return table


def _is_literal(name: str) -> bool:
    try:
        ipaddress.ip_address(name.strip("[]").split("%")[0])
    except ValueError:
        return False
    return True


if __name__ == "__mp_main__" and os.environ.get("NETGUARD_LOG"):
    # A worker process started by multiprocessing's fork server or spawn: guard it as well.
    install(os.environ["NETGUARD_LOG"])

if __name__ == "__main__":
    os.environ["NETGUARD_LOG"] = sys.argv[1]
    install(sys.argv[1])
    if os.environ.get("NETGUARD_HOSTS"):
        fake_resolver(os.environ["NETGUARD_HOSTS"])
    if sys.argv[2:3] == ["scrapy"]:  # the Scrapy way: scrapy crawl annual_reports -a sites=…
        from scrapy.cmdline import execute

        sys.argv = sys.argv[2:]
        execute()
    from govcrawl.cli import main

    sys.exit(main(sys.argv[2:]))
