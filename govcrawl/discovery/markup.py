"""Parsing helpers shared by the link extractors: one lxml parse per page that never raises,
``<base href>``, absolute URLs without fragments, normalised link texts, and the ``Link`` record.

Which URLs are documents is decided in :mod:`govcrawl.documents.kinds`; ``is_attachment`` is
importable from here too (the importer reads it from this module)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urljoin

import lxml.html
from lxml import etree

from govcrawl.documents.kinds import NON_PAGE_EXTENSIONS, is_attachment, url_extension

__all__ = [
    "Link",
    "absolute_url",
    "base_url",
    "is_attachment",
    "is_page_url",
    "links_from_tree",
    "normalize_space",
    "parse_html",
    "row_date",
    "to_text",
]

_SPACE = re.compile(r"[\s\u3000\xa0\u200b\ufeff]+")
_HREF_NOISE = re.compile(r"[\t\n\r]")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_UNPARSABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
# Trailing "..." or "…". The look-behinds start a match only at the beginning of a run: a search
# for ``\.{2,}$`` from every dot of a long run of dots not at the end is quadratic.
_TRUNCATED = re.compile(r"(?:(?<!\.)\.{2,}|(?<!…)…+)$")


@dataclass(frozen=True)
class Link:
    """A link as found: absolute ``url`` (no fragment), visible ``text`` (whitespace collapsed),
    its ``title`` attribute, and ``rel`` (``"next"`` for a CMS's next-group/next-page link)."""

    url: str
    text: str
    title: str = ""
    rel: str = ""
    # The date printed next to the link in its list row (ISO), e.g. "2024-01-26"; "" if none.
    date: str = field(default="", compare=False)

    @property
    def label(self) -> str:
        """The fullest human label: the title attribute when the text is empty, truncated
        (``XX县2022年政府信息公开工作...``) or a prefix of it; otherwise the text."""
        title, text = self.title, self.text
        if not title:
            return text
        if not text or _TRUNCATED.search(text):
            return title
        return title if title.startswith(text) else text


def normalize_space(text: str | None) -> str:
    """Collapse all whitespace (ideographic space, nbsp, zero-width) to single spaces."""
    return _SPACE.sub(" ", text or "").strip()


def to_text(html: str | bytes | None) -> str:
    """Best-effort ``str`` of a page: bytes decoded as UTF-8, else GB18030 (a superset of GBK);
    characters lxml cannot take (NUL, controls, lone surrogates) removed."""
    if html is None:
        return ""
    if isinstance(html, bytes | bytearray | memoryview):
        raw = bytes(html)
        try:
            html = raw.decode("utf-8")
        except UnicodeDecodeError:
            html = raw.decode("gb18030", errors="replace")
    if not isinstance(html, str):
        return ""
    return _UNPARSABLE.sub("", html)


def parse_html(html: str | bytes | None) -> lxml.html.HtmlElement | None:
    """Parse a page with lxml (one parse; reuse the tree). ``None`` when there is nothing to parse."""
    text = _XML_DECLARATION.sub("", to_text(html), count=1)
    if not text.strip():
        return None
    try:
        return lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError, TypeError):
        return None


def base_url(tree: lxml.html.HtmlElement | None, url: str) -> str:
    """The URL relative links resolve against: ``<base href>`` if present, else ``url``."""
    if tree is not None:
        for base in tree.iter("base"):
            href = (base.get("href") or "").strip()
            if href:
                try:
                    return urljoin(url, href)
                except ValueError:
                    return url
    return url


def absolute_url(href: str | None, base: str) -> str | None:
    """Resolve ``href`` against ``base``; drop the fragment. ``None`` unless http(s)."""
    if not href:
        return None
    href = _HREF_NOISE.sub("", href).strip()  # as browsers do: tabs/newlines go, ends trimmed
    if not href or href.startswith("#"):
        return None
    try:
        absolute = href if href.startswith(("http://", "https://")) else urljoin(base, href)
        absolute = absolute.split("#", 1)[0]
    except ValueError:
        return None
    scheme, separator, rest = absolute.partition("://")
    if not separator or scheme.lower() not in ("http", "https") or not rest or rest[0] in "/?":
        return None
    return absolute


def is_page_url(url: str) -> bool:
    """False for attachments and static assets; True for anything that may be an HTML page."""
    return not is_attachment(url) and url_extension(url) not in NON_PAGE_EXTENSIONS


def _element_text(element: lxml.html.HtmlElement) -> str:
    text = normalize_space(element.text_content())
    if text:
        return text
    for image in element.iter("img"):  # image links: banner "政府信息公开" buttons
        alt = normalize_space(image.get("alt") or image.get("title"))
        if alt:
            return alt
    return ""


_ROW_TAGS = frozenset({"li", "tr", "dd", "dt", "p"})
_ROW_DATE = re.compile(r"((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")


# A row whose text is longer than this is a block of text, not a list row with a date.
_ROW_TEXT_LIMIT = 400
# The text of each row already measured (None: too long), per page: one <p> holding 10⁴ links is
# the row of every one of them, and measuring it again for each link was quadratic.
RowTexts = dict[lxml.html.HtmlElement, str | None]


def _row_text(row: lxml.html.HtmlElement, rows: RowTexts) -> str | None:
    """The row's text, or None when it is longer than ``_ROW_TEXT_LIMIT``: measured piece by piece
    and given up at the limit (a 5 MB row is not copied out to learn that it is long), once per
    row and page."""
    if row in rows:
        return rows[row]
    pieces: list[str] = []
    size = 0
    for piece in row.itertext():  # the text nodes text_content() joins, in the same order
        pieces.append(piece)
        size += len(piece)
        if size > _ROW_TEXT_LIMIT:
            rows[row] = None
            return None
    rows[row] = text = "".join(pieces)
    return text


def row_date(anchor: lxml.html.HtmlElement, rows: RowTexts | None = None) -> str:
    """The date a list row prints next to its link (``<li><a>…</a><span>2024-01-26</span></li>``),
    ISO, or "". Only the row's text outside the link counts: a title's year is not a date.
    ``rows`` caches the rows' texts across the links of one page."""
    row = anchor.getparent()
    for _ in range(3):
        if row is None or row.tag in _ROW_TAGS:
            break
        row = row.getparent()
    if row is None or row.tag not in _ROW_TAGS:
        return ""
    text = _row_text(row, {} if rows is None else rows)
    if text is None:
        return ""
    own = anchor.text_content()
    match = _ROW_DATE.search(text.replace(own, " ", 1) if own else text)
    if match is None:
        return ""
    year, month, day = (int(g) for g in match.groups())
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return ""


def links_from_tree(tree: lxml.html.HtmlElement | None, base: str) -> list[Link]:
    """All ``<a href>``/``<area href>`` links of a parsed page, in document order."""
    if tree is None:
        return []
    found: list[Link] = []
    rows: RowTexts = {}
    for element in tree.iter("a", "area"):
        url = absolute_url(element.get("href"), base)
        if url is None:
            continue
        rel = (element.get("rel") or "").strip().lower()
        found.append(
            Link(
                url=url,
                text=_element_text(element),
                title=normalize_space(element.get("title")),
                rel="next" if "next" in rel.split() else "",
                date=row_date(element, rows),
            )
        )
    for element in tree.iter("link"):
        if "next" in (element.get("rel") or "").lower().split():
            url = absolute_url(element.get("href"), base)
            if url is not None:
                found.append(Link(url=url, text="", rel="next"))
    return found
