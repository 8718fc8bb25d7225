"""A simulated Wayback Machine: portals as they are live, and ``web.archive.org`` holding
captures of them at earlier dates, for testing "time-travel" crawls of the past.

:func:`build_archive_web` builds two portals of the test web as they are live today — 沧源
(TRS, ``www.cangyuan.gov.cn``) and 景县 (plain ASP, GBK, ``www.jingxian.gov.cn``), byte for
byte as :func:`~simweb.build_test_web` serves them — and the virtual host
``web.archive.org`` with captures of both portals made by two earlier crawls each (June 2019
and March 2021), rendered by the same site builders from the reports published by then plus
reports the rebuilt live sites no longer have.

The archive, as the real service answers (HTTP only, through ``web.proxy_url``):

``GET /web/{timestamp}id_/{original_url}``
    A capture of that URL at exactly that 14-digit timestamp: its original status and body
    bytes, the original response headers as ``X-Archive-Orig-<Name>``, a plain
    ``Content-Type`` equal to the original one, ``Memento-Datetime`` (RFC 1123) and
    ``Link: <original>; rel="original"``. A capture of a redirect answers ``302`` with
    ``Location: http://web.archive.org/web/{its timestamp}id_/{absolute target}`` (the target
    then resolves like any request: exactly, or by a further 302 to its nearest capture).
    Not exact: ``302`` to ``http://web.archive.org/web/{nearest}id_/{capture's original}``,
    the nearest capture of that URL by absolute time difference (a tie goes to the earlier).
    A timestamp of fewer digits (``2020``, ``202003``, ``20200101``) means the start of that
    period: it is padded with zeros to 14 digits, then a month or day 00 becomes 01 and fields
    out of range are clamped (``20200231`` is 2020-02-29); it never matches exactly.
    ``/web/{original_url}`` without a timestamp means the latest capture. Any other
    two-letter modifier (``if_``, ``im_``…) or none is served the same raw way and kept in
    the redirects. No capture of the URL: ``404`` with a small HTML page.
``GET /cdx/search/cdx?url=…``
    ``output=json`` (else space-separated text lines), ``matchType`` exact | prefix | host |
    domain (``url=host/path/*`` means prefix, ``url=*.domain`` domain), ``from`` / ``to``
    (1–14 digits, inclusive: ``to=2019`` includes all of 2019), ``filter=[!]field:regex``
    (repeatable, full match, ANDed), ``collapse=field[:N]`` (drops a row whose field, or its
    first N characters, equals the previous row's), ``limit`` (negative: the last N), ``fl``.
    Rows are sorted by urlkey then timestamp; JSON output starts with the field names (default
    ``urlkey timestamp original mimetype statuscode digest length``), all values strings;
    ``[]`` when nothing matches. ``digest`` is the base32 SHA-1 of the payload; ``length`` the
    size of the capture's gzipped WARC record (approximated). The first
    ``web.archive_rate_limit`` CDX requests (2; 0 disables) of a fresh web, and after
    :meth:`ArchiveWeb.reset`, answer ``429`` with ``Retry-After: 1`` (``retry_after``).
``GET /robots.txt``
    allows ``/web/`` and ``/cdx/`` (and disallows the rest).

URL matching (:func:`urlkey`, simplified SURT canonicalisation): the scheme (``http`` /
``https`` / none), a default port, a leading ``www.`` (``www2.`` …) and the letter case are
ignored, a trailing ``/`` of a non-root path is dropped, query arguments are sorted, and the
fragment is ignored. ``http://www.cangyuan.gov.cn/zwgk/zfxxgknb/`` is
``cn,gov,cangyuan)/zwgk/zfxxgknb``. The portals' slash-less directory redirects
(``/zwgk/zfxxgknb`` → ``/zwgk/zfxxgknb/``) canonicalise to their own target, so they were
never captured (their captures would loop).

The archive crawls deduplicate: a URL is captured again only when its status or payload
changed since its previous capture, so every report page here has exactly one ``200``
capture — the one ``ExpectedReport.archived_at`` names. Ground truth on the web:
``archive_only_reports``, ``archived_live_reports``, ``live_reports``, ``cdx_only_urls``,
``archive_404_urls``, ``archive_redirects``, ``archive_only_list_urls``,
``archive_changed_urls`` and every capture in ``archive_captures``.
"""

