"""Lists built by script, read without a browser: each strategy on the markup real CMSes write
(TRS list2 / countPage templates, Hanweb jpage, 加载更多 buttons, JSON list endpoints), their
answers read to exhaustion, malformed answers, bounds and linear time; then a crawl of the four
simulated portals built that way, every report found once and every exchange archived."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit

import pytest
from warcio.archiveiterator import ArchiveIterator

from govcrawl.discovery import answers, scripted, scripts
from govcrawl.discovery.markup import parse_html
from govcrawl.discovery.plan import Limits, Role, plan, plan_answer
from govcrawl.discovery.scripted import DataRequest, page_requests, read_answer
from simweb import SimulatedWeb
from simweb import scripted as simulated
from simweb.content import ReportSeries
from tests.conftest import CrawlResult, crawl

XHR = ("X-Requested-With", "XMLHttpRequest")


def requests_of(html: str, url: str, **kw: object) -> list[DataRequest]:
    return page_requests(html, url, parse_html(html), **kw)  # type: ignore[arg-type]


def page(body: str, head: str = "") -> str:
    return f"<!DOCTYPE html><html><head><meta charset='utf-8'>{head}</head><body>{body}</body></html>"


# ------------------------------------------------------------------ TRS "动静结合" (list2)

TRS_COLUMN = "http://www.binchuan.gov.cn/zwgk/zfxxgknb/index.html"
TRS_LIST2 = page("""
<ul class="list"><li><a href="./202401/t20240126_731001.html">宾川县2023年政府信息公开工作年度报告</a>
<span class="date">2024-01-26</span></li></ul>
<div class="page" id="pgBar"></div>
<script type="text/javascript">
  var listConfig = {
    maxStaticIndex: 0,      // 只发布 index.html
    prepage: 10,
    recordCount: 23,
    channelId: "8475",
    searchUrl: "/trs/search/list2.trsapi"
  };
  function loadPage(page) {
    $.ajax({
      url: listConfig.searchUrl,
      type: "POST",
      dataType: "json",
      data: { channelid: listConfig.channelId, page: page, prepage: listConfig.prepage, sortfield: "-DOCRELTIME" },
      success: function (res) { render(res.data.list); drawPager(page, res.data.total); }
    });
  }
</script>""")


def trs_answer(page_no: int, titles: list[str], total: int = 23) -> str:
    docs = [{"DOCID": 700 + i, "DOCTITLE": t, "DOCRELTIME": f"2021-01-{i + 1:02d} 09:30:00",
             "DOCPUBURL": f"http://www.binchuan.gov.cn/zwgk/zfxxgknb/202101/t202101{i:02d}_{page_no}{i}.html"}
            for i, t in enumerate(titles)]
    return json.dumps({"code": 200, "data": {"total": total, "page": page_no, "prepage": 10,
                                             "list": docs}}, ensure_ascii=False)


def test_trs_list2_column_posts_to_its_search_endpoint_as_its_script_does() -> None:
    (request,) = requests_of(TRS_LIST2, TRS_COLUMN)
    assert (request.mechanism, request.method, request.kind) == ("trs_search", "POST", scripted.DATA)
    assert request.url == "http://www.binchuan.gov.cn/trs/search/list2.trsapi"
    assert request.form == (("channelid", "8475"), ("page", 1), ("prepage", 10),
                            ("sortfield", "-DOCRELTIME"))
    assert request.body == b"channelid=8475&page=1&prepage=10&sortfield=-DOCRELTIME"
    assert request.content_type.startswith("application/x-www-form-urlencoded")
    assert XHR in request.headers and ("Referer", TRS_COLUMN) in request.headers
    assert ("Accept", "application/json, text/javascript, */*; q=0.01") in request.headers
    assert (request.page_size, request.total, request.pages) == (10, 23, 3)


def test_trs_search_pages_until_the_declared_count() -> None:
    (request,) = requests_of(TRS_LIST2, TRS_COLUMN)
    seen = []
    for n in range(1, 10):
        answer = read_answer(request, trs_answer(n, [f"文{n}-{i}" for i in range(10 if n < 3 else 3)]))
        seen += [link.text for link in answer.links]
        if answer.next is None:
            break
        assert answer.next.body == f"channelid=8475&page={n + 1}&prepage=10&sortfield=-DOCRELTIME".encode()
        request = answer.next
    assert n == 3 and len(seen) == 23
    assert answer.links[0].date == "2021-01-01"  # DOCRELTIME


def test_trs_list2_settings_alone_give_the_static_pages_and_the_endpoint() -> None:
    # The call itself lives in an external module (require(['list2.trsapi'])): the settings name
    # the endpoint, and maxStaticIndex the static pages index_1 … index_7.
    html = page("""<ul><li><a href="./202301/t20230120_1.htm">x</a></li></ul><div id="page"></div>
