"""Anti-bot walls are recognised; real pages are not mistaken for them."""

from __future__ import annotations

import pytest

from govcrawl.antibot import detect_wall

JIASULE = b"<script>document.cookie=('_')+('_')+('j')+('s')+('l')+('_')+('c')+('l')+('e')+('a')+('r')+('a')+('n')+('c')+('e')+('=')+(-~[]+'');var __jsl_clearance='1';location.href=location.pathname+location.search</script>"
RUISHU = b'<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"><meta id="9DhefwqGPrzGxEp9hPaoag" content="..."><script type="text/javascript">$_ts=window[\'$_ts\'];if(!$_ts)$_ts=window[\'$_ts\']={};$_ts.nsd=72938;$_ts.cd="qrWGrAlq";</script></head></html>'
ALIYUN = b"<html><script>var arg1='3F2B9C4D8E7A6B5C4D3E2F1A0B9C8D7E6F5A4B3C';function setCookie(name,value){};setCookie('acw_sc__v2', x);document.location.reload();</script></html>"
SAFEDOG = "<html><title>网站防火墙</title><body>您的请求带有不合法参数，已被网站管理员设置拦截！ safedog</body></html>".encode()
REPORT = "<html><title>XX县2022年政府信息公开工作年度报告</title><body>加强网络安全防护，防火墙建设……document.cookie 的使用说明</body></html>".encode()


@pytest.mark.parametrize(("status", "body", "wall"), [
    (521, JIASULE, "jiasule"),
    (412, RUISHU, "ruishu"),
    (202, RUISHU, "ruishu"),
    (200, ALIYUN, "aliyun_waf"),
    (403, SAFEDOG, "safedog"),
])
def test_known_walls_are_recognised(status: int, body: bytes, wall: str) -> None:
    assert detect_wall(status, body) == wall


@pytest.mark.parametrize(("status", "body"), [
    (200, REPORT), (403, b"<h1>403 Forbidden</h1>"), (521, b""), (200, SAFEDOG), (200, b"\x00" * 100),
])
def test_real_pages_and_plain_errors_are_not_walls(status: int, body: bytes) -> None:
    assert detect_wall(status, body) is None
