"""Walk a script-drawn pager: click 下一页 / 加载更多 / the next page number, bounded, and keep the
DOM of every state (the spider plans each, as it plans a list page).

Only controls that do not lead anywhere by themselves are clicked (no ``href``, ``#``,
``javascript:``): a pager of real links is the static pagination's business, and the rendered
DOM hands its links to it. The walk stops at the bound, when no enabled control is left, when a
click changes nothing, when the page navigates away, or at its deadline.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from time import monotonic
from typing import TYPE_CHECKING

from playwright.async_api import Error as PlaywrightError

if TYPE_CHECKING:
    from playwright.async_api import ElementHandle, Page

    from govcrawl.browser.session import PageSession

__all__ = ["NEXT_CONTROL_JS", "PagerLimits", "walk_pager"]

logger = logging.getLogger(__name__)

# Finds the control that shows the next page, or null. Texts are the pagers of gov.cn CMSs;
# a "disabled"-looking control (class, attribute, aria) on the last page is not one. One walk
# over the text nodes (not innerText of every element: quadratic on a big page).
NEXT_CONTROL_JS = r"""
() => {
  const NEXT = /^(?:下一页|下页|后一页|下一頁|加载更多|点击加载更多|查看更多|加载更多内容|next|nextpage)[>»›]*$|^[>»›]{1,2}$/i;
  const CURRENT = /(^|\s)(active|current|cur|on|selected|checked)(\s|$)/i;
  const OFF = /(^|[\s_-])(disabled?|nomore|no-more|unable|forbid)($|[\s_-])/i;
  const classes = el => (typeof el.className === 'string' ? el.className : '');
  const visible = el => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
  const disabled = el => {
    for (let e = el, i = 0; e && e.nodeType === 1 && i < 3; e = e.parentElement, i++) {
      if (e.hasAttribute('disabled') || e.getAttribute('aria-disabled') === 'true') return true;
      if (OFF.test(classes(e))) return true;
    }
    return false;
  };
  const scripted = el => {
    const a = el.closest('a');
    if (!a) return true;
    const href = (a.getAttribute('href') || '').trim();
    return href === '' || href.startsWith('#') || /^javascript:/i.test(href);
  };
  const usable = el => visible(el) && !disabled(el) && scripted(el);
  const nexts = [], numbers = [];
  const walker = document.createTreeWalker(document.body || document.documentElement, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.data.replace(/\s+/g, '');
    if (!text || text.length > 12 || !node.parentElement) continue;
    if (NEXT.test(text)) nexts.push(node.parentElement);
    else if (/^\d+$/.test(text)) numbers.push([node.parentElement, Number(text)]);
  }
  for (const input of document.querySelectorAll('input[type=button], input[type=submit]')) {
    if (NEXT.test((input.value || '').replace(/\s+/g, ''))) nexts.push(input);
  }
  const next = nexts.find(usable);
  if (next) return next;
  // No next control: the page number after the current one, in the same pager.
  const isCurrent = el => CURRENT.test(classes(el)) || CURRENT.test(classes(el.parentElement || el)) ||
    ['B', 'STRONG'].includes(el.tagName) || el.hasAttribute('aria-current');
  for (const [el, n] of numbers) {
    if (!isCurrent(el)) continue;
    const pager = el.closest('div, ul, nav, p, td') || document.body;
    const found = numbers.find(([o, m]) => m === n + 1 && pager.contains(o) && usable(o));
    if (found) return found[0];
  }
  return null;
}
"""

# What a state of the list is: its links (a click that changes none of them changed nothing).
_FINGERPRINT_JS = """
() => Array.from(document.querySelectorAll('a')).map(a => a.getAttribute('href') + ' ' +
  (a.innerText || '').trim()).join('\\n')
"""


@dataclass(frozen=True)
class PagerLimits:
    """Bounds of one page's walk."""

    max_clicks: int = 50  # states after the first
    quiet: float = 0.3  # seconds without a request in flight: the page has settled
    settle_timeout: float = 15.0  # the most one state may take to settle
    deadline: float = 120.0  # seconds for the whole walk


async def _next_control(page: Page) -> ElementHandle | None:
    handle = await page.evaluate_handle(NEXT_CONTROL_JS)
    element = handle.as_element()
    if element is None:
        await handle.dispose()
    return element


async def walk_pager(page: Page, session: PageSession, limits: PagerLimits) -> tuple[list[str], int]:
    """The DOM of each state of the page's list — as loaded, then after each click — and the
    number of clicks made."""
    end = monotonic() + limits.deadline
    url = page.url
    # Quiet from now on at the earliest: a request the page's script made as it loaded may not
    # have reached the session yet (as after a click, below).
    await session.settled(limits.quiet, limits.settle_timeout, since=monotonic())
    snapshots = [await page.content()]
    clicks = 0
    fingerprint = await page.evaluate(_FINGERPRINT_JS)
    while clicks < limits.max_clicks and monotonic() < end:
        try:
            control = await _next_control(page)
            if control is None:
                break
            await control.click(timeout=5000)
        except PlaywrightError as exc:  # detached by a redraw, covered, the page navigating
            logger.debug("browser: pager of %s: %s", url, str(exc).splitlines()[0])
            break
        clicks += 1
        # Quiet from the click on: its request may not have reached the session yet.
        await session.settled(limits.quiet, min(limits.settle_timeout, max(0.0, end - monotonic())),
                              since=monotonic())
        if page.url.split("#", 1)[0] != url.split("#", 1)[0]:
            break  # the control was a link after all: the rendered pages so far stand
        now = await page.evaluate(_FINGERPRINT_JS)
        if now == fingerprint:
            break  # the click changed nothing: the last page
        fingerprint = now
        snapshots.append(await page.content())
    return snapshots, clicks
