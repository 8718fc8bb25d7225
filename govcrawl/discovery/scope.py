"""Crawl scope: a site is its registered domain (``lueyang.gov.cn`` covers ``www.`` and ``xxgk.``).

Registered domains come from tldextract's bundled Public Suffix List snapshot only: the extractor
below is built with no suffix-list URLs and no cache, so it never reaches the network.
"""

from __future__ import annotations

from collections.abc import Collection
from urllib.parse import urlsplit

import tldextract

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
