"""How gov.cn list pages paginate, as three small strategies:

- ``trs_pages``: TRS WCM writes no page links; a script calls ``createPageHTML(total, current,
  "index", "html")`` (literals or ``var countPage = 5`` variables; newer templates put a div id
  first). Page 0 is ``index.html``, page k is ``index_k.html`` in the same directory.
- ``link_pages``: plain links whose text is 下一页 / 尾页 / 末页 / 上一页 / 首页 / > / >> / a page
  number, pointing into the same listing (same path, or ``index_N.html`` beside it).
- the same links also reveal a numbering scheme (``?page=N``, ``?pageNum=N``, ``?pageIndex=N``,
  ``index_N.html``); every page up to the highest number seen is generated, capped.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, urljoin, urlsplit, urlunsplit

from govcrawl.discovery.markup import Link, base_url, links_from_tree, parse_html, to_text
from govcrawl.discovery.titles import canonical

DEFAULT_MAX_PAGES = 200

_CREATE_PAGE_HTML = re.compile(r"createPageHTML\s*\(([^()]*)\)", re.IGNORECASE)
_NUMBER = re.compile(r"^\d{1,6}$")
_IDENTIFIER = re.compile(r"^[A-Za-z_$][\w$]*$")
_PAGE_EXTENSION = re.compile(r"^(?:s?html?|jhtml|shtml|jsp|php|aspx?)$", re.IGNORECASE)

_PAGINATION_TEXT = re.compile(
    r"下一?页|下页|后页|上一?页|前页|首页|第一页|尾页|末页|最后一?页|最末页|next|prev(?:ious)?|"
    r"first|last|[<>«»‹›]{1,2}|\[?\d{1,5}\]?|第\d{1,5}页|下一页>+|<+上一页",
    re.IGNORECASE,
)
PAGE_PARAMETERS = frozenset(
    {"page", "pagenum", "pageindex", "pageno", "pagenumber", "curpage", "currentpage", "cpage",
     "pagecurrent", "page_no", "page_num", "pn", "p", "pageid", "startpage"}
)  # fmt: skip
_NUMBERED_STEM = re.compile(r"^(?P<stem>.*?)(?P<sep>[_-])(?P<n>\d{1,5})$")


def is_pagination_text(text: str) -> bool:
    """True for the text of a pager link: 下一页, 尾页, 末页, 上一页, 首页, >, >>, 3, [3], 第3页 …"""
    folded = canonical(text)
    return bool(folded) and _PAGINATION_TEXT.fullmatch(folded) is not None


def _dedupe(urls: Iterable[str], exclude: str, max_pages: int) -> list[str]:
    seen = {exclude}
    result: list[str] = []
    for url in urls:
        if url not in seen:
            seen.add(url)
            result.append(url)
            if len(result) >= max_pages:
                break
    return result


# --- TRS createPageHTML ------------------------------------------------------------------------


def _variable_pattern(name: str) -> re.Pattern[str]:
    r"""``name = 5`` / ``name = "5"`` in a page's script. ``\s*(?:['"]\s*)?`` rather than
    ``\s*['"]?\s*``: the same text, but a run of spaces splits one way only (linear time)."""
    return re.compile(rf"\b{re.escape(name)}\s*=\s*(?:['\"]\s*)?(\d{{1,6}})\b")


def _script_variables(html: str, names: set[str]) -> dict[str, int]:
    values: dict[str, int] = {}
    for name in names:
        match = _variable_pattern(name).search(html)
        if match:
            values[name] = int(match.group(1))
    return values


def _arguments(call: str) -> list[str]:
    return [argument.strip().strip("'\"").strip() for argument in call.split(",")]


def trs_page_count(html: str) -> tuple[int, str, str] | None:
    """``(total, prefix, extension)`` from the first resolvable ``createPageHTML(…)`` call."""
    for match in _CREATE_PAGE_HTML.finditer(html):
        arguments = _arguments(match.group(1))
        extension_at = next(
            (i for i in range(len(arguments) - 1, 0, -1) if _PAGE_EXTENSION.match(arguments[i])),
            None,
        )
        if extension_at is None:
            continue
        prefix, extension = arguments[extension_at - 1], arguments[extension_at]
        if not prefix or "/" in prefix or not _IDENTIFIER.match(prefix.replace("-", "_")):
            continue
        numeric = arguments[: extension_at - 1]
        variables = _script_variables(html, {a for a in numeric if _IDENTIFIER.match(a)})
        numbers = [
            int(a) if _NUMBER.match(a) else variables[a]
            for a in numeric
            if _NUMBER.match(a) or a in variables
        ]
        if numbers:  # (total, current) or ("page_div", total, current)
            return numbers[0], prefix, extension
    return None


def trs_pages(
    html: str, url: str, max_pages: int = DEFAULT_MAX_PAGES, base: str | None = None
) -> list[str]:
    """Every page of a TRS list: ``index.html``, ``index_1.html`` … ``index_{total-1}.html``,
    resolved against the current directory (or ``base``); the current page itself is left out."""
    if not isinstance(html, str) or "createpagehtml" not in html.lower():
        return []
    found = trs_page_count(html)
    if found is None:
        return []
    total, prefix, extension = found
    if total <= 1:
        return []
    total = min(total, max_pages + 1)
    names = [f"{prefix}_{k}.{extension}" for k in range(1, total)]
    if not urlsplit(url).path.endswith("/"):  # a directory URL is its own first page
        names.insert(0, f"{prefix}.{extension}")
    return _dedupe(
        (urljoin(base or url, name) for name in names), _without_fragment(url), max_pages
    )


def _without_fragment(url: str) -> str:
    return url.split("#", 1)[0]


# --- plain pager links and numbering schemes ---------------------------------------------------


def _stem(path: str) -> tuple[str, str, str, str, int | None]:
    """``/a/index_3.html`` → (``/a``, ``index``, ``_``, ``html``, 3); number None when absent."""
    directory, name = posixpath.split(path)
    base, dot, extension = name.rpartition(".")
    if not dot:
        base, extension = name, ""
    numbered = _NUMBERED_STEM.match(base)
    if numbered:
        stem, separator, number = numbered.group("stem", "sep", "n")
        return directory, stem, separator, extension, int(number)
    return directory, base, "", extension, None


def same_listing(url: str, page_url: str) -> bool:
    """True when ``url`` is another page of the listing at ``page_url``: same host and path
    (other query), or the same directory and file stem with a page number (``index_2.html``)."""
    try:
        a, b = urlsplit(url), urlsplit(page_url)
    except ValueError:
        return False
    if a.netloc.lower() != b.netloc.lower():
        return False
    if a.path == b.path or (a.path.rstrip("/") == b.path.rstrip("/")):
        return a.query != b.query or a.path != b.path
    dir_a, stem_a, *_ = _stem(a.path)
    dir_b, stem_b, *_ = _stem(b.path)
    if b.path.endswith("/") or not b.path:  # the directory URL of a list is its index page
        dir_b, stem_b = b.path.rstrip("/") or "/", "index"
    return dir_a == dir_b and stem_a == stem_b and bool(stem_a)


def _page_number(url: str) -> tuple[tuple[str, ...], int] | None:
    """The numbering scheme and page number a URL carries, or None."""
    parts = urlsplit(url)
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key.lower() in PAGE_PARAMETERS and _NUMBER.match(value.strip()):
            return ("query", parts.scheme, parts.netloc, parts.path, key), int(value)
    directory, stem, separator, extension, number = _stem(parts.path)
    if number is not None:
        return ("path", parts.scheme, parts.netloc, directory, stem, separator, extension), number
    return None


def _query_pattern(key: str) -> re.Pattern[str]:
    """``key=N`` in a raw query string."""
    return re.compile(rf"(^|&){re.escape(key)}=\s*\d+")


def _render(scheme: tuple[str, ...], template: str, number: int) -> str:
    if scheme[0] == "query":  # substitute in the raw query: keep order and encoding as served
        parts = urlsplit(template)
        pattern = _query_pattern(scheme[4])
        query = pattern.sub(lambda m: f"{m.group(1)}{scheme[4]}={number}", parts.query, count=1)
        return urlunsplit(parts._replace(query=query))
    _, protocol, netloc, directory, stem, separator, extension = scheme
    suffix = f".{extension}" if extension else ""
    path = f"{directory.rstrip('/')}/{stem}{separator}{number}{suffix}"
    return urlunsplit((protocol, netloc, path, "", ""))


def link_pages(links: Iterable[Link], url: str, max_pages: int = DEFAULT_MAX_PAGES) -> list[str]:
    """Pages of the listing at ``url`` reached by its pager links, plus every page numbered up to
    the highest page number seen (``?page=N`` / ``index_N.html``), at most ``max_pages``."""
    pager = [
        link
        for link in links
        if (link.rel == "next" or is_pagination_text(link.text)) and same_listing(link.url, url)
    ]
    numbered: dict[tuple[str, ...], tuple[int, int, str]] = {}
    for link in pager:
        found = _page_number(link.url)
        if found is None:
            continue
        scheme, number = found
        low, high, template = numbered.get(scheme, (number, number, link.url))
        numbered[scheme] = (min(low, number), max(high, number), template)
    # Numbered pages are all rendered from one template (so the same page is never listed under
    # two spellings); pager links without a number (rel=next to another path) are kept as found.
    generated: list[str] = []
    for scheme, (low, high, template) in numbered.items():
        last = min(high, low + max_pages - 1)
        generated.extend(_render(scheme, template, n) for n in range(low, last + 1))
    unnumbered = [link.url for link in pager if _page_number(link.url) is None]
    return _dedupe(generated + unnumbered, _without_fragment(url), max_pages)


def list_pages(html: str, url: str, max_pages: int = DEFAULT_MAX_PAGES) -> list[str]:
    """All other pages of the list at ``url`` (TRS ``createPageHTML`` pages, pager links and
    generated numbered pages), deduplicated, at most ``max_pages``."""
    text = to_text(html)
    tree = parse_html(text)
    base = base_url(tree, url)
    return pages_of(text, links_from_tree(tree, base), url, max_pages, base)


def pages_of(
    html: str, links: Iterable[Link], url: str, max_pages: int, base: str | None = None
) -> list[str]:
    """``list_pages`` on an already parsed page (``links`` resolved against its ``base`` URL)."""
    return _dedupe(
        trs_pages(html, url, max_pages, base) + link_pages(links, url, max_pages),
        _without_fragment(url),
        max_pages,
    )
