"""https in the simulated web: CONNECT tunnels with TLS terminated by the proxy, and 华宁县, the
portal that links its pages under several URL forms (simweb.aliases)."""

from __future__ import annotations

import http.client
import re
import socket
import ssl
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from simweb import Page, SimulatedWeb, build_test_web
from simweb.aliases import HOST
from tests.conftest import cli_command

HUANING = f"https://{HOST}"


@pytest.fixture(scope="module")
def web():
    with build_test_web() as w:
        yield w


def _unverified() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def fetch(web: SimulatedWeb, url: str) -> tuple[int, bytes]:
    """GET ``url`` (http or https) through the proxy, as a client with both proxies set."""
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({"http": web.proxy_url, "https": web.proxy_url}),
        urllib.request.HTTPSHandler(context=_unverified()),
    )
    with opener.open(url, timeout=10) as response:
        return response.status, response.read()


def connect(web: SimulatedWeb, target: str) -> tuple[int, bytes]:
    """Send ``CONNECT target`` and return the proxy's status and body."""
    conn = http.client.HTTPConnection("127.0.0.1", web.port, timeout=10)
    try:
        conn.request("CONNECT", target)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def served(web: SimulatedWeb, url: str) -> bytes:
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    page = web.hosts[parts.hostname].resolve(target, {})
    assert page is not None, url
    return page.body


# ----------------------------------------------------------------------------- tunnels
def test_https_through_a_connect_tunnel_serves_the_page_and_logs_an_https_url(web):
    status, body = fetch(web, f"{HUANING}/xxgk/index.html")
    assert status == 200 and body == served(web, f"http://{HOST}/xxgk/index.html")
    entry = web.request_log[-1]
    assert (entry.method, entry.url, entry.host, entry.status) == (
        "GET", f"{HUANING}/xxgk/index.html", HOST, 200)
    # the tunnel itself is not a request of the site: nothing logged for the CONNECT
    assert all(r.method != "CONNECT" for r in web.request_log if r.status == 200)


def test_a_tunnel_serves_several_requests_over_one_tls_connection(web):
    conn = http.client.HTTPSConnection("127.0.0.1", web.port, timeout=10, context=_unverified())
    conn.set_tunnel(HOST, 443)
    before = len(web.request_log)
    try:
        for target in ("/", "/xxgk/index.html", "/no/such/page.html"):
            conn.request("GET", target)
            response = conn.getresponse()
            response.read()
            assert response.status == (404 if target.startswith("/no/") else 200)
        conn.request("HEAD", "/robots.txt")
        assert conn.getresponse().status == 200
        assert isinstance(conn.sock, ssl.SSLSocket) and conn.sock.version()
    finally:
        conn.close()
    assert [(r.method, r.url) for r in web.request_log[before:]] == [
        ("GET", f"{HUANING}/"),
        ("GET", f"{HUANING}/xxgk/index.html"),
        ("GET", f"{HUANING}/no/such/page.html"),
        ("HEAD", f"{HUANING}/robots.txt"),
    ]


def test_connect_is_refused_to_hosts_without_https_and_to_other_ports(web):
    assert not web.hosts["www.cangyuan.gov.cn"].https
    status, _ = connect(web, "www.cangyuan.gov.cn:443")
    assert status == 405 and web.request_log[-1].url == "www.cangyuan.gov.cn:443"
    assert connect(web, f"{HOST}:8443")[0] == 405
    assert connect(web, "www.nosuchcounty.gov.cn:443")[0] == 502
    with pytest.raises(urllib.error.URLError, match="405"):
        fetch(web, "https://www.cangyuan.gov.cn/")


def _tiny_web() -> SimulatedWeb:
    tiny = SimulatedWeb("tiny")
    tiny.host("www.a.gov.cn", https=True)
    tiny.add_page("http://www.a.gov.cn/", Page(b"<html><title>a</title></html>"))
    return tiny


def test_stop_closes_open_tunnels():
    tiny = _tiny_web().start()
    conn = http.client.HTTPSConnection("127.0.0.1", tiny.port, timeout=10, context=_unverified())
    conn.set_tunnel("www.a.gov.cn", 443)
    try:
        conn.request("GET", "/")
        assert conn.getresponse().read() == b"<html><title>a</title></html>"
        tiny.stop()
        with pytest.raises((OSError, http.client.HTTPException)):
            conn.request("GET", "/")
            conn.getresponse()
    finally:
        conn.close()
        tiny.stop()
    assert [r.url for r in tiny.request_log] == ["https://www.a.gov.cn/"]


