"""Portals whose report columns are built by script the way real CMSes build them, readable
without a browser (:mod:`govcrawl.discovery.scripted` reads them):

- 宾川县 (``www.binchuan.gov.cn``, TRS WCM): a "动静结合" column — only ``index.html`` is
  published, with its 10 newest items; the pager is drawn by script from ``listConfig``
  (``maxStaticIndex: 0``, ``recordCount``), and older items come only from a POST to the
  ``list2.trsapi`` search endpoint, answering JSON (``DOCTITLE``/``DOCPUBURL``/``DOCRELTIME``).
  Its 乡镇 sub-column has two static pages and a pager drawn from ``countPage`` with no link.
- 德清县 (``www.deqing.gov.cn``, Hanweb jcms): jpage columns whose static ``<datastore>`` holds
  the first group of records; later groups answer a POST to
  ``/module/web/jpage/dataproxy.jsp?startrecord=…&endrecord=…&perpage=5`` with the
  ``col=1&appid=1&webid=…&columnid=…`` form.
- 镇平县 (``www.zhenping.gov.cn``): a column of 8 items and a 加载更多 button whose script GETs
  the next page as JSON (``articleTitle``/``articleUrl``/``pubTime`` in epoch milliseconds,
  ``hasNext``), its parameters taken from the button's ``data-*`` attributes.
- 宁陕县 (``www.ningshan.gov.cn``): a column rendered entirely from a JSON GET endpoint
  (``columnId``, ``pageNo``, ``pageSize``) by a readable inline script.

Each has annual reports (past years, departments, townships) in the part only the script
reaches, distractors, and ground truth in ``web.expected_reports``. Built by :func:`build`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from urllib.parse import parse_qs, quote

from .content import ReportSeries, ReportSpec, distractor_html, esc, news_item, stable_rng
from .model import Page, VirtualHost
from .server import SimulatedWeb
from .styles import BaseSite, Item, JcmsSite, SimpleSite, SiteConfig, TrsSite

__all__ = [
    "HanwebJpageSite",
    "JsonListSite",
    "LoadMoreSite",
    "TrsList2Site",
    "build",
    "binchuan",
    "deqing",
    "ningshan",
    "zhenping",
]

D = dt.date
_STATIC = dt.datetime(2023, 6, 1, 8, 0)
_CHINA = dt.timedelta(hours=8)
Handler = Callable[[VirtualHost, str, str, dict], "Page | None"]


def _json_page(data: object, newest: dt.datetime, status: int = 200) -> Page:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Page(body, status=status, content_type="application/json;charset=UTF-8",
                last_modified=newest)


def _number(qs: dict[str, list[str]], key: str, default: int) -> int:
    try:
        return int((qs.get(key) or [str(default)])[0])
    except ValueError:
        return default


def _is_form_post(headers: dict) -> bool:
    """A POST with a form (the server passes its fields in the query; a GET has no body)."""
    return "x-www-form-urlencoded" in (headers.get("Content-Type") or "").lower()


def _newest(items: list[Item]) -> dt.datetime:
    return max((i.stamp for i in items), default=_STATIC)


def _sorted(items: list[Item]) -> list[Item]:
    return sorted(items, key=lambda i: (i.stamp, i.title), reverse=True)


# ============================================================================ content


def _report(series: ReportSeries, year: int, region: str, level: str, issuer: str,
            published: dt.date, *, province: str, agency: str | None = None, parent: str = "",
            title: str | None = None) -> Item:
    """A generated report (national format) as a list item."""
    title = title or f"{region}{year}年政府信息公开工作年度报告"
    spec = ReportSpec(year=year, region=region, level=level, issuer=issuer, title=title,
                      published=published, agency=agency, parent=parent, province=province)
    body, stats = series.render(spec)
    rng = stable_rng("time", title)
    return Item(title=title, date=published, kind="report", body=body, year=year, region=region,
                level=level, agency=agency, issuer=issuer, stats=stats,
                time=f"{rng.randint(8, 17):02d}:{rng.randint(0, 59):02d}")


def _department(series: ReportSeries, county: str, agency: str, year: int, published: dt.date,
                province: str) -> Item:
    return _report(series, year, county, "county", f"{county}{agency}", published,
                   province=province, agency=agency, parent=county,
                   title=f"{county}{agency}{year}年度政府信息公开工作年度报告")


def _township(series: ReportSeries, county: str, town: str, year: int, published: dt.date,
              province: str) -> Item:
    return _report(series, year, town, "township", f"{county}{town}人民政府", published,
                   province=province, parent=county)


def _distractor(kind: str, title: str, date: dt.date, region: str, issuer: str, year: int) -> Item:
    return Item(title=title, date=date, kind="distractor",
                body=distractor_html(kind, region, year, issuer), issuer=issuer, time="15:00")


def _distractors(region: str, gov: str, specs: list[tuple[str, int, dt.date]]) -> list[Item]:
    """Non-reports of a report column: (kind, year, date) each."""
    titles = {
        "notice": "关于做好{y}年度政府信息公开工作年度报告编制发布工作的通知",
        "rule_of_law": "{r}{y}年法治政府建设年度报告",
        "stats": "{r}{y}年国民经济和社会发展统计公报",
        "plan": "{r}{y}年政务公开工作要点",
        "budget": "{r}{y}年度部门决算公开",
        "work_report": "{y}年{r}政府工作报告",
        "enterprise": "关于{y}年度企业年度报告公示的通知",
    }
    return [_distractor(kind, titles[kind].format(r=region, y=year), date, region, gov, year)
            for kind, year, date in specs]


def _news(region: str, n: int, start: dt.date) -> list[Item]:
    out = []
    for i in range(n):
        when = start - dt.timedelta(days=i * 13)
        title, body = news_item(region, i, when)
        out.append(Item(title=title, date=when, kind="news", body=body, time="17:10"))
    return out


# ============================================================================ TRS list2


class TrsList2Site(TrsSite):
    """TRS WCM "动静结合": the report column publishes ``index.html`` only; older items come from
    ``list2.trsapi`` (POST, JSON); the 乡镇 sub-column's pager is drawn from ``countPage``."""

    style = "trs_list2"
    api_path = "/trs/search/list2.trsapi"
    channel_id = "8475"

    def column(self, directory: str, name: str, items: list[Item], crumbs: list[tuple[str, str]],
               *, tabs: str = "", per_page: int | None = None, key: str | None = None) -> None:
        if key == "reports":
            self._list2_column(directory, name, items, crumbs, tabs)
        elif key == "townships":
            self._count_page_column(directory, name, items, crumbs, per_page=4)
        else:
            super().column(directory, name, items, crumbs, tabs=tabs, per_page=per_page, key=key)

    def _list2_column(self, directory: str, name: str, items: list[Item],
                      crumbs: list[tuple[str, str]], tabs: str) -> None:
        items = _sorted(items)
        for it in items:
            self.item_paths(it, directory)
        per_page = 10
        script = f"""<script type="text/javascript">
  // list2.trsapi: 前 maxStaticIndex+1 页为静态发布，其余页由检索接口动态获取
  var listConfig = {{
    maxStaticIndex: 0,
    prepage: {per_page},
    recordCount: {len(items)},
    channelId: "{self.channel_id}",
    searchUrl: "{self.api_path}"
  }};
</script>
<script type="text/javascript">
  function drawPager(current, total) {{
    var count = Math.ceil(total / listConfig.prepage), out = [];
    if (current > 1) out.push('<a href="javascript:loadPage(' + (current - 1) + ')">上一页</a>');
    for (var i = 1; i <= count; i++) {{
      out.push(i == current ? '<span class="current">' + i + '</span>' : '<a href="javascript:loadPage(' + i + ')">' + i + '</a>');
    }}
    if (current < count) out.push('<a href="javascript:loadPage(' + (current + 1) + ')">下一页</a>');
    document.getElementById("pgBar").innerHTML = out.join("&nbsp;");
  }}
  function loadPage(page) {{
    $.ajax({{
      url: listConfig.searchUrl,
      type: "POST",
      dataType: "json",
      data: {{ channelid: listConfig.channelId, page: page, prepage: listConfig.prepage, sortfield: "-DOCRELTIME" }},
      success: function (res) {{
        var html = "";
        $.each(res.data.list, function (i, doc) {{
          html += '<li><a href="' + doc.DOCPUBURL + '" target="_blank" title="' + doc.DOCTITLE + '">' + doc.DOCTITLE + '</a><span class="date">' + doc.DOCRELTIME.substring(0, 10) + '</span></li>';
        }});
        $("#docList").html(html);
        drawPager(page, res.data.total);
      }}
    }});
  }}
  $(function () {{ drawPager(1, listConfig.recordCount); }});
</script>"""
        body = (
            f'{self.sidebar()}<div class="right"><div class="lm-title"><span>{esc(name)}</span></div>'
            f'{tabs}<div id="docList">{self.list_block(items[:per_page])}</div>\n'
            f'<div class="page" id="pgBar"></div></div>'
        )
        html_text = self.layout(name, body, crumbs=crumbs, column=name).replace(
            "</head>", '<script type="text/javascript" src="/js/jquery.min.js"></script>\n'
            f"{script}\n</head>", 1)
        self.add_dir(directory, html_text, _newest(items[:per_page]))
        self.vh.dynamic[self.api_path] = self._list2_api(items)
        for it in items:
            self.serve_item(it, name, crumbs)

    def _list2_api(self, items: list[Item]) -> Handler:
        newest = _newest(items)

        def handler(vh: VirtualHost, path: str, query: str, headers: dict) -> Page | None:
            if path != self.api_path:
                return None
            if not _is_form_post(headers):
                return _json_page({"code": 405, "msg": "Request method 'GET' not supported"},
                                  newest, status=405)
            qs = parse_qs(query)
            if (qs.get("channelid") or [""])[0] != self.channel_id:
                return _json_page({"code": 200, "data": {"total": 0, "list": []}}, newest)
            page = max(1, _number(qs, "page", 1))
            size = min(50, max(1, _number(qs, "prepage", 10)))
            rows = items[(page - 1) * size : page * size]
            docs = [{"DOCID": int(it.url.rsplit("_", 1)[1].split(".")[0]), "DOCTITLE": it.title,
                     "DOCPUBURL": it.url, "DOCRELTIME": f"{it.stamp:%Y-%m-%d %H:%M:%S}",
                     "CHNLDESC": "政府信息公开年报"} for it in rows]
            data = {"total": len(items), "page": page, "prepage": size,
                    "pageCount": -(-len(items) // size), "list": docs}
            return _json_page({"code": 200, "msg": "success", "data": data}, newest)

        return handler

    def _count_page_column(self, directory: str, name: str, items: list[Item],
                           crumbs: list[tuple[str, str]], *, per_page: int) -> None:
        """Static pages ``index.html``, ``index_1.html`` … whose pager a script writes from
        ``countPage``/``currentPage``: no pager link in the markup."""
        items = _sorted(items)
        for it in items:
            self.item_paths(it, directory)
        pages = [items[i : i + per_page] for i in range(0, len(items), per_page)] or [[]]
        for index, chunk in enumerate(pages):
            pager = f"""<div class="page" id="page_div"></div>
<script type="text/javascript">
var currentPage = {index};//所在页从0开始
var countPage = {len(pages)};//共多少页
var prevPage = currentPage - 1, nextPage = currentPage + 1, out = [];
if (countPage > 1) {{
  if (currentPage > 0) out.push('<a href="' + (prevPage == 0 ? 'index' : 'index_' + prevPage) + '.html">上一页</a>');
  if (nextPage < countPage) out.push('<a href="index_' + nextPage + '.html">下一页</a>');
}}
document.getElementById("page_div").innerHTML = out.join("&nbsp;");
</script>"""
            body = (
                f'{self.sidebar()}<div class="right"><div class="lm-title"><span>{esc(name)}</span></div>'
                f"{self.list_block(chunk)}\n{pager}</div>"
            )
            html_text = self.layout(name, body, crumbs=crumbs, column=name)
            if index == 0:
                self.add_dir(directory, html_text, _newest(chunk))
            else:
                self.add(f"{directory}index_{index}.html", html_text, _newest(chunk))
        for it in items:
            self.serve_item(it, name, crumbs)


def binchuan(series: ReportSeries) -> SiteConfig:
    """宾川县 (TRS list2): 14 items in the report column (10 static, 4 only from the search
    endpoint, three of them reports) and 6 in the 乡镇 sub-column (two static pages)."""
    gov, county, province = "宾川县人民政府", "宾川县", "云南省"
    published = {2019: D(2020, 1, 17), 2020: D(2021, 1, 22), 2021: D(2022, 1, 25),
                 2022: D(2023, 1, 20), 2023: D(2024, 1, 26)}
    reports = [_report(series, y, county, "county", gov, published[y], province=province)
               for y in sorted(published)]
    reports += [
        _department(series, county, "财政局", 2023, D(2024, 1, 30), province),
        _department(series, county, "卫生健康局", 2020, D(2021, 2, 3), province),
    ]
    reports += _distractors(county, gov, [
        ("rule_of_law", 2023, D(2024, 3, 20)), ("notice", 2023, D(2023, 12, 15)),
        ("stats", 2022, D(2023, 4, 10)), ("plan", 2023, D(2023, 3, 2)),
        ("plan", 2022, D(2022, 4, 6)), ("budget", 2020, D(2021, 9, 15)),
        ("notice", 2019, D(2019, 12, 10)),
    ])
    townships = [
        _township(series, county, "金牛镇", 2023, D(2024, 1, 22), province),
        _township(series, county, "宾居镇", 2023, D(2024, 2, 2), province),
        _township(series, county, "州城镇", 2022, D(2023, 1, 18), province),
        _township(series, county, "平川镇", 2021, D(2022, 1, 26), province),
        *_distractors("金牛镇", f"{county}金牛镇人民政府", [("plan", 2024, D(2024, 3, 5))]),
        *_distractors(county, gov, [("notice", 2023, D(2023, 12, 1))]),
    ]
    return SiteConfig(
        host="www.binchuan.gov.cn", site_name=gov, region=county, short="宾川", level="county",
        region_code="532924", province=(province, "http://www.yn.gov.cn/"),
        city=("大理白族自治州人民政府", "http://www.dali.gov.cn/"), site_code="5329240001",
        icp="滇ICP备05006391号", reports=reports, townships=townships,
        news=_news(county, 5, D(2024, 3, 6)), ids=731000,
    )


# ============================================================================ Hanweb jpage


class HanwebJpageSite(JcmsSite):
    """Hanweb jcms with jpage groups: the static ``<datastore>`` holds the first group
    (``perPage × groupSize`` records); ``dataproxy.jsp`` answers later groups by record
    numbers to the form jpage.js POSTs (and the first group to a bare GET of the
    ``<nextgroup>`` link)."""

    style = "jcms_jpage"
    per_page = 5
    group_size = 2

    def datastore(self, col: int, items: list[Item]) -> str:
        uid = self.unit_id(col)
        group = self.per_page * self.group_size
        proxy = (
            f"/module/web/jpage/dataproxy.jsp?page=1&appid=1&webid=1&path=/&columnid={col}"
            f"&unitid={uid}&webname={quote(self.cfg.site_name)}&permissiontype=0"
        )
        return f"""<div id="{uid}"><script type="text/xml"><datastore>
<nextgroup><![CDATA[<a href="{proxy}"></a>]]></nextgroup>
<recordset>
{self.records(items[:group])}
</recordset>
</datastore></script></div>
<script language="javascript" src="/module/jslib/jquery/jpage/jquery.page.min.js"></script>
<script type="text/javascript">
$(document).ready(function () {{
  $('#{uid}').jpage({{
    dataStore: dataStore, perPage: {self.per_page}, totalRecord: {len(items)}, groupSize: {self.group_size},
    proxyUrl: '/module/web/jpage/dataproxy.jsp', barPosition: 'bottom', showMode: 'full',
    dataBefore: '<ul class="list">', dataAfter: '</ul>'
  }});
}});
</script>"""

    def _dataproxy(self, vh: VirtualHost, path: str, query: str, headers: dict) -> Page | None:
        if not path.endswith("/dataproxy.jsp"):
            return None
        qs = parse_qs(query)
        items = self._stores.get(_number(qs, "columnid", 0), [])
        group = self.per_page * self.group_size
        start = max(1, _number(qs, "startrecord", 1))
        end = max(start, _number(qs, "endrecord", group))
        if "startrecord" not in qs:  # the <nextgroup> link itself: the first group
            start, end = 1, group
        rows = items[start - 1 : min(end, start - 1 + 200)]
        xml = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<datastore>\n'
            f"<recordset>\n{self.records(rows)}\n</recordset>\n"
            f"<totalrecord>{len(items)}</totalrecord><totalpage>{-(-len(items) // self.per_page)}"
            "</totalpage>\n</datastore>"
        )
        return Page(xml.encode(), content_type="text/xml;charset=UTF-8", last_modified=_newest(items))


def deqing(series: ReportSeries) -> SiteConfig:
    """德清县 (Hanweb jpage, groups of 10): 22 items in the report column, reports in every
    group — only the first group is in the page."""
    gov, county, province = "德清县人民政府", "德清县", "浙江省"
    published = {2019: D(2020, 1, 21), 2020: D(2021, 1, 27), 2021: D(2022, 1, 24),
                 2022: D(2023, 1, 19), 2023: D(2024, 1, 23)}
    reports = [_report(series, y, county, "county", gov, published[y], province=province)
               for y in sorted(published)]
    reports += [
        _department(series, county, "财政局", 2023, D(2024, 1, 29), province),
        _department(series, county, "教育局", 2021, D(2022, 2, 11), province),
        _department(series, county, "住房和城乡建设局", 2020, D(2021, 2, 8), province),
        _township(series, county, "新市镇", 2022, D(2023, 2, 14), province),
        _township(series, county, "武康街道", 2019, D(2020, 2, 19), province),
    ]
    reports += _distractors(county, gov, [
        ("rule_of_law", 2023, D(2024, 3, 25)), ("notice", 2023, D(2023, 12, 11)),
        ("plan", 2024, D(2024, 3, 14)), ("stats", 2023, D(2024, 3, 28)),
        ("budget", 2023, D(2024, 2, 20)), ("plan", 2023, D(2023, 3, 22)),
        ("stats", 2022, D(2023, 3, 30)), ("notice", 2022, D(2022, 12, 9)),
        ("work_report", 2022, D(2022, 1, 30)), ("budget", 2021, D(2022, 9, 2)),
        ("notice", 2020, D(2020, 12, 14)), ("enterprise", 2019, D(2020, 1, 6)),
    ])
    return SiteConfig(
        host="www.deqing.gov.cn", site_name=gov, region=county, short="德清", level="county",
        region_code="330521", province=(province, "http://www.zj.gov.cn/"),
        city=("湖州市人民政府", "http://www.huzhou.gov.cn/"), site_code="3305210001",
        icp="浙ICP备05016371号", reports=reports, news=_news(county, 5, D(2024, 3, 9)),
        gzip=True, server="Apache", column_id=1229460917, ids=732000,
    )


# ============================================================================ 加载更多


class LoadMoreSite(SimpleSite):
    """A report column of ``shown`` items and a 加载更多 button: its script GETs the next page
    from ``/cms/api/articles`` (JSON) with the button's ``data-catid``/``data-page``/``data-size``."""

    style = "load_more"
    api_path = "/cms/api/articles"
    cat_id = "2208"
    shown = 8

    def column(self, directory: str, name: str, items: list[Item],
               crumbs: list[tuple[str, str]]) -> None:
        if directory != "/zwgk/zfxxgknb/":
            super().column(directory, name, items, crumbs)
            return
        items = _sorted(items)
        for it in items:
            self.item_paths(it)
        lis = "\n".join(
            f'<li><a href="{it.href}" target="_blank">{esc(it.title)}</a>'
            f'<span class="date">{it.date:%Y-%m-%d}</span></li>'
            for it in items[: self.shown]
        )
        body = f"""<section class="column"><h2>{esc(name)}</h2><ul class="news-list" id="listBox">
{lis}
</ul>
<div class="list-more"><a href="javascript:void(0);" id="btnMore" class="btn-more" data-url="{self.api_path}" data-catid="{self.cat_id}" data-page="1" data-size="{self.shown}">加载更多</a></div>
<script type="text/javascript">
$("#btnMore").on("click", function () {{
  var $b = $(this), next = parseInt($b.data("page")) + 1;
  $.get($b.data("url"), {{ catId: $b.data("catid"), page: next, size: $b.data("size") }}, function (res) {{
    var html = "";
    $.each(res.result.records, function (i, r) {{
      html += '<li><a href="' + r.articleUrl + '" target="_blank">' + r.articleTitle + '</a><span class="date">' + new Date(r.pubTime).toISOString().substring(0, 10) + '</span></li>';
    }});
    $("#listBox").append(html);
    $b.data("page", next);
    if (!res.result.hasNext) $b.text("没有更多了").off("click");
  }}, "json");
}});
</script></section>"""
        html_text = self.layout(name, body, crumbs=crumbs, column=name).replace(
            "</head>", '<script src="/static/js/jquery-3.6.0.min.js"></script>\n</head>', 1)
        self.add(f"{directory}index.html", html_text, _newest(items[: self.shown]),
                 aliases=(directory,))
        self.vh.dynamic[self.api_path] = self._api(items)
        for it in items:
            self.serve_item(it, name, crumbs)

    def _api(self, items: list[Item]) -> Handler:
        newest = _newest(items)

        def handler(vh: VirtualHost, path: str, query: str, headers: dict) -> Page | None:
            if path != self.api_path:
                return None
            qs = parse_qs(query)
            if (qs.get("catId") or [""])[0] != self.cat_id:
                return _json_page({"status": 1, "msg": "栏目不存在"}, newest)
            page = max(1, _number(qs, "page", 1))
            size = min(50, max(1, _number(qs, "size", self.shown)))
            rows = items[(page - 1) * size : page * size]
            records = [{"articleId": stable_rng("id", it.url).randint(10**5, 10**6),
                        "articleTitle": it.title, "articleUrl": it.href,
                        "pubTime": int((it.stamp - _CHINA).replace(tzinfo=dt.UTC).timestamp() * 1000)}
                       for it in rows]
            result = {"current": page, "size": size, "hasNext": page * size < len(items),
                      "records": records}
            return _json_page({"status": 0, "msg": "ok", "result": result}, newest)

        return handler


def zhenping(series: ReportSeries) -> SiteConfig:
    """镇平县 (加载更多): 18 items, 8 shown; JSON pages 2 and 3 hold five reports."""
    gov, county, province = "镇平县人民政府", "镇平县", "河南省"
    published = {2019: D(2020, 1, 15), 2020: D(2021, 1, 29), 2021: D(2022, 1, 27),
                 2022: D(2023, 1, 31), 2023: D(2024, 1, 30)}
    reports = [_report(series, y, county, "county", gov, published[y], province=province)
               for y in sorted(published)]
    reports += [
        _department(series, county, "财政局", 2022, D(2023, 2, 16), province),
        _township(series, county, "石佛寺镇", 2021, D(2022, 2, 22), province),
        _township(series, county, "雪枫街道", 2023, D(2024, 2, 6), province),
    ]
    reports += _distractors(county, gov, [
        ("rule_of_law", 2023, D(2024, 3, 18)), ("notice", 2023, D(2023, 12, 20)),
        ("plan", 2024, D(2024, 3, 1)), ("stats", 2023, D(2024, 3, 27)),
        ("budget", 2022, D(2023, 8, 30)), ("plan", 2023, D(2023, 3, 17)),
        ("notice", 2021, D(2021, 12, 13)), ("enterprise", 2020, D(2021, 1, 8)),
        ("stats", 2019, D(2020, 3, 30)), ("notice", 2019, D(2019, 12, 16)),
    ])
    return SiteConfig(
        host="www.zhenping.gov.cn", site_name=gov, region=county, short="镇平", level="county",
        region_code="411324", province=(province, "http://www.henan.gov.cn/"),
        city=("南阳市人民政府", "http://www.nanyang.gov.cn/"), site_code="4113240001",
        icp="豫ICP备10016382号", reports=reports, news=_news(county, 4, D(2024, 3, 11)),
        ids=733000,
    )


# ============================================================================ JSON GET list


class JsonListSite(SimpleSite):
    """A report column rendered entirely by a readable inline script from a JSON GET endpoint
    (``/interface/getArticleList?webId=…&columnId=…&pageNo=N&pageSize=6``)."""

    style = "json_list"
    api_path = "/interface/getArticleList"
    column_code = "5f3a9c1e"
    web_id = "ningshan"
    per_page = 6

    def column(self, directory: str, name: str, items: list[Item],
               crumbs: list[tuple[str, str]]) -> None:
        if directory != "/zwgk/zfxxgknb/":
            super().column(directory, name, items, crumbs)
            return
        items = _sorted(items)
        for it in items:
            self.item_paths(it)
        body = f"""<section class="column"><h2>{esc(name)}</h2>
<ul class="news-list" id="articleList"><li class="loading">正在加载……</li></ul>
<div class="pagination" id="pageBar"></div>
<script type="text/javascript">
var webId = "{self.web_id}";
var columnId = "{self.column_code}";
var pageSize = {self.per_page};
function loadList(pageNo) {{
  $.ajax({{
    url: "{self.api_path}",
    type: "GET",
    dataType: "json",
    data: {{ webId: webId, columnId: columnId, pageNo: pageNo, pageSize: pageSize }},
    success: function (res) {{
      var d = res.data, html = "";
      for (var i = 0; i < d.list.length; i++) {{
        html += '<li><a href="' + d.list[i].url + '" target="_blank">' + d.list[i].title + '</a><span class="date">' + d.list[i].publishDate + '</span></li>';
      }}
      $("#articleList").html(html);
      var bar = "";
      for (var p = 1; p <= d.pages; p++) {{
        bar += p == pageNo ? '<span class="current">' + p + '</span>' : '<a href="javascript:loadList(' + p + ');">' + p + '</a>';
      }}
      $("#pageBar").html(bar);
    }}
  }});
}}
$(function () {{ loadList(1); }});
</script></section>"""
        html_text = self.layout(name, body, crumbs=crumbs, column=name).replace(
            "</head>", '<script src="/static/js/jquery.min.js"></script>\n</head>', 1)
        self.add(f"{directory}index.html", html_text, _newest(items), aliases=(directory,))
        self.vh.dynamic[self.api_path] = self._api(items)
        for it in items:
            self.serve_item(it, name, crumbs)

    def _api(self, items: list[Item]) -> Handler:
        newest = _newest(items)

        def handler(vh: VirtualHost, path: str, query: str, headers: dict) -> Page | None:
            if path != self.api_path:
                return None
            qs = parse_qs(query)
            if (qs.get("columnId") or [""])[0] != self.column_code:
                return _json_page({"code": 404, "msg": "栏目不存在", "data": None}, newest)
            page = max(1, _number(qs, "pageNo", 1))
            size = min(50, max(1, _number(qs, "pageSize", self.per_page)))
            rows = items[(page - 1) * size : page * size]
            data = {"total": len(items), "pageNo": page, "pageSize": size,
                    "pages": -(-len(items) // size),
                    "list": [{"id": stable_rng("id", it.url).randint(10**5, 10**6),
                              "title": it.title, "url": it.url,
                              "publishDate": f"{it.date:%Y-%m-%d}"} for it in rows]}
            return _json_page({"code": 200, "msg": "操作成功", "data": data}, newest)

        return handler


def ningshan(series: ReportSeries) -> SiteConfig:
    """宁陕县 (JSON GET list): 14 items in three JSON pages of 6, eight of them reports."""
    gov, county, province = "宁陕县人民政府", "宁陕县", "陕西省"
    published = {2019: D(2020, 1, 20), 2020: D(2021, 1, 26), 2021: D(2022, 1, 21),
                 2022: D(2023, 1, 30), 2023: D(2024, 1, 24)}
    reports = [_report(series, y, county, "county", gov, published[y], province=province)
               for y in sorted(published)]
    reports += [
        _department(series, county, "财政局", 2023, D(2024, 2, 1), province),
        _department(series, county, "自然资源局", 2021, D(2022, 2, 15), province),
        _township(series, county, "城关镇", 2020, D(2021, 2, 24), province),
    ]
    reports += _distractors(county, gov, [
        ("rule_of_law", 2023, D(2024, 3, 21)), ("notice", 2023, D(2023, 12, 6)),
        ("stats", 2022, D(2023, 4, 3)), ("budget", 2021, D(2022, 8, 26)),
        ("notice", 2020, D(2020, 12, 18)), ("plan", 2020, D(2020, 3, 12)),
    ])
    return SiteConfig(
        host="www.ningshan.gov.cn", site_name=gov, region=county, short="宁陕", level="county",
        region_code="610923", province=(province, "http://www.shaanxi.gov.cn/"),
        city=("安康市人民政府", "http://www.ankang.gov.cn/"), site_code="6109230001",
        icp="陕ICP备05003327号", reports=reports, news=_news(county, 4, D(2024, 3, 4)),
        gzip=True, ids=734000,
    )


# ============================================================================ builder


def build(web: SimulatedWeb, series: ReportSeries) -> list[BaseSite]:
    """Add the four script-built-list portals to ``web`` (in this order: the series renders
    reports one after the other)."""
    sites: list[BaseSite] = [
        TrsList2Site(web, binchuan(series)),
        HanwebJpageSite(web, deqing(series)),
        LoadMoreSite(web, zhenping(series)),
        JsonListSite(web, ningshan(series)),
    ]
    for site in sites:
        site.build()
    return sites
