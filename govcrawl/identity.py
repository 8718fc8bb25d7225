"""URL identity: the one key under which a resource is known, whatever form a link gave its URL.

Real portals link one page as ``https://host/a.html`` from some pages, ``http://host/a.html`` or
``http://HOST:80/a.html`` from others, and ``/./a.html`` or ``%7e`` spellings from their scripts.
Each form is the same resource; kept apart, each would be fetched again and stored as a report
of its own. :func:`url_key` maps every such form to one key — used by the dupefilter (through
:class:`govcrawl.fingerprint.KeyFingerprinter`), report identity, conditional requests and the archive's lookups —
while the WARC keeps each URL exactly as requested and the database every URL a report was seen
under.

The key is a URL (``http://host/path?query``), so it stays readable in the database:

- the scheme is ``http`` for http and https alike (gov.cn portals serve the same pages on both;
  a key is an identity, not an address to fetch);
- the host is lower-cased, its trailing dot dropped, an internationalised name IDNA-encoded;
  user info is dropped; the default ports 80 and 443 are dropped;
- the path is ``/`` when empty, dot segments are removed (RFC 3986 §5.2.4), and percent-encoding
  is normalised in path and query (RFC 3986 §6.2.2: unreserved characters decoded, hex digits
  upper-cased, other non-ASCII characters and spaces encoded as UTF-8); the query's order and
  content are kept (servers may read ``?a=1&b=2`` and ``?b=2&a=1`` differently, and an empty
  ``?`` goes);
- the fragment is dropped.

A directory and its index file (``/col/`` and ``/col/index.html``) are *not* folded here: many
portals serve both identically, but some serve different pages. :func:`index_alias` gives the
other form, for a caller that has seen both answer with the same bytes.
"""

from __future__ import annotations

import re
from urllib.parse import SplitResult, urlsplit

__all__ = ["url_key", "index_alias", "INDEX_FILES"]

_DEFAULT_PORTS = {80, 443}
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# Characters left as they are in a path or query: RFC 3986 reserved and unreserved ones, and "%"
# (an escape, normalised on its own); everything else (spaces, non-ASCII, quotes …) is encoded.
_KEEP = _UNRESERVED | frozenset(":/?#[]@!$&'()*+,;=%")
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
#: index files a portal may serve for its directory URL
INDEX_FILES = ("index.html", "index.htm", "index.shtml", "index.jhtml", "index.jsp", "index.php",
               "default.html", "default.htm", "default.aspx")
_INDEX_PATH = re.compile(r"(?i)/(?:" + "|".join(re.escape(f) for f in INDEX_FILES) + r")$")


def url_key(url: str) -> str:
    """The identity key of ``url`` (see the module). Never raises: a URL that cannot be parsed
    (a bad port, an unclosed IPv6 bracket) is its own key, stripped of its fragment."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url.split("#", 1)[0]
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        return url.split("#", 1)[0]
    host = _host(parts)
    netloc = host if port is None or port in _DEFAULT_PORTS else f"{host}:{port}"
    path = _normalise_escapes(_remove_dot_segments(parts.path or "/"))
    query = _normalise_escapes(parts.query)
    return f"http://{netloc}{path}" + (f"?{query}" if query else "")


def index_alias(key: str) -> str | None:
    """The other form of a directory URL key: ``…/col/`` ↔ ``…/col/index.html`` (the first index
    file name for a directory), or None when ``key`` is neither (a query makes it neither)."""
    head, separator, _query = key.partition("?")
    if separator:
        return None
    if head.endswith("/"):
        return head + INDEX_FILES[0]
    match = _INDEX_PATH.search(head)
    return head[: match.start() + 1] if match else None


def _host(parts: SplitResult) -> str:
    host = (parts.hostname or "").rstrip(".")  # hostname is lower-cased, user info dropped
    if host.isascii():
        return f"[{host}]" if ":" in host else host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4 for an absolute path (``/a/./b/../c`` → ``/a/c``)."""
    if "." not in path:
        return path
    segments = path.split("/")
    output: list[str] = []
    for segment in segments[1:]:
        if segment == "..":
            if output:
                output.pop()
        elif segment != ".":
            output.append(segment)
    if segments[-1] in (".", ".."):
        output.append("")  # "/a/b/.." names the directory /a/
    return "/" + "/".join(output)


def _normalise_escapes(text: str) -> str:
    if not text:
        return text

    def escape(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else f"%{match.group(1).upper()}"

    text = _ESCAPE.sub(escape, text)
    if all(char in _KEEP for char in text):
        return text
    return "".join(char if char in _KEEP else _percent(char) for char in text)


def _percent(char: str) -> str:
    return "".join(f"%{byte:02X}" for byte in char.encode("utf-8", "surrogatepass"))
