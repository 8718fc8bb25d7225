"""Whether a page needs the browser: pure, tested on saved pages.

A headless browser costs two orders of magnitude more than a plain fetch (a Chromium page, its
scripts, a pager walked click by click), so it is the last resort: a report column or list page
whose items — or whose pager — exist only once its own script has run, and that no strategy
for a known script-built list (TRS ``index_N`` paging, JSON endpoints named in the page, Hanweb
data proxies; ``govcrawl.discovery``) recognised. The caller says what its strategies found
(``items_found``, ``pages_found``, ``mechanism_recognised``): this module imports none of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree
from lxml import html as lxml_html

from govcrawl.discovery.plan import Role

__all__ = ["ScriptSignals", "needs_browser", "script_signals"]

# Script types a browser runs (an empty type is JavaScript); the rest is data (JSON, XML
# records, templates) that the static strategies read themselves.
_RUNNABLE_TYPES = {"", "text/javascript", "application/javascript", "module",
                   "text/ecmascript", "application/ecmascript", "text/jscript"}
# Scripts every gov.cn page carries that never draw a list: visitor counters, the 政府网站
# error-report badge (jiucuo.js), the 党政机关 site badge, accessibility toolbars.
_BOILERPLATE = re.compile(
    r"hm\.baidu\.com|_hmt|cnzz\.com|_czc|google-analytics|googletagmanager|51\.la|"
    r"jiucuo|conac\.cn|/wza/|aria\.js|slh\.js|zfwzgl",
    re.IGNORECASE,
)
# An element named as a pager (id or class token): the mount point a script fills.
_PAGER_NAME = re.compile(
    r"^(?:page|pages|pager|pagination|paging|pagebar|page-?bar|pgbar|page-?box|page-?nav|"
    r"pagenav|fenye|page_div|pagediv|pagelist|page-list|laypage)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ScriptSignals:
    """What a page's markup says about its scripts."""

    scripts: int = 0  # scripts that run and are not site boilerplate (counters, badges)
    empty_pager: bool = False  # an element named as a pager, with nothing in it yet


def _runs(script: lxml_html.HtmlElement) -> bool:
    kind = (script.get("type") or "").strip().lower()
    if kind not in _RUNNABLE_TYPES:
        return False
    source = (script.get("src") or "").strip()
    code = (script.text or "").strip()
    if not source and not code:
        return False
    return not _BOILERPLATE.search(source or code)


def _is_empty_pager(element: lxml_html.HtmlElement) -> bool:
    names = (element.get("id") or "").split() + (element.get("class") or "").split()
    if not any(_PAGER_NAME.match(name) for name in names):
        return False
    return len(element) == 0 and not (element.text or "").strip()


def script_signals(html: str) -> ScriptSignals:
    """The signals of ``html`` (no signals for empty or unreadable markup; never raises)."""
    if not html or not html.strip():
        return ScriptSignals()
    try:
        tree = lxml_html.document_fromstring(html)
    except (ValueError, etree.ParserError):
        return ScriptSignals()
    scripts = sum(1 for script in tree.iter("script") if _runs(script))
    empty_pager = any(_is_empty_pager(element)
                      for element in tree.iter("div", "ul", "span", "p", "nav"))
    return ScriptSignals(scripts=scripts, empty_pager=empty_pager)


def needs_browser(role: Role, *, items_found: int, pages_found: int, mechanism_recognised: bool,
                  rendered: bool, html: str) -> bool:
    """Whether to render the page ``html``, fetched as ``role``, in the browser.

    ``items_found``: links to reports, sub-columns or documents found on the page by every
    static strategy; ``pages_found``: links to further pages of the list; ``mechanism_recognised``:
    a strategy recognised the page's script-built list (its data is requested without a browser);
    ``rendered``: the page is already the browser's rendering (never rendered twice).

    Yes for a report column or list page that runs scripts (beyond site boilerplate) and shows
    either no item at all, or items under an empty pager that a script is to fill. Never for
    navigation pages, report pages or documents: the browser is for lists only. The markup is
    read (``script_signals``) only when the rest leaves the question open."""
    if rendered or mechanism_recognised or role not in (Role.COLUMN, Role.LIST):
        return False
    if items_found and pages_found:
        return False
    signals = script_signals(html)
    if signals.scripts == 0:
        return False  # nothing would run: the page is what it is
    if items_found == 0:
        return True
    return signals.empty_pager
