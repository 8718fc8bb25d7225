"""The site list: ``name,url[,level,region_code]`` CSV rows → portals to crawl."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

LEVELS = ("province", "prefecture", "county", "township")


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


def check_url(url: str) -> str | None:
    """Why ``url`` cannot be a portal home page, or None if it can."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https"):
        return f"URL must start with http:// or https:// (got {url!r})"
    if not parts.hostname or "." not in parts.hostname:
        return f"URL has no valid host name (got {url!r})"
    if any(ch.isspace() for ch in url.strip()):
        return f"URL contains spaces (got {url!r})"
    return None


def site_from_url(url: str) -> Site:
    return Site(name=urlsplit(url).hostname or url, url=url.strip())


def parse_sites(text: str, source: str = "<sites>") -> tuple[list[Site], list[SiteError]]:
    """Read a site CSV; bad rows become errors naming their line, the rest are kept."""
    sites: list[Site] = []
    errors: list[SiteError] = []
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header: list[str] | None = None
    seen: set[str] = set()
    for row in reader:
        line = reader.line_num
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
        if not name:
            errors.append(SiteError(source, line, "empty name"))
            continue
        problem = check_url(url)
        if problem:
            errors.append(SiteError(source, line, problem))
            continue
        level = record.get("level") or None
        if level and level not in LEVELS:
            errors.append(SiteError(source, line, f"level must be one of {', '.join(LEVELS)} (got {level!r})"))
            continue
        if url in seen:
            errors.append(SiteError(source, line, f"duplicate URL {url}"))
            continue
        seen.add(url)
        sites.append(Site(name=name, url=url, level=level, region_code=record.get("region_code") or None))
    if header is None:
        errors.append(SiteError(source, 1, "empty file: expected a header name,url"))
    return sites, errors


def read_sites(path: str | Path) -> tuple[list[Site], list[SiteError]]:
    """Read a site CSV file (UTF-8, or GB18030 as Excel in China often saves it)."""
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gb18030", errors="replace")
    return parse_sites(text, str(path))


def iter_site_args(sites: str | None, site: str | None) -> Iterator[Site | SiteError]:
    """Sites from the spider arguments ``sites=FILE.csv`` and/or ``site=URL[,URL…]``."""
    if sites:
        try:
            found, errors = read_sites(sites)
        except OSError as exc:
            found, errors = [], [SiteError(sites, 0, f"cannot read site list: {exc.strerror or exc}")]
        yield from errors
        yield from found
    for url in (site or "").split(","):
        if not url.strip():
            continue
        problem = check_url(url)
        yield SiteError("--site", 0, problem) if problem else site_from_url(url)
