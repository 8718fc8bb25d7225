"""The focused-crawl planner: given one fetched page and the role it was fetched in, which links
to request next and in which role.

    HOME ──► SECTION ──► SECTION (nested, ≤ max_section_hops)
      │         ├──────► UNIT ──► UNIT (nested: 乡镇 → each town, ≤ max_unit_hops)
      │         │          │
      └─────────┴──────────┴───► COLUMN ──► COLUMN (sub-columns) ──► LIST (pages) ──► REPORT
      (REPORT links are taken from any page on the way)

A list built by script is walked the same way: its data requests (``scripted``) are LIST steps
carrying the request, and the items of each answer are classified as a list page's links
(``plan_answer``).

Everything else on a page (news, services, other columns) is left alone: the planner must not
crawl every article of a portal. One lxml parse per page; never raises.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from govcrawl.discovery import jcms, scripted
from govcrawl.discovery.markup import (
    Link,
    base_url,
    is_attachment,
    is_page_url,
    links_from_tree,
    parse_html,
    to_text,
)
from govcrawl.discovery.navigation import (
    is_section_text,
    is_section_url,
    is_unit_category_text,
    is_unit_name,
    is_unit_text,
)
from govcrawl.discovery.pagination import is_pagination_text, pages_of, same_listing
from govcrawl.discovery.scope import in_scope
from govcrawl.discovery.titles import (
    canonical,
    is_listed_report_title,
    is_report_column_text,
    is_report_title,
)
from govcrawl.discovery.traps import is_trap
from govcrawl.documents.kinds import DOCUMENT_VERSION_MARK, is_download
from govcrawl.report.extract import content_element

logger = logging.getLogger(__name__)


class Role(StrEnum):
    """Why a page is fetched, which decides what is looked for on it."""

    HOME = "home"
    SECTION = "section"
    UNIT = "unit"
    COLUMN = "column"
    LIST = "list"
    REPORT = "report"
    ATTACHMENT = "attachment"


@dataclass(frozen=True)
class Step:
    """A request to make: ``url`` in ``role``; ``text`` is the link text or title attribute (for a
    REPORT the report title as listed); ``hops`` is the depth within the role (section depth,
    unit depth, column depth, list-page count; 0 for reports)."""

    url: str
    role: Role
    text: str
    hops: int
    date: str = ""  # for a REPORT: the date its list prints next to it (ISO), if any
    parent: str = ""  # for an ATTACHMENT: the report page it belongs to
    # for a LIST built by script: the request its script makes (method, form, headers)
    data: scripted.DataRequest | None = None


@dataclass(frozen=True)
class Limits:
    """Depth limits of the focused crawl."""

    max_section_hops: int = 3
    max_unit_hops: int = 3
    max_list_pages: int = 200
    max_column_hops: int = 3


DEFAULT_LIMITS = Limits()

# When one URL is reached by several links, the most specific role wins.
_RANK = {Role.REPORT: 0, Role.COLUMN: 1, Role.UNIT: 2, Role.SECTION: 3, Role.LIST: 4, Role.HOME: 5,
         Role.ATTACHMENT: 6}
_LISTINGS = (Role.COLUMN, Role.LIST)
_YEAR_ONLY = re.compile(r"(?:19|20)\d{2}年?度?")


def _below(url: str, page_url: str) -> bool:
    """True when ``url`` lies in a subdirectory of the directory of ``page_url``."""
    try:
        link, page = urlsplit(url), urlsplit(page_url)
    except ValueError:
        return False
    if link.netloc.lower() != page.netloc.lower():
        return False
    directory = page.path[: page.path.rfind("/") + 1] or "/"
    link_directory = link.path[: link.path.rfind("/") + 1]
    return link_directory.startswith(directory) and link_directory != directory


def _relative_recursion(url: str, page_url: str) -> bool:
    """True for ``/xxgk/xxgk/index.html`` linked from ``/xxgk/index.html``: a relative link that
    repeats the page's own directory, the first step of an endlessly deepening path."""
    try:
        link, page = urlsplit(url), urlsplit(page_url)
    except ValueError:
        return False
    directory = page.path[: page.path.rfind("/") + 1]
    last = directory.rstrip("/").rpartition("/")[2]
    if not last or link.netloc.lower() != page.netloc.lower():
        return False
    rest = link.path[len(directory) :].split("/") if link.path.startswith(directory) else []
    return len(rest) > 1 and rest[0] == last