<script>require(['list2.trsapi']);
listModel({ maxStaticIndex: 7, searchUrl: '/fjdzapp/search', chnlid: '229105',
            pagebar: { prepage: 10, recordCount: '213' } });</script>""")
    found = requests_of(html, "http://rst.fujian.gov.cn/zw/gsgg/index.htm")
    static = [r.url for r in found if r.kind == scripted.PAGE]
    assert static == [f"http://rst.fujian.gov.cn/zw/gsgg/index_{k}.htm" for k in range(1, 8)]
    (search,) = [r for r in found if r.kind == scripted.DATA]
    assert search.method == "POST" and search.url == "http://rst.fujian.gov.cn/fjdzapp/search"
    assert dict(search.form) == {"chnlid": "229105", "page": 8, "prepage": 10}
    assert search.pages == 22  # 213 records, 10 a page


COUNT_PAGE = page("""<ul class="list"><li><a href="./202401/t20240122_1.html">金牛镇2023年政府信息公开工作年度报告</a></li></ul>
<div class="page" id="page_div"></div>
<script type="text/javascript">
var currentPage = 0;//所在页从0开始
var countPage = 3;//共多少页
var prevPage = currentPage - 1, nextPage = currentPage + 1, out = [];
if (nextPage < countPage) out.push('<a href="index_' + nextPage + '.htm">下一页</a>');
document.getElementById("page_div").innerHTML = out.join("&nbsp;");
</script>""")


def test_trs_pager_drawn_from_count_page_gives_the_static_pages() -> None:
    found = requests_of(COUNT_PAGE, "http://www.x.gov.cn/xxgk/ndbg/index.htm")
    assert [(r.mechanism, r.kind, r.url) for r in found] == [
        ("trs_static", scripted.PAGE, "http://www.x.gov.cn/xxgk/ndbg/index_1.htm"),
        ("trs_static", scripted.PAGE, "http://www.x.gov.cn/xxgk/ndbg/index_2.htm"),
    ]
    # the directory URL is its own first page: index.html is another spelling of it
    assert [r.url for r in requests_of(COUNT_PAGE, "http://www.x.gov.cn/xxgk/ndbg/")][0] == (
        "http://www.x.gov.cn/xxgk/ndbg/index.html")


def test_static_pages_only_when_no_pager_link_and_a_static_list_url() -> None:
    assert requests_of(COUNT_PAGE, "http://www.x.gov.cn/xxgk/ndbg/index.htm", has_pager=True) == []
    assert requests_of(COUNT_PAGE, "http://www.x.gov.cn/list.jsp?col=4") == []
    assert requests_of(page("<script>var countPage = 3;</script>"),
                       "http://www.x.gov.cn/a/index.html") == []  # no pager template
    found = requests_of(COUNT_PAGE.replace("countPage = 3", "countPage = 900"),
                        "http://www.x.gov.cn/a/index.html", max_pages=5)
    assert len(found) == 5  # bounded like every list walk


# ------------------------------------------------------------------ Hanweb jpage

HANWEB_COLUMN = "http://www.deqing.gov.cn/col/col1229460917/index.html"


def datastore(unit: int, column: int, records: range) -> str:
    rows = "".join(
        f"<record><![CDATA[<li><a href='/art/2023/1/{i}/art_{column}_{i}.html' title='德清县{i}号文件'"
        f" target='_blank'>德清县{i}号文件</a><span>2023-01-{i % 28 + 1:02d}</span></li>]]></record>\n"
        for i in records)
    return (f'<div id="{unit}"><script type="text/xml"><datastore>\n<nextgroup><![CDATA[<a href="'
            f"/module/web/jpage/dataproxy.jsp?page=1&appid=1&webid=3&path=/&columnid={column}"
            f'&unitid={unit}&webname=%E5%BE%B7%E6%B8%85&permissiontype=0"></a>]]></nextgroup>\n'
            f"<recordset>\n{rows}</recordset>\n</datastore></script></div>")


def jpage_settings(unit: int, total: int, per_page: int = 5, group: int = 2) -> str:
    return (f"<script>$(document).ready(function () {{ $('#{unit}').jpage({{ dataStore: dataStore, "
            f"perPage: {per_page}, totalRecord: {total}, groupSize: {group}, "
            "proxyUrl: '/module/web/jpage/dataproxy.jsp' }); });</script>")


def proxy_answer(records: range, total: int) -> str:
    rows = "".join(f"<record><![CDATA[<li><a href='/art/2022/5/{i}/art_1_{i}.html' title='文{i}'>文{i}"
                   f"</a><span>2022-05-{i % 28 + 1:02d}</span></li>]]></record>" for i in records)
    return (f'<?xml version="1.0" encoding="UTF-8"?><datastore><recordset>{rows}</recordset>'
            f"<totalrecord>{total}</totalrecord></datastore>")


def test_jpage_posts_for_the_next_group_with_the_form_jpage_builds() -> None:
    html = page(datastore(4851098, 1229460917, range(1, 11)) + jpage_settings(4851098, 22))
    (request,) = requests_of(html, HANWEB_COLUMN)
    assert (request.mechanism, request.method) == ("jpage", "POST")
    assert request.url == ("http://www.deqing.gov.cn/module/web/jpage/dataproxy.jsp"
                           "?startrecord=11&endrecord=20&perpage=5")
    assert request.form == (("col", "1"), ("appid", "1"), ("webid", "3"), ("path", "/"),
                            ("columnid", "1229460917"), ("sourceContentType", "1"),
                            ("unitid", "4851098"), ("webname", "德清"), ("permissiontype", "0"))
    assert request.body.startswith(b"col=1&appid=1&webid=3&path=%2F&columnid=1229460917&")
    assert XHR in request.headers
    first = read_answer(request, proxy_answer(range(11, 21), 22))
    assert len(first.links) == 10 and first.links[0].text == "文11"
    assert first.next is not None and first.next.url.endswith("startrecord=21&endrecord=30&perpage=5")
    assert first.next.form == request.form
    last = read_answer(first.next, proxy_answer(range(21, 23), 22))
    assert [link.text for link in last.links] == ["文21", "文22"] and last.next is None


def test_jpage_asks_nothing_when_the_page_holds_the_whole_list() -> None:
    complete = page(datastore(1, 2, range(1, 9)) + jpage_settings(1, 8, per_page=15, group=3))
    assert requests_of(complete, HANWEB_COLUMN) == []
    unsized = page(datastore(1, 2, range(1, 9)))  # a part group, no settings: the whole list
    assert requests_of(unsized, HANWEB_COLUMN) == []
    full = page(datastore(1, 2, range(1, 46)))  # a full group of 45, no settings: ask for more
    (request,) = requests_of(full, HANWEB_COLUMN)
    assert request.url.endswith("startrecord=46&endrecord=90&perpage=15")


def test_jpage_lists_on_one_page_each_use_their_own_settings() -> None:
    html = page(datastore(11, 101, range(1, 11)) + datastore(12, 102, range(1, 5))
                + jpage_settings(11, 30) + jpage_settings(12, 4))
    (request,) = requests_of(html, HANWEB_COLUMN)
    assert dict(request.form)["unitid"] == "11" and request.total == 30


# ------------------------------------------------------------------ 加载更多

LOAD_MORE = page("""<ul class="news-list" id="listBox"><li><a href="/html/a/1.html">x</a></li></ul>
<div class="list-more"><a href="javascript:void(0);" id="btnMore" data-url="/cms/api/articles"
   data-catid="2208" data-page="1" data-size="8">加载更多</a></div>