from __future__ import annotations

import base64
import calendar
import datetime as dt
import gzip
import hashlib
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from email.utils import format_datetime
from urllib.parse import parse_qs, urljoin, urlsplit

from .content import ReportSeries, esc, stable_rng
from .model import ExpectedReport, Page, VirtualHost
from .portals import _cangyuan, _jingxian, _revisable, news, report
from .server import SimulatedWeb
from .styles import BaseSite, Item, PlainSite, SiteConfig, TrsSite

__all__ = [
    "ARCHIVE_HOST",
    "CDX_FIELDS",
    "ArchiveWeb",
    "Capture",
    "build_archive_web",
    "urlkey",
]

ARCHIVE_HOST = "web.archive.org"
CDX_FIELDS = ("urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length")
_REDIRECTS = (301, 302, 303, 307, 308)
_UTC = dt.UTC


# ============================================================================ URLs and times
_WWW = re.compile(r"^www\d*\.")
_SCHEME = re.compile(r"^(https?):/*", re.I)


def _absolute(url: str) -> str:
    """``url`` with an ``http(s)://`` scheme (``http:/x`` and scheme-less forms repaired)."""
    url = url.strip()
    m = _SCHEME.match(url)
    if m:
        return f"{m.group(1).lower()}://{url[m.end() :]}"
    return "http://" + url.lstrip("/")


def _surt_host(url: str) -> str:
    """``cn,gov,cangyuan`` for ``http://www.cangyuan.gov.cn:80/…`` (no closing parenthesis)."""
    parts = urlsplit(_absolute(url))
    host = _WWW.sub("", (parts.hostname or "").lower().rstrip("."))
    surt = ",".join(reversed(host.split("."))) if host else ""
    try:
        port = parts.port
    except ValueError:
        port = None
    if port not in (None, 80, 443):
        surt += f":{port}"
    return surt


def urlkey(url: str) -> str:
    """The SURT-form key of a URL, simplified the way the module docstring states."""
    parts = urlsplit(_absolute(url))
    path = parts.path or "/"
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    query = "&".join(sorted(parts.query.split("&"))) if parts.query else ""
    return (f"{_surt_host(url)}){path}" + (f"?{query}" if query else "")).lower()


def _ts(when: dt.datetime) -> str:
    return when.astimezone(_UTC).strftime("%Y%m%d%H%M%S")


def _ts_datetime(ts: str) -> dt.datetime:
    """A timestamp of 1–14 digits as the start of the period it names (clamped), UTC."""
    digits = (ts + "0" * 14)[:14]
    year = max(1, int(digits[0:4]))
    month = min(max(int(digits[4:6]), 1), 12)
    day = min(max(int(digits[6:8]), 1), calendar.monthrange(year, month)[1])
    return dt.datetime(
        year,
        month,
        day,
        min(int(digits[8:10]), 23),
        min(int(digits[10:12]), 59),
        min(int(digits[12:14]), 59),
        tzinfo=_UTC,
    )


def _http_date(when: dt.datetime) -> str:
    return format_datetime(when.astimezone(_UTC), usegmt=True)