def _report_step(link: Link, listed: bool) -> Step | None:
    for candidate in (link.title, link.text):
        if candidate and (
            is_report_title(candidate) or (listed and is_listed_report_title(candidate))
        ):
            label = link.title if link.title and is_listed_report_title(link.title) else candidate
            return Step(link.url, Role.REPORT, label, 0, link.date)
    return None


def _column_step(link: Link, role: Role, hops: int, page: str, limits: Limits) -> Step | None:
    label = link.label
    by_name = is_report_column_text(label, link.url) or (
        link.text != label and is_report_column_text(link.text, link.url)
    )
    if role is Role.COLUMN:
        if hops >= limits.max_column_hops:
            return None
        folded = canonical(link.text)
        structural = (_YEAR_ONLY.fullmatch(folded) or is_unit_text(folded)) and _below(
            link.url, page
        )
        return Step(link.url, Role.COLUMN, label, hops + 1) if by_name or structural else None
    if not by_name:
        return None
    column_hops = limits.max_column_hops if role is Role.LIST else 1
    return Step(link.url, Role.COLUMN, label, column_hops)


def _navigation_step(link: Link, role: Role, hops: int, limits: Limits) -> Step | None:
    label = link.label
    if role is Role.HOME:
        if is_section_text(label) or is_section_url(link.url):
            return Step(link.url, Role.SECTION, label, 1)
    elif role is Role.SECTION:
        if is_unit_category_text(label) or is_unit_name(label):
            return Step(link.url, Role.UNIT, label, 1)
        if (is_section_text(label) or is_section_url(link.url)) and hops < limits.max_section_hops:
            return Step(link.url, Role.SECTION, label, hops + 1)
    elif (
        role is Role.UNIT
        and hops < limits.max_unit_hops
        and (is_unit_text(label) or is_section_text(label))
    ):
        return Step(link.url, Role.UNIT, label, hops + 1)
    return None


def classify(
    link: Link, role: Role, hops: int, page: str, limits: Limits = DEFAULT_LIMITS
) -> Step | None:
    """The step a single link on a page in ``role`` leads to, or None (scope and traps aside)."""
    listed = role in _LISTINGS
    if listed:
        if link.rel == "next":  # a CMS's next group / next page (jcms dataproxy, <link rel=next>)
            page_hops = hops + 1 if role is Role.LIST else 1
            if page_hops > limits.max_list_pages:
                return None
            return Step(link.url, Role.LIST, link.text, page_hops)
        if is_pagination_text(link.text) and same_listing(link.url, page):
            return None  # pages come from the pagination strategies
    report = _report_step(link, listed)
    if report is not None:
        return report
    column = _column_step(link, role, hops, page, limits)
    if column is not None or listed:
        return column
    return _navigation_step(link, role, hops, limits)


def _pair_documents(steps: dict[str, Step]) -> None:
    """A list that links a report page and, next to it, the same report as a PDF/Word file
    ("…年度报告（PDF版）"): the file is that page's attachment, not a second report."""
    pages = {canonical(DOCUMENT_VERSION_MARK.sub("", s.text)): s for s in steps.values()
             if s.role is Role.REPORT and not is_attachment(s.url)}
    for url, step in list(steps.items()):
        if step.role is Role.REPORT and is_attachment(url):
            page = pages.get(canonical(DOCUMENT_VERSION_MARK.sub("", step.text)))
            if page is not None:
                steps[url] = Step(url, Role.ATTACHMENT, step.text, 0, step.date, parent=page.url)


def _followable(url: str, domains: Collection[str], role: Role = Role.LIST) -> bool:
    # A report may be a document the list links directly (PDF, Word …).
    kind_ok = is_page_url(url) or (role is Role.REPORT and is_attachment(url))
    return kind_ok and not is_trap(url) and (not domains or in_scope(url, domains))


def is_download_link(link: Link) -> bool:
    """A link to a document: by its extension, or a download script with a query whose link text
    (else title) names a file, a download or an attachment (``download.jsp?id=4711``
    "附件：2023年报.pdf"); see :func:`govcrawl.documents.kinds.is_download`."""
    return is_download(link.url, link.text or link.title or "")