<script type="text/javascript">
$("#btnMore").on("click", function () {
  var $b = $(this), next = parseInt($b.data("page")) + 1;
  $.get($b.data("url"), { catId: $b.data("catid"), page: next, size: $b.data("size") }, function (res) {
    $b.data("page", next);
  }, "json");
});
</script>""")


def more_answer(start: int, count: int, has_next: bool) -> str:
    records = [{"articleTitle": f"镇平县第{i}号", "articleUrl": f"/html/ZPSZF/2021/{i}.html",
                "pubTime": 1611280800000} for i in range(start, start + count)]
    return json.dumps({"status": 0, "result": {"hasNext": has_next, "records": records}},
                      ensure_ascii=False)


def test_load_more_button_gets_the_next_page_with_its_data_attributes() -> None:
    url = "http://www.zhenping.gov.cn/zwgk/zfxxgknb/index.html"
    (request,) = requests_of(LOAD_MORE, url)
    assert (request.mechanism, request.method) == ("load_more", "GET")
    assert request.url == "http://www.zhenping.gov.cn/cms/api/articles?catId=2208&page=2&size=8"
    first = read_answer(request, more_answer(9, 8, True))
    assert first.links[0].url == "http://www.zhenping.gov.cn/html/ZPSZF/2021/9.html"
    assert first.links[0].date == "2021-01-22"  # epoch milliseconds, Beijing time
    assert first.next is not None and "page=3" in first.next.url
    assert read_answer(first.next, more_answer(17, 8, False)).next is None  # hasNext: false


def test_load_more_without_a_readable_script_follows_the_buttons_url() -> None:
    html = page('<ul id="l"></ul><button class="more" data-url="/xxgk/nb/more.jsp?col=12&page=1">'
                "点击加载更多</button>")
    (request,) = requests_of(html, "http://www.x.gov.cn/xxgk/nb/index.html")
    assert request.url == "http://www.x.gov.cn/xxgk/nb/more.jsp?col=12&page=2"
    fragment = ('<li><a href="/xxgk/nb/2021/1.html">某县2020年政府信息公开工作年度报告</a><span>2021-01-20</span>'
                '</li><a href="javascript:;" class="more">加载更多</a><a href="more.jsp?page=3">下一页</a>')
    answer = read_answer(request, fragment)
    assert [(link.url, link.date) for link in answer.links] == [
        ("http://www.x.gov.cn/xxgk/nb/2021/1.html", "2021-01-20")]


def test_a_more_link_to_another_page_is_not_a_load_more_button() -> None:
    html = page('<a href="/zwgk/nb/index.html">查看更多</a>'
                '<script>$.get("/api/list", {columnId: 3, page: 1}, f);</script>')
    assert [r.mechanism for r in requests_of(html, "http://www.x.gov.cn/")] == ["json_list"]


# ------------------------------------------------------------------ JSON / XML list endpoints

JSON_LIST = page("""<ul id="articleList"></ul><div class="pagination" id="pageBar"></div>
<script>
var webId = "ningshan", columnId = "5f3a9c1e", pageSize = 6;
function loadList(pageNo) {
  $.ajax({ url: "/interface/getArticleList", type: "GET", dataType: "json",
           data: { webId: webId, columnId: columnId, pageNo: pageNo, pageSize: pageSize },
           success: function (res) { draw(res.data); } });
}
$(function () { loadList(1); });
</script>""")


def json_answer(numbers: range, total: int) -> str:
    rows = [{"title": f"宁陕县文件{i}", "url": f"/html/NISZF/{i}.html", "publishDate": "2022-01-21"}
            for i in numbers]
    return json.dumps({"code": 200, "data": {"total": total, "pageSize": 6, "list": rows}},
                      ensure_ascii=False)


def test_json_get_list_is_paged_until_exhausted() -> None:
    url = "http://www.ningshan.gov.cn/zwgk/zfxxgknb/index.html"
    (request,) = requests_of(JSON_LIST, url)
    assert (request.mechanism, request.method, request.page) == ("json_list", "GET", 1)
    assert request.url == ("http://www.ningshan.gov.cn/interface/getArticleList"
                           "?webId=ningshan&columnId=5f3a9c1e&pageNo=1&pageSize=6")
    urls = []
    for start in (1, 7, 13):
        answer = read_answer(request, json_answer(range(start, min(start + 6, 15)), 14))
        urls += [link.url for link in answer.links]
        if answer.next is None:
            break
        request = answer.next
    assert start == 13 and len(set(urls)) == 14
    assert urls[0] == "http://www.ningshan.gov.cn/html/NISZF/1.html"


@pytest.mark.parametrize(("script", "method", "body", "url"), [
    ('$.post("/api/list.do", {catId: "77", pageIndex: 1, rows: 15}, cb, "json");', "POST",
     b"catId=77&pageIndex=1&rows=15", "http://www.x.gov.cn/api/list.do"),
    ('fetch("/api/articles", {method: "POST", headers: {"Content-Type": "application/json"},'
     ' body: JSON.stringify({channelId: 9, pageNum: 1, pageSize: 20})}).then(r => r.json());',
     "POST", b'{"channelId":9,"pageNum":1,"pageSize":20}', "http://www.x.gov.cn/api/articles"),
    ('axios.post("/gateway/cms/page", {columnCode: "zfxxgknb", current: 1, size: 10});',
     "POST", b'{"columnCode":"zfxxgknb","current":1,"size":10}', "http://www.x.gov.cn/gateway/cms/page"),
    ('axios.get("/api/page", {params: {nodeId: "31", page: 1}});', "GET", b"",
     "http://www.x.gov.cn/api/page?nodeId=31&page=1"),
    ('var cid = "1234"; $.getJSON("/api/col/" + cid + "/list_" + pageNo + ".json", draw);', "GET",
     b"", "http://www.x.gov.cn/api/col/1234/list_1.json"),
    ('$.ajax({url: "/api/list?columnId=88&pageNo=" + page, dataType: "xml"});', "GET", b"",
     "http://www.x.gov.cn/api/list?columnId=88&pageNo=1"),
])
def test_list_calls_are_made_as_written(script: str, method: str, body: bytes, url: str) -> None:
    (request,) = requests_of(page(f"<script>{script}</script>"), "http://www.x.gov.cn/a/index.html")
    assert (request.method, request.body, request.url) == (method, body, url)
    following = request.at_page(2)
    assert following.url != request.url or following.body != request.body


def test_json_body_pages_in_the_body() -> None:
    script = ('fetch("/api/articles", {method: "POST", body: JSON.stringify('
              '{channelId: 9, pageNum: 1, pageSize: 2})});')
    (request,) = requests_of(page(f"<script>{script}</script>"), "http://www.x.gov.cn/a/")
    assert request.encoding == scripted.JSON_BODY and request.content_type.startswith("application/json")
    two = {"data": {"records": [{"title": "甲", "url": "/1.html"}, {"title": "乙", "url": "/2.html"}]}}
    answer = read_answer(request, json.dumps(two, ensure_ascii=False))
    assert answer.next is not None and json.loads(answer.next.body)["pageNum"] == 2


@pytest.mark.parametrize("script", [
    '$.ajax({url: "/visit/count.do", data: {siteId: 1, columnId: 12}});',  # no page number
    '$.ajax({url: "/api/list", data: {columnId: getColumn(), page: 1}});',  # unknown column
    '$.ajax({url: "/api/list", data: {keyword: "x", page: 1}});',  # no column id
    'cache.get("/api/list", {columnId: 3, page: 1});',  # not a fetch
    '$.getScript("/js/list.js?columnId=3&page=1");',
    'function ajax(o) {} // $.ajax({url: "/api/list", data: {columnId: 3, page: 1}})',
])
def test_calls_that_are_not_list_requests_are_left_alone(script: str) -> None:
    assert requests_of(page(f"<script>{script}</script>"), "http://www.x.gov.cn/a/") == []


# ------------------------------------------------------------------ answers

def test_answers_read_jsonp_rss_and_html_inside_json() -> None:
    base = "http://www.x.gov.cn/xxgk/index.html"
    jsonp = 'jQuery1123({"rows":[{"name":"某县2022年报","link":"nb/1.html","crtime":"20230120"}]});'
    (link,) = answers.read(jsonp, base).links
    assert (link.url, link.text, link.date) == ("http://www.x.gov.cn/xxgk/nb/1.html", "某县2022年报",
                                                "2023-01-20")
    rss = ('<?xml version="1.0"?><rss><channel><title>站点</title><link>http://www.x.gov.cn/</link>'
           '<item><title>甲年报</title><link>http://www.x.gov.cn/a.html</link>'
           "<pubDate>2023-01-02</pubDate></item></channel></rss>")
    reading = answers.read(rss, base)
    assert [link.text for link in reading.links] == ["甲年报"] and reading.count == 1
    inside = json.dumps({"html": '<li><a href="/b.html">乙</a></li>', "hasMore": False})
    reading = answers.read(inside, base)
    assert [link.url for link in reading.links] == ["http://www.x.gov.cn/b.html"]
    assert reading.more is False


def test_titles_lose_search_highlights_and_items_without_links_are_skipped() -> None:
    data = {"list": [{"title": "<em>某县</em>2023年&amp;报告", "url": "/1.html"},
                     {"title": "无链接"}, {"url": "/3.html"}]}
    reading = answers.read(json.dumps(data, ensure_ascii=False), "http://www.x.gov.cn/")
    assert [link.text for link in reading.links] == ["某县2023年&报告"] and reading.count == 3


@pytest.mark.parametrize("text", ["", "   ", "{", '{"list": [', "[" * 100_000, "null", "{}",
                                  '{"a": "<a href"}', "<datastore><record>", "\x00\x01{",
                                  "callback(", "callback({})x", "<?xml version='1.0'?><a><b>"])
def test_malformed_answers_end_the_list_without_raising(text: str) -> None:
    request = DataRequest("json_list", "http://www.x.gov.cn/api?page=1", page_key="page",
                          referer="http://www.x.gov.cn/a/")
    answer = read_answer(request, text)
    assert answer.next is None


def test_an_endpoint_ignoring_the_page_number_is_asked_twice_at_most() -> None:
    request = DataRequest("json_list", "http://www.x.gov.cn/api?columnId=1&page=1",
                          page_key="page", referer="http://www.x.gov.cn/a/")
    same = json.dumps({"list": [{"title": f"t{i}", "url": f"/{i}.html"} for i in range(10)]})
    first = read_answer(request, same)
    assert first.next is not None
    assert read_answer(first.next, same).next is None


def test_the_walk_stops_at_max_pages() -> None:
    request = DataRequest("json_list", "http://www.x.gov.cn/api?columnId=1&page=1",
                          page_key="page", referer="http://www.x.gov.cn/a/")
    for n in range(1, 100):
        answer = read_answer(request, json.dumps({"list": [{"title": "t", "url": f"/{n}.html"}]}),
                             max_pages=4)
        if answer.next is None:
            break
        request = answer.next
    assert n == 4


# ------------------------------------------------------------------ the planner

def test_plan_makes_the_data_request_a_list_step_of_a_column() -> None:
    steps = plan(TRS_LIST2, TRS_COLUMN, Role.COLUMN, 1, ("binchuan.gov.cn",))
    (data,) = [step for step in steps if step.data is not None]
    assert (data.role, data.hops, data.url) == (Role.LIST, 1, data.data.url)  # type: ignore[union-attr]
    assert [s for s in plan(TRS_LIST2, TRS_COLUMN, Role.HOME) if s.data is not None] == []
    assert [s for s in plan(TRS_LIST2, TRS_COLUMN, Role.COLUMN, 1, ("other.gov.cn",))
            if s.data is not None] == []  # out of scope


def test_plan_answer_classifies_items_like_a_list_page_and_pages_on() -> None:
    (request,) = requests_of(TRS_LIST2, TRS_COLUMN)
    titles = ["宾川县2020年政府信息公开工作年度报告", "宾川县2020年度部门决算公开",
              "关于做好2020年度政府信息公开工作年度报告编制发布工作的通知",
              "宾川县卫生健康局2020年度政府信息公开工作年度报告"] + [f"新闻{i}" for i in range(6)]
    steps = plan_answer(request, trs_answer(1, titles), 1, ("binchuan.gov.cn",))
    reports = [s for s in steps if s.role is Role.REPORT]
    assert [s.text for s in reports] == [titles[0], titles[3]]
    assert all(s.date.startswith("2021-01-") for s in reports)
    (following,) = [s for s in steps if s.data is not None]
    assert (following.role, following.hops) == (Role.LIST, 2)
    bounded = plan_answer(request, trs_answer(1, titles), 5, limits=Limits(max_list_pages=5))
    assert [s for s in bounded if s.data is not None] == []


# ------------------------------------------------------------------ bounds and linear time

def test_a_hostile_script_is_read_within_its_bounds() -> None:
    import time
    hostile = [
        "<script>" + "$.ajax({url:'/a',data:{columnId:1,page:" * 20_000 + "</script>",
        "<script>/*" + "x" * 2_000_000 + "</script>",
        "<script>var a = '" + "\\" * 1_000_000 + "</script>",
        "<script>" + "{" * 500_000 + "</script>",
        "<script>" + "var countPage = " + " " * 1_000_000 + "3;</script>",
        "<script>" + "a.b." * 300_000 + "ajax({url:'/x'})</script>",
        "<a href='javascript:;'>加载更多</a>" + "<div>" * 50_000,
        page(datastore(1, 2, range(1, 46)) * 200),
    ]
    for html in hostile:
        start = time.thread_time()
        requests_of(html, "http://www.x.gov.cn/a/index.html")
        assert time.thread_time() - start < 3.0, html[:60]
    assert len(scripts.tokens("a " * 1_000_000)) == scripts.MAX_TOKENS


def test_a_huge_answer_is_read_within_its_bounds() -> None:
    import time
    request = DataRequest("json_list", "http://www.x.gov.cn/api?page=1", page_key="page",
                          referer="http://www.x.gov.cn/a/")
    rows = json.dumps({"list": [{"title": "t" * 50, "url": f"/{i}.html"} for i in range(60_000)]})
    start = time.thread_time()
    answer = read_answer(request, rows)
    assert time.thread_time() - start < 3.0
    assert len(rows) > answers.MAX_ANSWER_CHARS and answer.next is None  # cut, so unreadable


def _my_patterns() -> dict[str, object]:
    import re
    found = {}
    for module in (scripted, scripts, answers):
        for name, value in vars(module).items():
            if isinstance(value, re.Pattern):
                found[f"{module.__name__}.{name}"] = value
    return found


def test_the_linear_time_suite_sees_these_patterns() -> None:
    from tests import test_linear_time

    seen = {(p.pattern, p.flags) for p in test_linear_time.PATTERNS.values()}
    for label, pattern in _my_patterns().items():
        assert (pattern.pattern, pattern.flags) in seen, label  # type: ignore[attr-defined]


@pytest.mark.parametrize("label", sorted(_my_patterns()))
def test_pattern_runs_in_linear_time_on_adversarial_input(label: str) -> None:
    from tests.test_linear_time import _over_budget

    assert _over_budget(_my_patterns()[label]) == []  # type: ignore[arg-type]


# ------------------------------------------------------------------ a crawl of the four portals

@pytest.fixture(scope="module")
def scripted_crawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CrawlResult]:
    web = SimulatedWeb("scripted")
    simulated.build(web, ReportSeries())
    web.retry_after = 0
    with web:
        result = crawl(web, tmp_path_factory.mktemp("scripted"))
        assert result.returncode == 0, result.stderr[-3000:]
        assert result.blocked == []
        yield result


def _rows(result: CrawlResult, sql: str) -> list[tuple]:
    with sqlite3.connect(result.db_url.removeprefix("sqlite:///")) as conn:
        return conn.execute(sql).fetchall()


@pytest.mark.parametrize("host", ["www.binchuan.gov.cn", "www.deqing.gov.cn",
                                  "www.zhenping.gov.cn", "www.ningshan.gov.cn"])
def test_every_report_of_a_script_built_list_is_found_once(scripted_crawl: CrawlResult,
                                                          host: str) -> None:
    expected = {e.url: e for e in scripted_crawl.web.expected_reports if urlsplit(e.url).hostname == host}
    stored = _rows(scripted_crawl, "SELECT url, title, year, region, admin_level, agency, published "
                                   "FROM reports")
    mine = [row for row in stored if urlsplit(row[0]).hostname == host]
    assert sorted(row[0] for row in mine) == sorted(expected)  # each once, nothing else
    for url, title, year, region, level, agency, published in mine:
        e = expected[url]
        assert (title, year, region, level, agency, published) == (
            e.title, e.year, e.region, e.admin_level, e.agency, e.published.isoformat())


def test_data_requests_are_made_as_the_scripts_make_them(scripted_crawl: CrawlResult) -> None:
    log = scripted_crawl.requests
    posts = [r for r in log if r.method == "POST"]
    assert {urlsplit(r.url).path for r in posts} == {"/trs/search/list2.trsapi",
                                                     "/module/web/jpage/dataproxy.jsp"}
    assert all(r.headers.get("X-Requested-With") == "XMLHttpRequest" for r in posts)
    assert all(r.status == 200 for r in posts)
    # each page of each list asked for once: the fingerprint covers the POST body
    assert len([r for r in posts if "list2.trsapi" in r.url]) == 2
    assert sorted(r.url.rsplit("?", 1)[1] for r in posts if "dataproxy" in r.url) == [
        "startrecord=11&endrecord=20&perpage=5", "startrecord=21&endrecord=30&perpage=5"]
    gets = [r.url for r in log if "/cms/api/articles" in r.url or "/interface/getArticleList" in r.url]
    assert sorted(gets) == sorted([
        *(f"http://www.zhenping.gov.cn/cms/api/articles?catId=2208&page={n}&size=8" for n in (2, 3)),
        *(f"http://www.ningshan.gov.cn/interface/getArticleList?webId=ningshan&columnId=5f3a9c1e"
          f"&pageNo={n}&pageSize=6" for n in (1, 2, 3)),
    ])
    # the 乡镇 column's second static page, linked by no link (countPage)
    assert "http://www.binchuan.gov.cn/zwgk/zfxxgknb/xzzfxxgknb/index_1.html" in {r.url for r in log}


def test_post_exchanges_are_archived_with_their_bodies(scripted_crawl: CrawlResult) -> None:
    bodies = []
    for path in sorted(scripted_crawl.warc_dir.glob("*.warc.gz")):
        with open(path, "rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type == "request" and record.http_headers.protocol == "POST":
                    bodies.append((record.rec_headers.get_header("WARC-Target-URI"),
                                   record.content_stream().read()))
    assert len(bodies) == 4
    for uri, body in bodies:
        fields = dict(parse_qsl(body.decode()))
        assert ("channelid" in fields) if "list2.trsapi" in uri else (fields["col"] == "1"
                                                                      and "columnid" in fields)
    captured = {url for (url,) in _rows(scripted_crawl, "SELECT url FROM captures WHERE method = 'POST'")}
    assert captured == {uri for uri, _ in bodies}


def test_script_built_lists_need_no_browser(scripted_crawl: CrawlResult) -> None:
    stats = scripted_crawl.stdout + scripted_crawl.stderr
    assert "govcrawl/scripted/trs_search" in stats and "govcrawl/scripted/jpage" in stats
    assert "govcrawl/browser/asked" not in stats
