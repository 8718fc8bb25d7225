"""A portal whose report column exists only once its script has run: 勐海县 (``www.menghai.gov.cn``).

The column page is an empty shell (``<div id="app">``) and one minified bundle. The bundle builds
the list from a JSON endpoint and draws a 下一页 pager that fetches the next page of JSON — the way
provincial 集约化 platforms and 开普云 render columns. Every string that names the endpoint is
XOR-encoded in the bundle, so no static strategy (links, pager templates, endpoints named in
scripts) finds the reports: only a browser that runs the script and clicks through the pager
does. The report pages themselves are plain static HTML, as on such portals.
"""

from __future__ import annotations

import datetime as dt
import json
import zlib
from urllib.parse import parse_qs

from .content import ReportSeries, ReportSpec, distractor_html, esc, news_item
from .model import Page, VirtualHost
from .styles import Item, SimpleSite, SiteConfig

__all__ = ["API_PATH", "BANNER_PATH", "BUNDLE_PATH", "COLUMN", "PER_PAGE", "RenderedSite", "menghai"]

D = dt.date
COLUMN = "/zwgk/zfxxgknb/"  # the report column, rendered by script
API_PATH = "/api/cms/channel/articles"  # ?channelCode=zfxxgknb&pageNo=N&pageSize=PER_PAGE
BUNDLE_PATH = "/static/js/app.6d2f9e1b.js"
BANNER_PATH = "/static/img/banner_zwgk.jpg"  # linked, never served: a browser must not ask
PER_PAGE = 3
_KEY = 0x5A  # the bundle's XOR key


def _xor(text: str) -> str:
    """``text`` as the bundle writes it: a JS array of XOR-ed character codes."""
    return "[" + ",".join(str(ord(ch) ^ _KEY) for ch in text) + "]"


def _js_text(text: str) -> str:
    """Non-ASCII text as a minifier writes it: ``\\uXXXX`` escapes."""
    return "".join(ch if ch.isascii() else f"\\u{ord(ch):04x}" for ch in text)


# A bundle as a build tool leaves it: a vendor prelude, short names, encoded strings. It fetches
# the column's first page when the DOM is ready; 下一页 fetches the next (disabled on the last).
_BUNDLE = (
    "/*! app.6d2f9e1b.js | (c) portal-ui build 2024.03 */\n"
    '!function(e){var t={};function n(r){if(t[r])return t[r].exports;var o=t[r]={i:r,l:!1,exports:{}};'
    "return e[r].call(o.exports,o,o.exports,n),o.l=!0,o.exports}n.m=e,n.c=t,n(n.s=0)}([function(e,t){"
    '"use strict";Array.prototype.forEach||(Array.prototype.forEach=function(e,t){for(var n=0;'
    "n<this.length;n++)e.call(t,this[n],n,this)})}]);\n"
    '!function(w,d){"use strict";'
    f"var K={_KEY},P={_xor(API_PATH)},Q={_xor('channelCode')},R={_xor('pageNo')},S={_xor('pageSize')};"
    'function s(a){for(var o="",i=0;i<a.length;i++)o+=String.fromCharCode(a[i]^K);return o}'
    'var el=d.getElementById("app");if(!el)return;var c=el.getAttribute("data-c"),n=1,t=1;'
    'function h(x){return String(x).replace(/[&<>"]/g,function(m){return{"&":"&amp;","<":"&lt;",'
    '">":"&gt;",\'"\':"&quot;"}[m]})}'
    'function r(j){var D=j.data||{},L=D.list||[],u=\'<ul class="news-list">\';'
    "for(var i=0;i<L.length;i++){u+='<li><a href=\"'+h(L[i].link)+'\" target=\"_blank\">'+h(L[i].title)"
    "+'</a><span class=\"date\">'+h(L[i].pubDate)+'</span></li>'}u+='</ul>';t=D.pages||1;n=D.pageNo||n;"
    f"u+='<div class=\"pager\"><span>{_js_text('第')}'+n+'/'+t+'{_js_text('页')}</span> "
    f"<a href=\"javascript:;\" class=\"prev'+(n<=1?' disabled':'')+'\">{_js_text('上一页')}</a> "
    f"<a href=\"javascript:;\" class=\"next'+(n>=t?' disabled':'')+'\">{_js_text('下一页')}</a></div>';"
    'el.innerHTML=u;el.querySelector(".next").onclick=function(){if(n<t)g(n+1)};'
    'el.querySelector(".prev").onclick=function(){if(n>1)g(n-1)}}'
    'function g(p){var x=new XMLHttpRequest;x.open("GET",s(P)+"?"+s(Q)+"="+encodeURIComponent(c)+"&"'
    f'+s(R)+"="+p+"&"+s(S)+"={PER_PAGE}",!0);x.setRequestHeader("X-Requested-With","XMLHttpRequest");'
    'x.setRequestHeader("Accept","application/json, text/javascript, */*; q=0.01");'
    "x.onload=function(){if(x.status==200)r(JSON.parse(x.responseText))};x.send()}"
    'd.readyState=="loading"?d.addEventListener("DOMContentLoaded",function(){g(1)}):g(1)'
    "}(window,document);\n"
)


