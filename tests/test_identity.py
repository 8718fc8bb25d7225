"""URL identity: every form a portal gives one page's URL has one key."""

from __future__ import annotations

import time

import pytest
from scrapy import FormRequest, Request
from scrapy.utils.test import get_crawler

from govcrawl.fingerprint import KeyFingerprinter
from govcrawl.identity import index_alias, url_key

PAGE = "http://www.cangyuan.gov.cn/zwgk/ndbg/t20230120_123.html"


@pytest.mark.parametrize("form", [
    PAGE,
    "https://www.cangyuan.gov.cn/zwgk/ndbg/t20230120_123.html",
    "http://www.cangyuan.gov.cn:80/zwgk/ndbg/t20230120_123.html",
    "https://www.cangyuan.gov.cn:443/zwgk/ndbg/t20230120_123.html",
    "HTTP://WWW.Cangyuan.GOV.CN/zwgk/ndbg/t20230120_123.html",
    "http://www.cangyuan.gov.cn./zwgk/ndbg/t20230120_123.html",
    "http://www.cangyuan.gov.cn/zwgk/ndbg/t20230120_123.html#top",
    "http://www.cangyuan.gov.cn/zwgk/./ndbg/t20230120_123.html",
    "http://www.cangyuan.gov.cn/zwgk/xxgk/../ndbg/t20230120_123.html",
    "http://www.cangyuan.gov.cn/%7A%77gk/ndbg/t20230120_123.html",  # %7A%77 = "zw", unreserved
    "http://user:pw@www.cangyuan.gov.cn/zwgk/ndbg/t20230120_123.html",
    " http://www.cangyuan.gov.cn/zwgk/ndbg/t20230120_123.html ",
])
def test_forms_of_one_page_have_one_key(form: str) -> None:
    assert url_key(form) == PAGE


@pytest.mark.parametrize(("one", "other"), [
    ("http://x.gov.cn/a.html", "http://x.gov.cn/b.html"),
    ("http://x.gov.cn/a.html", "http://y.gov.cn/a.html"),
    ("http://x.gov.cn/a.html", "http://x.gov.cn:8080/a.html"),
    ("http://x.gov.cn/list.jsp?page=1", "http://x.gov.cn/list.jsp?page=2"),
    ("http://x.gov.cn/list.jsp?a=1&b=2", "http://x.gov.cn/list.jsp?b=2&a=1"),  # order kept
    ("http://x.gov.cn/A.html", "http://x.gov.cn/a.html"),  # paths are case-sensitive
    ("http://x.gov.cn/col/", "http://x.gov.cn/col/index.html"),  # not folded by the key
])
def test_different_resources_keep_different_keys(one: str, other: str) -> None:
    assert url_key(one) != url_key(other)


def test_escapes_are_normalised() -> None:
    assert url_key("http://x.gov.cn/a%2fb%e4%b8%ad") == "http://x.gov.cn/a%2Fb%E4%B8%AD"
    # Raw non-ASCII and spaces are encoded as UTF-8, as a browser sends them.
    assert url_key("http://x.gov.cn/年报 2023.html?q=报告") == (
        "http://x.gov.cn/%E5%B9%B4%E6%8A%A5%202023.html?q=%E6%8A%A5%E5%91%8A")
    assert url_key("http://x.gov.cn/a.html?") == "http://x.gov.cn/a.html"
    assert url_key("http://x.gov.cn") == "http://x.gov.cn/"
    assert url_key("http://x.gov.cn/a/b/..") == "http://x.gov.cn/a/"
    assert url_key("http://x.gov.cn/../../a") == "http://x.gov.cn/a"
    assert url_key("http://x.gov.cn/100%") == "http://x.gov.cn/100%"  # a stray % stays


def test_unusual_hosts_and_bad_urls() -> None:
    assert url_key("http://政府.cn/a") == "http://xn--mxtq1m.cn/a"
    assert url_key("http://[::1]:8080/a") == "http://[::1]:8080/a"
    assert url_key("http://x.gov.cn:99999/a#f") == "http://x.gov.cn:99999/a"  # bad port: as is
    assert url_key("ftp://x.gov.cn/a") == "ftp://x.gov.cn/a"


def test_a_key_is_its_own_key() -> None:
    for url in ("https://X.gov.cn:443/a/./b%7e?q=%e4", "http://x.gov.cn/年报", "http://x.gov.cn"):
        assert url_key(url_key(url)) == url_key(url)


def test_index_alias() -> None:
    assert index_alias("http://x.gov.cn/col/") == "http://x.gov.cn/col/index.html"
    assert index_alias("http://x.gov.cn/col/index.html") == "http://x.gov.cn/col/"
    assert index_alias("http://x.gov.cn/col/Default.htm") == "http://x.gov.cn/col/"
    assert index_alias("http://x.gov.cn/col/t1.html") is None
    assert index_alias("http://x.gov.cn/col/?page=2") is None


def test_key_is_linear_on_hostile_urls() -> None:
    hostile = "http://x.gov.cn/" + "%" * 200_000 + "/./" * 50_000 + "?" + "%e4" * 100_000
    started = time.perf_counter()
    url_key(hostile)
    assert time.perf_counter() - started < 1.0


def test_the_dupefilter_sees_one_request_per_resource() -> None:
    fingerprinter = KeyFingerprinter(get_crawler())
    forms = [Request(PAGE), Request(PAGE.replace("http:", "https:")),
             Request(PAGE.replace(".cn/", ".cn:80/"))]
    assert len({fingerprinter.fingerprint(r) for r in forms}) == 1
    # A POST to a list endpoint is told apart by its form, as before.
    pages = [FormRequest("http://x.gov.cn/list", formdata={"pageNo": str(n)}) for n in (1, 2)]
    assert len({fingerprinter.fingerprint(r) for r in pages}) == 2
