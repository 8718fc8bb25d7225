"""Recognise anti-bot walls (JavaScript cookie challenges, WAF block pages) on gov.cn portals.

A wall is archived like any other exchange (it is what the server sent), but it is never taken
for the page that was asked for: the spider records it and slows down for that host.
"""

from __future__ import annotations

import re

_SNIFF_BYTES = 16 * 1024

# (name, pattern over the first bytes of the body, statuses it appears with; empty = any)
_WALLS: tuple[tuple[str, re.Pattern[bytes], frozenset[int]], ...] = (
    # 加速乐 (Jiasule): 521 + script that sets the __jsl_clearance cookie
    ("jiasule", re.compile(rb"__jsl_clearance|jsl_clearance_s"), frozenset()),
    # 瑞数 (Ruishu / Botgate): 202 or 412 + $_ts bootstrap script
    ("ruishu", re.compile(rb"\$_ts\s*=\s*window\[|\$_ts\.cd\s*="), frozenset({200, 202, 412})),
    # Aliyun WAF: 200 + acw_sc__v2 cookie computed from arg1
    ("aliyun_waf", re.compile(rb"acw_sc__v2|var\s+arg1\s*=\s*'[0-9A-F]{20,}'"), frozenset()),
    # 安全狗 / 云锁 / 创宇盾 block pages (UTF-8 wording; most of these pages are UTF-8)
    ("safedog", re.compile(rb"safedog|" + re.escape("网站防火墙".encode()), re.I), frozenset({403, 405, 406, 503})),
    ("yunsuo", re.compile(rb"yunsuo_session|yunsuo\.com", re.I), frozenset()),
    ("yundun", re.compile(rb"jiasule\.com|yunaq\.com|" + re.escape("创宇盾".encode())), frozenset({403, 405, 468, 503})),
)


def detect_wall(status: int, body: bytes) -> str | None:
    """The name of the anti-bot wall this response is, or None for a real page."""
    head = body[:_SNIFF_BYTES]
    for name, pattern, statuses in _WALLS:
        if (not statuses or status in statuses) and pattern.search(head):
            return name
    return None
