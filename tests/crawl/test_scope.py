"""ScopeMiddleware: the last check before the downloader — the sites' hosts and ports, public
addresses only, web-archive redirects only to captures of the sites — whatever ``dont_filter``
says (review findings H1, M2); and what Scrapy's off-site filter drops before it, on record (L1)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

import pytest
from scrapy import Request, signals
from scrapy.core.downloader.middleware import DownloaderMiddlewareManager
from scrapy.downloadermiddlewares.httpproxy import HttpProxyMiddleware
from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware, RedirectMiddleware
from scrapy.exceptions import CannotResolveHostError, IgnoreRequest
from twisted.internet.error import DNSLookupError
from twisted.python.failure import Failure

from govcrawl.discovery.plan import Role
from govcrawl.meta import StepMeta
from govcrawl.middlewares import (
    BackoffRetryMiddleware,
    ScopeMiddleware,
    WarcCaptureMiddleware,
    WaybackMiddleware,
)
from tests.crawl.helpers import (
    LUEYANG,
    build,
    captures,
    close_crawler,
    crawl_run,
    html_response,
    make_crawler,
    make_spider,
    problems,
    response,
    spider_request,
)

T = TypeVar("T")
PORTAL = "http://www.yunhe.gov.cn:8080/"  # a site whose URL names its port
ARCHIVE = "http://archive.test"
WAYBACK = {"GOVCRAWL_WAYBACK": True, "GOVCRAWL_ARCHIVE_URL": ARCHIVE,
           "GOVCRAWL_WAYBACK_TIMESTAMP": "20221231235959"}
METADATA = "http://127.0.0.2/latest/meta-data/iam/security-credentials/"
# What the names resolve to here (the test never asks a real resolver).
DNS = {
    "www.lueyang.gov.cn": ["61.185.20.7"],
    "xxgk.lueyang.gov.cn": ["10.0.0.5"],  # an in-scope name pointing into a private network
    "old.lueyang.gov.cn": ["61.185.20.8", "127.0.0.1"],  # one bad address is enough
    "www.yunhe.gov.cn": ["115.238.1.2"],
    "archive.test": ["207.241.237.3"],
}


class FakeResolver:
    def __init__(self, answers: dict[str, list[str]] | None = None) -> None:
        self.answers = DNS if answers is None else answers
        self.asked: list[str] = []

    async def __call__(self, host: str) -> list[str]:
        self.asked.append(host)
        if host not in self.answers:
            raise DNSLookupError(host)
        return self.answers[host]


def in_crawl(call: Callable[[], T]) -> T:
    """``call()`` on a running event loop, as in a crawl (a retry's hold sets a timer)."""
    async def run() -> T:
        return call()
    return asyncio.run(run())


def guard(tmp_path: Path, sites: str = f"{LUEYANG},{PORTAL}", resolver: FakeResolver | None = None,
          **settings) -> ScopeMiddleware:
    crawler = make_crawler(tmp_path, **settings)
    make_spider(crawler, site=sites)
    middleware = build(ScopeMiddleware, crawler)
    assert middleware is not None
    middleware.resolve = resolver or FakeResolver()  # type: ignore[method-assign]
    return middleware


def passes(middleware: ScopeMiddleware, request: Request | str) -> bool:
    """Whether the request would go to the network (True) or is refused (False)."""
    request = request if isinstance(request, Request) else Request(request)
    try:
        asyncio.run(middleware.process_request(request))
    except IgnoreRequest:
        return False
    return True


def refusals(middleware: ScopeMiddleware) -> list[tuple[str, str]]:
    return [(p.url, p.message) for p in problems(middleware.crawler, "out_of_scope")]


# -- where it sits ----------------------------------------------------------------------------

def test_the_guard_sees_the_final_request_after_every_other_middleware(tmp_path: Path) -> None:
    crawler = make_crawler(tmp_path)
    make_spider(crawler, site=LUEYANG, start=False)
    chain = [type(m) for m in DownloaderMiddlewareManager.from_crawler(crawler).middlewares]
    # process_request runs in this order: the proxy is set, and retries and redirects come back
    # through the whole chain, before the guard looks.
    assert chain[-1] is ScopeMiddleware
    for before in (BackoffRetryMiddleware, RedirectMiddleware, MetaRefreshMiddleware,
                   HttpProxyMiddleware, WarcCaptureMiddleware):
        assert chain.index(before) < chain.index(ScopeMiddleware)


# -- hosts and ports --------------------------------------------------------------------------

def test_a_redirect_after_a_retry_to_another_host_is_refused(tmp_path: Path) -> None:
    middleware = guard(tmp_path)
    crawler = middleware.crawler
    home = spider_request(LUEYANG, LUEYANG, Role.HOME)
    # The audit's probe: 503 once, then 302 to the cloud-metadata address.
    retry = in_crawl(lambda: build(BackoffRetryMiddleware, crawler).process_response(
        home, response(LUEYANG, status=503, request=home)))
    assert isinstance(retry, Request) and retry.dont_filter
    hop = build(RedirectMiddleware, crawler).process_response(
        retry, response(LUEYANG, status=302, request=retry, headers={"Location": METADATA}))
    assert isinstance(hop, Request) and hop.url == METADATA and hop.dont_filter
    offsite = build(OffsiteMiddleware, crawler)
    offsite.spider_opened(crawler.spider)
    assert offsite.process_request(hop) is None  # Scrapy's off-site filter lets it through
    assert not passes(middleware, hop)
    assert refusals(middleware) == [(METADATA, "refused: host '127.0.0.2' is outside the crawl's "
                                     f"domains (redirected from {LUEYANG})")]
    assert crawler.stats.get_value("govcrawl/scope/refused") == 1


def test_a_meta_refresh_after_a_retry_to_another_host_is_refused(tmp_path: Path) -> None:
    middleware = guard(tmp_path, GOVCRAWL_ALLOW_PRIVATE_ADDRESSES=True)
    retry = spider_request(LUEYANG, LUEYANG, Role.HOME)
    retry.dont_filter = True
    page = html_response(LUEYANG, '<meta http-equiv="refresh" content="0; url=http://evil.example/">',
                         request=retry)
    hop = build(MetaRefreshMiddleware, middleware.crawler).process_response(retry, page)
    assert isinstance(hop, Request) and hop.url == "http://evil.example/"
    assert not passes(middleware, hop)


def test_the_sites_hosts_and_subdomains_pass_on_the_standard_ports(tmp_path: Path) -> None:
    middleware = guard(tmp_path, GOVCRAWL_ALLOW_PRIVATE_ADDRESSES=True)
    for url in (LUEYANG, "https://www.lueyang.gov.cn/zwgk/", "http://zwgk.lueyang.gov.cn:80/a.html",
                "http://www.yunhe.gov.cn/", PORTAL):
        assert passes(middleware, url), url
    for url in ("http://www.lueyang.gov.cn.evil.example/", "http://lueyang.gov.cn.cn/",
                "http://www.gov.cn/", "ftp://www.lueyang.gov.cn/"):
        assert not passes(middleware, url), url
    assert refusals(middleware)[-1][1] == "refused: scheme 'ftp' is not http(s)"


def test_port_8080_is_refused_unless_a_site_url_of_that_domain_names_it(tmp_path: Path) -> None:
    middleware = guard(tmp_path, GOVCRAWL_ALLOW_PRIVATE_ADDRESSES=True)
    assert passes(middleware, PORTAL)
    assert passes(middleware, "http://xxgk.yunhe.gov.cn:8080/col/col1/index.html")
    for url in ("http://www.lueyang.gov.cn:8080/", "http://www.lueyang.gov.cn:6379/",
                "http://www.yunhe.gov.cn:22/", "http://www.lueyang.gov.cn:0/"):
        assert not passes(middleware, url), url
    assert refusals(middleware)[0] == ("http://www.lueyang.gov.cn:8080/",
                                       "refused: port 8080 is not allowed for lueyang.gov.cn")


# -- addresses --------------------------------------------------------------------------------

@pytest.mark.parametrize(("site", "kind"), [
    ("http://127.0.0.2/", "loopback"), ("http://10.1.2.3/", "private"),
    ("http://169.254.169.254/", "link-local"), ("http://100.64.0.1/", "not global"),
    ("http://0.0.0.0/", "unspecified"), ("http://224.0.0.1/", "multicast"),
])
def test_an_ip_literal_host_with_a_private_address_is_refused(
        tmp_path: Path, site: str, kind: str) -> None:
    # Even a site given by address: the site list accepts IPs (review finding L3).
    resolver = FakeResolver({})
    middleware = guard(tmp_path, sites=site, resolver=resolver)
    assert not passes(middleware, site)
    host = urlsplit(site).hostname
    assert refusals(middleware) == [(site, f"refused: {host} is a {kind} address")]
    assert resolver.asked == []  # a literal is judged as written


def test_ipv6_literals_are_judged_as_written(tmp_path: Path) -> None:
    # The site list takes no IPv6 literal; a link or redirect to one in scope would be judged so.
    middleware = guard(tmp_path, resolver=FakeResolver({}))
    for url, verdict in (("http://[::1]/", "::1 is a loopback address"),
                         ("http://[fd00::1]/", "fd00::1 is a private address"),
                         ("http://[fe80::1]/", "fe80::1 is a link-local address"),
                         ("http://[::ffff:127.0.0.1]/", "::ffff:127.0.0.1 is a loopback address"),
                         ("http://[2001:da8::1]/", None)):
        assert asyncio.run(middleware.address_refusal(Request(url))) == verdict


def test_a_name_resolving_to_a_private_address_is_refused(tmp_path: Path) -> None:
    resolver = FakeResolver()
    middleware = guard(tmp_path, resolver=resolver)
    assert not passes(middleware, "http://xxgk.lueyang.gov.cn/col/col1/index.html")
    assert not passes(middleware, "http://xxgk.lueyang.gov.cn/col/col2/index.html")
    assert not passes(middleware, "http://old.lueyang.gov.cn/")
    assert [m for _, m in refusals(middleware)] == [
        "refused: xxgk.lueyang.gov.cn resolves to 10.0.0.5, a private address",
        "refused: xxgk.lueyang.gov.cn resolves to 10.0.0.5, a private address",
        "refused: old.lueyang.gov.cn resolves to 127.0.0.1, a loopback address"]
    assert resolver.asked == ["xxgk.lueyang.gov.cn", "old.lueyang.gov.cn"]  # once per host


def test_a_public_name_is_allowed(tmp_path: Path) -> None:
    resolver = FakeResolver()
    middleware = guard(tmp_path, resolver=resolver)
    assert passes(middleware, LUEYANG) and passes(middleware, LUEYANG + "zwgk/")
    assert passes(middleware, "https://www.yunhe.gov.cn/")
    assert resolver.asked == ["www.lueyang.gov.cn", "www.yunhe.gov.cn"]
    assert refusals(middleware) == []


def test_an_unresolvable_name_fails_as_a_download_would_unless_a_proxy_resolves_it(
        tmp_path: Path) -> None:
    middleware = guard(tmp_path, resolver=FakeResolver({}))
    with pytest.raises(CannotResolveHostError):  # retried, then the spider's fetch_error
        asyncio.run(middleware.process_request(Request(LUEYANG)))
    # Behind a proxy (Scrapy's HttpProxyMiddleware has set it by now) the proxy resolves it.
    assert passes(middleware, Request(LUEYANG, meta={"proxy": "http://127.0.0.1:3128"}))
    assert refusals(middleware) == []
    # A name that does resolve is judged even behind a proxy.
    middleware.resolve = FakeResolver()  # type: ignore[method-assign]
    assert not passes(middleware, Request("http://xxgk.lueyang.gov.cn/",
                                          meta={"proxy": "http://127.0.0.1:3128"}))


def test_allowing_private_addresses_resolves_nothing_and_keeps_the_host_and_port_checks(
        tmp_path: Path) -> None:
    resolver = FakeResolver({})
    middleware = guard(tmp_path, sites=f"{LUEYANG},http://127.0.0.1:8000/", resolver=resolver,
                       GOVCRAWL_ALLOW_PRIVATE_ADDRESSES=True)
    assert passes(middleware, "http://xxgk.lueyang.gov.cn/") and passes(middleware, "http://127.0.0.1:8000/")
    assert not passes(middleware, METADATA) and not passes(middleware, "http://127.0.0.1:6379/")
    assert resolver.asked == []


def test_robots_txt_of_a_refused_host_leaves_no_row_of_its_own(tmp_path: Path) -> None:
    middleware = guard(tmp_path)
    robots = Request("http://127.0.0.2/robots.txt", meta={"dont_obey_robotstxt": True})
    assert not passes(middleware, robots) and not passes(middleware, METADATA)
    assert [url for url, _ in refusals(middleware)] == [METADATA]


# -- the web archive (--wayback) ---------------------------------------------------------------

def _wayback(tmp_path: Path) -> tuple[ScopeMiddleware, WaybackMiddleware, RedirectMiddleware]:
    middleware = guard(tmp_path, sites=LUEYANG, **WAYBACK)
    crawler = middleware.crawler
    return middleware, build(WaybackMiddleware, crawler), build(RedirectMiddleware, crawler)


def test_wayback_requests_for_the_sites_captures_pass(tmp_path: Path) -> None:
    middleware, wayback, _ = _wayback(tmp_path)
    request = wayback.process_request(spider_request(LUEYANG + "zwgk/", LUEYANG, Role.SECTION))
    assert request.url == f"{ARCHIVE}/web/20221231235959id_/{LUEYANG}zwgk/"
    assert passes(middleware, request)
    # The crawl's own requests to the archive: CDX queries, its robots.txt.
    assert passes(middleware, f"{ARCHIVE}/cdx/search/cdx?url=lueyang.gov.cn&output=json")
    assert passes(middleware, Request(f"{ARCHIVE}/robots.txt", meta={"dont_obey_robotstxt": True}))


def test_a_wayback_archive_redirect_to_an_out_of_scope_original_is_refused(tmp_path: Path) -> None:
    middleware, wayback, redirect = _wayback(tmp_path)
    request = wayback.process_request(spider_request(LUEYANG + "nb.html", LUEYANG, Role.REPORT))
    for target, allowed in (
            (f"{ARCHIVE}/web/20210304050607id_/http://www.other.gov.cn/nb.html", False),
            (f"{ARCHIVE}/web/20210304050607id_/http://www.lueyang.gov.cn:8080/nb.html", False),
            (f"{ARCHIVE}/web/20210304050607/{LUEYANG}nb.html", False),  # not a raw capture
            ("http://www.other.gov.cn/nb.html", False),  # off the archive altogether
            (f"{ARCHIVE}/web/20210304050607id_/{LUEYANG}nb2.html", True),  # nearest capture
            (f"{ARCHIVE.replace('http:', 'https:')}/web/2021id_/{LUEYANG}nb.html", True)):
        hop = redirect.process_response(request, response(
            request.url, status=302, request=request, headers={"Location": target}))
        assert isinstance(hop, Request) and hop.url == target
        # A redirect comes back through the whole chain: the wayback middleware leaves
        # archive URLs alone and sends anything else to the archive.
        hop = wayback.process_request(hop) or hop
        assert passes(middleware, hop) is allowed, target
    assert [m for _, m in refusals(middleware)][:3] == [
        "refused: web-archive capture of http://www.other.gov.cn/nb.html: host "
        "'www.other.gov.cn' is outside the crawl's domains (redirected from "
        f"{ARCHIVE}/web/20221231235959id_/{LUEYANG}nb.html)",
        "refused: web-archive capture of http://www.lueyang.gov.cn:8080/nb.html: port 8080 is "
        "not allowed for lueyang.gov.cn (redirected from "
        f"{ARCHIVE}/web/20221231235959id_/{LUEYANG}nb.html)",
        "refused: the web archive redirected to something other than a raw capture (redirected "
        f"from {ARCHIVE}/web/20221231235959id_/{LUEYANG}nb.html)"]


def test_a_cdx_result_out_of_scope_is_never_requested(tmp_path: Path) -> None:
    middleware, wayback, _ = _wayback(tmp_path)
    spider = middleware.crawler.spider
    rows = [["original", "timestamp", "mimetype", "statuscode"],
            [f"{LUEYANG}zwgk/zfxxgknb/202301/t20230128_1.html", "20230201000000", "text/html", "200"],
            ["http://www.other.gov.cn/zwgk/zfxxgknb/202301/t20230128_2.html", "20230201000000",
             "text/html", "200"],
            ["http://www.lueyang.gov.cn:8080/zwgk/zfxxgknb/202301/t20230128_3.html",
             "20230201000000", "text/html", "200"]]
    cdx = response(f"{ARCHIVE}/cdx/search/cdx?url=lueyang.gov.cn", json.dumps(rows).encode(),
                   meta=StepMeta(site_url=LUEYANG, site_name=LUEYANG).as_meta())
    asked = [wayback.process_request(r) or r for r in spider.parse_cdx(cdx)]
    sent = [r.url for r in asked if passes(middleware, r)]
    assert sent == [f"{ARCHIVE}/web/20230201000000id_/{LUEYANG}zwgk/zfxxgknb/202301/t20230128_1.html"]
    assert len(refusals(middleware)) == len(asked) - 1  # refused ones are on record
    assert captures(middleware.crawler) == []


# -- Scrapy's off-site filter (before the scheduler) ----------------------------------------------

def scheduled(crawler, request: Request) -> bool:
    """Whether the engine would queue ``request``: it sends ``request_scheduled`` and drops the
    request when a handler raised IgnoreRequest (Scrapy's OffsiteMiddleware filters there)."""
    results = crawler.signals.send_catch_log(signals.request_scheduled, request=request,
                                             spider=crawler.spider, dont_log=IgnoreRequest)
    return not any(isinstance(r, Failure) and r.check(IgnoreRequest) for _, r in results)


def test_off_site_drops_are_on_record_once_per_host(tmp_path: Path) -> None:
    crawler = make_crawler(tmp_path)
    spider = make_spider(crawler, site=LUEYANG)
    # The project's chain, as the engine builds it: its off-site filter listens for schedules.
    chain = DownloaderMiddlewareManager.from_crawler(crawler).middlewares
    offsite = next(m for m in chain if isinstance(m, OffsiteMiddleware))
    offsite.spider_opened(spider)
    home = spider_request(LUEYANG, LUEYANG, Role.HOME)
    hop = build(RedirectMiddleware, crawler).process_response(home, response(
        LUEYANG, status=302, request=home, headers={"Location": "http://www.other.gov.cn/a.html"}))
    assert isinstance(hop, Request) and not hop.dont_filter
    assert scheduled(crawler, Request("http://xxgk.lueyang.gov.cn/col/col1/index.html"))
    assert not scheduled(crawler, hop)
    assert not scheduled(crawler, Request("http://www.other.gov.cn/b.html"))  # same host
    assert not scheduled(crawler, Request("http://evil.example/x"))
    assert [(p.url, p.message) for p in problems(crawler, "ignored")] == [
        ("http://www.other.gov.cn/a.html",
         "off-site: host 'www.other.gov.cn' is outside the spider's allowed domains (Scrapy's "
         f"OffsiteMiddleware; its later requests are only counted) (redirected from {LUEYANG})"),
        ("http://evil.example/x",
         "off-site: host 'evil.example' is outside the spider's allowed domains (Scrapy's "
         "OffsiteMiddleware; its later requests are only counted)")]
    assert crawler.stats.get_value("govcrawl/offsite/filtered") == 3
    close_crawler(crawler)
    assert crawl_run(crawler).counts["offsite/filtered"] == 3  # in the run's counts

