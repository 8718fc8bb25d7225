"""Crawler traps: URLs that generate endless or useless pages (calendars, search results, session
ids, runaway query strings or paths, print/share/login pages)."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote, urlsplit

# Known CMS list endpoints whose long query strings are normal, not runaway (Hanweb jcms).
KNOWN_LIST_ENDPOINTS = re.compile(r"/module/web/jpage/dataproxy\.jsp$", re.IGNORECASE)

MAX_QUERY_PARAMS = 4
MAX_QUERY_LENGTH = 120
MAX_PATH_SEGMENTS = 12
MAX_SEGMENT_REPEATS = 3

_CALENDAR_PATH = re.compile(r"calendar|rili", re.IGNORECASE)
_SEARCH_PATH = re.compile(r"search|sousuo|jsearch|fulltext|quanwen", re.IGNORECASE)
_ACCOUNT_PATH = re.compile(
    r"print|share|login|logon|logout|signin|signup|register|passport",
    re.IGNORECASE,
)
_CALENDAR_KEYS = frozenset({"year", "month", "day", "date"})
_SEARCH_KEYS = frozenset(
    {"q", "query", "keyword", "keywords", "searchword", "kw", "wd", "word", "sword", "searchkey"}
)
_SESSION_KEYS = frozenset({"jsessionid", "sid", "sessionid", "phpsessid", "aspsessionid", "sessid"})
_ACTION_KEYS = frozenset({"action", "op", "method", "act"})
_ACTION_VALUES = re.compile(r"print|share|login|logout|register|search", re.IGNORECASE)
_ISO_DATE = re.compile(r"(?:19|20)\d{2}-\d{1,2}-\d{1,2}")


def is_trap(url: str) -> bool:
    """True when following ``url`` risks an endless or useless crawl (see the module doc)."""
    if not isinstance(url, str):
        return True
    stripped = url.strip()
    if stripped.lower().startswith(("javascript:", "vbscript:", "data:")):
        return True
    try:
        parts = urlsplit(stripped)
    except ValueError:
        return True
    path = unquote(parts.path)
    if ";jsessionid=" in path.lower() or ";jsessionid=" in stripped.lower():
        return True
    segments = [segment for segment in path.split("/") if segment]
    if len(segments) > MAX_PATH_SEGMENTS:
        return True
    words = [segment for segment in segments if not segment.isdigit()]
    if any(words.count(word) >= MAX_SEGMENT_REPEATS for word in set(words)):
        return True
    if _CALENDAR_PATH.search(path) or _SEARCH_PATH.search(path) or _ACCOUNT_PATH.search(path):
        return True
    return _query_is_trap(parts.query, known_endpoint=bool(KNOWN_LIST_ENDPOINTS.search(path)))


def _query_is_trap(query: str, known_endpoint: bool) -> bool:
    if not query:
        return False
    pairs = parse_qsl(query, keep_blank_values=True)
    if not known_endpoint and (len(pairs) > MAX_QUERY_PARAMS or len(query) > MAX_QUERY_LENGTH):
        return True
    for key, value in pairs:
        name = key.strip().lower()
        if name in _CALENDAR_KEYS or name in _SEARCH_KEYS or name in _SESSION_KEYS:
            return True
        if name in _ACTION_KEYS and _ACTION_VALUES.search(value):
            return True
        if _ISO_DATE.fullmatch(value.strip()):
            return True
    return False
