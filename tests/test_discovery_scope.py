"""Scope by registered domain, computed offline from tldextract's bundled suffix list."""

import importlib
import socket

import pytest

from govcrawl.discovery import scope


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Make every non-loopback connection fail, and record the attempts."""
    attempts: list[object] = []
    real_connect = socket.socket.connect

    def guarded_connect(self: socket.socket, address: object) -> object:
        host = address[0] if isinstance(address, tuple) else address
        if host not in ("127.0.0.1", "::1", "localhost"):
            attempts.append(address)
            raise OSError(f"network unreachable in tests: {address!r}")
        return real_connect(self, address)

    def guarded_create_connection(address: tuple, *args: object, **kwargs: object) -> object:
        attempts.append(address)
        raise OSError(f"network unreachable in tests: {address!r}")

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_connect)
    monkeypatch.setattr(socket, "create_connection", guarded_create_connection)
    return attempts


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("http://xxgk.lueyang.gov.cn/x", "lueyang.gov.cn"),
        ("http://www.lueyang.gov.cn/zwgk/index.html", "lueyang.gov.cn"),
        ("HTTPS://WWW.Yunhe.GOV.CN:8080/col/col1/index.html", "yunhe.gov.cn"),
        ("xxgk.lueyang.gov.cn", "lueyang.gov.cn"),
        ("www.beijing.gov.cn.", "beijing.gov.cn"),
        ("http://www.hanzhong.gov.cn/hzszf/", "hanzhong.gov.cn"),
        ("http://www.example.com.cn/", "example.com.cn"),
        ("http://127.0.0.1:8000/", "127.0.0.1"),
        ("", ""),
    ],
)
def test_registered_domain_offline(value: str, expected: str, no_network: list[object]) -> None:
    importlib.reload(scope)  # build the extractor again while the network is unreachable
    assert scope.registered_domain(value) == expected
    assert no_network == []


def test_registered_domain_never_tries_the_network(no_network: list[object]) -> None:
    importlib.reload(scope)
    hosts = [f"http://www.county{i}.gov.cn/" for i in range(50)] + ["http://a.b.c.d.e.f.g.cn/"]
    assert all(scope.registered_domain(host) for host in hosts)
    assert no_network == []


@pytest.mark.parametrize(
    "url",
    [
        "http://lueyang.gov.cn/",
        "http://www.lueyang.gov.cn/zwgk/",
        "https://xxgk.lueyang.gov.cn/xxgk/czj/",
        "http://WWW.LUEYANG.GOV.CN:8080/a",
    ],
)
def test_subdomains_of_the_site_are_in_scope(url: str) -> None:
    assert scope.in_scope(url, ["lueyang.gov.cn"])


@pytest.mark.parametrize(
    "url",
    [
        "http://www.lueyang.gov.cn.example.com/zwgk/",
        "http://notlueyang.gov.cn/",
        "http://www.gov.cn/",
        "ftp://www.lueyang.gov.cn/file",
        "javascript:location.href='http://www.lueyang.gov.cn/'",
        "mailto:office@lueyang.gov.cn",
        "",
    ],
)
def test_lookalike_hosts_and_other_schemes_are_out_of_scope(url: str) -> None:
    assert not scope.in_scope(url, ["lueyang.gov.cn"])


def test_scope_accepts_several_domains_given_as_hosts_or_urls() -> None:
    domains = {"lueyang.gov.cn", "http://www.hanzhong.gov.cn/"}
    assert scope.in_scope("http://www.hanzhong.gov.cn/x.html", domains)
    assert scope.in_scope("http://xxgk.lueyang.gov.cn/", domains)
    assert not scope.in_scope("http://hanzhong.gov.cn/", domains)
