"""Contract of the simulated gov.cn web (simweb), exercised through its HTTP proxy."""

from __future__ import annotations

import datetime as dt
import gzip
import http.client
import re
import threading
import urllib.error
import urllib.request
from urllib.parse import urljoin, urlsplit

import lxml.html
import pytest

from simweb import (
    ExpectedReport,
    LoggedRequest,
    SimulatedWeb,
    SiteEntry,
    build_demo_web,
    build_large_web,
    build_test_web,
)

LEVELS = {"province", "prefecture", "county", "township"}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003
        return None


@pytest.fixture(scope="module")
def web():
    with build_test_web() as w:
        yield w


def fetch(web: SimulatedWeb, url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    """GET through the proxy; no redirects followed, HTTP errors returned as responses."""
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({"http": web.proxy_url}), _NoRedirect
    )
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with opener.open(req, timeout=10) as r:
            return r.status, dict(r.headers.items()), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers.items()), e.read()


def decode(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("gbk")


def links(url: str, body: bytes) -> list[str]:
    doc = lxml.html.fromstring(decode(body))
    return [urljoin(url, h) for h in doc.xpath("//a/@href")]


# ----------------------------------------------------------------------------- serving basics
def test_pages_served_by_virtual_host(web):
    status, headers, body = fetch(web, "http://www.cangyuan.gov.cn/")
    assert status == 200
    assert "沧源佤族自治县人民政府" in body.decode()
    assert int(headers["Content-Length"]) == len(body)
    status, _, body = fetch(web, "http://www.shizong.gov.cn/index.html")
    assert status == 200 and "师宗县人民政府" in body.decode()
    entry = web.request_log[-1]
    assert isinstance(entry, LoggedRequest)
    assert entry.host == "www.shizong.gov.cn" and entry.status == 200 and entry.method == "GET"
    assert entry.url == "http://www.shizong.gov.cn/index.html"


def test_origin_form_request_uses_host_header(web):
    conn = http.client.HTTPConnection("127.0.0.1", web.port, timeout=10)
    conn.request("GET", "/zwgk/zfxxgknb/index.html?x=1", headers={"Host": "www.cangyuan.gov.cn"})
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    assert resp.status == 200 and "政府信息公开年报" in body.decode()
    assert web.request_log[-1].url == "http://www.cangyuan.gov.cn/zwgk/zfxxgknb/index.html?x=1"


def test_unknown_host_is_502_and_logged(web):
    status, _, body = fetch(web, "http://www.cangyuan.gov.cn.example.com/zwgk/zfxxgknb/index.html")
    assert status == 502 and body
    assert web.request_log[-1].host == "www.cangyuan.gov.cn.example.com"
    assert web.request_log[-1].status == 502
    assert "http://www.cangyuan.gov.cn.example.com/zwgk/zfxxgknb/index.html" in web.offsite_urls


def test_unknown_path_is_404(web):
    status, _, body = fetch(web, "http://www.cangyuan.gov.cn/no/such/page.html")
    assert status == 404 and "页面不存在" in body.decode()


def test_request_log_is_thread_safe(web):
    before = len(web.request_log)
    threads = [
        threading.Thread(target=fetch, args=(web, "http://www.fuxin.gov.cn/index.html"))
        for _ in range(20)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(web.request_log) - before == 20


# ----------------------------------------------------------------------------- validators, encoding
def test_etag_last_modified_and_304(web):
    url = "http://www.jingxian.gov.cn/xxgk/index.html"
    status, headers, _ = fetch(web, url)
    assert status == 200 and headers["ETag"] and headers["Last-Modified"]
    assert fetch(web, url, {"If-None-Match": headers["ETag"]})[0] == 304
    assert fetch(web, url, {"If-Modified-Since": headers["Last-Modified"]})[0] == 304
    assert fetch(web, url, {"If-None-Match": '"nope"'})[0] == 200
    assert fetch(web, url, {"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"})[0] == 200
    assert [r.status for r in web.request_log[-4:]] == [304, 304, 200, 200]


def test_gzip_when_asked_on_gzip_portals(web):
    for url in (
        "http://www.cangyuan.gov.cn/zwgk/zfxxgknb/index.html",
        "http://www.shizong.gov.cn/index.html",
        "http://xxgk.lueyang.gov.cn/",
    ):
        _, _, plain = fetch(web, url)
        status, headers, body = fetch(web, url, {"Accept-Encoding": "gzip, deflate"})
        assert status == 200 and headers.get("Content-Encoding") == "gzip"
        assert int(headers["Content-Length"]) == len(body)
        assert gzip.decompress(body) == plain
        # a gzip variant's ETag still validates
        assert (
            fetch(web, url, {"Accept-Encoding": "gzip", "If-None-Match": headers["ETag"]})[0] == 304
        )
    _, headers, _ = fetch(web, "http://www.jingxian.gov.cn/index.asp", {"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in headers


def test_jingxian_is_gbk_without_header_charset(web):
    status, headers, body = fetch(web, "http://www.jingxian.gov.cn/xxgk/ndbg/list.asp?page=1")
    assert status == 200
    assert headers["Content-Type"] == "text/html"
    assert b"charset=gb2312" in body
    text = body.decode("gbk")
    assert "堃溪镇2022年政府信息公开工作年度报告" in text
    with pytest.raises(UnicodeDecodeError):
        body.decode("gb2312")
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    assert "下一页" in text and "尾页" in text and 'href="list.asp?page=2"' in text


# ----------------------------------------------------------------------------- CMS styles
def test_trs_pagination_only_by_create_page_html(web):
    base = "http://www.cangyuan.gov.cn/zwgk/zfxxgknb/"
    for i, name in enumerate(["index.html", "index_1.html", "index_2.html"]):
        status, _, body = fetch(web, base + name)
        assert status == 200
        assert f'createPageHTML(3, {i}, "index", "html");' in body.decode()
        assert not any(re.search(r"/index_\d+\.html$", u) for u in links(base + name, body))
    assert fetch(web, base + "index_3.html")[0] == 404
    _, _, body = fetch(web, base + "index_2.html")
    assert "./201902/t20190218_" in body.decode()  # the 2018 seed report, relative link, last page
    _, _, body = fetch(web, base + "index.html")
    assert "乡镇政府信息公开年报" in body.decode()


def test_trs_report_carries_national_meta_tags(web):
    rep = next(r for r in web.expected_reports if r.year == 2018 and r.region == "沧源佤族自治县")
    _, _, body = fetch(web, rep.url)
    doc = lxml.html.fromstring(body.decode())
    meta = {m.get("name"): m.get("content") for m in doc.xpath("//meta[@name]")}
    assert meta["ArticleTitle"] == "沧源自治县2018年政府信息公开工作年度报告"
    assert meta["PubDate"] == "2019-02-18 10:20"
    assert meta["ContentSource"] == "沧源佤族自治县人民政府"
    assert meta["SiteName"] and meta["ColumnName"] == "政府信息公开年报"
    assert "国务院令第492号" in body.decode()


def test_jcms_items_only_in_datastore(web):
    url = "http://www.shizong.gov.cn/col/col4521/index.html"
    status, _, body = fetch(web, url)
    text = body.decode()
    assert status == 200
    assert '<script type="text/xml">' in text and "<datastore>" in text and "<recordset>" in text
    assert '<record><![CDATA[\n<li><a href="/art/2024/1/20/art_4521_88123.html"' in text
    visible = links(url, body)
    assert not any("/art/" in u for u in visible)  # the list is filled by JavaScript
    doc = lxml.html.fromstring(text)
    assert doc.xpath('//ul[@id="list_4521"]')[0].text_content().strip() == ""
    status, _, body = fetch(web, "http://www.shizong.gov.cn/art/2024/1/20/art_4521_88123.html")
    assert status == 200 and "<!--ZJEG_RSS.content.begin-->" in body.decode()


def test_platform_host_linked_from_portal(web):
    _, _, body = fetch(web, "http://www.lueyang.gov.cn/")
    assert "http://xxgk.lueyang.gov.cn/" in links("http://www.lueyang.gov.cn/", body)
    _, _, body = fetch(web, "http://xxgk.lueyang.gov.cn/")
    found = links("http://xxgk.lueyang.gov.cn/", body)
    for slug in ("xzf", "hxhjd", "czj", "jyj"):
        assert f"http://xxgk.lueyang.gov.cn/unit/{slug}/" in found
    status, _, body = fetch(web, "http://xxgk.lueyang.gov.cn/unit/czj/ndbg/")
    assert status == 200 and "略阳县财政局2022年度政府信息公开工作年度报告" in body.decode()


# ----------------------------------------------------------------------------- quirks
def test_redirect_to_final_report_url(web):
    ((src, dst),) = web.redirects.items()
    assert "show.asp?id=" in src
    status, headers, _ = fetch(web, src)
    assert status == 301 and headers["Location"] == dst
    assert dst in {r.url for r in web.expected_reports}
    listed = ""
    for n in (1, 2, 3):
        status, _, body = fetch(web, f"http://www.jingxian.gov.cn/xxgk/ndbg/list.asp?page={n}")
        if status == 503:
            status, _, body = fetch(web, f"http://www.jingxian.gov.cn/xxgk/ndbg/list.asp?page={n}")
        listed += body.decode("gbk")
    assert f'href="{src.rsplit("/", 1)[1]}"' in listed


def test_home_redirect_302(web):
    status, headers, _ = fetch(web, "http://www.fuxin.gov.cn/")
    assert status == 302 and headers["Location"] == "http://www.fuxin.gov.cn/index.html"


def test_flaky_list_page_503_then_200(web):
    (url,) = web.flaky_urls
    web.reset()
    status, headers, _ = fetch(web, url)
    assert status == 503 and headers["Retry-After"] == "1"
    assert fetch(web, url)[0] == 200
    assert [r.status for r in web.request_log] == [503, 200]


def test_robots(web):
    status, _, body = fetch(web, "http://www.fuxin.gov.cn/robots.txt")
    assert status == 200 and "Disallow: /old/" in body.decode()
    (url,) = web.robots_disallowed_urls
    assert urlsplit(url).path.startswith("/old/")
    assert fetch(web, url)[0] == 200
    assert url not in web.distractor_urls and url not in {r.url for r in web.expected_reports}
    assert fetch(web, "http://www.cangyuan.gov.cn/robots.txt")[0] == 200
    assert fetch(web, "http://xxgk.lueyang.gov.cn/robots.txt")[0] == 404


def test_attachment_and_dead_link(web):
    (pdf,) = [u for u in web.attachment_urls if urlsplit(u).hostname == "www.fuxin.gov.cn"]
    assert pdf.endswith("/2021ndbg.pdf")
    status, headers, body = fetch(web, pdf)
    assert (
        status == 200 and headers["Content-Type"] == "application/pdf" and body.startswith(b"%PDF")
    )
    _, _, listing = fetch(web, "http://www.fuxin.gov.cn/zwgk/zfxxgknb/index.html")
    assert pdf in links("http://www.fuxin.gov.cn/zwgk/zfxxgknb/index.html", listing)
    (dead,) = web.dead_urls
    assert fetch(web, dead)[0] == 404


def test_traps_are_endless_and_reachable(web):
    assert len(web.trap_urls) == 5
    for trap in web.trap_urls:
        status, _, body = fetch(web, trap)
        assert status == 200, trap
        nxt = [
            u
            for u in links(trap, body)
            if urlsplit(u).netloc == urlsplit(trap).netloc and u != trap
        ]
        deeper = [u for u in nxt if u not in web.urls()]
        assert deeper, trap
    cal = "http://www.cangyuan.gov.cn/calendar/?date=2023-01-01"
    assert "http://www.cangyuan.gov.cn/calendar/?date=2023-01-02" in links(cal, fetch(web, cal)[2])
    grow = "http://www.shizong.gov.cn/module/wza/index.jsp?a=1"
    longer = [u for u in links(grow, fetch(web, grow)[2]) if "wza" in u and len(u) > len(grow)]
    assert longer and len(links(longer[0], fetch(web, longer[0])[2])[0]) > 0
    rep = "http://www.jingxian.gov.cn/xxgk/xxgk/index.html"
    assert "http://www.jingxian.gov.cn/xxgk/xxgk/xxgk/index.html" in links(rep, fetch(web, rep)[2])
    assert fetch(web, "http://www.jingxian.gov.cn/xxgk/xxgk/xxgk/xxgk/index.html")[0] == 200
    # reachable from the disclosure section page and from the report columns
    where = {
        cal: [
            "http://www.cangyuan.gov.cn/zwgk/",
            "http://www.cangyuan.gov.cn/zwgk/zfxxgknb/index.html",
        ],
        grow: [
            "http://www.shizong.gov.cn/col/col4501/index.html",
            "http://www.shizong.gov.cn/col/col4521/index.html",
        ],
        rep: [
            "http://www.jingxian.gov.cn/xxgk/index.html",
            "http://www.jingxian.gov.cn/xxgk/ndbg/list.asp?page=1",
        ],
    }
    for trap, pages in where.items():
        for page in pages:
            assert trap in links(page, fetch(web, page)[2]), (trap, page)


def test_offsite_links_present_and_never_served(web):
    _, _, body = fetch(web, "http://www.cangyuan.gov.cn/")
    found = set(links("http://www.cangyuan.gov.cn/", body))
    assert {"http://www.gov.cn/", "http://www.yn.gov.cn/"} <= found
    assert "http://www.cangyuan.gov.cn.example.com/zwgk/zfxxgknb/index.html" in found
    for u in web.offsite_urls:
        assert urlsplit(u).hostname not in web.hosts


# ----------------------------------------------------------------------------- ground truth
def test_every_expected_report_is_served_with_its_title(web):
    assert len(web.expected_reports) >= 30
    for rep in web.expected_reports:
        if rep.url in web.attachment_urls:
            continue  # a document linked from the list: tests/test_simweb_attachments.py
        status, _, body = fetch(web, rep.url)
        assert status == 200, rep.url
        assert rep.title in decode(body), rep.url


def test_expected_report_fields_are_sane(web):
    urls = [r.url for r in web.expected_reports]
    assert len(set(urls)) == len(urls)
    for r in web.expected_reports:
        assert isinstance(r, ExpectedReport)
        assert 2010 <= r.year <= 2024
        assert r.published.year == r.year + 1 and r.published.month <= 3
        assert r.admin_level in LEVELS
        assert r.region and r.issuer and str(r.year) in r.title and "年度报告" in r.title
        assert r.agency is None or (
            r.agency.endswith("局") and r.agency in r.title and r.admin_level == "county"
        )
        if r.admin_level == "township":
            assert r.region.endswith(("镇", "乡", "街道"))
        assert urlsplit(r.url).hostname in web.hosts
    by_title = {r.title: r for r in web.expected_reports}
    seeds = [
        (
            "沧源自治县2018年政府信息公开工作年度报告",
            2018,
            "沧源佤族自治县",
            "county",
            dt.date(2019, 2, 18),
        ),
        ("彩云镇2023年政府信息公开工作年度报告", 2023, "彩云镇", "township", None),
        (
            "阜新市2019年政府信息公开工作年度报告",
            2019,
            "阜新市",
            "prefecture",
            dt.date(2020, 1, 20),
        ),
        ("横现河街道办事处2016年度政府信息公开工作年度报告", 2016, "横现河街道", "township", None),
        ("景县2018年政府信息公开工作年度报告", 2018, "景县", "county", dt.date(2019, 1, 17)),
    ]
    for title, year, region, level, published in seeds:
        r = by_title[title]
        assert (r.year, r.region, r.admin_level, r.agency) == (year, region, level, None)
        assert published is None or r.published == published
    dept = by_title["师宗县财政局2022年度政府信息公开工作年度报告"]
    assert (dept.region, dept.admin_level, dept.agency) == ("师宗县", "county", "财政局")
    assert {r.agency for r in web.expected_reports if r.region == "略阳县"} >= {
        None,
        "财政局",
        "教育局",
    }


def test_generated_reports_have_national_sections_and_table(web):
    rep = next(
        r for r in web.expected_reports if r.year >= 2021 and r.stats and "t3_new" in r.stats
    )
    text = decode(fetch(web, rep.url)[2])
    for h in (
        "一、总体情况",
        "二、主动公开政府信息情况",
        "三、收到和处理政府信息公开申请情况",
        "四、政府信息公开行政复议、行政诉讼情况",
        "五、存在的主要问题及改进情况",
        "六、其他需要报告的事项",
    ):
        assert h in text
    assert "<table" in text and "一、本年新收政府信息公开申请数量" in text and "（七）总计" in text
    assert (
        rep.stats["t3_new"] + rep.stats["t3_carried"]
        == rep.stats["t3_handled"] + rep.stats["t3_forward"]
    )


def test_distractors(web):
    expected = {r.url for r in web.expected_reports}
    assert len(web.distractor_urls) >= 8 and not (web.distractor_urls & expected)
    titles = []
    for u in web.distractor_urls - web.attachment_urls:
        status, _, body = fetch(web, u)
        assert status == 200
        titles.append(lxml.html.fromstring(decode(body)).findtext(".//title"))
    for word in (
        "通知",
        "工作要点",
        "统计公报",
        "政府工作报告",
        "决算",
        "法治政府建设年度报告",
        "企业年度报告",
    ):
        assert any(word in t for t in titles), word


def test_sites_and_csv(web, tmp_path):
    assert all(isinstance(s, SiteEntry) for s in web.sites)
    hosts = {urlsplit(s.url).hostname for s in web.sites}
    assert hosts == {
        "www.cangyuan.gov.cn",
        "www.shizong.gov.cn",
        "www.jingxian.gov.cn",
        "www.lueyang.gov.cn",
        "www.fuxin.gov.cn",
        "www.hongze.gov.cn",
        "www.menghai.gov.cn",
        # script-built lists read without a browser (simweb.scripted)
        "www.binchuan.gov.cn",
        "www.deqing.gov.cn",
        "www.zhenping.gov.cn",
        "www.ningshan.gov.cn",
        # pages linked as https://, http://, http://host:80/ and relative (simweb.aliases)
        "www.huaning.gov.cn",
    }
    assert web.domains == {
        "cangyuan.gov.cn",
        "shizong.gov.cn",
        "jingxian.gov.cn",
        "lueyang.gov.cn",
        "fuxin.gov.cn",
        "hongze.gov.cn",
        "menghai.gov.cn",
        "binchuan.gov.cn",
        "deqing.gov.cn",
        "zhenping.gov.cn",
        "ningshan.gov.cn",
        "huaning.gov.cn",
    }
    path = tmp_path / "sites.csv"
    web.write_sites_csv(path)
    lines = path.read_text("utf-8").splitlines()
    assert lines[0] == "name,url,level,region_code"
    assert "阜新市人民政府,http://www.fuxin.gov.cn/,prefecture,210900" in lines


def test_builds_are_deterministic():
    a, b = build_test_web(), build_test_web()
    assert a.expected_reports == b.expected_reports
    assert sorted(a.urls()) == sorted(b.urls())
    ua = "http://www.cangyuan.gov.cn/zwgk/zfxxgknb/index.html"
    assert (
        a.hosts["www.cangyuan.gov.cn"].pages["/zwgk/zfxxgknb/index.html"].etag
        == b.hosts["www.cangyuan.gov.cn"].pages[urlsplit(ua).path].etag
    )


# ----------------------------------------------------------------------------- other webs
def test_demo_web():
    web = build_demo_web()
    assert len(web.sites) == 2 and 6 <= len(web.expected_reports) <= 10
    with web:
        for rep in web.expected_reports:
            assert fetch(web, rep.url)[0] == 200
    with pytest.raises(RuntimeError):
        _ = web.proxy_url


def test_large_web_size():
    web = build_large_web()
    assert len(web.sites) >= 50
    assert web.page_count() >= 2000
    assert len(web.expected_reports) == 50 * 20
    assert {urlsplit(s.url).hostname for s in web.sites} >= {
        "www.county001.gov.cn",
        "www.county050.gov.cn",
    }
    sizes = []
    for r in web.expected_reports[:60]:
        u = urlsplit(r.url)
        sizes.append(len(web.hosts[u.hostname].pages[u.path].body))
    assert 8_000 <= sum(sizes) / len(sizes) <= 14_000


def test_every_static_page_titled_like_a_report_is_classified(web):
    known = (
        {r.url for r in web.expected_reports} | web.distractor_urls | web.robots_disallowed_urls
    ) - web.attachment_urls  # documents are not HTML pages with a <title>
    seen = 0
    for host, vh in web.hosts.items():
        for target, page in vh.pages.items():
            if page.status != 200 or not page.content_type.startswith("text/html"):
                continue
            title = lxml.html.fromstring(page.body.decode(vh.encoding)).findtext(".//title") or ""
            if re.search("报告|年度|要点|公报|决算", title):
                seen += 1
                assert f"http://{host}{target}" in known, (host, target, title)
    assert seen == len(known)