# ============================================================================ captures
@dataclass(frozen=True)
class Capture:
    """One capture held by the archive.

    ``headers`` are the original response headers as captured (``Date``, ``Server``,
    ``Content-Type``, ``Content-Length``, validators, ``Location`` …); ``body`` the original
    payload bytes (identity encoding); ``length`` the CDX length of its WARC record.
    """

    urlkey: str
    timestamp: str
    original: str
    mimetype: str
    status: int
    digest: str
    length: int
    content_type: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    @property
    def when(self) -> dt.datetime:
        return dt.datetime.strptime(self.timestamp, "%Y%m%d%H%M%S").replace(tzinfo=_UTC)

    @property
    def location(self) -> str | None:
        """Absolute target of a redirect capture."""
        for k, v in self.headers:
            if k.lower() == "location":
                return urljoin(self.original, v)
        return None

    def field(self, name: str) -> str:
        """A CDX field as the API prints it."""
        if name == "statuscode":
            return str(self.status)
        return str(getattr(self, name))

    def replay_url(self, modifier: str = "id_") -> str:
        """``http://web.archive.org/web/{timestamp}id_/{original}``."""
        return f"http://{ARCHIVE_HOST}/web/{self.timestamp}{modifier}/{self.original}"

    @classmethod
    def of(cls, url: str, when: dt.datetime, page: Page, vh: VirtualHost) -> Capture:
        """The capture of ``page`` as ``vh`` served it at ``url`` at time ``when``."""
        headers = [
            ("Server", vh.server),
            ("Date", _http_date(when)),
            ("Content-Type", page.content_type),
            ("Content-Length", str(len(page.body))),
        ]
        if page.status == 200:
            if page.last_modified_http:
                headers.append(("Last-Modified", page.last_modified_http))
            headers.append(("ETag", page.etag))
        headers += list(vh.extra_headers) + list(page.headers)
        head = f"HTTP/1.1 {page.status} X\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers)
        record = gzip.compress(head.encode("latin-1", "replace") + b"\r\n" + page.body, mtime=0)
        return cls(
            urlkey=urlkey(url),
            timestamp=_ts(when),
            original=url,
            mimetype=page.content_type.split(";")[0].strip().lower() or "unk",
            status=page.status,
            digest=base64.b32encode(hashlib.sha1(page.body).digest()).decode("ascii"),
            length=len(record) + 300 + len(url),  # + the WARC header block
            content_type=page.content_type,
            headers=tuple(headers),
            body=page.body,
        )


class _BadQuery(ValueError):
    pass


def cdx_query(captures: list[Capture], params: dict[str, list[str]]) -> list[list[str]]:
    """Rows answering a CDX query (``params`` as ``parse_qs`` gives them), first row the field
    names, or just ``[]`` when nothing matches; raises ``ValueError`` on a bad query.
    ``captures`` must be sorted by (urlkey, timestamp)."""

    def one(name: str, default: str = "") -> str:
        return (params.get(name) or [default])[-1]

    url = one("url").strip()
    if not url:
        raise _BadQuery("missing url parameter")
    match_type = one("matchType", "exact").lower()
    if url.startswith("*."):
        url, match_type = url[2:], "domain"
    elif url.endswith("*"):
        url, match_type = url[:-1], "prefix"
    if match_type not in ("exact", "prefix", "host", "domain"):
        raise _BadQuery(f"unknown matchType {match_type!r}")
    if match_type == "exact":
        key = urlkey(url)

        def wanted(k: str) -> bool:
            return k == key
    elif match_type == "prefix":
        key = urlkey(url)
        slash = urlsplit(_absolute(url)).path.endswith("/") and not key.endswith("/")

        def wanted(k: str) -> bool:
            return k == key or k.startswith(key + "/") if slash else k.startswith(key)
    else:
        host = _surt_host(url).lower()
        ends = (")",) if match_type == "host" else (")", ",")

        def wanted(k: str) -> bool:
            return any(k.startswith(host + e) for e in ends)

    lo, hi = one("from"), one("to")
    for name, value in (("from", lo), ("to", hi)):
        if value and not (value.isdigit() and len(value) <= 14):
            raise _BadQuery(f"bad {name} timestamp {value!r}")
    lo, hi = lo.ljust(14, "0"), (hi or "9").ljust(14, "9")
    tests: list[tuple[bool, str, re.Pattern[str]]] = []
    for f in params.get("filter", []):
        neg = f.startswith("!")
        name, sep, pattern = f.removeprefix("!").partition(":")
        if not sep or name not in CDX_FIELDS:
            raise _BadQuery(f"bad filter {f!r}")
        try:
            tests.append((neg, name, re.compile(pattern)))
        except re.error as exc:
            raise _BadQuery(f"bad filter {f!r}: {exc}") from None
    fl = [x.strip() for x in one("fl", ",".join(CDX_FIELDS)).split(",") if x.strip()]
    if not fl or any(x not in CDX_FIELDS for x in fl):
        raise _BadQuery(f"bad fl {one('fl')!r}")
    collapse = None
    if one("collapse"):
        name, _, n = one("collapse").partition(":")
        if name not in CDX_FIELDS or (n and not n.isdigit()):
            raise _BadQuery(f"bad collapse {one('collapse')!r}")
        collapse = (name, int(n) if n else None)
    limit = None
    if one("limit"):
        try:
            limit = int(one("limit"))
        except ValueError:
            raise _BadQuery(f"bad limit {one('limit')!r}") from None

    picked: list[Capture] = []
    last: str | None = None
    for cap in captures:
        if not wanted(cap.urlkey) or not lo <= cap.timestamp <= hi:
            continue
        if any(bool(rx.fullmatch(cap.field(name))) == neg for neg, name, rx in tests):
            continue
        if collapse:
            value = cap.field(collapse[0])[: collapse[1]]
            if value == last:
                continue
            last = value
        picked.append(cap)
    if limit is not None:
        picked = picked[:limit] if limit >= 0 else picked[limit:]
    if not picked:
        return []
    return [fl] + [[cap.field(name) for name in fl] for cap in picked]


