"""Crawling the past through a web archive (the Wayback Machine's URL scheme and CDX API). Pure.

A request for an original URL is sent as ``{archive}/web/{timestamp}id_/{url}`` (the raw bytes of
the capture nearest to ``timestamp``); the archive's answer is mapped back to the original URL so
discovery, scope and storage see the portal as it was."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import urlencode, urlsplit

from govcrawl.documents.kinds import PAGE_EXTENSIONS, REPORT_EXTENSIONS, extensions_pattern

_ARCHIVED = re.compile(r"^/web/(\d{4,14})id_/(.+)$")
# Paths of annual-report columns and their articles on gov.cn portals (URL only: the CDX API
# gives no titles; the report callback still checks each page's title).
_REPORT_PATH = re.compile(r"zfxxgknb|xxgknb|gknb|ndbg|nianbao|ndbb|zfxxgkndbg|xxgkndbg|/nb/", re.I)
# An article: a file named with a digit, a page or a report document. ``[^/\d]*\d`` (up to the
# first digit), not ``[^/]*\d``: a name of n digits would be tried at every digit, n² steps.
_ARTICLE = re.compile(
    r"/[^/\d]*\d[^/]*" + extensions_pattern((*PAGE_EXTENSIONS, *REPORT_EXTENSIONS)) + "$", re.I
)


def archive_request_url(archive: str, timestamp: str, url: str) -> str:
    """The archive URL of the raw capture of ``url`` nearest to ``timestamp``."""
    return f"{archive.rstrip('/')}/web/{timestamp}id_/{url}"


def parse_archive_url(archive: str, url: str) -> tuple[str, str] | None:
    """(timestamp, original URL) of a raw-capture URL of ``archive``, or None."""
    base, target = urlsplit(archive), urlsplit(url)
    if (target.scheme, target.netloc.lower()) != (base.scheme, base.netloc.lower()):
        return None
    path = url[len(f"{target.scheme}://{target.netloc}"):]
    match = _ARCHIVED.match(path)
    if match is None:
        return None
    original = match.group(2)
    if not original.startswith(("http://", "https://")):
        original = "http://" + original
    return match.group(1), original


def timestamp_of(year: int | None, *, end: bool = False) -> str:
    """The 14-digit timestamp at the start (or end) of a year; now when no year is given."""
    if year is None:
        return datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    return f"{year}1231235959" if end else f"{year}0101000000"


def capture_time(timestamp: str) -> datetime:
    """A Wayback timestamp (4–14 digits) as an aware UTC datetime."""
    digits = (timestamp + "00000101000000"[len(timestamp):])[:14]
    return datetime.strptime(digits, "%Y%m%d%H%M%S").replace(tzinfo=UTC)


def cdx_query_url(archive: str, domain: str, year_from: int | None, year_to: int | None) -> str:
    """The CDX API query for every 200 HTML/document capture under ``domain``, one per URL."""
    params = [("url", domain), ("matchType", "domain"), ("output", "json"),
              ("fl", "original,timestamp,mimetype,statuscode"), ("filter", "statuscode:200"),
              ("collapse", "urlkey")]
    if year_from is not None:
        params.append(("from", str(year_from)))
    if year_to is not None:
        params.append(("to", str(year_to)))
    return f"{archive.rstrip('/')}/cdx/search/cdx?{urlencode(params)}"


def report_candidate(url: str) -> str | None:
    """"report" for an article under a report column, "column" for a report column's page,
    None for anything else (by URL alone)."""
    path = urlsplit(url).path
    if not _REPORT_PATH.search(path):
        return None
    return "report" if _ARTICLE.search(path) and not path.endswith(("/index.html", "/index.htm")) \
        else "column"


def original_headers(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The original server's headers of a raw capture (``X-Archive-Orig-*``), with the archive's
    Content-Type when the original's is not given."""
    prefix = "x-archive-orig-"
    original = [(k[len(prefix):], v) for k, v in headers if k.lower().startswith(prefix)]
    names = {k.lower() for k, _ in original}
    for key in ("Content-Type", "Content-Encoding", "Location"):
        if key.lower() not in names:
            original.extend((k, v) for k, v in headers if k.lower() == key.lower())
    # The archive measured and (de)chunked the body: its own length is the one that holds.
    original = [(k, v) for k, v in original if k.lower() not in ("content-length", "transfer-encoding")]
    original.extend((k, v) for k, v in headers if k.lower() == "content-length")
    return original