class RenderedSite(SimpleSite):
    """A modern portal whose report column is drawn by script from JSON (see the module)."""

    style = "rendered"

    def column(
        self, directory: str, name: str, items: list[Item], crumbs: list[tuple[str, str]]
    ) -> None:
        if directory != COLUMN:
            super().column(directory, name, items, crumbs)
            return
        listed = sorted(items, key=lambda i: (i.stamp, i.title), reverse=True)
        for it in listed:
            self.item_paths(it)
        # The shell: a heading, an empty mount point and the bundle; nothing to follow. A banner
        # and a visitor counter, as every such portal has: the browser fetches neither.
        counter = self.offsite("http://hm.baidu.com/hm.js?5f2c0e7a9d3b41c8")
        body = (
            f'<section class="column"><img class="banner" src="{BANNER_PATH}" alt="">'
            f'<h2>{esc(name)}</h2>'
            f'<div id="app" data-c="{COLUMN.strip("/").rpartition("/")[2]}">'
            '<div class="loading">加载中……</div></div>'
            "<noscript>您的浏览器不支持或已禁用JavaScript，本栏目内容无法显示。</noscript>"
            f'<script src="{BUNDLE_PATH}"></script></section>'
            f'<script>var _hmt=_hmt||[];(function(){{var hm=document.createElement("script");'
            f'hm.src="{counter}";document.getElementsByTagName("head")[0].appendChild(hm)}})();'
            "</script>"
        )
        newest = max(it.stamp for it in listed)
        self.add(f"{directory}index.html", self.layout(name, body, crumbs=crumbs, column=name),
                 newest, aliases=(directory,))
        self.web.add_page(self.url(BUNDLE_PATH),
                          Page(_BUNDLE.encode(), content_type="application/javascript",
                               last_modified=newest))
        self.vh.dynamic[API_PATH] = self._api(listed, newest)
        for it in listed:
            self.serve_item(it, name, crumbs)

    def _api(self, listed: list[Item], newest: dt.datetime):
        """The JSON endpoint behind the column: ``pageNo`` of ``pageSize`` items, newest first."""
        code = COLUMN.strip("/").rpartition("/")[2]

        def handler(vh: VirtualHost, path: str, query: str, headers: dict) -> Page | None:
            if path != API_PATH:
                return None
            qs = parse_qs(query)
            if (qs.get("channelCode") or [""])[0] != code:
                return None
            try:
                number = max(1, int((qs.get("pageNo") or ["1"])[0]))
                size = min(50, max(1, int((qs.get("pageSize") or [str(PER_PAGE)])[0])))
            except ValueError:
                return None
            pages = max(1, -(-len(listed) // size))
            rows = listed[(number - 1) * size : number * size]
            data = {
                "code": 200,
                "msg": "success",
                "data": {
                    "pageNo": number,
                    "pageSize": size,
                    "total": len(listed),
                    "pages": pages,
                    "list": [
                        {"id": zlib.crc32(it.href.encode()) & 0xFFFFFF, "title": it.title, "link": it.href,
                         "pubDate": it.date.isoformat()}
                        for it in rows
                    ],
                },
            }
            body = json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8")
            return Page(body, content_type="application/json;charset=UTF-8", last_modified=newest)

        return handler


def _report(series: ReportSeries, year: int, issuer: str, published: dt.date, *,
            agency: str | None = None, title: str | None = None) -> Item:
    region = "勐海县"
    title = title or f"{issuer}{year}年政府信息公开工作年度报告"
    spec = ReportSpec(year=year, region=region, level="county", issuer=issuer, title=title,
                      published=published, agency=agency, parent=region if agency else "")
    body, stats = series.render(spec)
    return Item(title=title, date=published, kind="report", body=body, year=year, region=region,
                level="county", agency=agency, issuer=issuer, stats=stats, time="10:05")


def menghai(series: ReportSeries) -> SiteConfig:
    """勐海县: eight items in the script-built column (three pages of JSON), seven of them
    reports — the county's 2019–2023 and two departments' 2023 — and one notice."""
    gov = "勐海县人民政府"
    published = {2019: D(2020, 1, 17), 2020: D(2021, 1, 22), 2021: D(2022, 1, 20),
                 2022: D(2023, 1, 31), 2023: D(2024, 1, 25)}
    reports = [_report(series, y, gov, published[y], title=f"勐海县{y}年政府信息公开工作年度报告")
               for y in range(2019, 2024)]
    reports += [
        _report(series, 2023, "勐海县财政局", D(2024, 1, 29), agency="财政局"),
        _report(series, 2023, "勐海县教育体育局", D(2024, 1, 30), agency="教育体育局"),
        Item("关于做好2023年度政府信息公开工作年度报告编制发布工作的通知", D(2023, 12, 18),
             kind="distractor", body=distractor_html("notice", "勐海县", 2023, gov), issuer=gov,
             time="15:00"),
    ]
    news = []
    for i in range(5):
        when = D(2024, 3, 8) - dt.timedelta(days=i * 11)
        title, body = news_item("勐海县", i, when)
        news.append(Item(title=title, date=when, kind="news", body=body, time="16:40"))
    return SiteConfig(
        host="www.menghai.gov.cn",
        site_name=gov,
        region="勐海县",
        short="勐海县",
        level="county",
        region_code="532822",
        province=("云南省", "http://www.yn.gov.cn/"),
        city=("西双版纳傣族自治州人民政府", "http://www.xsbn.gov.cn/"),
        site_code="5328220001",
        icp="滇ICP备05003456号",
        reports=reports,
        news=news,
        gzip=True,
        ids=730000,
    )