# ============================================================================ the web
_NOT_ARCHIVED = (
    "<!DOCTYPE html><html><head><title>Wayback Machine</title></head><body>"
    '<div id="error"><h2>Hrm.</h2><p>The Wayback Machine has not archived that URL.</p>'
    "<p>{url}</p></div></body></html>"
)
_TOO_MANY = (
    b"<html><head><title>429 Too Many Requests</title></head><body>"
    b"<h1>429 Too Many Requests</h1><p>Too many requests to the CDX server, slow down.</p>"
    b"</body></html>"
)
_ROBOTS = b"User-agent: *\nAllow: /web/\nAllow: /cdx/\nDisallow: /\n"
_WEB_PATH = re.compile(r"^/web/(?:(\d{1,14})([a-z]{2}_)?/)?(.*)$", re.S)


class ArchiveWeb(SimulatedWeb):
    """A :class:`SimulatedWeb` with live portals and ``web.archive.org`` (see the module doc).

    Ground truth (URLs are absolute ``http://`` URLs of the portals):

    * ``live_reports`` — the live portals' ``expected_reports``;
    * ``archive_only_reports`` — reports only the archive holds (their URLs answer 404 live),
      each with ``archived_at``, the time of its (single) ``200`` capture;
    * ``archived_live_reports`` — live reports the archive also holds (``archived_at`` set);
    * ``archive_changed_urls`` — those of them whose archived bytes differ from the live page;
    * ``cdx_only_urls`` — archived report URLs no archived (or live) page links to;
    * ``archive_404_urls`` — URLs captured (only) as a 404 page;
    * ``archive_redirects`` — redirect captures: original URL -> target URL;
    * ``archive_only_list_urls`` — archived list pages the live portals no longer have;
    * ``archive_captures`` — every capture, sorted by urlkey and timestamp;
    * ``archive_snapshots`` — host -> start times of the archive's crawls of it.
    """

    def __init__(self, name: str = "archive") -> None:
        super().__init__(name)
        self.archive_host = ARCHIVE_HOST
        #: the first this many CDX requests (after a start or reset) answer 429; 0 disables
        self.archive_rate_limit = 2
        self.archive_captures: list[Capture] = []
        self.archive_only_reports: list[ExpectedReport] = []
        self.archived_live_reports: list[ExpectedReport] = []
        self.archive_changed_urls: list[str] = []
        self.cdx_only_urls: list[str] = []
        self.archive_404_urls: list[str] = []
        self.archive_redirects: dict[str, str] = {}
        self.archive_only_list_urls: list[str] = []
        self.archive_snapshots: dict[str, list[dt.datetime]] = {}
        self._by_key: dict[str, list[Capture]] = {}
        self._cdx_lock = threading.Lock()
        self._cdx_requests = 0

    @property
    def live_reports(self) -> list[ExpectedReport]:
        """The live portals' reports (``expected_reports``)."""
        return self.expected_reports

    def reset(self) -> None:
        """Clear the request log, re-arm one-shot failures and the CDX rate limit."""
        super().reset()
        with self._cdx_lock:
            self._cdx_requests = 0

    def captures_of(self, url: str) -> list[Capture]:
        """Captures of ``url`` (matched by :func:`urlkey`), oldest first."""
        return list(self._by_key.get(urlkey(url), []))

    def replay_url(self, url: str, timestamp: str = "", modifier: str = "id_") -> str:
        """``http://web.archive.org/web/{timestamp}{modifier}/{url}``."""
        return f"http://{ARCHIVE_HOST}/web/{timestamp}{modifier}/{url}"

    # ---------------------------------------------------------------- building
    def _add_captures(self, captures: list[Capture]) -> None:
        self.archive_captures = sorted(
            [*self.archive_captures, *captures], key=lambda c: (c.urlkey, c.timestamp)
        )
        self._by_key = {}
        for cap in self.archive_captures:
            self._by_key.setdefault(cap.urlkey, []).append(cap)

    def _serve_archive(self) -> None:
        vh = self.host(ARCHIVE_HOST, server="nginx")
        vh.not_found = Page(_NOT_ARCHIVED.format(url="").encode(), status=404)
        self.add_page(f"http://{ARCHIVE_HOST}/robots.txt", Page(_ROBOTS, content_type="text/plain"))
        vh.dynamic["/web/"] = self._replay
        vh.dynamic["/cdx/"] = self._cdx

    # ---------------------------------------------------------------- serving
    def _replay(self, vh: VirtualHost, path: str, query: str, headers: dict) -> Page | None:
        m = _WEB_PATH.match(path)
        if m is None or not m.group(3):
            return None
        ts, modifier, rest = m.group(1) or "", m.group(2) or "", m.group(3)
        original = _absolute(rest + (f"?{query}" if query else ""))
        captures = self._by_key.get(urlkey(original))
        if not captures:
            body = _NOT_ARCHIVED.format(url=esc(original)).encode()
            return Page(body, status=404)
        exact = next((c for c in captures if c.timestamp == ts), None)
        if exact is None:
            want = _ts_datetime(ts) if ts else dt.datetime.max.replace(tzinfo=_UTC)
            best = min(captures, key=lambda c: (abs((c.when - want).total_seconds()), c.when))
            return _redirect(best.replay_url(modifier))
        out = [(f"X-Archive-Orig-{k}", v) for k, v in exact.headers]
        out += [
            ("Memento-Datetime", _http_date(exact.when)),
            ("Link", f'<{exact.original}>; rel="original"'),
        ]
        target = exact.location if exact.status in _REDIRECTS else None
        if target:
            out.append(("Location", self.replay_url(target, exact.timestamp, modifier)))
            return Page(exact.body, status=302, content_type=exact.content_type, headers=out)
        return Page(exact.body, status=exact.status, content_type=exact.content_type, headers=out)

    def _cdx(self, vh: VirtualHost, path: str, query: str, headers: dict) -> Page | None:
        if path.rstrip("/") != "/cdx/search/cdx":
            return None
        with self._cdx_lock:
            self._cdx_requests += 1
            limited = self._cdx_requests <= self.archive_rate_limit
        if limited:
            return Page(
                _TOO_MANY, status=429, content_type="text/html",
                headers=[("Retry-After", str(self.retry_after))],
            )
        params = parse_qs(query, keep_blank_values=True)
        try:
            rows = cdx_query(self.archive_captures, params)
        except ValueError as exc:
            return Page(f"{exc}\n".encode(), status=400, content_type="text/plain; charset=utf-8")
        if (params.get("output") or [""])[-1] == "json":
            text = "[" + ",\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "]\n"
            return Page(text.encode(), content_type="application/json")
        text = "".join(" ".join(r) + "\n" for r in rows[1:])
        return Page(text.encode(), content_type="text/plain; charset=utf-8")


