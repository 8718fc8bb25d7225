"""Crawl scope: a site is its registered domain (``lueyang.gov.cn`` covers ``www.`` and ``xxgk.``).

Registered domains come from tldextract's bundled Public Suffix List snapshot only: the extractor
below is built with no suffix-list URLs and no cache, so it never reaches the network.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import tldextract

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)


def host_of(url_or_host: str) -> str:
    """Lower-case host name of a URL or bare host (no port, no trailing dot); ``""`` if none."""
    value = (url_or_host or "").strip()
    if "//" not in value:
        value = "//" + value
    try:
        host = urlsplit(value).hostname or ""
    except ValueError:
        return ""
    return host.rstrip(".")


def registered_domain(url_or_host: str) -> str:
    """``"http://xxgk.lueyang.gov.cn/x"`` → ``"lueyang.gov.cn"``. An IP address or a name with
    no public suffix (``localhost``) is returned as the host itself."""
    host = host_of(url_or_host)
    if not host:
        return ""
    parts = _EXTRACT(host)
    if parts.domain and parts.suffix:
        return f"{parts.domain}.{parts.suffix}"
    return host


def in_scope(url: str, domains: Collection[str]) -> bool:
    """True for an http(s) URL whose host is one of ``domains`` or a subdomain of one.
    ``www.x.gov.cn.example.com`` is not in ``x.gov.cn``."""
    try:
        parts = urlsplit(url)
    except (ValueError, TypeError):
        return False
    if parts.scheme.lower() not in ("http", "https"):
        return False
    host = host_of(url)
    if not host:
        return False
    if isinstance(domains, str):  # a single domain passed by mistake: not a set of characters
        domains = (domains,)
    for domain in domains:
        wanted = host_of(domain)
        if wanted and (host == wanted or host.endswith("." + wanted)):
            return True
    return False


# -- where a crawl may connect: ports and addresses (used by the downloader's scope guard) -------

STANDARD_PORTS = frozenset({80, 443})


def port_of(url: str) -> int | None:
    """The TCP port ``url`` connects to (its own, else its scheme's), or None for a URL without a
    valid port (``:0``, ``:99999``, ``:x``) or with a scheme other than http(s)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except (ValueError, TypeError):
        return None
    if port is not None:
        return port or None  # ":0" names no port a server listens on
    return {"http": 80, "https": 443}.get(parts.scheme.lower())


@dataclass(frozen=True)
class SiteScope:
    """Where a crawl of some sites may connect: each site's registered domain (subdomains
    included), on port 80 or 443 or the port a site URL of that domain names
    (``http://www.x.gov.cn:8080/`` allows ``:8080`` on ``*.x.gov.cn``, nothing else does)."""

    ports: Mapping[str, frozenset[int]]  # registered domain (or IP / bare host) → allowed ports

    @classmethod
    def of(cls, site_urls: Iterable[str]) -> SiteScope:
        ports: dict[str, set[int]] = {}
        for url in site_urls:
            domain = registered_domain(url)
            if domain:
                allowed = ports.setdefault(domain, set(STANDARD_PORTS))
                port = port_of(url)
                if port is not None:
                    allowed.add(port)
        return cls({domain: frozenset(allowed) for domain, allowed in ports.items()})

    def domain_of(self, url: str) -> str | None:
        """The registered domain of the crawl covering ``url``'s host, or None."""
        host = host_of(url)
        if not host:
            return None
        covering = [d for d in self.ports if host == d or host.endswith("." + d)]
        return max(covering, key=len) if covering else None

    def refusal(self, url: str) -> str | None:
        """Why a request for ``url`` leaves the crawl's scope (scheme, host or port), or None."""
        try:
            scheme = urlsplit(url).scheme.lower()
        except (ValueError, TypeError):
            return "unreadable URL"
        if scheme not in ("http", "https"):
            return f"scheme {scheme or '(none)'!r} is not http(s)"
        domain = self.domain_of(url)
        if domain is None:
            return f"host {host_of(url) or '(none)'!r} is outside the crawl's domains"
        port = port_of(url)
        if port is None or port not in self.ports[domain]:
            return f"port {port if port is not None else '(invalid)'} is not allowed for {domain}"
        return None


def ip_literal(host: str) -> IPAddress | None:
    """The address a host written as an IP literal (``10.0.0.1``, ``[::1]``) names, else None."""
    try:
        return ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        return None


def address_refusal(address: str | IPAddress) -> str | None:
    """What kind of non-public address ``address`` is (loopback, private, link-local, multicast,
    reserved, unspecified, not global), or None for a public one (or an unreadable string: the
    caller got it from a resolver). IPv4 addresses mapped into or embedded in IPv6 (``::ffff:
    127.0.0.1``, 6to4) are judged as the IPv4 address they reach."""
    ip = address if not isinstance(address, str) else ip_literal(address)
    if ip is None:
        return None
    if isinstance(ip, ipaddress.IPv6Address):
        ip = ip.ipv4_mapped or ip.sixtofour or ip
    for kind in ("unspecified", "loopback", "link_local", "multicast", "private", "reserved"):
        if getattr(ip, f"is_{kind}"):
            return kind.replace("_", "-")
    if not ip.is_global:  # shared address space (100.64/10, CGNAT) and the like
        return "not global"
    return None
