"""The simulated Wayback Machine (simweb.wayback), exercised through its HTTP proxy."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import json
import time
import urllib.error
import urllib.request
from email.utils import format_datetime
from urllib.parse import quote, urljoin, urlsplit

import lxml.html
import pytest

from simweb import ArchiveWeb, ExpectedReport, build_archive_web, build_test_web
from simweb.wayback import urlkey

ARCHIVE = "http://web.archive.org"
CDX = f"{ARCHIVE}/cdx/search/cdx"
CY = "http://www.cangyuan.gov.cn"
JX = "http://www.jingxian.gov.cn"
FIELDS = ["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003
        return None


@pytest.fixture(scope="module")
def web():
    w = build_archive_web()
    w.archive_rate_limit = 0  # the limit itself: test_cdx_rate_limit, on a web of its own
    with w:
        yield w


def fetch(
    web: ArchiveWeb, url: str, *, follow: bool = False
) -> tuple[int, dict[str, str], bytes, str]:
    """GET through the proxy: status, headers, body, final URL (HTTP errors as responses)."""
    handlers: list = [urllib.request.ProxyHandler({"http": web.proxy_url})]
    if not follow:
        handlers.append(_NoRedirect)
    opener = urllib.request.build_opener(*handlers)
    try:
        with opener.open(url, timeout=10) as r:
            return r.status, dict(r.headers.items()), r.read(), r.url
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers.items()), e.read(), url


def cdx(web: ArchiveWeb, query: str) -> list[list[str]]:
    status, headers, body, _ = fetch(web, f"{CDX}?{query}&output=json")
    assert status == 200, (query, status, body)
    assert headers["Content-Type"] == "application/json"
    return json.loads(body)


def decode(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("gbk")


def links(url: str, body: bytes) -> set[str]:
    doc = lxml.html.fromstring(decode(body))
    return {urljoin(url, h).split("#")[0] for h in doc.xpath("//a/@href")}


def rfc1123(when: dt.datetime) -> str:
    return format_datetime(when.astimezone(dt.UTC), usegmt=True)


def archived_reports(web: ArchiveWeb) -> list[ExpectedReport]:
    return web.archive_only_reports + web.archived_live_reports


# ----------------------------------------------------------------------------- the live portals
def test_live_portals_are_the_test_webs(web):
    test_web = build_test_web()
    for host in ("www.cangyuan.gov.cn", "www.jingxian.gov.cn"):
        ours, theirs = web.hosts[host], test_web.hosts[host]
        assert ours.extra_headers == theirs.extra_headers
        assert set(ours.pages) == set(theirs.pages)
        for target, page in ours.pages.items():
            assert page.body == theirs.pages[target].body, (host, target)
            assert page.headers == theirs.pages[target].headers
    theirs = [r for r in test_web.expected_reports if urlsplit(r.url).hostname in web.hosts]
    assert web.live_reports == theirs
    assert web.live_reports is web.expected_reports
    assert all(r.archived_at is None for r in web.live_reports)
    assert "archived_at" not in repr(web.live_reports[0])


def test_sites_csv_lists_only_the_live_portals(web, tmp_path):
    path = tmp_path / "sites.csv"
    web.write_sites_csv(path)
    with open(path, encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["name", "url", "level", "region_code"]
    assert sorted(r[1] for r in rows[1:]) == [f"{CY}/", f"{JX}/"]
    assert web.archive_host == "web.archive.org" and web.archive_host in web.hosts


def test_robots_allows_web_and_cdx(web):
    status, headers, body, _ = fetch(web, f"{ARCHIVE}/robots.txt")
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    text = body.decode()
    assert "Allow: /web/" in text and "Allow: /cdx/" in text


# ----------------------------------------------------------------------------- ground truth
def test_ground_truth_lists(web):
    only = {r.url for r in web.archive_only_reports}
    assert only == {
        f"{CY}/zwgk/zfxxgknb/201603/t20160329_401502.html",
        f"{CY}/zwgk/zfxxgknb/201703/t20170322_401876.html",
        f"{CY}/zwgk/zfxxgknb/201803/t20180316_402117.html",
        f"{CY}/zwgk/bmxxgknb/201901/t20190125_402203.html",
        f"{CY}/zwgk/bmxxgknb/202002/t20200214_402268.html",
        f"{JX}/xxgk/ndbg/content_1029.html",
        f"{JX}/xxgk/ndbg/content_1043.html",
    }
    assert web.cdx_only_urls == [f"{CY}/zwgk/zfxxgknb/201603/t20160329_401502.html"]
    assert web.archive_404_urls == [f"{JX}/xxgk/ndbg/content_1017.html"]
    assert web.archive_redirects == {
        f"{JX}/xxgk/ndbg/show.asp?id=1029": f"{JX}/xxgk/ndbg/content_1029.html"
    }
    assert web.archive_only_list_urls == [f"{CY}/zwgk/bmxxgknb/", f"{CY}/zwgk/bmxxgknb/index.html"]
    live = {r.url: r for r in web.live_reports}
    assert len(web.archived_live_reports) == 7
    for r in web.archived_live_reports:
        assert r == live[r.url] and r.archived_at is not None
    assert web.archive_changed_urls == [f"{CY}/zwgk/zfxxgknb/202003/t20200307_512150.html"]
    for r in archived_reports(web):
        assert isinstance(r, ExpectedReport) and r.archived_at.tzinfo is dt.UTC
        assert r.published.year == r.year + 1 and str(r.year) in r.title
        ok = [c for c in web.captures_of(r.url) if c.status == 200]
        assert [c.when for c in ok] == [r.archived_at], r.url  # one 200 capture each
        assert r.archived_at.date() >= r.published
    assert {r.agency for r in web.archive_only_reports} == {None, "财政局"}
    assert all(r.url not in live for r in web.archive_only_reports)


def test_archive_only_reports_are_gone_live_but_archived(web):
    for r in web.archive_only_reports:
        status, _, body, _ = fetch(web, r.url)
        assert status == 404, r.url
        ts = r.archived_at.strftime("%Y%m%d%H%M%S")
        status, headers, body, _ = fetch(web, f"{ARCHIVE}/web/{ts}id_/{r.url}")
        assert status == 200, r.url
        assert r.title in decode(body)
        assert headers["Memento-Datetime"] == rfc1123(r.archived_at)
    for r in web.archived_live_reports:
        assert fetch(web, r.url)[0] == 200
    for url in web.archive_only_list_urls:
        assert fetch(web, url)[0] == 404
        [cap, *_] = web.captures_of(url)
        status, _, body, _ = fetch(web, cap.replay_url())
        assert status == 200
        dept = {r.url for r in web.archive_only_reports if r.agency}
        assert links(url, body) & dept


def test_cdx_only_report_is_linked_from_nowhere(web):
    linked: set[str] = set()
    for cap in web.archive_captures:
        if cap.status == 200 and cap.mimetype == "text/html":
            linked |= links(cap.original, cap.body)
    for vh in web.hosts.values():
        for target, page in vh.pages.items():
            if page.content_type.startswith("text/html") and page.status == 200:
                linked |= links(f"http://{vh.name}{target}", page.body)
    redirected = set(web.archive_redirects.values())
    for r in web.archive_only_reports:
        if r.url in web.cdx_only_urls:
            assert r.url not in linked
        else:
            assert r.url in linked or r.url in redirected, r.url
    assert f"{CY}/zwgk/bmxxgknb/" in linked  # the archived column page is linked (then)
    [url] = web.cdx_only_urls
    rows = cdx(web, f"url={quote(url)}")
    assert rows[1][2] == url and rows[1][4] == "200"


# ----------------------------------------------------------------------------- /web/ replay
def test_exact_hit_serves_the_captured_bytes_and_headers(web):
    changed = set(web.archive_changed_urls)
    for r in archived_reports(web):
        [cap] = [c for c in web.captures_of(r.url) if c.status == 200]
        status, headers, body, _ = fetch(web, cap.replay_url())
        assert status == 200 and body == cap.body
        orig = dict(cap.headers)
        assert headers["Content-Type"] == orig["Content-Type"]
        assert headers["X-Archive-Orig-Content-Type"] == orig["Content-Type"]
        assert headers["X-Archive-Orig-Content-Length"] == str(len(body))
        assert headers["X-Archive-Orig-Date"] == rfc1123(cap.when)
        assert headers["X-Archive-Orig-Last-Modified"] == orig["Last-Modified"]
        assert headers["Memento-Datetime"] == rfc1123(r.archived_at)
        assert headers["Link"] == f'<{r.url}>; rel="original"'
        if r in web.archived_live_reports:
            live = fetch(web, r.url)[2]
            assert (body != live) == (r.url in changed), r.url
            assert r.title in decode(body)


def test_exact_hit_keeps_the_portals_own_headers(web):
    url = f"{JX}/xxgk/ndbg/content_1043.html"
    [cap] = web.captures_of(url)
    status, headers, body, _ = fetch(web, cap.replay_url())
    assert status == 200
    assert headers["Content-Type"] == "text/html"  # no charset: a GBK page declaring gb2312
    assert "景县2016年" in body.decode("gbk")
    assert headers["X-Archive-Orig-Server"] == "Microsoft-IIS/7.5"
    assert headers["X-Archive-Orig-X-Powered-By"] == "ASP.NET"
    assert headers["X-Archive-Orig-Set-Cookie"].startswith("ASPSESSIONID")
    assert "Set-Cookie" not in headers


def test_nearest_capture_redirects(web):
    url = f"{CY}/zwgk/zfxxgknb/index.html"
    first, second = web.captures_of(url)
    assert (first.timestamp[:6], second.timestamp[:6]) == ("201906", "202103")
    cases = {
        "2020": first,  # 2020-01-01: 201 days after the first, 453 before the second
        "2021": second,
        "202012": second,
        "20190101": first,
        "2018": first,
        "2030": second,
        str(int(first.timestamp) + 1): first,  # one second off: not exact
    }
    for ts, want in cases.items():
        status, headers, _, _ = fetch(web, f"{ARCHIVE}/web/{ts}id_/{url}")
        assert status == 302, ts
        assert headers["Location"] == f"{ARCHIVE}/web/{want.timestamp}id_/{url}", ts
        assert "Memento-Datetime" not in headers
    # no timestamp: the latest capture
    status, headers, _, _ = fetch(web, f"{ARCHIVE}/web/{url}")
    assert status == 302 and headers["Location"] == f"{ARCHIVE}/web/{second.timestamp}/{url}"
    # followed: the capture itself
    status, _, body, final = fetch(web, f"{ARCHIVE}/web/2020id_/{url}", follow=True)
    assert status == 200 and body == first.body and final == first.replay_url()


def test_url_matching_ignores_scheme_www_and_trailing_slash(web):
    [cap, _] = web.captures_of(f"{CY}/zwgk/zfxxgknb/")
    assert cap.original == f"{CY}/zwgk/zfxxgknb/"
    for variant in (
        "https://www.cangyuan.gov.cn/zwgk/zfxxgknb/",
        "http://www.cangyuan.gov.cn/zwgk/zfxxgknb",
        "https://cangyuan.gov.cn/zwgk/zfxxgknb",
        "http:/www.cangyuan.gov.cn/zwgk/zfxxgknb/",
        "www.cangyuan.gov.cn/zwgk/zfxxgknb/",
    ):
        status, headers, body, _ = fetch(web, f"{ARCHIVE}/web/{cap.timestamp}id_/{variant}")
        assert status == 200 and body == cap.body, variant
        status, headers, _, _ = fetch(web, f"{ARCHIVE}/web/2019id_/{variant}")
        assert headers["Location"] == cap.replay_url(), variant
    assert urlkey(f"{CY}/zwgk/zfxxgknb/") == "cn,gov,cangyuan)/zwgk/zfxxgknb"
    assert urlkey("https://WWW.Cangyuan.gov.cn:443/") == "cn,gov,cangyuan)/"
    assert urlkey(f"{JX}/a.asp?b=2&a=1") == urlkey(f"{JX}/a.asp?a=1&b=2")


def test_404_capture(web):
    [url] = web.archive_404_urls
    [cap] = web.captures_of(url)
    assert cap.status == 404
    status, headers, body, _ = fetch(web, cap.replay_url())
    assert status == 404 and body == cap.body
    assert "页面不存在" in decode(body)
    assert headers["Memento-Datetime"] == rfc1123(cap.when)
    assert headers["X-Archive-Orig-Content-Type"] == "text/html"
    [row] = cdx(web, f"url={quote(url)}")[1:]
    assert row[4] == "404"
    assert fetch(web, url)[0] == 404  # and live


def test_redirect_capture(web):
    [(old, target)] = web.archive_redirects.items()
    [cap] = web.captures_of(old)
    assert cap.status == 301
    status, headers, _, _ = fetch(web, cap.replay_url())
    assert status == 302
    assert headers["Location"] == f"{ARCHIVE}/web/{cap.timestamp}id_/{target}"
    assert headers["X-Archive-Orig-Location"] == target
    assert headers["Memento-Datetime"] == rfc1123(cap.when)
    [dest] = web.captures_of(target)
    status, _, body, final = fetch(web, cap.replay_url(), follow=True)
    assert status == 200 and body == dest.body and final == dest.replay_url()
    assert "景县2015年政府信息公开工作年度报告" in body.decode("gbk")
    # the archived list linked the redirecting URL
    page1 = [c for c in web.captures_of(f"{JX}/xxgk/ndbg/list.asp?page=1")][0]
    assert old in links(page1.original, page1.body)
    assert [row[4] for row in cdx(web, f"url={quote(old)}")[1:]] == ["301"]


def test_unarchived_url_is_404(web):
    for url in (
        f"{ARCHIVE}/web/2019id_/{CY}/no/such/page.html",
        f"{ARCHIVE}/web/20190614021307id_/http://www.example.gov.cn/",
        f"{ARCHIVE}/web/2019id_/{CY}/zwgk/zfxxgknb/202401/t20240126_512103.html",  # live only
    ):
        status, headers, body, _ = fetch(web, url)
        assert status == 404, url
        assert b"not archived" in body and "Memento-Datetime" not in headers
    assert fetch(web, f"{ARCHIVE}/")[0] == 404


# ----------------------------------------------------------------------------- CDX API
def test_cdx_prefix(web):
    rows = cdx(web, "url=www.cangyuan.gov.cn/zwgk/zfxxgknb/*")
    assert rows[0] == FIELDS
    body = rows[1:]
    assert body and all(r[0].startswith("cn,gov,cangyuan)/zwgk/zfxxgknb") for r in body)
    assert body == sorted(body, key=lambda r: (r[0], r[1]))
    assert all(all(isinstance(v, str) for v in r) for r in body)
    assert cdx(web, f"url={CY}/zwgk/zfxxgknb/&matchType=prefix") == rows
    originals = {r[2] for r in body}
    assert f"{CY}/zwgk/zfxxgknb/201603/t20160329_401502.html" in originals
    assert not any("bmxxgknb" in u for u in originals)
    # a prefix without the directory's slash also takes its siblings' names
    assert len(cdx(web, "url=www.cangyuan.gov.cn/zwgk/zfxxgk*")) > len(rows)


def test_cdx_exact_host_and_domain(web):
    exact = cdx(web, f"url={CY}/zwgk/zfxxgknb/index.html")
    assert [r[1] for r in exact[1:]] == [c.timestamp for c in web.captures_of(exact[1][2])]
    assert cdx(web, "url=https://cangyuan.gov.cn/zwgk/zfxxgknb/index.html") == exact
    host = cdx(web, "url=www.cangyuan.gov.cn&matchType=host")[1:]
    domain = cdx(web, "url=cangyuan.gov.cn&matchType=domain")[1:]
    assert host == domain and all(r[0].startswith("cn,gov,cangyuan)") for r in host)
    both = cdx(web, "url=gov.cn&matchType=domain")[1:]
    assert both == cdx(web, "url=*.gov.cn")[1:]
    assert len(both) == len(web.archive_captures)
    assert {urlsplit(r[2]).hostname for r in both} == {"www.cangyuan.gov.cn", "www.jingxian.gov.cn"}


def test_cdx_from_to(web):
    site = "url=cangyuan.gov.cn&matchType=domain"
    later = cdx(web, f"{site}&from=2021")[1:]
    assert later and all(r[1] >= "20210101000000" for r in later)
    early = cdx(web, f"{site}&to=2019")[1:]
    assert early and all(r[1] <= "20191231235959" for r in early)
    assert {r[1][:4] for r in early} == {"2018", "2019"}
    day = cdx(web, f"{site}&from=20190614&to=20190614")[1:]
    assert day and {r[1][:8] for r in day} == {"20190614"}
    assert len(early) + len(later) == len(cdx(web, site)) - 1
    assert cdx(web, f"{site}&from=2022") == []


def test_cdx_filter(web):
    everything = cdx(web, "url=gov.cn&matchType=domain")[1:]
    ok = cdx(web, "url=gov.cn&matchType=domain&filter=statuscode:200")[1:]
    not_ok = cdx(web, "url=gov.cn&matchType=domain&filter=!statuscode:200")[1:]
    assert {r[4] for r in ok} == {"200"} and {r[4] for r in not_ok} == {"301", "404"}
    assert len(ok) + len(not_ok) == len(everything)
    html = cdx(web, "url=gov.cn&matchType=domain&filter=mimetype:text/html")[1:]
    other = cdx(web, "url=gov.cn&matchType=domain&filter=!mimetype:text/html")[1:]
    assert {r[3] for r in other} == {"text/css", "text/plain"}
    assert len(html) + len(other) == len(everything)
    both = cdx(web, "url=gov.cn&matchType=domain&filter=mimetype:text/html&filter=statuscode:200")
    assert len(both) - 1 == len([r for r in html if r[4] == "200"])
    pattern = quote(r"original:.*/content_1\d+\.html")  # regex, full match
    reports = cdx(web, f"url=jingxian.gov.cn&matchType=domain&filter={pattern}")[1:]
    assert reports and all(r[2].endswith(".html") and "/content_1" in r[2] for r in reports)
    assert f"{JX}/xxgk/ndbg/content_1043.html" in {r[2] for r in reports}


def test_cdx_collapse_fl_limit(web):
    q = "url=cangyuan.gov.cn/zwgk/zfxxgknb/*"
    rows = cdx(web, q)[1:]
    collapsed = cdx(web, f"{q}&collapse=urlkey")[1:]
    assert [r[0] for r in collapsed] == sorted({r[0] for r in rows})
    assert len(collapsed) < len(rows)
    by_key = {}
    for r in rows:
        by_key.setdefault(r[0], r)
    assert collapsed == list(by_key.values())  # the first capture of each
    fl = cdx(web, f"{q}&fl=original,timestamp")
    assert fl[0] == ["original", "timestamp"] and fl[1:] == [[r[2], r[1]] for r in rows]
    assert cdx(web, f"{q}&limit=3")[1:] == rows[:3]
    assert cdx(web, f"{q}&limit=-1")[1:] == rows[-1:]
    days = cdx(web, "url=gov.cn&matchType=domain&collapse=timestamp:8&fl=timestamp")[1:]
    # adjacent rows only (sorted by urlkey), as the real server collapses
    assert all(a[0][:8] != b[0][:8] for a, b in zip(days, days[1:], strict=False))
    assert len({r[0][:8] for r in days}) < len(days) < len(web.archive_captures)


def test_cdx_digest_length_and_text_output(web):
    url = f"{CY}/zwgk/zfxxgknb/201902/t20190218_512152.html"
    [header, row] = cdx(web, f"url={url}")
    fields = dict(zip(header, row, strict=True))
    body = fetch(web, f"{ARCHIVE}/web/{fields['timestamp']}id_/{url}")[2]
    assert fields["digest"] == base64.b32encode(hashlib.sha1(body).digest()).decode()
    assert fields["urlkey"] == "cn,gov,cangyuan)/zwgk/zfxxgknb/201902/t20190218_512152.html"
    assert 200 < int(fields["length"]) < len(body) + 2000
    status, headers, text, _ = fetch(web, f"{CDX}?url={url}")
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    assert text.decode() == " ".join(row) + "\n"


def test_cdx_empty_and_bad_queries(web):
    assert cdx(web, "url=www.example.gov.cn/*") == []
    status, _, body, _ = fetch(web, f"{CDX}?url=www.example.gov.cn&output=json")
    assert status == 200 and body.strip() == b"[]"
    for bad in (
        "",
        "url=x.gov.cn&matchType=bogus",
        "url=x.gov.cn&fl=nope",
        "url=x.gov.cn&from=20x9",
        "url=x.gov.cn&filter=nofield",
    ):
        assert fetch(web, f"{CDX}?{bad}")[0] == 400, bad


def test_cdx_rate_limit():
    web = build_archive_web()
    assert web.archive_rate_limit == 2
    url = f"{CDX}?url=jingxian.gov.cn/*&output=json"
    with web:
        for _ in range(2):
            status, headers, _, _ = fetch(web, url)
            assert status == 429 and headers["Retry-After"] == "1"
        # replay is not limited
        assert fetch(web, f"{ARCHIVE}/web/2019id_/{JX}/", follow=True)[0] == 200
        status, _, body, _ = fetch(web, url)
        assert status == 200 and json.loads(body)[0] == FIELDS
        web.reset()
        assert fetch(web, url)[0] == 429
        web.archive_rate_limit = 0
        assert fetch(web, url)[0] == 200
        assert [r.status for r in web.request_log if "/cdx/" in r.url] == [429, 200]


# ----------------------------------------------------------------------------- determinism
def _fingerprint(web: ArchiveWeb) -> tuple:
    caps = [
        (c.urlkey, c.timestamp, c.original, c.status, c.digest, c.length, c.headers)
        for c in web.archive_captures
    ]
    truth = [(r, r.archived_at) for r in archived_reports(web)]
    return (
        caps,
        truth,
        web.cdx_only_urls,
        web.archive_404_urls,
        web.archive_redirects,
        sorted((h, t, p.body) for h, vh in web.hosts.items() for t, p in vh.pages.items()),
    )


def test_deterministic_and_fast(web):
    start = time.perf_counter()
    again = build_archive_web()
    assert time.perf_counter() - start < 1.0
    assert _fingerprint(again) == _fingerprint(web)