def _redirect(location: str) -> Page:
    body = f'<html><body><a href="{esc(location)}">Found</a></body></html>'.encode()
    return Page(body, status=302, content_type="text/html", headers=[("Location", location)])


# ============================================================================ past portals
class _TrsThen(TrsSite):
    """A TRS portal as it was: with ``old_columns`` (dir, name, items) the rebuilt site
    dropped, linked from the sidebar of every column page."""

    def __init__(self, web: SimulatedWeb, cfg: SiteConfig) -> None:
        super().__init__(web, cfg)
        self.old_columns: list[tuple[str, str, list[Item]]] = []

    def sidebar(self) -> str:
        extra = "".join(f'<li><a href="{d}">{esc(n)}</a></li>' for d, n, _ in self.old_columns)
        return super().sidebar().replace("</ul>", extra + "</ul>", 1)

    def build(self) -> None:
        super().build()
        crumbs = self.columns["reports"].crumbs[:-1]
        for directory, name, items in self.old_columns:
            self.column(directory, name, items, [*crumbs, (name, directory)], key=directory)


_AID = re.compile(r"(\d+)\.html$")


def _then(
    cls: type[BaseSite],
    config: Callable[[ReportSeries], SiteConfig],
    live_urls: dict[tuple[str, dt.date], str],
    when: dt.datetime,
    *,
    extra: list[Item],
    news_items: list[Item],
    ids: int,
    edit: Callable[[Item], None] | None = None,
    setup: Callable[[BaseSite], None] | None = None,
) -> BaseSite:
    """A portal as it was at ``when``: its config's items published by then (live reports at
    their live URLs), plus ``extra`` items and old news, built on a scratch web."""
    cfg = config(ReportSeries())  # rendered again: the same bodies as the live build
    day = when.date()

    def kept(items: list[Item]) -> list[Item]:
        out = []
        for it in items:
            if it.kind == "dead" or it.date > day:
                continue
            url = live_urls.get((it.title, it.date))
            if url:
                m = _AID.search(url)
                assert m, url
                it.aid = int(m.group(1))
            if edit:
                edit(it)
            out.append(it)
        return out

    cfg = replace(
        cfg,
        reports=kept(cfg.reports) + [it for it in extra if it.date <= day],
        townships=kept(cfg.townships),
        finance=kept(cfg.finance),
        news=news_items,
        ids=ids,
    )
    site = cls(SimulatedWeb(f"{cfg.host}@{_ts(when)}"), cfg)
    if setup:
        setup(site)
    site.build()
    return site


