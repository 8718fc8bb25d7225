"""CMS styles of the simulated portals: page layouts, URL schemes, list pagination, traps.

Each style class takes a :class:`SiteConfig` (what to publish) and registers prebuilt pages and
ground truth on a :class:`~simweb.server.SimulatedWeb`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, quote

from .content import esc
from .model import Attachment, ExpectedReport, Page, SiteEntry, VirtualHost
from .server import SimulatedWeb

__all__ = [
    "Item",
    "Unit",
    "Column",
    "SiteConfig",
    "TrsSite",
    "JcmsSite",
    "PlainSite",
    "PlatformSite",
    "SimpleSite",
]

STATIC_DATE = dt.datetime(2023, 6, 1, 8, 0)
SEARCH_WORD = "年度报告"
SEARCH_Q = quote(SEARCH_WORD)


@dataclass
class Item:
    """One entry of a list column and (usually) the page it links to.

    ``kind``: report | distractor | news | doc (served article pages); attachment (a PDF);
    dead (linked, answers 404); disallowed (served, but under a robots.txt Disallow);
    report_file (a report the list links as a document: ``attachments[0]``, at ``path``);
    file (a document that is not a report, linked from a list: ``attachments[0]``).
    ``attachments`` of an article page are served with it (its body links them);
    ``flags`` and ``held_in`` go to the report's ground truth (``ExpectedReport.flags`` and
    ``.source``).
    """

    title: str
    date: dt.date
    kind: str = "news"
    body: str = ""
    year: int | None = None
    region: str = ""
    level: str = ""
    agency: str | None = None
    issuer: str = ""
    source: str = ""
    stats: dict | None = None
    path: str | None = None  # forced path (attachments, dead links, disallowed pages)
    redirect_from: str | None = None  # list links here, 301 to url ("auto": show.asp?id=, plain style)
    time: str = "09:30"
    aid: int | None = None  # forced article id (URL schemes that carry one)
    url: str = ""  # final absolute URL (assigned by the style)
    href: str = ""  # href as written in the list (assigned by the style)
    modified: dt.datetime | None = None  # Last-Modified of a revised page (default: stamp)
    attachments: list[Attachment] = field(default_factory=list)
    flags: tuple[str, ...] = ()
    held_in: str = "page"  # page | attachment | page+attachment

    @property
    def stamp(self) -> dt.datetime:
        hh, mm = (int(x) for x in self.time.split(":"))
        return dt.datetime(self.date.year, self.date.month, self.date.day, hh, mm)


@dataclass
class Column:
    """A list column as built, kept so a revision can publish into it and re-render its lists.

    ``items`` is newest first (the jcms data proxy reads the same list object); ``place``
    assigns an item's URL the way this column's CMS does; ``render`` (re)registers the
    column's list page(s) from ``items`` and returns their URLs (aliases included).
    """

    key: str
    name: str
    crumbs: list[tuple[str, str]]
    items: list[Item]
    place: Callable[[Item], None]
    render: Callable[[], list[str]]


@dataclass
class Unit:
    """A unit of a disclosure platform (county government, township, department)."""

    name: str
    slug: str
    group: str  # 政府 | 乡镇街道 | 部门
    items: list[Item] = field(default_factory=list)
    intro: str = ""


@dataclass
class SiteConfig:
    """What one portal publishes and which quirks it has."""

    host: str
    site_name: str
    region: str
    short: str
    level: str | None
    region_code: str | None
    province: tuple[str, str]
    city: tuple[str, str] | None = None
    site_code: str = "0000000001"
    icp: str = "ICP备00000000号"
    reports: list[Item] = field(default_factory=list)  # the 年报 column
    townships: list[Item] = field(default_factory=list)  # the 乡镇 sub-column
    news: list[Item] = field(default_factory=list)
    finance: list[Item] = field(default_factory=list)  # 财政信息 column
    units: list[Unit] = field(default_factory=list)  # disclosure platform units
    services: list[Item] = field(default_factory=list)  # 办事服务 column (simple style)
    per_page: int = 10
    traps: tuple[str, ...] = ()
    robots_disallow: tuple[str, ...] = ("/admin/", "/cgi-bin/")
    robots: bool = True
    lookalike: bool = False
    flaky_list_page: int | None = None
    gzip: bool = False
    encoding: str = "utf-8"
    header_charset: bool = True
    server: str = "nginx"
    home_redirect: bool = False
    listed: bool = True
    ids: int = 500000
    column_id: int = 4521
    township_column_name: str = "乡镇政府信息公开年报"
    xxgk_host: str | None = None  # separate disclosure platform host linked from the nav
    report_size: str = "normal"


def _ymd(d: dt.date) -> str:
    return d.strftime("%Y-%m-%d")


def _chunks(items: list[Item], n: int) -> list[list[Item]]:
    if not items:
        return [[]]
    return [items[i : i + n] for i in range(0, len(items), n)]


def _newest(items: list[Item]) -> dt.datetime:
    return max((i.stamp for i in items), default=STATIC_DATE)


def _sorted(items: list[Item]) -> list[Item]:
    return sorted(items, key=lambda i: (i.stamp, i.title), reverse=True)


_TINY_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R"
    b"/Resources<</Font<</F1 5 0 R>>>>>>endobj\n"
    b"4 0 obj<</Length 58>>stream\nBT /F1 14 Tf 72 760 Td (Annual report on government information) Tj ET\nendstream endobj\n"
    b"5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)

_CSS = b"body{font:14px/1.6 'Microsoft YaHei',SimSun,sans-serif;margin:0}.nav a{color:#fff}.list li{line-height:32px}\n"


class BaseSite:
    """Shared machinery: page registration, robots.txt, 404, footers, traps, ground truth."""

    style = "base"
    css_path = "/css/style.css"

    def __init__(self, web: SimulatedWeb, cfg: SiteConfig) -> None:
        self.web = web
        self.cfg = cfg
        self.host = cfg.host
        self.vh: VirtualHost = web.host(
            cfg.host, gzip=cfg.gzip, server=cfg.server, encoding=cfg.encoding
        )
        self._next_id = cfg.ids
        self.articles: list[Item] = []  # every served article (for search results)
        #: re-renderable list columns by key ("reports", "townships", "news", "finance")
        self.columns: dict[str, Column] = {}
        #: served article URL -> (item, column name, crumbs): what re-rendering it needs
        self.served: dict[str, tuple[Item, str, list[tuple[str, str]]]] = {}

    # ------------------------------------------------------------ helpers
    def url(self, target: str) -> str:
        return f"http://{self.host}{target}"

    def new_id(self) -> int:
        self._next_id += 1 + (self._next_id * 7) % 13
        return self._next_id

    @property
    def content_type(self) -> str:
        if self.cfg.header_charset:
            return f"text/html; charset={self.cfg.encoding}"
        return "text/html"

    @property
    def meta_charset(self) -> str:
        if self.cfg.encoding == "gbk":
            return '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
        return '<meta http-equiv="Content-Type" content="text/html; charset=utf-8">'

    def make_page(
        self, html_text: str, last_modified: dt.datetime | dt.date | None = None, **kw
    ) -> Page:
        body = html_text.encode(self.cfg.encoding)  # strict: GBK pages must be encodable
        return Page(
            body, content_type=self.content_type, last_modified=last_modified or STATIC_DATE, **kw
        )

    def add(
        self,
        target: str,
        html_text: str,
        last_modified: dt.datetime | dt.date | None = None,
        *,
        aliases: tuple[str, ...] = (),
        **kw,
    ) -> Page:
        page = self.make_page(html_text, last_modified, **kw)
        self.web.add_page(self.url(target), page)
        for a in aliases:
            self.web.add_page(self.url(a), page)
        return page

    def add_dir(
        self,
        directory: str,
        html_text: str,
        last_modified: dt.datetime | dt.date | None = None,
        **kw,
    ) -> Page:
        """Serve ``dir/`` and ``dir/index.html``; ``dir`` (no slash) 301-redirects to ``dir/``."""
        page = self.add(
            directory + "index.html", html_text, last_modified, aliases=(directory,), **kw
        )
        if directory != "/":
            self.redirect(directory.rstrip("/"), self.url(directory), status=301, record=False)
        return page

    def redirect(
        self, target: str, location: str, *, status: int = 301, record: bool = True
    ) -> None:
        body = (
            f'<html><head><title>{status} Moved</title></head><body><a href="{location}">'
            f"{location}</a></body></html>"
        ).encode()
        page = Page(body, status=status, content_type="text/html", headers=[("Location", location)])
        self.web.add_page(self.url(target), page)
        if record:
            self.web.redirects[self.url(target)] = location

    def offsite(self, url: str) -> str:
        self.web.offsite_urls.add(url)
        return url

    # ------------------------------------------------------------ common blocks
    def footer(self) -> str:
        c = self.cfg
        links = [
            ("中国政府网", self.offsite("http://www.gov.cn/")),
            (f"{c.province[0]}人民政府", self.offsite(c.province[1])),
        ]
        if c.city:
            links.append((c.city[0], self.offsite(c.city[1])))
        if c.lookalike:
            links.append(
                (
                    "政府信息公开年报（镜像站）",
                    self.offsite(f"http://{c.host}.example.com/zwgk/zfxxgknb/index.html"),
                )
            )
        beian = self.offsite("https://beian.miit.gov.cn/")
        org = c.site_name if c.site_name.endswith("人民政府") else f"{c.region}人民政府"
        link_html = "　".join(f'<a href="{u}" target="_blank">{esc(t)}</a>' for t, u in links)
        return (
            '<div class="footer">\n'
            f'<div class="yqlj">相关链接：{link_html}</div>\n'
            f"<p>主办单位：{esc(org)}办公室　承办单位：{esc(c.short)}融媒体中心</p>\n"
            f'<p>网站标识码：{c.site_code}　<a href="{beian}" target="_blank">{esc(c.icp)}</a>　'
            f'<a href="mailto:webmaster@{c.host.removeprefix("www.")}">联系我们</a>　'
            '<a href="javascript:void(0)" onclick="addFavorite()">加入收藏</a></p>\n'
            "</div>"
        )

    def robots_txt(self) -> None:
        if not self.cfg.robots:
            return
        lines = ["User-agent: *"] + [f"Disallow: {p}" for p in self.cfg.robots_disallow] + [""]
        self.web.add_page(
            self.url("/robots.txt"),
            Page("\n".join(lines).encode(), content_type="text/plain", last_modified=STATIC_DATE),
        )

    def common(self) -> None:
        """robots.txt, stylesheet, 404 page, traps."""
        self.robots_txt()
        self.web.add_page(
            self.url(self.css_path), Page(_CSS, content_type="text/css", last_modified=STATIC_DATE)
        )
        nf = self.layout(
            "页面不存在",
            '<div class="err"><h2>404</h2><p>对不起，您访问的页面不存在或已被删除！</p>'
            '<p><a href="/">返回首页</a></p></div>',
            crumbs=[],
        )
        self.vh.not_found = Page(
            nf.encode(self.cfg.encoding), status=404, content_type=self.content_type
        )
        for trap in self.cfg.traps:
            getattr(self, f"_trap_{trap}")()

    # ------------------------------------------------------------ to override
    def layout(
        self,
        title: str,
        body: str,
        *,
        crumbs: list[tuple[str, str]],
        meta: str = "",
        column: str = "",
    ) -> str:
        raise NotImplementedError

    def site_meta(self, column: str = "") -> str:
        """The national site meta tags (SiteName, SiteDomain, SiteIDCode, ColumnName)."""
        c = self.cfg
        return (
            f'<meta name="SiteName" content="{esc(c.site_name)}">\n'
            f'<meta name="SiteDomain" content="{c.host}">\n'
            f'<meta name="SiteIDCode" content="{c.site_code}">'
            + (f'\n<meta name="ColumnName" content="{esc(column)}">' if column else "")
        )

    def trap_links(self) -> str:
        """Links into this site's traps, placed on section and column pages."""
        out = []
        if "calendar" in self.cfg.traps:
            out.append(f'<a href="{self.trap_url("calendar")}">政务日历</a>')
        if "search" in self.cfg.traps:
            out.append(f'热门搜索：<a href="{self.trap_url("search")}">{SEARCH_WORD}</a>')
        if "growing" in self.cfg.traps:
            out.append(f'<a href="{self.trap_url("growing")}">无障碍浏览</a>')
        return '<div class="tools">' + "　".join(out) + "</div>" if out else ""

    def trap_url(self, trap: str) -> str:
        return {
            "calendar": "/calendar/?date=2023-01-01",
            "search": f"/search/?q={SEARCH_Q}&page=1",
            "growing": "/module/wza/index.jsp?a=1",
            "repeat": "/xxgk/xxgk/index.html",
        }[trap]

    # ------------------------------------------------------------ article pages
    def article_meta(self, item: Item, column: str) -> str:
        c = self.cfg
        pub = f"{_ymd(item.date)} {item.time}"
        return (
            f'<meta name="SiteName" content="{esc(c.site_name)}">\n'
            f'<meta name="SiteDomain" content="{c.host}">\n'
            f'<meta name="SiteIDCode" content="{c.site_code}">\n'
            f'<meta name="ColumnName" content="{esc(column)}">\n'
            f'<meta name="ArticleTitle" content="{esc(item.title)}">\n'
            f'<meta name="PubDate" content="{pub}">\n'
            f'<meta name="ContentSource" content="{esc(item.source or item.issuer or c.site_name)}">'
        )

    def serve_item(
        self, item: Item, column: str, crumbs: list[tuple[str, str]]
    ) -> ExpectedReport | None:
        """Register the page behind a list item and its ground truth (returned for reports)."""
        if item.kind == "dead":
            self.web.dead_urls.add(item.url)
            return None
        if item.kind == "attachment":
            self.web.add_page(
                item.url, Page(_TINY_PDF, content_type="application/pdf", last_modified=item.stamp)
            )
            self.web.attachment_urls.add(item.url)
            return self.expect(item, (item.url,), "attachment")
        if item.kind in ("report_file", "file"):
            (doc,) = item.attachments
            assert self.url(doc.path) == item.url, (doc.path, item.url)
            self.serve_file(doc)
            if item.kind == "file":
                self.web.distractor_urls.add(item.url)
                return None
            return self.expect(item, (item.url,), "attachment")
        for doc in item.attachments:
            self.serve_file(doc)  # before the page that links it: the web may be serving
        self.served[item.url] = (item, column, crumbs)
        self.render_item(item)
        if item.redirect_from:
            self.redirect(item.redirect_from, item.url)
        expected = None
        if item.kind == "report":
            docs = tuple(self.url(doc.path) for doc in item.attachments)
            expected = self.expect(item, docs, item.held_in)
        elif item.kind == "distractor":
            self.web.distractor_urls.add(item.url)
        elif item.kind == "disallowed":
            self.web.robots_disallowed_urls.add(item.url)
        self.articles.append(item)
        return expected

    def serve_file(self, doc: Attachment) -> None:
        """Serve a document file of this site (and count it among the attachments)."""
        url = self.url(doc.path)
        self.web.add_page(url, doc.page())
        self.web.attachment_urls.add(url)

    def expect(self, item: Item, attachments: tuple[str, ...], source: str) -> ExpectedReport:
        """Record a served report item as ground truth."""
        assert item.year is not None
        expected = ExpectedReport(
            url=item.url,
            title=item.title,
            year=item.year,
            region=item.region,
            admin_level=item.level,
            agency=item.agency,
            published=item.date,
            issuer=item.issuer,
            stats=item.stats,
            attachments=attachments,
            flags=item.flags,
            source=source,
        )
        self.web.expected_reports.append(expected)
        return expected

    def render_item(self, item: Item) -> None:
        """(Re)register the article page of a served item from its current body."""
        _, column, crumbs = self.served[item.url]
        html_text = self.article_html(item, column, crumbs)
        self.web.add_page(item.url, self.make_page(html_text, item.modified or item.stamp))

    def publish(self, key: str, item: Item) -> tuple[ExpectedReport | None, list[str]]:
        """Publish a new item into column ``key`` as the CMS would: place it (a fresh id),
        serve its page, then re-render the column's list pages (their URLs are returned)."""
        col = self.columns[key]
        col.place(item)
        # forced ids (``aid``) of the bundled data may lie ahead of the id sequence
        while item.url in self.served or self.target(item.url) in self.vh.pages:
            item.aid = self.new_id()
            col.place(item)
        # the page is served before any list links it: the web may be serving meanwhile
        expected = self.serve_item(item, col.name, col.crumbs)
        col.items[:] = _sorted([*col.items, item])
        return expected, col.render()

    def target(self, url: str) -> str:
        """Origin-form target (path + query) of an absolute URL on this host."""
        return url.removeprefix(f"http://{self.host}") or "/"

    def article_html(self, item: Item, column: str, crumbs: list[tuple[str, str]]) -> str:
        raise NotImplementedError

    def site_entry(self) -> None:
        c = self.cfg
        if c.listed:
            self.web.sites.append(SiteEntry(c.site_name, self.url("/"), c.level, c.region_code))

    # ------------------------------------------------------------ traps
    def _dyn(self, html_text: str) -> Page:
        return self.make_page(html_text, STATIC_DATE)

    def _trap_calendar(self) -> None:
        self.web.trap_urls.add(self.url(self.trap_url("calendar")))

        def handler(vh: VirtualHost, path: str, query: str, headers: dict) -> Page | None:
            if path != "/calendar/":
                return None
            raw = (parse_qs(query).get("date") or ["2023-01-01"])[0]
            try:
                day = dt.date.fromisoformat(raw)
            except ValueError:
                day = dt.date(2023, 1, 1)
            prev_m = (day.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
            next_m = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
            links = [
                ("上一天", day - dt.timedelta(days=1)),
                ("下一天", day + dt.timedelta(days=1)),
                ("上个月", prev_m),
                ("下个月", next_m),
            ]
            nav = "　".join(f'<a href="/calendar/?date={d.isoformat()}">{t}</a>' for t, d in links)
            days = "".join(
                f'<td><a href="/calendar/?date={(day.replace(day=1) + dt.timedelta(days=i)).isoformat()}">{i + 1}</a></td>'
                + ("</tr><tr>" if i % 7 == 6 else "")
                for i in range(28)
            )
            body = (
                f'<div class="calendar"><h2>政务日历　{day.year}年{day.month}月{day.day}日</h2>'
                f'<div class="cal-nav">{nav}</div><table class="cal"><tr>{days}</tr></table>'
                "<p>当日暂无政务活动安排。</p></div>"
            )
            return self._dyn(
                self.layout(f"政务日历 {day.isoformat()}", body, crumbs=[("政务日历", "")])
            )

        self.vh.dynamic["/calendar/"] = handler

    def _trap_search(self) -> None:
        self.web.trap_urls.add(self.url(self.trap_url("search")))

        def handler(vh: VirtualHost, path: str, query: str, headers: dict) -> Page | None:
            if path not in ("/search/", "/search/index.html"):
                return None
            qs = parse_qs(query)
            q = (qs.get("q") or [""])[0]
            try:
                n = max(1, int((qs.get("page") or ["1"])[0]))
            except ValueError:
                n = 1
            pool = self.articles or [Item("首页", STATIC_DATE.date(), url=self.url("/"))]
            rows = []
            for k in range(10):
                it = pool[((n - 1) * 10 + k) % len(pool)]
                rows.append(
                    f'<li><a href="{it.url}" target="_blank">{esc(it.title)}</a>'
                    f"<span>{_ymd(it.date)}</span></li>"
                )
            qq = quote(q)
            pages = " ".join(
                f'<a href="/search/?q={qq}&page={p}">{p}</a>' for p in range(max(1, n - 2), n + 6)
            )
            body = (
                f'<div class="search-result"><p>搜索“{esc(q)}”，找到约 {9000 + n * 10} 条结果</p>'
                f'<ul>{"".join(rows)}</ul><div class="page">{pages} '
                f'<a href="/search/?q={qq}&page={n + 1}">下一页</a></div></div>'
            )
            return self._dyn(self.layout(f"搜索结果 - {q}", body, crumbs=[("站内搜索", "")]))

        self.vh.dynamic["/search/"] = handler

    def _trap_growing(self) -> None:
        self.web.trap_urls.add(self.url(self.trap_url("growing")))

        def handler(vh: VirtualHost, path: str, query: str, headers: dict) -> Page | None:
            if path != "/module/wza/index.jsp":
                return None
            sid = hashlib.md5(query.encode()).hexdigest()[:8]
            nxt = f"index.jsp?{query}&sid={sid}" if query else "index.jsp?a=1"
            body = (
                '<div class="wza"><h2>无障碍浏览</h2><p>已开启无障碍模式。</p>'
                f'<p><a href="{esc(nxt)}">切换辅助线</a>　<a href="{esc(nxt)}&amp;zoom=1">放大页面</a>'
                '　<a href="/">返回首页</a></p></div>'
            )
            return self._dyn(self.layout("无障碍浏览", body, crumbs=[("无障碍浏览", "")]))

        self.vh.dynamic["/module/wza/"] = handler

    def _trap_repeat(self) -> None:
        self.web.trap_urls.add(self.url(self.trap_url("repeat")))
        pat = re.compile(r"^(?:/xxgk){2,}/(?:index\.html)?$")

        def handler(vh: VirtualHost, path: str, query: str, headers: dict) -> Page | None:
            if not pat.match(path):
                return None
            return self._dyn(self.xxgk_index_html())

        self.vh.dynamic["/xxgk/xxgk/"] = handler

    def xxgk_index_html(self) -> str:
        raise NotImplementedError


# ================================================================================= TRS
_TRS_PAGE_JS = """<script type="text/javascript">
function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt){
  if(_nPageCount == null || _nPageCount <= 1){ return; }
  var nCurrIndex = _nCurrIndex || 0;
  if(nCurrIndex == 0){ document.write("<span class=\\"current\\">1</span>&nbsp;"); }
  else{ document.write("<a href=\\""+_sPageName+"."+_sPageExt+"\\">首页</a>&nbsp;");
        document.write("<a href=\\""+_sPageName+((nCurrIndex-1)>0?"_"+(nCurrIndex-1):"")+"."+_sPageExt+"\\">上一页</a>&nbsp;"); }
  for(var i = 1; i < _nPageCount; i++){
    if(nCurrIndex == i){ document.write("<span class=\\"current\\">"+(i+1)+"</span>&nbsp;"); }
    else{ document.write("<a href=\\""+_sPageName+"_"+i+"."+_sPageExt+"\\">"+(i+1)+"</a>&nbsp;"); }
  }
  if(nCurrIndex < _nPageCount-1){ document.write("<a href=\\""+_sPageName+"_"+(nCurrIndex+1)+"."+_sPageExt+"\\">下一页</a>"); }
}
</script>"""


class TrsSite(BaseSite):
    """TRS WCM: ``/zwgk/zfxxgknb/index_1.html`` pages, ``./YYYYMM/tYYYYMMDD_ID.html`` items,
    pagination only through ``createPageHTML(count, index, "index", "html")``."""

    style = "trs"
    css_path = "/images/style.css"
    column_dir = "/zwgk/zfxxgknb/"
    township_dir = "/zwgk/zfxxgknb/xzzfxxgknb/"

    def layout(
        self,
        title: str,
        body: str,
        *,
        crumbs: list[tuple[str, str]],
        meta: str = "",
        column: str = "",
    ) -> str:
        c = self.cfg
        meta = meta or self.site_meta(column)
        crumb_html = " &gt; ".join(
            ['<a href="/">首页</a>']
            + [f'<a href="{u}">{esc(t)}</a>' if u else esc(t) for t, u in crumbs]
        )
        full_title = f"{title}_{c.site_name}" if title != c.site_name else title
        return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
{self.meta_charset}
<meta http-equiv="X-UA-Compatible" content="IE=edge">
{meta}
<title>{esc(full_title)}</title>
<link href="{self.css_path}" rel="stylesheet" type="text/css" />
{_TRS_PAGE_JS if "createPageHTML(" in body else ""}
</head>
<body>
<div class="top"><div class="w1200"><span class="date"><script>document.write(new Date().toLocaleDateString());</script></span>
<a href="javascript:void(0)" onclick="SetHome(this,window.location)">设为首页</a> | <a href="javascript:void(0)">繁體</a></div></div>
<div class="header"><div class="logo"><a href="/"><span class="site-name">{esc(c.site_name)}</span></a></div>
<div class="search"><form action="/search/" method="get" target="_blank" name="searchform"><input type="text" name="q" value="" placeholder="请输入关键字" /><input type="submit" value="搜索" /></form></div></div>
<div class="nav"><ul>
<li><a href="/">首页</a></li>
<li><a href="/zwgk/">政务公开</a></li>
<li><a href="/xwdt/">新闻动态</a></li>
<li><a href="/bsfw/">办事服务</a></li>
<li><a href="/hdjl/">互动交流</a></li>
<li><a href="/zjxx/">走进{esc(c.short)}</a></li>
</ul></div>
<div class="position">您当前的位置：{crumb_html}</div>
<div class="main w1200">
{body}
</div>
{self.footer()}
</body>
</html>
"""

    def sidebar(self) -> str:
        return (
            '<div class="left"><h3>政务公开</h3><ul>'
            '<li><a href="/zwgk/zfxxgkzn/">政府信息公开指南</a></li>'
            '<li><a href="/zwgk/zfxxgkzd/">政府信息公开制度</a></li>'
            '<li><a href="/zwgk/fdzdgknr/">法定主动公开内容</a></li>'
            '<li><a href="/zwgk/ysqgk/">依申请公开</a></li>'
            "</ul>" + self.trap_links() + "</div>"
        )

    def item_paths(self, item: Item, directory: str) -> None:
        if item.path:
            item.url = self.url(item.path)
            item.href = item.path
            return
        aid = item.aid or self.new_id()
        rel = f"{item.date:%Y%m}/t{item.date:%Y%m%d}_{aid}.html"
        item.url = self.url(directory + rel)
        item.href = "./" + rel

    def list_block(self, items: list[Item]) -> str:
        lis = "\n".join(
            f'<li><a href="{it.href}" target="_blank" title="{esc(it.title)}">{esc(it.title)}</a>'
            f'<span class="date">{_ymd(it.date)}</span></li>'
            for it in items
        )
        return f'<ul class="list">\n{lis}\n</ul>'

    def column(
        self,
        directory: str,
        name: str,
        items: list[Item],
        crumbs: list[tuple[str, str]],
        *,
        tabs: str = "",
        per_page: int | None = None,
        key: str | None = None,
    ) -> None:
        items = _sorted(items)
        for it in items:
            self.item_paths(it, directory)

        def render() -> list[str]:
            pages = _chunks(items, per_page or self.cfg.per_page)
            urls: list[str] = []
            for i, chunk in enumerate(pages):
                body = (
                    f'{self.sidebar()}<div class="right"><div class="lm-title"><span>{esc(name)}</span></div>'
                    f"{tabs}{self.list_block(chunk)}\n"
                    f'<div class="page"><script>createPageHTML({len(pages)}, {i}, "index", "html");</script></div>'
                    "</div>"
                )
                html_text = self.layout(name, body, crumbs=crumbs, column=name)
                fail = 1 if self.cfg.flaky_list_page == i and directory == self.column_dir else 0
                if i == 0:
                    self.add_dir(directory, html_text, _newest(chunk), fail_first=fail)
                    urls += [self.url(f"{directory}index.html"), self.url(directory)]
                else:
                    target = f"{directory}index_{i}.html"
                    self.add(target, html_text, _newest(chunk), fail_first=fail)
                    urls.append(self.url(target))
            return urls

        col = Column(
            key or directory, name, crumbs, items, lambda it: self.item_paths(it, directory), render
        )
        self.columns[col.key] = col
        render()
        for it in items:
            self.serve_item(it, name, crumbs)

    def article_html(self, item: Item, column: str, crumbs: list[tuple[str, str]]) -> str:
        source = item.source or item.issuer or self.cfg.site_name
        body = f"""<div class="article">
<h1 class="title">{esc(item.title)}</h1>
<div class="info">发布时间：{_ymd(item.date)} {item.time}　来源：{esc(source)}　浏览次数：<span id="visit">--</span>　【字体：<a href="javascript:doZoom(18)">大</a> <a href="javascript:doZoom(16)">中</a> <a href="javascript:doZoom(14)">小</a>】</div>
<div class="TRS_Editor" id="zoom">
{item.body}
</div>
<div class="print">【<a href="javascript:window.print()">打印本页</a>】【<a href="javascript:window.close()">关闭窗口</a>】</div>
</div>"""
        return self.layout(item.title, body, crumbs=crumbs, meta=self.article_meta(item, column))

    def stub(self, directory: str, title: str, text: str, crumbs: list[tuple[str, str]]) -> None:
        body = f'{self.sidebar()}<div class="right"><div class="lm-title"><span>{esc(title)}</span></div><div class="content"><p>{esc(text)}</p></div></div>'
        self.add_dir(directory, self.layout(title, body, crumbs=crumbs, column=title))

    def build(self) -> None:
        c = self.cfg
        self.common()
        zwgk = [("政务公开", "/zwgk/")]
        fdzd = zwgk + [("法定主动公开内容", "/zwgk/fdzdgknr/")]
        nb = fdzd + [("政府信息公开年报", self.column_dir)]
        tabs = ""
        if c.townships:
            tabs = (
                f'<div class="tabs"><a class="on" href="{self.column_dir}">县政府及部门</a>'
                f'<a href="{self.township_dir}">{esc(c.township_column_name)}</a></div>'
            )
        self.column(self.column_dir, "政府信息公开年报", c.reports, nb, tabs=tabs, key="reports")
        if c.townships:
            self.column(
                self.township_dir,
                c.township_column_name,
                c.townships,
                nb + [(c.township_column_name, self.township_dir)],
                key="townships",
            )
        if c.finance:
            self.column(
                "/zwgk/fdzdgknr/czxx/",
                "财政信息",
                c.finance,
                fdzd + [("财政信息", "/zwgk/fdzdgknr/czxx/")],
                key="finance",
            )
        else:
            self.stub("/zwgk/fdzdgknr/czxx/", "财政信息", "暂无信息。", fdzd + [("财政信息", "")])
        self.column(
            "/xwdt/", "新闻动态", c.news, [("新闻动态", "/xwdt/")], per_page=15, key="news"
        )
        # section pages
        sub = [
            ("机构职能", "/zwgk/fdzdgknr/jgzn/"),
            ("政策文件", "/zwgk/fdzdgknr/zcwj/"),
            ("规划计划", "/zwgk/fdzdgknr/ghjh/"),
            ("财政信息", "/zwgk/fdzdgknr/czxx/"),
            ("政府信息公开年报", self.column_dir + "index.html"),
            ("统计信息", "/zwgk/fdzdgknr/tjxx/"),
        ]
        grid = "".join(f'<li><a href="{u}">{esc(t)}</a></li>' for t, u in sub)
        self.add_dir(
            "/zwgk/fdzdgknr/",
            self.layout(
                "法定主动公开内容",
                f'{self.sidebar()}<div class="right"><div class="lm-title"><span>法定主动公开内容</span></div>'
                f'<ul class="grid">{grid}</ul></div>',
                crumbs=fdzd,
                column="法定主动公开内容",
            ),
        )
        for t, u in sub:
            if u.startswith("/zwgk/fdzdgknr/") and u != "/zwgk/fdzdgknr/czxx/":
                self.stub(u, t, f"{c.site_name}{t}相关信息。", fdzd + [(t, "")])
        latest = _sorted(c.news)[:5]
        news_lis = "".join(
            f'<li><a href="{it.url}">{esc(it.title)}</a><span>{_ymd(it.date)}</span></li>'
            for it in latest
        )
        self.add_dir(
            "/zwgk/",
            self.layout(
                "政务公开",
                f'{self.sidebar()}<div class="right"><div class="lm-title"><span>政务公开</span></div>'
                f'<p>{esc(c.site_name)}政府信息公开专栏。</p><h4>最新动态</h4><ul class="list">{news_lis}</ul></div>',
                crumbs=zwgk,
                column="政务公开",
            ),
            _newest(c.news),
        )
        self.stub(
            "/zwgk/zfxxgkzn/",
            "政府信息公开指南",
            f"为了更好地提供政府信息公开服务，编制{c.site_name}政府信息公开指南。",
            zwgk + [("政府信息公开指南", "")],
        )
        self.stub(
            "/zwgk/zfxxgkzd/",
            "政府信息公开制度",
            "政府信息公开保密审查制度、依申请公开工作制度等。",
            zwgk + [("政府信息公开制度", "")],
        )
        self.stub(
            "/zwgk/ysqgk/",
            "依申请公开",
            "公民、法人或者其他组织可以向本机关申请获取政府信息。",
            zwgk + [("依申请公开", "")],
        )
        self.stub("/bsfw/", "办事服务", "个人办事、法人办事、部门服务。", [("办事服务", "")])
        self.stub("/hdjl/", "互动交流", "县长信箱、在线访谈、意见征集。", [("互动交流", "")])
        self.stub("/zjxx/", f"走进{c.short}", f"{c.region}概况。", [(f"走进{c.short}", "")])
        # home
        home = (
            f'<div class="focus"><h3>要闻动态</h3><ul class="list">{news_lis}</ul><a class="more" href="/xwdt/">更多&gt;&gt;</a></div>'
            '<div class="zwgk-box"><h3>政务公开</h3><ul><li><a href="/zwgk/zfxxgkzn/">政府信息公开指南</a></li>'
            '<li><a href="/zwgk/fdzdgknr/">法定主动公开内容</a></li><li><a href="/zwgk/">更多</a></li></ul></div>'
            '<div class="bsfw-box"><h3>办事服务</h3><a href="/bsfw/">网上办事大厅</a></div>'
        )
        self.add_dir("/", self.layout(c.site_name, home, crumbs=[]), _newest(c.news))
        self.site_entry()


# ================================================================================= jcms
class JcmsSite(BaseSite):
    """Hanweb jcms: ``/col/colN/index.html`` lists whose items sit only in
    ``<script type="text/xml"><datastore>…<record><![CDATA[<li>…]]></record>``;
    articles at ``/art/Y/M/D/art_C_A.html``."""

    style = "jcms"
    css_path = "/css/base.css"
    COL_ZWGK, COL_NEWS, COL_BSFW, COL_HDJL = 4501, 4502, 4503, 4504
    COL_GUIDE, COL_RULES, COL_FDZD = 4511, 4512, 4513

    def layout(
        self,
        title: str,
        body: str,
        *,
        crumbs: list[tuple[str, str]],
        meta: str = "",
        column: str = "",
    ) -> str:
        c = self.cfg
        meta = meta or self.site_meta(column)
        crumb_html = " &gt; ".join(
            ['<a href="/index.html">首页</a>']
            + [f'<a href="{u}">{esc(t)}</a>' if u else esc(t) for t, u in crumbs]
        )
        head_title = f"{c.site_name} {title}" if title != c.site_name else title
        tools = (
            f'<a href="{self.trap_url("growing")}">无障碍浏览</a>' if "growing" in c.traps else ""
        )
        return f"""<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
{meta}
<title>{esc(head_title)}</title>
<link rel="stylesheet" href="{self.css_path}">
<script type="text/javascript" src="/script/jquery.min.js"></script>
</head>
<body>
<div class="topbar"><div class="container">欢迎访问{esc(c.site_name)}门户网站　<a href="javascript:;" id="StranLink">繁體</a>　{tools}</div></div>
<div class="header"><div class="container"><a href="/index.html" class="logo">{esc(c.site_name)}</a>
<form action="/jrobot/search.do" method="get" target="_blank"><input name="q" type="text"><input type="submit" value="搜索"></form></div></div>
<div class="mainnav"><div class="container"><ul>
<li><a href="/index.html">首页</a></li>
<li><a href="/col/col{self.COL_ZWGK}/index.html">政务公开</a></li>
<li><a href="/col/col{self.COL_NEWS}/index.html">新闻中心</a></li>
<li><a href="/col/col{self.COL_BSFW}/index.html">办事服务</a></li>
<li><a href="/col/col{self.COL_HDJL}/index.html">互动交流</a></li>
</ul></div></div>
<div class="container"><div class="bt-position">当前位置：{crumb_html}</div>
{body}
</div>
{self.footer()}
</body>
</html>
"""

    def item_paths(self, item: Item, col: int) -> None:
        if item.path:
            item.url, item.href = self.url(item.path), item.path
            return
        aid = item.aid or self.new_id()
        p = f"/art/{item.date.year}/{item.date.month}/{item.date.day}/art_{col}_{aid}.html"
        item.url, item.href = self.url(p), p

    def records(self, items: list[Item]) -> str:
        out = []
        for it in items:
            short = it.title if len(it.title) <= 26 else it.title[:25] + "..."
            out.append(
                f'<record><![CDATA[\n<li><a href="{it.href}" title="{esc(it.title)}" target="_blank">'
                f"{esc(short)}</a><span>{_ymd(it.date)}</span></li>\n]]></record>"
            )
        return "\n".join(out)

    def unit_id(self, col: int) -> int:
        return 10000 + col * 3

    def datastore(self, col: int, items: list[Item]) -> str:
        uid = self.unit_id(col)
        proxy = (
            f"/module/web/jpage/dataproxy.jsp?page=1&webid=1&path=/&columnid={col}"
            f"&unitid={uid}&webname={quote(self.cfg.site_name)}&permissiontype=0"
        )
        return f"""<div id="{uid}"><script type="text/xml"><datastore>
<nextgroup><![CDATA[<a href="{proxy}"></a>]]></nextgroup>
<recordset>
{self.records(items)}
</recordset>
</datastore></script>
<script type="text/javascript">$(function(){{ if(window.JPage){{ new JPage({{ id:"{uid}", perPage:15, totalRecord:{len(items)}, groupSize:3, proxyUrl:"/module/web/jpage/dataproxy.jsp" }}); }} }});</script></div>"""

    def sidebar(self) -> str:
        cols = [
            ("政府信息公开指南", self.COL_GUIDE),
            ("政府信息公开制度", self.COL_RULES),
            ("法定主动公开内容", self.COL_FDZD),
            ("政府信息公开年报", self.cfg.column_id),
        ]
        lis = "".join(f'<li><a href="/col/col{n}/index.html">{esc(t)}</a></li>' for t, n in cols)
        return f'<div class="left-nav"><h3>政务公开</h3><ul>{lis}</ul></div>'

    def column(
        self,
        col: int,
        name: str,
        items: list[Item],
        crumbs: list[tuple[str, str]],
        tabs: str = "",
        *,
        key: str | None = None,
    ) -> None:
        items = _sorted(items)
        for it in items:
            self.item_paths(it, col)
        # the data proxy reads this very list, so a publish (in place) shows there too
        self._stores[col] = items

        def render() -> list[str]:
            body = (
                f'{self.sidebar()}<div class="right-box"><div class="lm-name">{esc(name)}</div>{tabs}'
                f'<div class="list-box"><ul class="list" id="list_{col}"></ul>{self.datastore(col, items)}</div></div>'
            )
            target = f"/col/col{col}/index.html"
            self.add(target, self.layout(name, body, crumbs=crumbs, column=name), _newest(items))
            return [self.url(target)]

        entry = Column(
            key or str(col), name, crumbs, items, lambda it: self.item_paths(it, col), render
        )
        self.columns[entry.key] = entry
        render()
        for it in items:
            self.serve_item(it, name, crumbs)

    def stub(
        self, col: int, name: str, text: str, crumbs: list[tuple[str, str]], links: str = ""
    ) -> None:
        body = f'{self.sidebar()}<div class="right-box"><div class="lm-name">{esc(name)}</div><div class="content"><p>{esc(text)}</p>{links}</div></div>'
        self.add(f"/col/col{col}/index.html", self.layout(name, body, crumbs=crumbs, column=name))

    def article_html(self, item: Item, column: str, crumbs: list[tuple[str, str]]) -> str:
        source = item.source or item.issuer or self.cfg.site_name
        aid = item.url.rsplit("_", 1)[-1].split(".")[0]
        col = item.url.rsplit("/", 1)[-1].split("_")[1] if "/art/" in item.url else "0"
        body = f"""<div class="main-txt">
<table width="100%" border="0" cellspacing="0" cellpadding="0">
<tr><td class="title" align="center"><h1>{esc(item.title)}</h1></td></tr>
<tr><td class="info" align="center">发布日期：{_ymd(item.date)}　信息来源：{esc(source)}　浏览次数：<script language="javascript" src="/module/visitcount/articlehits.jsp?colid={col}&amp;artid={aid}"></script>　字号：[ <a href="javascript:doZoom(20)">大</a> <a href="javascript:doZoom(16)">中</a> <a href="javascript:doZoom(12)">小</a> ]</td></tr>
<tr><td><div id="zoom"><!--ZJEG_RSS.content.begin--><meta name="ContentStart">
{item.body}
<meta name="ContentEnd"><!--ZJEG_RSS.content.end--></div></td></tr>
</table>
<div class="print"><a href="javascript:window.print()">打印本页</a>　<a href="javascript:window.opener=null;window.close()">关闭窗口</a></div>
</div>"""
        return self.layout(item.title, body, crumbs=crumbs, meta=self.article_meta(item, column))

    def _hits(self, vh: VirtualHost, path: str, query: str, headers: dict) -> Page | None:
        if path != "/module/visitcount/articlehits.jsp":
            return None
        n = hash_short(query) % 3000 + 37
        return Page(
            f'document.write("{n}");'.encode(),
            content_type="application/javascript",
            last_modified=STATIC_DATE,
        )

    def _dataproxy(self, vh: VirtualHost, path: str, query: str, headers: dict) -> Page | None:
        if path != "/module/web/jpage/dataproxy.jsp":
            return None
        try:
            col = int((parse_qs(query).get("columnid") or ["0"])[0])
        except ValueError:
            col = 0
        items = self._stores.get(col, [])
        xml = (
            f'<?xml version="1.0" encoding="UTF-8"?><datastore><totalrecord>{len(items)}</totalrecord>'
            f"<recordset>{self.records(items)}</recordset></datastore>"
        )
        return Page(
            xml.encode(), content_type="text/xml; charset=utf-8", last_modified=_newest(items)
        )

    def build(self) -> None:
        c = self.cfg
        self._stores: dict[int, list[Item]] = {}
        self.common()
        self.vh.dynamic["/module/web/jpage/"] = self._dataproxy
        self.vh.dynamic["/module/visitcount/"] = self._hits
        self.web.add_page(
            self.url("/script/jquery.min.js"),
            Page(
                b"/*! jQuery stub */window.jQuery=window.$=function(f){};\n",
                content_type="application/javascript",
                last_modified=STATIC_DATE,
            ),
        )
        zwgk = [("政务公开", f"/col/col{self.COL_ZWGK}/index.html")]
        nb_col = c.column_id
        tw_col = nb_col + 1
        nb = zwgk + [("政府信息公开年报", f"/col/col{nb_col}/index.html")]
        tabs = ""
        if c.townships:
            tabs = (
                f'<div class="sub-tabs"><a class="on" href="/col/col{nb_col}/index.html">县政府及部门</a>'
                f'<a href="/col/col{tw_col}/index.html">{esc(c.township_column_name)}</a></div>'
            )
        trap = self.trap_links()
        self.column(nb_col, "政府信息公开年报", c.reports, nb, tabs=tabs + trap, key="reports")
        if c.townships:
            self.column(
                tw_col,
                c.township_column_name,
                c.townships,
                nb + [(c.township_column_name, f"/col/col{tw_col}/index.html")],
                tabs=trap,
                key="townships",
            )
        self.column(
            self.COL_NEWS,
            "新闻中心",
            c.news,
            [("新闻中心", f"/col/col{self.COL_NEWS}/index.html")],
            key="news",
        )
        fd_links = ""
        if c.finance:
            self.column(
                4531,
                "财政预决算",
                c.finance,
                zwgk + [("财政预决算", "/col/col4531/index.html")],
                key="finance",
            )
            fd_links = '<ul><li><a href="/col/col4531/index.html">财政预决算</a></li></ul>'
        self.stub(
            self.COL_FDZD,
            "法定主动公开内容",
            "机构职能、政策文件、规划计划、财政预决算、统计信息。",
            zwgk + [("法定主动公开内容", "")],
            fd_links,
        )
        self.stub(
            self.COL_GUIDE,
            "政府信息公开指南",
            f"{c.site_name}政府信息公开指南。",
            zwgk + [("政府信息公开指南", "")],
        )
        self.stub(
            self.COL_RULES,
            "政府信息公开制度",
            "政府信息公开保密审查制度。",
            zwgk + [("政府信息公开制度", "")],
        )
        self.stub(self.COL_BSFW, "办事服务", "个人办事、法人办事。", [("办事服务", "")])
        self.stub(self.COL_HDJL, "互动交流", "县长信箱、网上调查、意见征集。", [("互动交流", "")])
        cols = [
            ("政府信息公开指南", self.COL_GUIDE),
            ("政府信息公开制度", self.COL_RULES),
            ("法定主动公开内容", self.COL_FDZD),
            ("政府信息公开年报", nb_col),
        ]
        if c.townships:
            cols.append((c.township_column_name, tw_col))
        grid = "".join(f'<li><a href="/col/col{n}/index.html">{esc(t)}</a></li>' for t, n in cols)
        self.add(
            f"/col/col{self.COL_ZWGK}/index.html",
            self.layout(
                "政务公开",
                f'<div class="zwgk-nav"><ul>{grid}</ul></div>{trap}',
                crumbs=zwgk,
                column="政务公开",
            ),
        )
        latest = _sorted(c.news)[:6]
        news = "".join(
            f'<li><a href="{it.href}" target="_blank">{esc(it.title)}</a><span>{_ymd(it.date)}</span></li>'
            for it in latest
        )
        home = (
            f'<div class="news-box"><h3>{esc(c.short)}要闻</h3><ul>{news}</ul>'
            f'<a href="/col/col{self.COL_NEWS}/index.html" class="more">更多</a></div>'
            f'<div class="gk-box"><h3>政务公开</h3><a href="/col/col{self.COL_ZWGK}/index.html">进入政务公开</a></div>'
        )
        html_text = self.layout(c.site_name, home, crumbs=[])
        self.add("/index.html", html_text, _newest(c.news), aliases=("/",))
        self.site_entry()


# ================================================================================= plain ASP
class PlainSite(BaseSite):
    """An old ASP site: ``list.asp?page=N`` with 首页/上一页/下一页/尾页 links, relative item links
    ``content_ID.html``; optionally gb2312-declared GBK pages without a charset header."""

    style = "plain"
    css_path = "/css/style.css"
    list_dir = "/xxgk/ndbg/"

    def layout(
        self,
        title: str,
        body: str,
        *,
        crumbs: list[tuple[str, str]],
        meta: str = "",
        column: str = "",
    ) -> str:
        c = self.cfg
        crumb_html = " &gt;&gt; ".join(
            ['<a href="/">首页</a>']
            + [f'<a href="{u}">{esc(t)}</a>' if u else esc(t) for t, u in crumbs]
        )
        return f"""<html>
<head>
{self.meta_charset}
{meta}
<title>{esc(c.site_name)}--{esc(title)}</title>
<link href="{self.css_path}" rel="stylesheet" type="text/css">
</head>
<body topmargin="0" leftmargin="0">
<table width="1000" border="0" align="center" cellpadding="0" cellspacing="0">
<tr><td class="top" height="120"><font size="6">{esc(c.site_name)}</font></td></tr>
<tr><td class="nav" height="36" align="center">
<a href="/">首　页</a> | <a href="/xxgk/index.html">信息公开</a> | <a href="/news/list.asp?page=1">新闻中心</a> | <a href="/bsfw/index.html">办事服务</a> | <a href="/hdjl/index.html">互动交流</a>
</td></tr>
<tr><td class="position" height="30">您现在的位置：{crumb_html}</td></tr>
</table>
<table width="1000" border="0" align="center" cellpadding="0" cellspacing="0"><tr><td valign="top">
{body}
</td></tr></table>
<table width="1000" border="0" align="center"><tr><td align="center">
{self.footer()}
</td></tr></table>
</body>
</html>
"""

    def item_paths(self, item: Item, directory: str) -> None:
        if item.path:
            item.url = self.url(item.path)
            item.href = item.path
            return
        aid = item.aid or self.new_id()
        item.url = self.url(f"{directory}content_{aid}.html")
        item.href = f"content_{aid}.html"
        if item.redirect_from == "auto":
            item.redirect_from = f"{directory}show.asp?id={aid}"
            item.href = f"show.asp?id={aid}"

    def pager(self, n: int, total: int, count: int) -> str:
        parts = [f"共{count}条记录　第{n}/{total}页　"]
        parts.append('<a href="list.asp?page=1">首页</a>' if n > 1 else "首页")
        parts.append(f'<a href="list.asp?page={n - 1}">上一页</a>' if n > 1 else "上一页")
        for p in range(1, total + 1):
            parts.append(f"<b>{p}</b>" if p == n else f'<a href="list.asp?page={p}">{p}</a>')
        parts.append(f'<a href="list.asp?page={n + 1}">下一页</a>' if n < total else "下一页")
        parts.append(f'<a href="list.asp?page={total}">尾页</a>' if n < total else "尾页")
        return '<div class="page">' + " ".join(parts) + "</div>"

    def sidebar(self) -> str:
        out = (
            '<td width="220" valign="top" class="left"><div class="lm">信息公开</div><ul>'
            '<li>·<a href="/xxgk/zn.html">信息公开指南</a></li>'
            '<li>·<a href="/xxgk/ml.html">信息公开目录</a></li>'
            f'<li>·<a href="{self.list_dir}list.asp?page=1">信息公开年报</a></li>'
            '<li>·<a href="/xxgk/ysq.html">依申请公开</a></li>'
        )
        if "repeat" in self.cfg.traps:
            out += '<li>·<a href="../xxgk/index.html">信息公开首页</a></li>'
        return out + "</ul></td>"

    def column(
        self,
        directory: str,
        name: str,
        items: list[Item],
        crumbs: list[tuple[str, str]],
        *,
        sidebar: bool = True,
        key: str | None = None,
    ) -> None:
        items = _sorted(items)
        for it in items:
            self.item_paths(it, directory)

        def render() -> list[str]:
            pages = _chunks(items, self.cfg.per_page)
            urls: list[str] = []
            for i, chunk in enumerate(pages, start=1):
                rows = "\n".join(
                    f'<tr><td height="28">·<a href="{it.href}" target="_blank">{esc(it.title)}</a></td>'
                    f'<td width="100" align="right">{_ymd(it.date)}</td></tr>'
                    for it in chunk
                )
                main = (
                    f'<td valign="top" class="right"><div class="lm">{esc(name)}</div>'
                    f'<table width="100%" class="list">\n{rows}\n</table>{self.pager(i, len(pages), len(items))}</td>'
                )
                body = (
                    '<table width="100%"><tr>'
                    + (self.sidebar() if sidebar else "")
                    + main
                    + "</tr></table>"
                )
                fail = 1 if self.cfg.flaky_list_page == i - 1 and directory == self.list_dir else 0
                aliases = (f"{directory}list.asp",) if i == 1 else ()
                target = f"{directory}list.asp?page={i}"
                self.add(
                    target,
                    self.layout(name, body, crumbs=crumbs),
                    _newest(chunk),
                    aliases=aliases,
                    fail_first=fail,
                )
                urls += [self.url(target), *(self.url(a) for a in aliases)]
            return urls

        col = Column(
            key or directory, name, crumbs, items, lambda it: self.item_paths(it, directory), render
        )
        self.columns[col.key] = col
        render()
        for it in items:
            self.serve_item(it, name, crumbs)

    def article_html(self, item: Item, column: str, crumbs: list[tuple[str, str]]) -> str:
        source = item.source or item.issuer or self.cfg.site_name
        body = f"""<table width="100%" border="0" cellpadding="0" cellspacing="0" class="article">
<tr><td align="center" class="title" height="60"><b><font size="4">{esc(item.title)}</font></b></td></tr>
<tr><td align="center" class="info">发布时间：{item.date.year}年{item.date.month}月{item.date.day}日　来源：{esc(source)}　【<a href="javascript:window.print()">打印</a>】【<a href="javascript:window.close()">关闭</a>】</td></tr>
<tr><td class="content">
{item.body}
</td></tr>
</table>"""
        return self.layout(item.title, body, crumbs=crumbs)

    def xxgk_index_html(self) -> str:
        links = [
            ("信息公开指南", "/xxgk/zn.html"),
            ("信息公开目录", "/xxgk/ml.html"),
            ("信息公开年报", "ndbg/list.asp?page=1"),
            ("依申请公开", "/xxgk/ysq.html"),
        ]
        lis = "".join(f'<li>·<a href="{u}">{esc(t)}</a></li>' for t, u in links)
        if "repeat" in self.cfg.traps:
            lis += '<li>·<a href="xxgk/index.html">信息公开</a></li>'
        body = f'<div class="lm">信息公开</div><ul class="xxgk">{lis}</ul>'
        return self.layout("信息公开", body, crumbs=[("信息公开", "/xxgk/index.html")])

    def stub(self, target: str, title: str, text: str, crumbs: list[tuple[str, str]]) -> None:
        self.add(
            target,
            self.layout(
                title, f'<div class="lm">{esc(title)}</div><p>{esc(text)}</p>', crumbs=crumbs
            ),
        )

    def build(self) -> None:
        c = self.cfg
        self.common()
        xxgk = [("信息公开", "/xxgk/index.html")]
        self.column(
            self.list_dir,
            "信息公开年报",
            c.reports + c.townships,
            xxgk + [("信息公开年报", self.list_dir + "list.asp?page=1")],
            key="reports",
        )
        self.column(
            "/news/",
            "新闻中心",
            c.news,
            [("新闻中心", "/news/list.asp?page=1")],
            sidebar=False,
            key="news",
        )
        if c.finance:
            self.column(
                "/xxgk/czzj/",
                "财政资金",
                c.finance,
                xxgk + [("财政资金", "/xxgk/czzj/list.asp?page=1")],
                key="finance",
            )
        self.add("/xxgk/index.html", self.xxgk_index_html(), aliases=("/xxgk/",))
        self.stub(
            "/xxgk/zn.html",
            "信息公开指南",
            f"{c.site_name}政府信息公开指南。",
            xxgk + [("信息公开指南", "")],
        )
        self.stub(
            "/xxgk/ml.html",
            "信息公开目录",
            "机构职能、政策法规、规划计划、财政资金。",
            xxgk + [("信息公开目录", "")],
        )
        self.stub(
            "/xxgk/ysq.html",
            "依申请公开",
            "依申请公开受理机构、受理方式。",
            xxgk + [("依申请公开", "")],
        )
        self.stub("/bsfw/index.html", "办事服务", "办事指南、表格下载。", [("办事服务", "")])
        self.stub("/hdjl/index.html", "互动交流", "县长信箱、网上调查。", [("互动交流", "")])
        latest = _sorted(c.news)[:6]
        rows = "".join(
            f'<tr><td>·<a href="/news/{it.href}" target="_blank">{esc(it.title)}</a></td>'
            f"<td>{_ymd(it.date)}</td></tr>"
            for it in latest
        )
        home = (
            f'<table width="100%"><tr><td valign="top"><div class="lm">新闻中心</div><table>{rows}</table></td>'
            '<td valign="top" width="300"><div class="lm">信息公开</div><ul><li>·<a href="/xxgk/index.html">政府信息公开</a></li>'
            '<li>·<a href="/xxgk/zn.html">信息公开指南</a></li></ul></td></tr></table>'
        )
        self.add(
            "/index.asp", self.layout("首页", home, crumbs=[]), _newest(c.news), aliases=("/",)
        )
        self.site_entry()


# ================================================================================= platform
class PlatformSite(BaseSite):
    """A county's separate disclosure platform (``xxgk.<county>.gov.cn``): a tree of units,
    each with its own page and ``/unit/<slug>/ndbg/`` annual-report column (jeecms ``.jhtml``)."""

    style = "platform"
    css_path = "/r/cms/www/default/css/style.css"

    def layout(
        self,
        title: str,
        body: str,
        *,
        crumbs: list[tuple[str, str]],
        meta: str = "",
        column: str = "",
    ) -> str:
        c = self.cfg
        if not meta:
            meta = f'<meta name="SiteName" content="{esc(c.site_name)}">' + (
                f'\n<meta name="ColumnName" content="{esc(column)}">' if column else ""
            )
        crumb_html = " &gt; ".join(
            ['<a href="/">信息公开首页</a>']
            + [f'<a href="{u}">{esc(t)}</a>' if u else esc(t) for t, u in crumbs]
        )
        return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
{meta}
<title>{esc(title)} - {esc(c.site_name)}</title>
<link rel="stylesheet" href="{self.css_path}">
</head>
<body>
<div class="head"><div class="wrap"><h1 class="logo">{esc(c.site_name)}</h1>
<div class="toplink"><a href="http://www.{c.host.split(".", 1)[1]}/">{esc(c.short)}人民政府门户网站</a></div></div></div>
<div class="navbar"><div class="wrap"><a href="/">首页</a><a href="/gkzn/index.jhtml">公开指南</a><a href="/gkzd/index.jhtml">公开制度</a><a href="/ysqgk/index.jhtml">依申请公开</a></div></div>
<div class="wrap"><div class="crumb">当前位置：{crumb_html}</div>
{body}
</div>
{self.footer()}
</body>
</html>
"""

    def tree(self) -> str:
        groups: dict[str, list[Unit]] = {}
        for u in self.cfg.units:
            groups.setdefault(u.group, []).append(u)
        out = ['<div class="unit-tree">']
        for g, units in groups.items():
            lis = "".join(f'<li><a href="/unit/{u.slug}/">{esc(u.name)}</a></li>' for u in units)
            out.append(f'<div class="tree-group"><h3>{esc(g)}</h3><ul>{lis}</ul></div>')
        out.append("</div>")
        return "".join(out)

    def article_html(self, item: Item, column: str, crumbs: list[tuple[str, str]]) -> str:
        source = item.source or item.issuer or self.cfg.site_name
        body = f"""<div class="content-box">
<table class="xxgk-meta" width="100%">
<tr><th>索引号</th><td>{self.cfg.region_code or "000000"}-{item.date:%Y}-{abs(hash_short(item.title)) % 100000:05d}</td><th>发布机构</th><td>{esc(source)}</td></tr>
<tr><th>公开目录</th><td>{esc(column)}</td><th>发布日期</th><td>{_ymd(item.date)}</td></tr>
<tr><th>名　　称</th><td colspan="3">{esc(item.title)}</td></tr>
</table>
<h2 class="art-title">{esc(item.title)}</h2>
<div class="art-content">
{item.body}
</div></div>"""
        return self.layout(item.title, body, crumbs=crumbs, meta=self.article_meta(item, column))

    def build(self) -> None:
        c = self.cfg
        self.common()
        trap = self.trap_links()
        for u in c.units:
            base = f"/unit/{u.slug}/"
            col = f"{base}ndbg/"
            crumbs = [(u.name, base), ("政府信息公开年报", col)]
            items = _sorted(u.items)
            for it in items:
                if it.path:
                    it.url, it.href = self.url(it.path), it.path
                else:
                    aid = self.new_id()
                    it.url, it.href = self.url(f"{col}{aid}.jhtml"), f"{col}{aid}.jhtml"
            lis = (
                "\n".join(
                    f'<li><a href="{it.href}" title="{esc(it.title)}">{esc(it.title)}</a>'
                    f"<span>{_ymd(it.date)}</span></li>"
                    for it in items
                )
                or "<li>暂无信息</li>"
            )
            side = (
                f'<div class="unit-side"><h3>{esc(u.name)}</h3><ul><li><a href="{base}">机构概况</a></li>'
                f'<li><a href="{base}gkzn/">政府信息公开指南</a></li><li><a href="{col}">政府信息公开年报</a></li></ul></div>'
            )
            self.add_dir(
                col,
                self.layout(
                    f"{u.name}政府信息公开年报",
                    f'{side}<div class="unit-main"><h3>政府信息公开年报</h3>'
                    f'<ul class="list">{lis}</ul>{trap}</div>',
                    crumbs=crumbs,
                    column="政府信息公开年报",
                ),
                _newest(items),
            )
            self.add_dir(
                f"{base}gkzn/",
                self.layout(
                    f"{u.name}政府信息公开指南",
                    f'{side}<div class="unit-main"><p>{esc(u.name)}政府信息公开指南。</p></div>',
                    crumbs=[(u.name, base), ("政府信息公开指南", "")],
                ),
            )
            self.add_dir(
                base,
                self.layout(
                    u.name,
                    f'{side}<div class="unit-main"><h3>机构概况</h3><p>{esc(u.intro or u.name + "主要职责。")}</p></div>',
                    crumbs=[(u.name, "")],
                ),
            )
            for it in items:
                self.serve_item(it, "政府信息公开年报", crumbs)
        for path, title in (
            ("/gkzn/index.jhtml", "政府信息公开指南"),
            ("/gkzd/index.jhtml", "政府信息公开制度"),
            ("/ysqgk/index.jhtml", "依申请公开"),
        ):
            self.add(
                path, self.layout(title, f"<p>{esc(c.region)}{title}。</p>", crumbs=[(title, "")])
            )
        home = (
            f'<div class="intro"><p>本平台集中发布{esc(c.region)}人民政府及所属部门、乡镇（街道）的政府信息。</p></div>'
            f"{self.tree()}{trap}"
        )
        self.add("/index.jhtml", self.layout("首页", home, crumbs=[]), aliases=("/",))
        self.site_entry()


def hash_short(text: str) -> int:
    return int(hashlib.md5(text.encode("utf-8")).hexdigest()[:8], 16)


# ================================================================================= simple
class SimpleSite(BaseSite):
    """A modern static portal (``/html/<SITE>/YYYYMM/<id>.html``) with a single-page column."""

    style = "simple"
    css_path = "/static/css/main.css"

    def layout(
        self,
        title: str,
        body: str,
        *,
        crumbs: list[tuple[str, str]],
        meta: str = "",
        column: str = "",
    ) -> str:
        c = self.cfg
        if not meta:
            meta = (
                f'<meta name="SiteName" content="{esc(c.site_name)}">\n<meta name="SiteIDCode" content="{c.site_code}">'
                + (f'\n<meta name="ColumnName" content="{esc(column)}">' if column else "")
            )
        gk = (
            f'<a href="http://{c.xxgk_host}/" target="_blank">信息公开</a>'
            if c.xxgk_host
            else '<a href="/zwgk/index.html">政务公开</a>'
        )
        crumb_html = " / ".join(
            ['<a href="/index.html">首页</a>']
            + [f'<a href="{u}">{esc(t)}</a>' if u else esc(t) for t, u in crumbs]
        )
        return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="UTF-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
{meta}
<title>{esc(title)}-{esc(c.site_name)}</title>
<link rel="stylesheet" href="{self.css_path}">
</head>
<body>
<header class="site-header"><div class="container"><a class="brand" href="/index.html">{esc(c.site_name)}</a>
<nav class="main-nav"><a href="/index.html">首页</a>{gk}<a href="/xwzx/index.html">新闻中心</a><a href="/zmhd/index.html">政民互动</a><a href="/bsfw/index.html">办事服务</a></nav></div></header>
<main class="container"><div class="breadcrumb">{crumb_html}</div>
{body}
</main>
<footer>{self.footer()}</footer>
</body>
</html>
"""

    def item_paths(self, item: Item) -> None:
        if item.path:
            item.url, item.href = self.url(item.path), item.path
            return
        aid = self.new_id()
        code = self.cfg.host.split(".")[1][:2].upper()
        epoch = (
            int((item.stamp - dt.datetime(1970, 1, 1)).total_seconds()) - 8 * 3600
        )  # Beijing time
        p = f"/html/{code}SZF/{item.date:%Y%m}/{epoch}{aid % 1000:03d}.html"
        item.url, item.href = self.url(p), p

    def column(
        self, directory: str, name: str, items: list[Item], crumbs: list[tuple[str, str]]
    ) -> None:
        items = _sorted(items)
        for it in items:
            self.item_paths(it)
        lis = "\n".join(
            f'<li><a href="{it.href}" target="_blank">{esc(it.title)}</a><span class="date">{_ymd(it.date)}</span></li>'
            for it in items
        )
        body = f'<section class="column"><h2>{esc(name)}</h2><ul class="news-list">\n{lis}\n</ul>{self.trap_links()}</section>'
        self.add(
            f"{directory}index.html",
            self.layout(name, body, crumbs=crumbs, column=name),
            _newest(items),
            aliases=(directory,),
        )
        for it in items:
            self.serve_item(it, name, crumbs)

    def article_html(self, item: Item, column: str, crumbs: list[tuple[str, str]]) -> str:
        source = item.source or item.issuer or self.cfg.site_name
        body = f"""<article class="detail">
<h1>{esc(item.title)}</h1>
<div class="meta"><span>来源：{esc(source)}</span><span>发布时间：{_ymd(item.date)} {item.time}</span></div>
<div class="detail-content" id="Zoom">
{item.body}
</div></article>"""
        return self.layout(item.title, body, crumbs=crumbs, meta=self.article_meta(item, column))

    def build(self) -> None:
        c = self.cfg
        self.common()
        self.column("/xwzx/", "新闻中心", c.news, [("新闻中心", "/xwzx/index.html")])
        if not c.xxgk_host:
            self.build_zwgk()
        stubs = [("政民互动", "/zmhd/index.html"), ("办事服务", "/bsfw/index.html")]
        if c.services:
            self.column("/bsfw/", "办事服务", c.services, [("办事服务", "/bsfw/index.html")])
            stubs.pop()
        for t, u in stubs:
            self.add(
                u, self.layout(t, f"<section><h2>{t}</h2><p>{t}。</p></section>", crumbs=[(t, "")])
            )
        latest = _sorted(c.news)[:6]
        lis = "".join(f'<li><a href="{it.href}">{esc(it.title)}</a></li>' for it in latest)
        gk = (
            f'<a href="http://{c.xxgk_host}/">进入{esc(c.short)}政府信息公开平台</a>'
            if c.xxgk_host
            else '<a href="/zwgk/index.html">进入政务公开</a>'
        )
        home = (
            f'<section class="home-news"><h2>要闻</h2><ul>{lis}</ul></section>'
            f'<section class="home-gk"><h2>政务公开</h2>{gk}</section>'
        )
        self.add("/index.html", self.layout("首页", home, crumbs=[]), _newest(c.news))
        if c.home_redirect:
            self.redirect("/", self.url("/index.html"), status=302, record=False)
        else:
            self.web.add_page(self.url("/"), self.vh.pages["/index.html"])
        self.site_entry()

    def build_zwgk(self) -> None:
        c = self.cfg
        zwgk = [("政务公开", "/zwgk/index.html")]
        self.column(
            "/zwgk/zfxxgknb/",
            "政府信息公开年报",
            c.reports,
            zwgk + [("政府信息公开年报", "/zwgk/zfxxgknb/index.html")],
        )
        cols = [
            ("政府信息公开指南", "/zwgk/zfxxgkzn/index.html"),
            ("政府信息公开制度", "/zwgk/zfxxgkzd/index.html"),
            ("法定主动公开内容", "/zwgk/fdzdgknr/index.html"),
            ("政府信息公开年报", "/zwgk/zfxxgknb/index.html"),
        ]
        for t, u in cols[:3]:
            self.add(
                u,
                self.layout(
                    t,
                    f"<section><h2>{esc(t)}</h2><p>{esc(c.site_name)}{esc(t)}。</p></section>",
                    crumbs=zwgk + [(t, "")],
                    column=t,
                ),
            )
        grid = "".join(f'<li><a href="{u}">{esc(t)}</a></li>' for t, u in cols)
        self.add(
            "/zwgk/index.html",
            self.layout(
                "政务公开",
                f'<section><h2>政务公开</h2><ul class="grid">{grid}</ul>{self.trap_links()}</section>',
                crumbs=zwgk,
                column="政务公开",
            ),
            aliases=("/zwgk/",),
        )
