"""How Chromium is launched and what its pages look like: pure functions of settings and the
environment, so the exact command line is tested without a browser.

The browser reaches nothing by itself. Every request a page makes is answered by the handler
through Scrapy's downloader (archived, paced, scope-checked, through Scrapy's proxy), so
Chromium's own network stack is shut: no proxy (``--no-proxy-server``: on Linux Chromium would
otherwise take ``http_proxy`` from the environment) and a resolver that finds no host. What
Chromium would fetch on its own — sign-in and update checks, a favicon — fails before a
connection is made, instead of reaching Google through the operator's proxy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["CHROMIUM_ARGS", "context_options", "launch_options"]

# ``--headless`` comes with ``headless=True`` (Playwright adds it and its companions).
CHROMIUM_ARGS = (
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these Chromium opens connections of its own (variations, component updates, sync,
    # sign-in) that a closed network refuses and an open one should never see.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--no-pings",
    "--no-proxy-server",
    # Every page request is answered by the route handler before it would reach the network;
    # anything else finds no host.
    "--host-resolver-rules=MAP * ~NOTFOUND",
)


def launch_options(executable: str, *, is_root: bool, timeout_seconds: float = 30.0) -> dict[str, Any]:
    """Playwright's ``BrowserType.launch`` options for Debian's Chromium at ``executable``
    (Playwright's own browser download is never needed). Chromium refuses to run as root with
    its sandbox on: ``--no-sandbox`` then."""
    args = list(CHROMIUM_ARGS) + (["--no-sandbox"] if is_root else [])
    return {
        "executable_path": executable,
        "headless": True,
        "args": args,
        # Playwright's own --no-sandbox follows chromium_sandbox; ours follows the user.
        "chromium_sandbox": not is_root,
        "timeout": timeout_seconds * 1000,
        # The handler's own shutdown closes the browser; signals are Scrapy's to handle.
        "handle_sigint": False,
        "handle_sigterm": False,
        "handle_sighup": False,
    }


def context_options(settings: Mapping[str, Any]) -> dict[str, Any]:
    """``Browser.new_context`` options: the crawl's identity and language, no service workers
    (they would fetch outside the page's routes), no downloads (the browser renders lists; the
    documents they link are fetched by Scrapy)."""
    return {
        "user_agent": settings.get("USER_AGENT") or None,
        "locale": "zh-CN",
        "timezone_id": "Asia/Shanghai",
        "service_workers": "block",
        "accept_downloads": False,
        "java_script_enabled": True,
    }