def _harvest(
    site: BaseSite, when: dt.datetime, held: dict[str, Capture], extra_headers: list
) -> list[Capture]:
    """Capture every static page (and dead link) of a past portal, home first, a few seconds
    apart, skipping pages unchanged since their last capture (``held``: urlkey -> latest)."""
    site.vh.extra_headers[:] = list(extra_headers)
    pages = dict(site.vh.pages)
    assert site.vh.not_found is not None
    for url in site.web.dead_urls:
        pages[site.target(url)] = site.vh.not_found
    rng = stable_rng("wayback", site.host, _ts(when))
    out = []
    for target in sorted(pages, key=lambda t: (t != "/", t)):
        page = pages[target]
        url = site.url(target)
        location = dict(page.headers).get("Location")
        if page.status in _REDIRECTS and location and urlkey(location) == urlkey(url):
            continue  # a directory's slash redirect: the same urlkey as its target
        cap = Capture.of(url, when, page, site.vh)
        prev = held.get(cap.urlkey)
        if prev is not None and (prev.status, prev.digest) == (cap.status, cap.digest):
            continue
        held[cap.urlkey] = cap
        out.append(cap)
        when += dt.timedelta(seconds=rng.randint(2, 25))
    return out


# ---------------------------------------------------------------------------- 沧源 (TRS)
_CY_GOV = "沧源佤族自治县人民政府"
_CY_REGION = "沧源佤族自治县"
_CY_FINANCE = "沧源佤族自治县财政局"
_CY_DEPT_DIR = "/zwgk/bmxxgknb/"
_CY_DEPT_NAME = "部门政府信息公开年报"
_CY_CHANGED = "沧源自治县2019年政府信息公开工作年度报告"  # archived as a first version
_CY_CDX_ONLY_AT = dt.datetime(2018, 7, 12, 3, 15, 44, tzinfo=_UTC)
_CY_CRAWLS = (
    dt.datetime(2019, 6, 14, 2, 13, 7, tzinfo=_UTC),
    dt.datetime(2021, 3, 29, 7, 41, 52, tzinfo=_UTC),
)