def attachment_steps(html: str, url: str, domains: Collection[str] = ()) -> list[Step]:
    """The documents a report page links (within its article when it has one), in page order:
    they belong to the report. Never raises."""
    try:
        tree = parse_html(to_text(html))
        if tree is None:
            return []
        article = content_element(tree)
        links = links_from_tree(article if article is not None else tree, base_url(tree, url))
    except Exception:  # a report page must not stop the crawl
        logger.warning("discovery: cannot read the attachments of %s", url, exc_info=True)
        return []
    steps: dict[str, Step] = {}
    for link in links:
        if link.url == url or link.url in steps or not is_download_link(link):
            continue
        if is_trap(link.url) or (domains and not in_scope(link.url, domains)):
            continue
        steps[link.url] = Step(link.url, Role.ATTACHMENT, link.label, 0)
    return list(steps.values())


def plan(
    html: str,
    url: str,
    role: Role,
    hops: int = 0,
    domains: Collection[str] = (),
    limits: Limits = DEFAULT_LIMITS,
) -> list[Step]:
    """The next requests from a page fetched as ``role`` at depth ``hops``: deduplicated, without
    fragments, in scope (when ``domains`` is given), never traps, attachments or non-http links.
    Returns ``[]`` on empty or broken input."""
    try:
        return _plan(html, url, Role(role), hops, domains, limits)
    except Exception:  # the planner runs on every page; a bad page must not stop a crawl
        logger.warning("discovery: cannot plan %s", url, exc_info=True)
        return []


def _plan(
    html: str, url: str, role: Role, hops: int, domains: Collection[str], limits: Limits
) -> list[Step]:
    if role is Role.REPORT:
        return []  # a report page's documents come from attachment_steps
    text = to_text(html)
    tree = parse_html(text)
    if tree is None and not jcms.has_datastore(text):
        return []
    base = base_url(tree, url)
    page = url.split("#", 1)[0]
    links = list(dict.fromkeys(links_from_tree(tree, base) + jcms.datastore_links(text, base)))
    steps: dict[str, Step] = {}
    for link in links:
        step = classify(link, role, hops, page, limits)
        if step is not None:
            _offer(steps, step, page, domains)
    _pair_documents(steps)
    data: list[Step] = []
    if role in _LISTINGS:
        page_hops = hops + 1 if role is Role.LIST else 1
        if page_hops <= limits.max_list_pages:
            texts = {link.url: link.text for link in links}
            pages = pages_of(text, links, page, limits.max_list_pages, base)
            for page_url in pages:
                _offer(steps, Step(page_url, Role.LIST, texts.get(page_url, ""), page_hops), page, domains)
            for request in scripted.page_requests(text, page, tree, base=base, has_pager=bool(pages),
                                                  max_pages=limits.max_list_pages):
                step = Step(request.url, Role.LIST, "", page_hops)
                if request.kind == scripted.PAGE:  # a static page the script's pager would link
                    _offer(steps, step, page, domains)
                elif not domains or in_scope(request.url, domains):
                    data.append(Step(request.url, Role.LIST, "", page_hops, data=request))
    return list(steps.values()) + data


def _offer(steps: dict[str, Step], step: Step, page: str, domains: Collection[str]) -> None:
    """Add ``step`` unless it is the page itself, not followable or a relative recursion; of two
    steps to one URL the more specific role wins."""
    if step.url == page or not _followable(step.url, domains, step.role):
        return
    if step.role is not Role.REPORT and _relative_recursion(step.url, page):
        return
    current = steps.get(step.url)
    if current is None or _RANK[step.role] < _RANK[current.role]:
        steps[step.url] = step


def plan_answer(
    request: scripted.DataRequest,
    answer: str | bytes,
    hops: int,
    domains: Collection[str] = (),
    limits: Limits = DEFAULT_LIMITS,
) -> list[Step]:
    """The next requests from the answer to a script-built list's data request fetched at list
    depth ``hops``: its items classified as the links of a list page (reports, sub-columns), then
    the request for the next page while the list lasts and ``limits.max_list_pages`` allows.
    Never raises."""
    try:
        read = scripted.read_answer(request, answer, limits.max_list_pages)
        page = request.referer or request.url
        steps: dict[str, Step] = {}
        for link in read.links:
            step = classify(link, Role.LIST, hops, page, limits)
            if step is not None:
                _offer(steps, step, page, domains)
        _pair_documents(steps)
        following = read.next
        if following is not None and hops + 1 <= limits.max_list_pages and (
                not domains or in_scope(following.url, domains)):
            return [*steps.values(), Step(following.url, Role.LIST, "", hops + 1, data=following)]
        return list(steps.values())
    except Exception:  # an endpoint's answer must not stop the crawl
        logger.warning("discovery: cannot plan the answer of %s", request.url, exc_info=True)
        return []
