"""The fault-injection web: a few ordinary portals, and one portal per crawl-side attack or fault
scenario of the reliability review (issue 11; its list "Fault/attack scenarios the tests do not
cover yet", numbered as there), each on a registered domain of its own.

``build_fault_web()`` returns a :class:`~simweb.server.SimulatedWeb` whose ``faults`` say, for
each fault, what a crawl must record (a ``problems.kind`` and the row's URL), and whose
``expected_reports`` are every report the crawl must store all the same: the ordinary portals'
and the normal report most fault portals carry next to their fault. ``web.dns`` names the hosts
a test resolver must resolve to private addresses (scenario 3).

The crawl of this web is meant to run with a few settings small enough to keep it quick
(:data:`CRAWL_SETTINGS`): the faults are sized against them (a body inflating past
``DOWNLOAD_MAXSIZE``, a page past ``GOVCRAWL_MAX_PARSE_BYTES``, a hang past
``DOWNLOAD_TIMEOUT``, a Retry-After past ``GOVCRAWL_RETRY_BACKOFF_MAX``). Deterministic.

Not built here (left to component tests): 5, web-archive redirects out of scope
(tests/crawl/test_scope.py); 17, a burst of slow documents (the analysis pool's tests); the
conditional-refetch variant of 2; robots.txt behind a DNS error (every simulated name goes
through the proxy, which resolves it).
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .content import ReportSeries, esc
from .model import ExpectedReport, Page, SiteEntry
from .portals import news, report
from .server import SimulatedWeb
from .styles import Item, JcmsSite, PlainSite, SiteConfig, TrsSite

__all__ = ["CRAWL_SETTINGS", "Fault", "FaultPortal", "build_fault_web", "text_layer_pdf"]

D = dt.date

# What the faults are sized against; the ordinary pages stay far below each.
DOWNLOAD_MAXSIZE = 4 * 1024 * 1024
MAX_PARSE_BYTES = 1024 * 1024
DOWNLOAD_TIMEOUT = 4
BACKOFF_MAX = 2.0
CRAWL_SETTINGS: dict[str, str] = {
    "DOWNLOAD_MAXSIZE": str(DOWNLOAD_MAXSIZE),
    "GOVCRAWL_MAX_PARSE_BYTES": str(MAX_PARSE_BYTES),
    "DOWNLOAD_TIMEOUT": str(DOWNLOAD_TIMEOUT),
    "GOVCRAWL_RETRY_BACKOFF_MAX": str(BACKOFF_MAX),
}
HANG = DOWNLOAD_TIMEOUT + 3  # seconds a hanging server keeps the client waiting
ELSEWHERE = "http://127.0.0.2"  # where the SSRF faults try to send the crawler


@dataclass(frozen=True)
class Fault:
    """One injected fault and the trace a crawl must leave of it.

    ``number`` is the scenario's number in the audit's list; ``problem_kind`` the
    ``problems.kind`` row the crawl must record (``None``: nothing to record, the fault is
    survived silently — its report stored, its value cut …), for ``url`` exactly or any URL
    starting with ``url_prefix`` (neither: any row of that kind). ``never_requested``: URL
    prefixes no request may reach (the simulated web's log must not show them).
    """

    number: int
    name: str
    site_url: str
    description: str
    problem_kind: str | None
    url: str | None = None
    url_prefix: str | None = None
    never_requested: tuple[str, ...] = ()


# ============================================================================ fault portals
def _page_html(title: str, site_name: str, body: str, head: str = "") -> str:
    return (
        f'<!DOCTYPE html>\n<html><head><meta charset="utf-8">{head}'
        f"<title>{esc(title)}_{esc(site_name)}</title></head><body>"
        f'<div class="nav"><a href="/">首页</a></div>{body}</body></html>'
    )


class FaultPortal:
    """A bare portal (``www.<slug>.gov.cn``): a home page linking its reports and its fault
    pages, a robots.txt, a site-list row. Reports are linked by title (the crawler fetches them
    as reports); listings by a column name (fetched as lists, their links planned)."""

    def __init__(self, web: SimulatedWeb, series: ReportSeries, slug: str, region: str) -> None:
        self.web = web
        self.series = series
        self.host = f"www.{slug}.gov.cn"
        self.region = region
        self.site_name = f"{region}人民政府"
        self.links: list[tuple[str, str]] = []  # (href, text) on the home page
        web.host(self.host)

    def url(self, target: str, host: str | None = None) -> str:
        return f"http://{host or self.host}{target}"

    def title(self, year: int) -> str:
        return f"{self.region}{year}年政府信息公开工作年度报告"

    def link(self, href: str, text: str) -> None:
        self.links.append((href, text))

    def add(self, target: str, page: Page, text: str | None = None) -> str:
        """Serve ``page`` at ``target`` (linked from home with ``text`` when given)."""
        url = self.url(target)
        self.web.add_page(url, page)
        if text is not None:
            self.link(target, text)
        return url

    def report_html(self, year: int) -> tuple[str, Item]:
        """A generated report's page (its article in a bare layout) and its item."""
        item = report(self.series, year, self.region, "county", self.site_name)
        body = (
            f"<h1>{esc(item.title)}</h1><div class='info'>发布时间：{item.date:%Y-%m-%d} "
            f"来源：{esc(self.site_name)}</div><div class='content'>{item.body}</div>"
        )
        return _page_html(item.title, self.site_name, body), item

    def report(self, year: int, *, expected: bool = True) -> str:
        """A normal report at ``/ndbg/YEAR.html``, linked from home; expected (what must be
        stored whatever else the portal does) unless the host is never to be crawled."""
        html_text, item = self.report_html(year)
        url = self.add(f"/ndbg/{year}.html", Page(html_text.encode(), last_modified=item.date),
                       item.title)
        if expected:
            self.expect(url, item)
        return url

    def expect(self, url: str, item: Item, **kw: Any) -> ExpectedReport:
        """Record the report ``item`` served at ``url`` as ground truth (``kw``: the
        attachment fields of :class:`ExpectedReport`)."""
        assert item.year is not None
        expected = ExpectedReport(
            url=url, title=item.title, year=item.year, region=item.region,
            admin_level=item.level, agency=None, published=item.date, issuer=item.issuer,
            stats=item.stats, **kw,
        )
        self.web.expected_reports.append(expected)
        return expected

    def fault(self, number: int, name: str, description: str, problem_kind: str | None, *,
              url: str | None = None, url_prefix: str | None = None,
              never_requested: tuple[str, ...] = ()) -> None:
        self.web.faults.append(Fault(number, name, self.url("/"), description, problem_kind,
                                     url, url_prefix, never_requested))

    def build(self, *, robots: bytes | Page = b"User-agent: *\nDisallow: /admin/\n",
              name: str | None = None, region_code: str | None = None, **home_kw: Any) -> None:
        """Serve the home page (``home_kw``: its :class:`Page` options — a status, failures)
        and robots.txt; list the portal in the site list."""
        items = "".join(f'<li><a href="{href}">{esc(text)}</a></li>' for href, text in self.links)
        home = _page_html(self.site_name, self.site_name,
                          f"<h1>{esc(self.site_name)}</h1><ul class='list'>{items}</ul>")
        self.add("/", Page(home.encode(), last_modified=D(2024, 3, 1), **home_kw))
        if isinstance(robots, bytes):
            robots = Page(robots, content_type="text/plain", last_modified=D(2023, 6, 1))
        self.add("/robots.txt", robots)
        self.web.sites.append(SiteEntry(name or self.site_name, self.url("/"), "county",
                                        region_code))


# ---------------------------------------------------------------------------- scope / SSRF
def _redirect_after_retry(web: SimulatedWeb, series: ReportSeries) -> None:
    """1: a report link answering 503 once, then 302 to another host (an internal address);
    and one hanging past the download timeout once, then doing the same."""
    p = FaultPortal(web, series, "f01-redirect", "回转县")
    p.report(2022)
    for year, target, kw in (
        (2021, "/latest/meta-data/", {"fail_first": 1}),
        (2020, "/after-timeout/", {"delay": HANG, "delay_first": 1}),
    ):
        away = ELSEWHERE + target
        p.add(f"/ndbg/{year}.html", Page(b"<html><body>moved</body></html>", status=302,
                                         headers=[("Location", away)], **kw), p.title(year))
        what = "503 once" if "fail_first" in kw else f"hangs {HANG} s once"
        p.fault(1, f"redirect-after-{'retry' if 'fail_first' in kw else 'timeout'}",
                f"{what}, then 302 to {away}", "out_of_scope", url=away,
                never_requested=(ELSEWHERE,))
    p.build()


def _refresh_after_retry(web: SimulatedWeb, series: ReportSeries) -> None:
    """2: a report link answering 503 once, then a page whose meta refresh leads away."""
    p = FaultPortal(web, series, "f02-refresh", "刷新县")
    p.report(2022)
    away = f"{ELSEWHERE}/x"
    refresh = f'<meta http-equiv="refresh" content="0;url={away}">'
    p.add("/ndbg/2021.html", Page(_page_html("跳转", p.site_name, "<p>正在跳转</p>", refresh).encode(),
                                  fail_first=1), p.title(2021))
    p.fault(2, "refresh-after-retry", f"503 once, then <meta refresh> to {away}", "out_of_scope",
            url=away, never_requested=(ELSEWHERE,))
    p.build()


def _private_names(web: SimulatedWeb, series: ReportSeries) -> None:
    """3: in-scope host names resolving to a link-local (cloud metadata) or loopback address:
    a whole site, and one report host of an otherwise normal site."""
    whole = FaultPortal(web, series, "f03-metadata", "元数据县")
    whole.report(2022, expected=False)  # never fetched: the host resolves to 169.254.169.254
    web.dns[whole.host] = "169.254.169.254"
    whole.fault(3, "site-resolves-link-local", f"{whole.host} resolves to 169.254.169.254",
                "out_of_scope", url=whole.url("/"), never_requested=(whole.url("/"),))
    whole.build()

    p = FaultPortal(web, series, "f03-intranet", "内网县")
    p.report(2022)
    oa = "oa.f03-intranet.gov.cn"
    web.dns[oa] = "127.0.0.1"
    html_text, _ = p.report_html(2021)
    inner = p.url("/ndbg/2021.html", host=oa)
    web.add_page(inner, Page(html_text.encode()))
    p.link(inner, p.title(2021))
    p.fault(3, "link-resolves-loopback", f"a report on {oa}, which resolves to 127.0.0.1",
            "out_of_scope", url=inner, never_requested=(f"http://{oa}/",))
    p.build()


def _odd_ports(web: SimulatedWeb, series: ReportSeries) -> None:
    """4: in-scope report links on ports 22 (ssh) and 6379 (redis)."""
    p = FaultPortal(web, series, "f04-ports", "端口县")
    p.report(2022)
    for port, year in ((22, 2021), (6379, 2020)):
        url = p.url(f"/ndbg/{year}.html", host=f"{p.host}:{port}")
        html_text, _ = p.report_html(year)
        web.add_page(url, Page(html_text.encode()))
        p.link(url, p.title(year))
        p.fault(4, f"port-{port}", f"a report link on port {port}", "out_of_scope", url=url,
                never_requested=(f"http://{p.host}:{port}/",))
    p.build()


# ---------------------------------------------------------------------------- decompression
def _brotli(data: bytes) -> bytes:
    import brotli  # Scrapy's dependency for br

    return brotli.compress(data, quality=5)


def _zstd(data: bytes) -> bytes:
    try:
        from compression import zstd  # type: ignore[import-not-found]  # Python ≥ 3.14
    except ImportError:
        from backports import zstd  # type: ignore[import-not-found,no-redef]  # Scrapy's

    return zstd.compress(data)


def _bomb(html_text: str) -> bytes:
    """A page followed by twice DOWNLOAD_MAXSIZE of spaces (compresses to a few KiB)."""
    return html_text.encode() + b" " * (2 * DOWNLOAD_MAXSIZE)


def _encodings(web: SimulatedWeb, series: ReportSeries) -> None:
    """6: gzip and deflate bodies inflating past DOWNLOAD_MAXSIZE (the request is dropped,
    the raw body archived); reports sent ``br`` and ``zstd`` although the crawler asked for
    gzip and deflate only (decoded, stored; archived raw for reparse to read)."""
    p = FaultPortal(web, series, "f06-encodings", "压缩县")
    p.report(2023)
    for year, coding, encode in ((2022, "gzip", lambda b: gzip.compress(b, mtime=0)),
                                 (2021, "deflate", zlib.compress)):
        html_text, _ = p.report_html(year)
        url = p.add(f"/ndbg/{year}.html", Page(encode(_bomb(html_text)), content_encoding=coding),
                    p.title(year))
        p.fault(6, f"{coding}-bomb", f"{coding} body inflating to {2 * DOWNLOAD_MAXSIZE >> 20} MiB",
                "ignored", url=url)
    for year, coding, encode in ((2020, "br", _brotli), (2019, "zstd", _zstd)):
        html_text, item = p.report_html(year)
        url = p.add(f"/ndbg/{year}.html", Page(encode(html_text.encode()), content_encoding=coding,
                                               last_modified=item.date), item.title)
        p.expect(url, item)
        p.fault(6, f"{coding}-unasked", f"a report sent {coding} though not asked for", None, url=url)
    p.build()


# ---------------------------------------------------------------------------- main-thread CPU
def _hostile_pages(web: SimulatedWeb, series: ReportSeries) -> None:
    """9: pages that cost quadratic or exponential time to naive patterns, a page over the
    parse limit, a robots.txt of several MiB."""
    p = FaultPortal(web, series, "f09-cpu", "繁页县")
    p.report(2023)
    # C2: a report page opening with a run of comments and then no tag the sniffer knows
    html_text, item = p.report_html(2022)
    url = p.add("/ndbg/2022.html", Page(("<!---->" * 40 + '<link rel="stylesheet" href="/a.css">'
                                         + html_text).encode(), last_modified=item.date), item.title)
    p.expect(url, item)
    p.fault(9, "comment-run", "a report page opening with 40 comments and a <link>", None, url=url)
    column = "政府信息公开年报"
    # H2: a jcms datastore whose 10⁴ records are never closed, read as a list
    records = "<record><![CDATA[<li><a href='/art/1.html'>x</a></li>" * 10_000
    url = p.add("/col/col1/index.html",
                Page(_page_html(column, p.site_name, f"<script type='text/xml'><datastore>{records}"
                                "</datastore></script>").encode()), column)
    p.fault(9, "unclosed-records", "a list of 10⁴ unclosed jcms <record>s", None, url=url)
    # H2: one paragraph holding 10⁴ links (none a report)
    links = "".join(f"<a href='/l/{i}.html'>第{i}项</a>" for i in range(10_000))
    url = p.add("/col/col2/index.html",
                Page(_page_html(column, p.site_name, f"<p>{links}</p>").encode()), column)
    p.fault(9, "links-in-one-p", "a list with 10⁴ links in one <p>", None, url=url)
    # a page past GOVCRAWL_MAX_PARSE_BYTES: read in part, recorded
    filler = "<p>" + "政务公开。" * (MAX_PARSE_BYTES // 12) + "</p>"
    url = p.add("/col/col3/index.html", Page(_page_html(column, p.site_name, filler * 2).encode()),
                column)
    p.fault(9, "page-too-large", f"a list page of {2 * MAX_PARSE_BYTES >> 20}+ MiB",
            "page_too_large", url=url)
    # a robots.txt of 3 MiB (RFC 9309: at least 500 KiB are read; Protego runs on the reactor)
    rules = "".join(f"Disallow: /nothing/{i}/\n" for i in range(3 * 1024 * 1024 // 24))
    p.fault(9, "huge-robots", "a robots.txt of 3 MiB", None, url=p.url("/robots.txt"))
    p.build(robots=f"User-agent: *\n{rules}".encode())


# ---------------------------------------------------------------------------- database widths
def text_layer_pdf(lines: Sequence[str]) -> bytes:
    """A one-page PDF whose text layer reads ``lines`` exactly — NUL characters included,
    which no PDF writer keeps: each character is a one-byte code of a Helvetica font whose
    ToUnicode map names the character (at most 255 distinct characters)."""
    chars = sorted({c for line in lines for c in line} - {"\x00"})
    if len(chars) > 255:
        raise ValueError(f"{len(chars)} distinct characters: at most 255 fit one-byte codes")
    code = {"\x00": 0} | {c: i + 1 for i, c in enumerate(chars)}
    mapping = "".join(f"<{n:02X}> <{ord(c):04X}>\n" for c, n in code.items())
    cmap = (
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
        "/CMapName /Fault def /CMapType 2 def\n"
        "1 begincodespacerange <00> <FF> endcodespacerange\n"
        f"{len(code)} beginbfchar\n{mapping}endbfchar\n"
        "endcmap CMapName currentdict /CMap defineresource pop end end"
    ).encode()
    shown = "".join(f"<{''.join(f'{code[c]:02X}' for c in line)}> Tj T*\n" for line in lines)
    text = f"BT /F1 10 Tf 14 TL 40 800 Td\n{shown}ET".encode()
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R"
        b"/Resources<</Font<</F1 5 0 R>>>>>>",
        b"<</Length %d>>stream\n%s\nendstream" % (len(text), text),
        b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica/ToUnicode 6 0 R>>",
        b"<</Length %d>>stream\n%s\nendstream" % (len(cmap), cmap),
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    out.write(b"trailer<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def _long_values(web: SimulatedWeb, series: ReportSeries) -> None:
    """10: values longer than their columns (PostgreSQL refuses them, and one refused row
    used to fail the whole batch): over-long Content-Type, ETag and Last-Modified on a report;
    a report URL over 2,000 characters; NUL in a PDF report's text; a site-list row whose name
    and region code are too long."""
    p = FaultPortal(web, series, "f10-long-values", "长值县")
    p.report(2023)
    html_text, item = p.report_html(2022)
    content_type = "text/html; charset=utf-8; profile=" + "p" * 300
    modified = "Tue, 07 Feb 2023 09:30:00 GMT" + " (CST)" * 40
    page = Page(html_text.encode(), content_type=content_type,
                headers=[("Last-Modified", modified)])
    page.etag = '"' + "e" * 400 + '"'  # sent instead of the body's digest
    url = p.add("/ndbg/2022.html", page, item.title)
    p.expect(url, item)
    p.fault(10, "long-headers", f"a report with a {len(content_type)}-char Content-Type, "
            f"{len(page.etag)}-char ETag and {len(modified)}-char Last-Modified (columns: 200, "
            "300, 100)", None, url=url)
    html_text, item = p.report_html(2021)
    # past reports.url's 2,000 characters, within Scrapy's URLLENGTH_LIMIT (2,083: longer links
    # are dropped before any request)
    long_path = "/ndbg/" + "2021" * ((2040 - len(p.url("/ndbg/.html"))) // 4) + ".html"
    url = p.add(long_path, Page(html_text.encode(), last_modified=item.date), item.title)
    p.fault(10, "long-report-url", f"a report URL of {len(url)} characters (reports.url holds "
            "2,000)", "ignored", url=url, never_requested=(url,))
    title = p.title(2020)
    pdf = text_layer_pdf([title, "一、总体情况\x00本年度主动公开政府信息120条。",
                          "二、收到和处理政府信息公开申请情况\x00新收申请5件。"])
    url = p.add("/uploadfiles/2021/02/nul.pdf",
                Page(pdf, content_type="application/pdf", last_modified=D(2021, 2, 3)), title)
    p.expect(url, Item(title, D(2021, 2, 3), kind="report", year=2020, region=p.region,
                       level="county", issuer=p.site_name), attachments=(url,), source="attachment")
    p.fault(10, "nul-in-pdf-text", "a PDF report whose text holds NUL characters", None, url=url)
    p.build()

    csv = FaultPortal(web, series, "f10-long-csv", "超长县")
    csv.report(2022, expected=False)  # its site-list row is refused: never crawled
    csv.fault(10, "long-csv-row", "a site-list row with a 210-char name and a 30-char region code",
              "site_list", never_requested=(csv.url("/"),))
    csv.build(name=csv.site_name * 30, region_code="5" * 30)


# ---------------------------------------------------------------------------- politeness
_WAF_PAGE = (
    "<html><head><title>网站防火墙</title></head><body><h1>您的请求带有不合法参数，已被网站管理员"
    "设置拦截！</h1><p>网站防火墙 safedog</p></body></html>"
).encode()


def _robots_unreachable(web: SimulatedWeb, series: ReportSeries) -> None:
    """18: robots.txt answering 503, an anti-bot challenge (403) or nothing at all (hanging past
    the timeout): the host is not crawled (RFC 9309 §2.3.1.4)."""
    for slug, region, robots, what in (
        ("f18-robots-503", "停服县", Page(b"busy", status=503, content_type="text/plain"), "503"),
        ("f18-robots-waf", "防火县", Page(_WAF_PAGE, status=403), "a 403 safedog challenge"),
        ("f18-robots-hang", "挂起县", Page(b"User-agent: *\nDisallow:\n", content_type="text/plain",
                                          delay=HANG), f"nothing for {HANG} s"),
    ):
        p = FaultPortal(web, series, slug, region)
        p.report(2022, expected=False)  # the host is not crawled
        p.fault(18, slug.removeprefix("f18-"), f"robots.txt answers {what}", "robots_unavailable",
                url=p.url("/robots.txt"), never_requested=(p.url("/ndbg/"),))
        p.build(robots=robots)


def _rate_limited(web: SimulatedWeb, series: ReportSeries) -> None:
    """19: eight hosts answering every request 429 with ``Retry-After: 9999`` (the wait is
    capped; the other sites go on), one asking for -5 seconds, one for an HTTP date in
    ``-0000`` (both answered with the page on the retry)."""
    for n in range(1, 9):
        p = FaultPortal(web, series, f"f19-busy{n}", f"限流{'一二三四五六七八'[n - 1]}县")
        p.build(status=429, headers=[("Retry-After", "9999")])
        p.fault(19, f"busy-{n}", "every request answered 429, Retry-After: 9999", "http_error",
                url=p.url("/"))
    for slug, region, value in (
        ("f19-negative", "负数县", "-5"),
        ("f19-zoneless", "零区县", "Wed, 21 Oct 2037 07:28:00 -0000"),
    ):
        p = FaultPortal(web, series, slug, region)
        p.report(2022)
        p.build(fail_first=1, fail_status=429, retry_after=value)
        p.fault(19, slug.removeprefix("f19-"), f"home answers 429 once, Retry-After: {value}",
                None, url=p.url("/"))


# ============================================================================ ordinary portals
def _ordinary(series: ReportSeries) -> list[tuple[type, SiteConfig]]:
    """Three small portals in the common CMS styles (TRS, jcms, plain ASP)."""

    def county(host: str, region: str, code: str, years: Sequence[int], **kw: Any) -> SiteConfig:
        gov = f"{region}人民政府"
        return SiteConfig(
            host=host, site_name=gov, region=region, short=region[:-1], level="county",
            region_code=code, province=("河北省", "http://www.hebei.gov.cn/"),
            reports=[report(series, y, region, "county", gov) for y in years],
            news=news(region, 3, D(2024, 3, 1)), **kw,
        )

    return [
        (TrsSite, county("www.anping.gov.cn", "安平县", "131125", (2021, 2022, 2023), gzip=True,
                         ids=710000)),
        (JcmsSite, county("www.qingshui.gov.cn", "清水县", "620521", (2022, 2023), ids=720000)),
        (PlainSite, county("www.yongxing.gov.cn", "永兴县", "431023", (2022, 2023), ids=730000,
                           encoding="gbk", header_charset=False)),
    ]


FAULTS = (
    _redirect_after_retry,
    _refresh_after_retry,
    _private_names,
    _odd_ports,
    _encodings,
    _hostile_pages,
    _long_values,
    _robots_unreachable,
    _rate_limited,
)


def build_fault_web() -> SimulatedWeb:
    """Three ordinary portals and the fault portals (scenarios 1–4, 6, 9, 10, 18, 19 of the
    audit), every fault described in ``web.faults``. One-shot failures ask for no wait
    (``retry_after`` 0)."""
    web = SimulatedWeb("faults")
    web.retry_after = 0
    series = ReportSeries()
    for style, cfg in _ordinary(series):
        style(web, cfg).build()
    for add in FAULTS:
        add(web, series)
    return web