def _cy_old_reports(series: ReportSeries) -> list[Item]:
    """沧源's reports under old TRS ids, gone since the site was rebuilt."""
    D = dt.date
    return [
        report(
            series,
            y,
            _CY_REGION,
            "county",
            _CY_GOV,
            title=f"沧源自治县{y}年政府信息公开工作年度报告",
            published=pub,
            aid=aid,
        )
        for y, pub, aid in ((2017, D(2018, 3, 16), 402117), (2016, D(2017, 3, 22), 401876))
    ]


def _cy_dept_reports(series: ReportSeries) -> list[Item]:
    """The dropped 部门 column: the finance bureau's reports."""
    D = dt.date
    return [
        report(
            series,
            y,
            _CY_REGION,
            "county",
            _CY_FINANCE,
            agency="财政局",
            parent=_CY_REGION,
            title=f"{_CY_FINANCE}{y}年度政府信息公开工作年度报告",
            published=pub,
            aid=aid,
        )
        for y, pub, aid in ((2018, D(2019, 1, 25), 402203), (2019, D(2020, 2, 14), 402268))
    ]


def _cy_edit(item: Item) -> None:
    if item.title == _CY_CHANGED:
        item.body += "\n<p>（本报告电子版与纸质版如有不一致，以纸质版为准。）</p>"


def _cy_cdx_only(site: BaseSite) -> tuple[Capture, ExpectedReport]:
    """沧源's 2015 report: captured once in 2018, linked from no list the archive holds."""
    assert isinstance(site, TrsSite)
    item = report(
        ReportSeries(),
        2015,
        _CY_REGION,
        "county",
        _CY_GOV,
        title="沧源自治县2015年政府信息公开工作年度报告",
        published=dt.date(2016, 3, 29),
        aid=401502,
    )
    site.item_paths(item, site.column_dir)
    html = site.article_html(item, "政府信息公开年报", site.columns["reports"].crumbs)
    cap = Capture.of(item.url, _CY_CDX_ONLY_AT, site.make_page(html, item.stamp), site.vh)
    return cap, site.expect(item, (), "page")


# ---------------------------------------------------------------------------- 景县 (plain)
_JX_GOV = "景县人民政府"
_JX_CRAWLS = (
    dt.datetime(2019, 6, 18, 11, 2, 40, tzinfo=_UTC),
    dt.datetime(2021, 3, 30, 5, 26, 11, tzinfo=_UTC),
)
_JX_HEADERS = [
    ("X-Powered-By", "ASP.NET"),
    ("Set-Cookie", "ASPSESSIONIDQSTCRDAB=KDLFHPBCJMNO; path=/"),
]


def _jx_old_reports(series: ReportSeries) -> list[Item]:
    """景县's 2016 report (live: a dead link), 2015 report (linked through a show.asp
    redirect) and 2014 report (already a dead link then)."""
    D = dt.date
    return [
        report(
            series,
            2016,
            "景县",
            "county",
            _JX_GOV,
            published=D(2017, 3, 20),
            contact="张昇",
            aid=1043,
        ),
        report(
            series,
            2015,
            "景县",
            "county",
            _JX_GOV,
            published=D(2016, 3, 18),
            contact="张昇",
            aid=1029,
            redirect_from="auto",
        ),
        Item(
            "景县2014年政府信息公开工作年度报告",
            D(2015, 3, 25),
            kind="dead",
            path="/xxgk/ndbg/content_1017.html",
        ),
    ]


