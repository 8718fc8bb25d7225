"""A portal that links one page under several URL forms: 华宁县 (``www.huaning.gov.cn``).

Real portals, half-migrated to https, link the same page as ``https://host/…`` from some pages,
``http://host/…`` or relative from others, and ``http://host:80/…`` from a template that spelt
the port out. 华宁县 is an old ASP portal (:class:`~simweb.styles.PlainSite`) served over http
and https alike (``VirtualHost.https``) whose links mix every such form: its home page links
the disclosure section over https, the section links the report list with ``:80``, the list's
sidebar and pager use https, its items are linked relative, absolute http, https or with ``:80``
(one of them twice, under two forms), and the home page's 最新年报 box links a report and the
PDF of another under yet other forms. Every form serves the same bytes.

Ground truth: each report once in ``web.expected_reports``, under its plain ``http://host/path``
URL; ``web.url_aliases`` maps that URL (and every other page of the portal) to itself and each
absolute URL a crawler following the links meets it under (:func:`linked_forms`). The 2021
report is linked only with ``:80``: its plain URL is never linked as such.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections import deque
from urllib.parse import urljoin, urlsplit

from .content import ReportSeries, ReportSpec, distractor_html, esc, news_item
from .server import SimulatedWeb
from .styles import Item, PlainSite, SiteConfig

__all__ = ["AliasSite", "build", "huaning", "linked_forms"]

D = dt.date
HOST = "www.huaning.gov.cn"
# The link forms, by name: what each writes for an origin-form target.
_FORMS = {
    "http": lambda host, target: f"http://{host}{target}",
    "https": lambda host, target: f"https://{host}{target}",
    "port80": lambda host, target: f"http://{host}:80{target}",
}
# The forms the report list gives its items in turn, newest first (None: relative, as
# PlainSite writes them): 2023 relative, the notice http, 2022 https, 2021 :80, 2020 relative.
_ITEM_FORMS = (None, "http", "https", "port80")
_HREF = re.compile(r'href="([^"]*)"')


def _swap(text: str, old: str, new: str) -> str:
    """``text`` with its one ``old`` replaced: a template that changed fails the build, not a
    test about links much later."""
    if old not in text:
        raise AssertionError(f"simweb.aliases: {old!r} not in the page any more")
    return text.replace(old, new, 1)


class AliasSite(PlainSite):
    """A PlainSite whose links name its pages under several URL forms (see the module)."""

    style = "plain"

    def __init__(self, web: SimulatedWeb, cfg: SiteConfig) -> None:
        super().__init__(web, cfg)
        self._turn = 0  # report-list items placed so far: picks each one's link form

    def link(self, form: str, target: str) -> str:
        return _FORMS[form](self.host, target)

    def sidebar(self) -> str:
        return _swap(super().sidebar(), f'href="{self.list_dir}list.asp?page=1"',
                     f'href="{self.link("https", self.list_dir + "list.asp?page=1")}"')

    def xxgk_index_html(self) -> str:
        return _swap(super().xxgk_index_html(), 'href="ndbg/list.asp?page=1"',
                     f'href="{self.link("port80", self.list_dir + "list.asp?page=1")}"')

    def pager(self, n: int, total: int, count: int) -> str:
        # 下一页 over https, 上一页 and 首页 with :80; page numbers and 尾页 stay relative.
        out = super().pager(n, total, count)
        page = f"{self.list_dir}list.asp?page="
        out = out.replace(f'href="list.asp?page={n + 1}">下一页',
                          f'href="{self.link("https", f"{page}{n + 1}")}">下一页')
        out = out.replace(f'href="list.asp?page={n - 1}">上一页',
                          f'href="{self.link("port80", f"{page}{n - 1}")}">上一页')
        return out.replace('href="list.asp?page=1">首页',
                           f'href="{self.link("port80", f"{page}1")}">首页')

    def item_paths(self, item: Item, directory: str) -> None:
        super().item_paths(item, directory)
        if directory != self.list_dir or item.path:
            return  # other columns as PlainSite writes them; a document keeps its path
        form = _ITEM_FORMS[self._turn % len(_ITEM_FORMS)]
        self._turn += 1
        if form is not None:
            item.href = self.link(form, self.target(item.url))

    def column(self, directory: str, name: str, items: list[Item], crumbs: list[tuple[str, str]],
               **kw) -> None:
        super().column(directory, name, items, crumbs, **kw)
        if directory != self.list_dir:
            return
        # One report linked twice in its row: its title, then 【全文】 under another form.
        twice = next(it for it in items if it.kind == "report" and it.href.startswith("https:"))
        other = self.link("port80", self.target(twice.url))
        title_link = f'<a href="{twice.href}" target="_blank">{esc(twice.title)}</a>'
        lists = {t: p for t, p in self.vh.pages.items() if t.startswith(self.list_dir + "list.asp")}
        old = next(p for p in lists.values() if title_link.encode(self.cfg.encoding) in p.body)
        doubled = self.make_page(
            _swap(old.body.decode(self.cfg.encoding), title_link,
                  f'{title_link} <a href="{other}" target="_blank">【全文】</a>'),
            old.last_modified)
        for target, page in lists.items():
            if page is old:  # list.asp?page=1 and its alias list.asp: one page
                self.vh.pages[target] = doubled

    def build(self) -> None:
        super().build()
        # The home page: 政府信息公开 over https, and a 最新年报 box linking the newest report with
        # :80 and the PDF report over https.
        home = self.vh.pages["/index.asp"]
        newest = max((it for it in self.cfg.reports if it.kind == "report"), key=lambda it: it.stamp)
        pdf = next(it for it in self.cfg.reports if it.kind == "attachment")
        box = (
            '<div class="lm">最新年报</div><ul>'
            f'<li>·<a href="{self.link("port80", self.target(newest.url))}">{esc(newest.title)}</a></li>'
            f'<li>·<a href="{self.link("https", self.target(pdf.url))}">{esc(pdf.title)}</a></li>'
            "</ul>"
        )
        text = _swap(home.body.decode(self.cfg.encoding),
                     '<li>·<a href="/xxgk/index.html">政府信息公开</a></li>',
                     f'<li>·<a href="{self.link("https", "/xxgk/index.html")}">政府信息公开</a></li>')
        text = _swap(text, "</ul></td></tr></table>", "</ul>" + box + "</td></tr></table>")
        self.add("/index.asp", text, home.last_modified, aliases=("/",))


def linked_forms(web: SimulatedWeb, start: str) -> dict[str, set[str]]:
    """Every page of ``start``'s host reachable by following links from ``start``, as its plain
    ``http://host/target`` URL → that URL and each absolute URL (scheme, port) the links give
    it (a crawler that stores a page under its plain URL stores it under one of its forms).

    The links are read from the served bytes as a crawler would read them: resolved against the
    URL the page was reached under, so a relative link on a page reached over https is https."""
    host = urlsplit(start).hostname or ""
    vh = web.hosts[host]
    forms: dict[str, set[str]] = {}
    queue, seen = deque([start]), {start}
    while queue:
        url = queue.popleft()
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        page = vh.resolve(target, {})
        if page is None or page.status != 200:
            continue
        plain = f"http://{host}{target}"
        forms.setdefault(plain, {plain}).add(url)
        if not page.content_type.startswith("text/html"):
            continue
        for href in _HREF.findall(page.body.decode(vh.encoding, "replace")):
            link = urljoin(url, html.unescape(href)).split("#", 1)[0]
            to = urlsplit(link)
            if to.scheme in ("http", "https") and to.hostname == host and link not in seen:
                seen.add(link)
                queue.append(link)
    return forms


def _report(series: ReportSeries, year: int, published: dt.date, time: str) -> Item:
    region, issuer = "华宁县", "华宁县人民政府"
    title = f"{region}{year}年政府信息公开工作年度报告"
    spec = ReportSpec(year=year, region=region, level="county", issuer=issuer, title=title,
                      published=published)
    body, stats = series.render(spec)
    return Item(title=title, date=published, kind="report", body=body, year=year, region=region,
                level="county", issuer=issuer, stats=stats, time=time)


def huaning(series: ReportSeries) -> SiteConfig:
    """华宁县: five reports in a list of two pages — 2020–2023 as pages, 2019 as a PDF linked
    from the list — and a notice about the reports (a distractor)."""
    gov = "华宁县人民政府"
    reports = [
        _report(series, 2020, D(2021, 1, 26), "10:12"),
        _report(series, 2021, D(2022, 1, 24), "09:48"),
        _report(series, 2022, D(2023, 1, 19), "15:30"),
        _report(series, 2023, D(2024, 1, 23), "11:05"),
        # The PDF's only text is an English placeholder line: nothing to parse (as 阜新's).
        Item("华宁县2019年政府信息公开工作年度报告（PDF）", D(2020, 1, 21), kind="attachment",
             path="/uploadfiles/202001/2019ndbg.pdf", year=2019, region="华宁县", level="county",
             issuer=gov, stats={"format": "std2019"},
             flags=("t3_missing", "no_handled_total", "no_applications_new"), time="16:20"),
        Item("关于做好2023年度政府信息公开工作年度报告编制发布工作的通知", D(2023, 12, 12),
             kind="distractor", body=distractor_html("notice", "华宁县", 2023, gov), issuer=gov,
             time="15:00"),
    ]
    news = []
    for i in range(4):
        when = D(2024, 3, 12) - dt.timedelta(days=i * 10)
        title, body = news_item("华宁县", i, when)
        news.append(Item(title=title, date=when, kind="news", body=body, time="17:10"))
    return SiteConfig(
        host=HOST,
        site_name=gov,
        region="华宁县",
        short="华宁县",
        level="county",
        region_code="530424",
        province=("云南省", "http://www.yn.gov.cn/"),
        city=("玉溪市人民政府", "http://www.yuxi.gov.cn/"),
        site_code="5304240001",
        icp="滇ICP备05007788号",
        reports=reports,
        news=news,
        per_page=3,
        ids=2600,
    )


def build(web: SimulatedWeb, series: ReportSeries) -> AliasSite:
    """Add 华宁县 to ``web``, served over https too, and record its pages' link forms."""
    site = AliasSite(web, huaning(series))
    site.vh.https = True
    site.build()
    forms = linked_forms(web, site.url("/"))
    web.url_aliases.update(forms)
    return site