def test_a_client_that_does_not_speak_tls_in_the_tunnel_is_dropped():
    with _tiny_web() as tiny, socket.create_connection(("127.0.0.1", tiny.port), timeout=10) as sock:
        sock.sendall(b"CONNECT www.a.gov.cn:443 HTTP/1.1\r\nHost: www.a.gov.cn:443\r\n\r\n")
        assert sock.recv(4096).startswith(b"HTTP/1.1 200 Connection established\r\n")
        sock.sendall(b"GET / HTTP/1.1\r\nHost: www.a.gov.cn\r\n\r\n")  # plain text, no TLS
        try:
            answer = sock.recv(4096)  # a TLS alert at most, then the connection closes
        except ConnectionResetError:
            answer = b""
        assert not answer.startswith(b"HTTP/")
        assert tiny.request_log == []


def test_plain_http_is_unchanged_on_an_https_host(web):
    status, body = fetch(web, f"http://{HOST}/xxgk/index.html")
    assert status == 200 and body == served(web, f"http://{HOST}/xxgk/index.html")
    assert web.request_log[-1].url == f"http://{HOST}/xxgk/index.html"


def test_scrapy_reaches_https_through_the_proxy_with_https_proxy(web, tmp_path: Path):
    # the environment every crawl of the tests gets (http_proxy and https_proxy): Scrapy's
    # HttpProxyMiddleware sends https through a CONNECT tunnel
    command, env = cli_command(["scrapy", "fetch", "--nolog", f"{HUANING}/xxgk/index.html"],
                               tmp_path, web.proxy_url)
    proc = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.rstrip(b"\n") == served(web, f"http://{HOST}/xxgk/index.html").rstrip(b"\n")
    assert not (tmp_path / "netguard.log").exists()
    entry = web.request_log[-1]
    assert entry.url == f"{HUANING}/xxgk/index.html" and "Scrapy" in entry.headers["User-Agent"]


# ----------------------------------------------------------------------------- 华宁县
def _huaning_reports(web: SimulatedWeb) -> list:
    return [e for e in web.expected_reports if urlsplit(e.url).hostname == HOST]


def test_every_form_of_every_page_serves_the_same_bytes(web):
    assert web.hosts[HOST].https
    pages = {plain: forms for plain, forms in web.url_aliases.items() if plain.startswith(f"http://{HOST}/")}
    assert len(pages) >= 15
    for plain, forms in pages.items():
        assert plain in forms
        body = fetch(web, plain)[1]
        for form in forms - {plain}:
            assert fetch(web, form) == (200, body), form


def test_each_report_is_expected_once_under_its_plain_url_with_its_linked_forms(web):
    reports = _huaning_reports(web)
    assert len(reports) == 5 and len({e.url for e in reports}) == 5
    assert sum(e.source == "attachment" for e in reports) == 1
    for e in reports:
        assert urlsplit(e.url).scheme == "http" and urlsplit(e.url).port is None
        forms = web.url_aliases[e.url]
        assert len(forms) >= 2, e.url  # the plain URL and at least one other
        assert {urlsplit(f).path for f in forms} == {urlsplit(e.url).path}
    # every scheme and port form is met somewhere
    met = set().union(*(web.url_aliases[e.url] for e in reports))
    assert {form(u) for u in met} == {("http", None), ("https", None), ("http", 80)}


def form(url: str) -> tuple[str, int | None]:
    """The scheme and explicit port of a URL."""
    parts = urlsplit(url)
    return parts.scheme, parts.port


def plain(url: str) -> str:
    """``url`` as http without an explicit port."""
    parts = urlsplit(url)
    return f"http://{parts.hostname}{parts.path}" + (f"?{parts.query}" if parts.query else "")


def test_links_mix_the_forms_and_one_list_links_a_report_twice(web):
    href = re.compile(r'href="([^"]*)"')
    reports = {e.url for e in _huaning_reports(web)}
    written: set[tuple[str, int | None] | str] = set()
    twice = []
    for n in (1, 2):
        url = f"http://{HOST}/xxgk/ndbg/list.asp?page={n}"
        links = href.findall(fetch(web, url)[1].decode())
        written |= {"relative" if "//" not in link else form(link) for link in links
                    if not link.startswith(("javascript:", "mailto:"))}
        to_reports = [plain(urljoin(url, link)) for link in links]
        to_reports = [u for u in to_reports if u in reports]
        twice += [u for u in set(to_reports) if to_reports.count(u) == 2]
    assert {"relative", ("http", None), ("https", None), ("http", 80)} <= written
    assert len(twice) == 1
    home = fetch(web, f"http://{HOST}/")[1].decode()
    assert f'href="{HUANING}/xxgk/index.html"' in home and f"http://{HOST}:80/xxgk/ndbg/" in home