# ============================================================================ builder
def build_archive_web() -> ArchiveWeb:
    """沧源 and 景县 as live in the test web, and ``web.archive.org`` holding their past.

    Deterministic. Captures (UTC): 沧源 crawled from 2019-06-14 02:13:07 and 2021-03-29
    07:41:52, its 2015 report captured alone at 2018-07-12 03:15:44; 景县 crawled from
    2019-06-18 11:02:40 and 2021-03-30 05:26:11.
    """
    web = ArchiveWeb("archive")
    series = ReportSeries()
    cy_cfg = _cangyuan(series)
    cangyuan = TrsSite(web, cy_cfg)
    cangyuan.build()
    jx_cfg = _jingxian(series)
    jingxian = PlainSite(web, jx_cfg)
    jingxian.build()
    # as build_test_web serves 景县
    web.host(jx_cfg.host).extra_headers.extend(_JX_HEADERS)
    _revisable(web, [cangyuan, jingxian], series)

    held: dict[str, Capture] = {}
    captures: list[Capture] = []
    past: list[BaseSite] = []
    extra_reports: list[ExpectedReport] = []

    # 沧源: old TRS ids, a 部门 column, one report first archived in an earlier version
    live = _live_urls(cy_cfg)
    for i, when in enumerate(_CY_CRAWLS):
        old = ReportSeries()
        dept = [it for it in _cy_dept_reports(old) if it.date <= when.date()]

        def setup(site: BaseSite, dept: list[Item] = dept) -> None:
            assert isinstance(site, _TrsThen)
            site.old_columns = [(_CY_DEPT_DIR, _CY_DEPT_NAME, dept)]

        site = _then(
            _TrsThen,
            _cangyuan,
            live,
            when,
            extra=_cy_old_reports(old),
            news_items=news("沧源县", 3, when.date() - dt.timedelta(days=6)),
            ids=402400 + 40000 * i,
            edit=_cy_edit,
            setup=setup,
        )
        if i == 0:
            cap, expected = _cy_cdx_only(site)
            captures.append(cap)
            held[cap.urlkey] = cap
            extra_reports.append(expected)
            web.cdx_only_urls.append(cap.original)
        captures += _harvest(site, when, held, [])
        past.append(site)
    web.archive_only_list_urls += [
        cangyuan.url(_CY_DEPT_DIR),
        cangyuan.url(_CY_DEPT_DIR + "index.html"),
    ]
    # 景县: the 2016 report still served, 2015 behind a redirect, 2014 a dead link
    live = _live_urls(jx_cfg)
    for i, when in enumerate(_JX_CRAWLS):
        site = _then(
            PlainSite,
            _jingxian,
            live,
            when,
            extra=_jx_old_reports(ReportSeries()),
            news_items=news("景县", 3, when.date()),
            ids=800 - 300 * i,
        )
        captures += _harvest(site, when, held, _JX_HEADERS)
        past.append(site)
    web.archive_snapshots = {
        cy_cfg.host: list(_CY_CRAWLS),
        jx_cfg.host: list(_JX_CRAWLS),
    }
    web._add_captures(captures)
    web._serve_archive()
    _ground_truth(web, past, extra_reports)
    return web


def _live_urls(cfg: SiteConfig) -> dict[tuple[str, dt.date], str]:
    items = cfg.reports + cfg.townships + cfg.finance + cfg.news
    return {(it.title, it.date): it.url for it in items if it.url and it.kind != "dead"}


def _ground_truth(web: ArchiveWeb, past: list[BaseSite], extra: list[ExpectedReport]) -> None:
    live = {r.url: r for r in web.expected_reports}
    archived: dict[str, ExpectedReport] = {}
    for site in past:
        for r in site.web.expected_reports:
            archived.setdefault(r.url, r)
    for r in extra:
        archived.setdefault(r.url, r)
    for url, r in sorted(archived.items()):
        ok = [c for c in web.captures_of(url) if c.status == 200]
        assert len(ok) == 1, (url, ok)
        if url in live:
            web.archived_live_reports.append(replace(live[url], archived_at=ok[0].when))
            host = web.hosts[urlsplit(url).hostname or ""]
            if host.pages[url.split(host.name, 1)[1]].body != ok[0].body:
                web.archive_changed_urls.append(url)
        else:
            web.archive_only_reports.append(replace(r, archived_at=ok[0].when))
    seen = {c.urlkey: c for c in web.archive_captures}
    for cap in web.archive_captures:
        if cap.status in _REDIRECTS and cap.location and urlkey(cap.location) in seen:
            web.archive_redirects[cap.original] = cap.location
    statuses: dict[str, set[int]] = {}
    for cap in web.archive_captures:
        statuses.setdefault(cap.original, set()).add(cap.status)
    web.archive_404_urls = sorted(u for u, s in statuses.items() if s == {404})
