"""The site list: ``name,url[,level,region_code]`` CSV rows → portals to crawl.

Every row is read on its own: a bad row (an unbalanced quote, a NUL, bytes that are neither
UTF-8 nor GB18030, an over-long field, a malformed URL, a duplicate) is reported with its line
and skipped, and can neither swallow the rows after it nor stop the crawl of the others."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

LEVELS = ("province", "prefecture", "county", "township")

# A row is a name, a URL and two short codes: a longer line is not a site row (and a CSV field
# over csv.field_size_limit() used to raise out of the reader, stopping the whole crawl).
MAX_LINE = 8192
# The widths of the ``sites`` table (archive.models.Site, not imported: the pure core does not
# import the archive layer): a longer value fails the insert on PostgreSQL when the crawl starts.
MAX_NAME, MAX_URL, MAX_REGION_CODE = 200, 2000, 20


@dataclass(frozen=True)
class Site:
    name: str
    url: str
    level: str | None = None
    region_code: str | None = None


@dataclass(frozen=True)
class SiteError:
    """A row that could not be used: where it is and why."""

    source: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.source}, line {self.line}: {self.message}"


def _shown(value: str, limit: int = 80) -> str:
    """``value`` for a message: quoted, and cut when long (a 100 KiB field is not repeated)."""
    return repr(value) if len(value) <= limit else f"{value[:limit]!r}… ({len(value)} characters)"


def check_url(url: str) -> str | None:
    """Why ``url`` cannot be a portal home page, or None if it can. Never raises."""
    url = url.strip()
    if len(url) > MAX_URL:
        return f"URL longer than {MAX_URL} characters (got {_shown(url)})"
    try:
        parts = urlsplit(url)
        # .port raises ValueError for a port that is not a number 0–65535
        host, _port = parts.hostname, parts.port
    except ValueError as exc:  # "http://[www.a.gov.cn/": Invalid IPv6 URL
        return f"malformed URL: {exc} (got {_shown(url)})"
    if parts.scheme not in ("http", "https"):
        return f"URL must start with http:// or https:// (got {_shown(url)})"
    if not host or "." not in host:
        return f"URL has no valid host name (got {_shown(url)})"
    if any(ch.isspace() or ord(ch) < 0x20 for ch in url):
        return f"URL contains spaces or control characters (got {_shown(url)})"
    return None


def site_key(url: str) -> str:
    """What makes two site URLs the same portal: scheme and host in any case, the default port
    or none, with or without a trailing slash (``HTTP://WWW.A.gov.cn`` = ``http://www.a.gov.cn/``).
    For a URL that passed :func:`check_url`."""
    parts = urlsplit(url.strip())
    default = {"http": 80, "https": 443}.get(parts.scheme)
    port = "" if parts.port in (None, default) else f":{parts.port}"
    path = parts.path.rstrip("/")
    query = f"?{parts.query}" if parts.query else ""
    return f"{parts.scheme}://{(parts.hostname or '').rstrip('.')}{port}{path}{query}"


def site_from_url(url: str) -> Site:
    return Site(name=urlsplit(url).hostname or url, url=url.strip())


def _lines(text: str) -> Iterator[tuple[int, str]]:
    """Numbered lines (\\n, \\r\\n or \\r, as the csv module ends rows)."""
    for number, line in enumerate(io.StringIO(text, newline=""), 1):
        yield number, line.rstrip("\r\n")


def _row(line: str) -> list[str] | str:
    """The fields of one line, or why it is not a CSV row. A quoted field must close on its
    line: one that runs on used to swallow every row after it, silently."""
    if "\x00" in line:
        return "contains a NUL character"
    if len(line) > MAX_LINE:
        return f"line of {len(line)} characters (a site row has at most {MAX_LINE})"
    if line.count('"') % 2:
        return "unbalanced quote (a quoted field must close on its line)"
    try:
        return next(csv.reader([line], strict=True), [])
    except csv.Error as exc:
        return f"not a CSV row: {exc}"


def _parse(lines: Iterable[tuple[int, str | None]], source: str) -> tuple[list[Site], list[SiteError]]:
    sites: list[Site] = []
    errors: list[SiteError] = []
    header: list[str] | None = None
    seen: dict[str, int] = {}  # site_key → line of its first row
    for line, text in lines:
        if text is None:
            errors.append(SiteError(source, line, "undecodable bytes (neither UTF-8 nor GB18030)"))
            continue
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        row = _row(text)
        if isinstance(row, str):
            errors.append(SiteError(source, line, row))
            continue
        if not row or not any(cell.strip() for cell in row) or row[0].lstrip().startswith("#"):
            continue
        cells = [cell.strip() for cell in row]
        if header is None:
            header = [c.lower() for c in cells]
            missing = {"name", "url"} - set(header)
            if missing:
                errors.append(SiteError(source, line, f"header must name columns name,url (missing {', '.join(sorted(missing))})"))
                return sites, errors
            continue
        if len(cells) > len(header):
            errors.append(SiteError(source, line, f"{len(cells)} fields, header has {len(header)}"))
            continue
        record = dict(zip(header, cells, strict=False))
        name, url = record.get("name", ""), record.get("url", "")
        region_code = record.get("region_code") or None
        if not name:
            errors.append(SiteError(source, line, "empty name"))
            continue
        if len(name) > MAX_NAME:
            errors.append(SiteError(source, line, f"name longer than {MAX_NAME} characters (got {_shown(name)})"))
            continue
        problem = check_url(url)
        if problem:
            errors.append(SiteError(source, line, problem))
            continue
        level = record.get("level") or None
        if level and level not in LEVELS:
            errors.append(SiteError(source, line, f"level must be one of {', '.join(LEVELS)} (got {_shown(level)})"))
            continue
        if region_code and len(region_code) > MAX_REGION_CODE:
            errors.append(SiteError(source, line, f"region_code longer than {MAX_REGION_CODE} characters (got {_shown(region_code)})"))
            continue
        key = site_key(url)
        if key in seen:
            errors.append(SiteError(source, line, f"duplicate URL {_shown(url)} (as on line {seen[key]})"))
            continue
        seen[key] = line
        sites.append(Site(name=name, url=url, level=level, region_code=region_code))
    if header is None:
        errors.append(SiteError(source, 1, "empty file: expected a header name,url"))
    return sites, errors


def parse_sites(text: str, source: str = "<sites>") -> tuple[list[Site], list[SiteError]]:
    """Read a site CSV; bad rows become errors naming their line, the rest are kept."""
    return _parse(_lines(text.lstrip("\ufeff")), source)


def _decode(line: bytes, encodings: tuple[str, ...]) -> str | None:
    for encoding in encodings:
        try:
            return line.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _decoded_lines(raw: bytes) -> Iterator[tuple[int, str | None]]:
    """The numbered lines of a file that is not UTF-8 throughout: GB18030 (as Excel in China
    saves it) and UTF-8 lines, each line by itself, in the order most of the file's non-ASCII
    lines read; a line neither reads is None. Decoding the whole file as GB18030 with
    replacement turned an appended UTF-8 row into mojibake, silently."""
    lines = raw.split(b"\n")  # no GB18030 or UTF-8 character holds the byte \n (nor \r)
    foreign = [line for line in lines if not line.isascii()]
    utf8 = sum(_decode(line, ("utf-8",)) is not None for line in foreign)
    order = ("utf-8", "gb18030") if 2 * utf8 > len(foreign) else ("gb18030", "utf-8")
    number = 0
    for line in lines:
        # A \r alone also ends a row: number its parts as _lines does.
        for part in line.removesuffix(b"\r").split(b"\r") if line else [b""]:
            number += 1
            yield number, _decode(part, order)


def read_sites(path: str | Path) -> tuple[list[Site], list[SiteError]]:
    """Read a site CSV file (UTF-8, UTF-16 with a byte-order mark, or GB18030 as Excel in China
    often saves it, also line by line in a file of both)."""
    raw = Path(path).read_bytes()
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return parse_sites(raw.decode("utf-16", errors="replace"), str(path))
    try:
        return parse_sites(raw.decode("utf-8-sig"), str(path))
    except UnicodeDecodeError:
        return _parse(_decoded_lines(raw.removeprefix(codecs.BOM_UTF8)), str(path))


def iter_site_args(sites: str | None, site: str | None) -> Iterator[Site | SiteError]:
    """Sites from the spider arguments ``sites=FILE.csv`` and/or ``site=URL[,URL…]``; a
    ``site=`` URL already in the file is reported as a duplicate. Never raises."""
    seen: set[str] = set()
    if sites:
        try:
            found, errors = read_sites(sites)
        except OSError as exc:
            found, errors = [], [SiteError(sites, 0, f"cannot read site list: {exc.strerror or exc}")]
        except ValueError as exc:  # not expected: every row's failure is caught above
            found, errors = [], [SiteError(sites, 0, f"cannot read site list: {exc}")]
        yield from errors
        for entry in found:
            seen.add(site_key(entry.url))
            yield entry
    for url in (site or "").split(","):
        if not url.strip():
            continue
        problem = check_url(url)
        if problem:
            yield SiteError("--site", 0, problem)
        elif site_key(url) in seen:
            yield SiteError("--site", 0, f"duplicate URL {_shown(url.strip())}")
        else:
            seen.add(site_key(url))
            yield site_from_url(url)
