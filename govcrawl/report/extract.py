"""Turn a downloaded report page into an :class:`ExtractedReport`.

:func:`extract_report` is a top-level, stateless function with picklable inputs and
outputs, meant to run in a worker process (``ProcessPoolExecutor``).  It never raises: a
page it cannot read gives an :class:`ExtractedReport` with empty text and empty fields.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import lxml.html
import trafilatura
from lxml import etree

from govcrawl.encoding import decode_html
from govcrawl.report.fields import ReportFields, _make_date, read_fields
from govcrawl.report.normalize import normalize_for_reading

__all__ = ["ExtractedReport", "extract_report", "page_meta", "page_text", "page_title"]

#: Below this many characters trafilatura's text is checked against a plain lxml reading.
MIN_TEXT_CHARS = 200

# The national standard meta tags (政府网站发展指引), in their documented spelling.
_KNOWN_META = {
    name.lower(): name
    for name in (
        "SiteName",
        "SiteDomain",
        "SiteIDCode",
        "ColumnName",
        "ColumnDescription",
        "ColumnKeywords",
        "ColumnType",
        "ArticleTitle",
        "PubDate",
        "ContentSource",
        "Keywords",
        "Description",
        "Author",
        "Image",
        "Url",
    )
}
_BLOCK_TAGS = {
    "address",
    "article",
    "aside",
    "blockquote",
    "body",
    "br",
    "caption",
    "center",
    "dd",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "html",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "tbody",
    "thead",
    "tfoot",
    "tr",
    "ul",
}
_CELL_TAGS = {"td", "th"}
_SKIP_TAGS = {
    "script",
    "style",
    "noscript",
    "template",
    "head",
    "title",
    "iframe",
    "object",
    "select",
    "option",
    "button",
    "svg",
}
_CONTAINER_TAGS = {"div", "td", "article", "main", "section", "body", "font", "span", "center"}
_TITLE_HINT = re.compile(r"title|^tit|^bt$|biaoti|wzbt|headline|heading", re.I)
_STYLED_HINT = re.compile(r"text-align\s*:\s*center|font-weight\s*:\s*(?:bold|[6-9]00)", re.I)
# The separator and the spaces after it; those before it are stripped from the parts. A leading
# "\s*" would start a match at every space of a run with no separator after it (quadratic).
_TITLE_SEPARATORS = re.compile(r"(?:_|\||｜|--|——|—|－|\s-\s|\s–\s|::)\s*")
_SITE_LIKE = re.compile(r"人民政府|政府网|门户|网站|政务网|信息网|公开网|官网|中国政府|^中国")
_BINARY_CHARS = re.compile("[\ufffd\x00-\x08\x0b\x0e-\x1f]")
_URL_DATES = (
    re.compile(r"/t(20\d{2})(\d{2})(\d{2})_\d+"),  # TRS: t20230120_123.html
    re.compile(r"/art/(20\d{2})/(\d{1,2})/(\d{1,2})/art_"),  # Hanweb jcms
)


@dataclass
class ExtractedReport:
    """The text and fields of one report page."""

    title: str | None
    text: str
    fields: ReportFields
    meta: dict[str, str] = field(default_factory=dict)
    encoding: str = "utf-8"

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict: ``title, text, fields{…}, meta, encoding``."""
        return {
            "title": self.title,
            "text": self.text,
            "fields": self.fields.to_dict(),
            "meta": dict(self.meta),
            "encoding": self.encoding,
        }


def _parse(html: str) -> lxml.html.HtmlElement | None:
    if not html or not html.strip():
        return None
    try:
        parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True)
        root = lxml.html.document_fromstring(html.encode("utf-8", "replace"), parser=parser)
    except (etree.ParserError, ValueError, TypeError):
        return None
    return root


def _meta_of(root: lxml.html.HtmlElement | None) -> dict[str, str]:
    meta: dict[str, str] = {}
    if root is None:
        return meta
    for el in root.iter("meta"):
        name = el.get("name") or el.get("property") or el.get("itemprop")
        content = el.get("content")
        if not name or content is None:
            continue
        key = _KNOWN_META.get(name.strip().lower(), name.strip().lower())
        content = " ".join(content.split())
        if content and not meta.get(key):
            meta[key] = content
    return meta


def page_meta(html: str) -> dict[str, str]:
    """The page's ``<meta name=… content=…>`` tags.

    Names are matched case-insensitively: the national tags come back in their documented
    spelling (``SiteName``, ``PubDate``, ``ContentSource`` …), any other name lower-cased.
    The first non-empty value of a name wins.
    """
    return _meta_of(_parse(html))


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


def _looks_like_report_title(text: str) -> bool:
    t = normalize_for_reading(text)
    return any(k in t for k in ("年度报告", "年报", "工作报告")) and any(
        k in t for k in ("信息公开", "政务公开", "政府信息")
    )


_CANDIDATE_XPATH = etree.XPath(
    "//body//*[self::h1 or self::h2 or self::h3 or @class or @id or @style]"
    "[not(ancestor-or-self::a) or ancestor::h1 or ancestor::h2 or ancestor::h3]"
)


def _heading_candidates(root: lxml.html.HtmlElement) -> list[tuple[int, int, str]]:
    """(priority, document order, text) of elements that may carry the article title.

    Links and blocks that are mostly link text (上一篇/下一篇, related reports) are not
    headings, whatever their class.
    """
    found: list[tuple[int, int, str]] = []
    for order, el in enumerate(_CANDIDATE_XPATH(root)):
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in _SKIP_TAGS:
            continue
        if tag == "h1":
            priority = 0
        elif any(map(_TITLE_HINT.search, f"{el.get('class', '')} {el.get('id', '')}".split())):
            priority = 1
        elif tag in ("h2", "h3"):
            priority = 2
        elif tag in ("p", "div", "strong", "b", "td", "span", "font") and _STYLED_HINT.search(
            el.get("style", "")
        ):
            priority = 3
        else:
            continue
        text = _clean(el.text_content())
        if not 4 <= len(text) <= 150:
            continue
        if tag != "h1" and sum(len(_clean(a.text_content())) for a in el.iter("a")) > len(text) / 2:
            continue
        found.append((priority, order, text))
    return sorted(found)


def _title_tag_parts(root: lxml.html.HtmlElement, site_names: set[str]) -> list[str]:
    title_el = root.find(".//title")
    raw = _clean(title_el.text_content()) if title_el is not None else ""
    parts = [p for p in map(str.strip, _TITLE_SEPARATORS.split(raw)) if p]
    kept = [
        p
        for p in parts
        if p not in site_names and not (_SITE_LIKE.search(p) and not _looks_like_report_title(p))
    ]
    return kept or parts


def _title_of(root: lxml.html.HtmlElement | None, meta: Mapping[str, str]) -> str | None:
    article_title = _clean(meta.get("ArticleTitle") or meta.get("articletitle"))
    if article_title:
        return article_title
    if root is None:
        return None
    headings = _heading_candidates(root)
    for _, _, text in headings:
        if _looks_like_report_title(text):
            return text
    site_names = {_clean(meta.get(k)) for k in ("SiteName", "ColumnName") if meta.get(k)}
    parts = _title_tag_parts(root, site_names)
    for part in parts:
        if _looks_like_report_title(part):
            return part
    h1 = next((text for priority, _, text in headings if priority == 0), None)
    return h1 or (parts[0] if parts else None)


def page_title(html: str, meta: Mapping[str, str]) -> str | None:
    """The report's title.

    ``ArticleTitle`` meta, else the first article heading (h1, ``.title``/``#title``…, h2/h3,
    a centred or bold line) that reads like a report title, else the ``<title>`` without
    site-name parts (``…_沧源佤族自治县人民政府``), else the first h1.
    """
    return _title_of(_parse(html), meta)


def _block_lines(root: etree._Element) -> str:
    """Text with a line break at every block boundary; scripts and styles left out."""
    parts: list[str] = []
    skip_depth = 0
    for event, el in etree.iterwalk(root, events=("start", "end")):
        tag = el.tag if isinstance(el.tag, str) else ""
        if event == "start":
            if skip_depth or tag in _SKIP_TAGS:
                skip_depth += 1
                continue
            if tag in _BLOCK_TAGS:
                parts.append("\n")
            elif tag in _CELL_TAGS:
                parts.append(" ")
            if el.text and tag:
                parts.append(el.text)
        else:
            if skip_depth:
                skip_depth -= 1
                if skip_depth:
                    continue
            elif tag in _BLOCK_TAGS:
                parts.append("\n")
            if el.tail and el is not root:
                parts.append(el.tail)
    lines = (" ".join(line.split()) for line in "".join(parts).splitlines())
    return "\n".join(line for line in lines if line)


def page_text(html: str) -> str:
    """All visible text of a page, one line per block (no scripts, styles or head)."""
    root = _parse(html)
    return _block_lines(root) if root is not None else ""


def _largest_block_text(root: lxml.html.HtmlElement) -> str:
    """Text of the deepest container holding most of the page's non-link text."""
    body = root.find("body")
    body = body if body is not None else root
    lengths: dict[etree._Element, int] = {}
    for _, el in etree.iterwalk(body, events=("end",)):
        if not isinstance(el.tag, str) or el.tag in _SKIP_TAGS:
            lengths[el] = 0
            continue
        own = 0 if el.tag == "a" else len((el.text or "").strip())
        children = sum(lengths.get(c, 0) + (len((c.tail or "").strip())) for c in el)
        lengths[el] = own + (0 if el.tag == "a" else children)
    total = lengths.get(body, 0)
    if not total:
        return _block_lines(body)
    best, best_depth = body, 0
    for el in body.iter(*_CONTAINER_TAGS):
        if lengths.get(el, 0) >= 0.7 * total:
            depth = sum(1 for _ in el.iterancestors())
            if depth > best_depth:
                best, best_depth = el, depth
    return _block_lines(best)


# Article containers of the CMSs gov.cn portals run on (TRS, Hanweb, Ucap, VSB, Founder …).
_CONTENT_NAMES = re.compile(
    r"^(?:zoom|fontzoom|trs_editor|ucap-content|article-content|art-content|artcontent|"
    r"content|con|zw|zwnr|zw-con|zwcontent|main-txt|maintext|pages_content|xxgk_content|"
    r"wz_content|detail-content|news_content|vsb_content|custom_unionstyle|bt-content|"
    r"article_con|txt|view)$",
    re.I,
)
_CONTENT_SHARE = 0.6


def _text_length(el: etree._Element) -> int:
    return sum(
        len(t.strip())
        for node in el.iter()
        if isinstance(node.tag, str) and node.tag not in _SKIP_TAGS
        for t in (node.text, node.tail if node is not el else None)
        if t
    )


def content_element(root: lxml.html.HtmlElement) -> etree._Element | None:
    """The page's article container (``#zoom``, ``.TRS_Editor``, ``td.content`` …) when it holds
    most of the page's text; None otherwise.

    Layout tables put a whole page into one table, and trafilatura then keeps the navigation and
    flattens the paragraphs into one cell; given the container alone it keeps the paragraphs."""
    body = root.find("body")
    body = body if body is not None else root
    total = _text_length(body)
    if not total:
        return None
    best, best_length = None, 0
    for el in body.iter(*_CONTAINER_TAGS):
        names = f"{el.get('id', '')} {el.get('class', '')}".split()
        if not any(_CONTENT_NAMES.match(name) for name in names):
            continue
        length = _text_length(el)
        # The innermost container that still holds (almost) all of the largest one's text.
        if length > best_length * 1.05 or (best is not None and length >= 0.95 * best_length
                                           and el in best.iterdescendants()):
            best, best_length = el, max(length, best_length)
    if best is None or best_length < MIN_TEXT_CHARS or best_length < _CONTENT_SHARE * total:
        return None
    return best


def _content_html(root: lxml.html.HtmlElement | None, html: str) -> str:
    """The HTML trafilatura should read: the article container if there is one, else the page."""
    element = content_element(root) if root is not None else None
    if element is None:
        return html
    inner = lxml.html.tostring(element, encoding="unicode", with_tail=False)
    return f"<html><body><article>{inner}</article></body></html>"


def _trafilatura_text(html: str, url: str) -> str:
    try:
        text = trafilatura.extract(
            html,
            url=url or None,
            include_tables=True,
            include_comments=False,
            favor_recall=True,
            # No fallback extractors: same text on every fixture and seed page, 35% less CPU.
            fast=True,
            output_format="txt",
            with_metadata=False,
        )
    except Exception:  # noqa: BLE001 - trafilatura has many failure modes on junk
        text = None
    return (text or "").strip()


def _header_window(lines: str, title: str | None, text: str) -> str:
    """The lines around the article heading: where 发布时间 and 来源 usually sit."""
    if title:
        pos = lines.find(title)
        if pos < 0:
            pos = lines.find(title[:16])
        if pos >= 0:
            return lines[pos : pos + len(title) + 400]
    first = next((line for line in text.splitlines() if len(line.strip()) >= 8), "")
    pos = lines.find(first[:20]) if first else -1
    return lines[max(0, pos - 600) : pos] if pos > 0 else ""


def url_date(url: str) -> dt.date | None:
    for rule in _URL_DATES:
        m = rule.search(url or "")
        if m:
            return _make_date(*m.groups())
    return None


def _looks_binary(text: str) -> bool:
    sample = text[:4096]
    return not sample or len(_BINARY_CHARS.findall(sample)) > 0.05 * len(sample)


def _empty(encoding: str = "utf-8") -> ExtractedReport:
    return ExtractedReport(title=None, text="", fields=ReportFields(), meta={}, encoding=encoding)


def extract_report(
    body: bytes, url: str, content_type: str | None = None, site_name: str | None = None
) -> ExtractedReport:
    """Decode, extract the body text with trafilatura, and read the report's fields.

    Falls back to the plain text of the largest content block when trafilatura gives
    nothing or very little.  The publication date is looked for in the lines around the
    heading too (trafilatura drops them), and as a last resort in a TRS/jcms URL.
    Never raises.
    """
    encoding = "utf-8"
    try:
        html, encoding = decode_html(body or b"", content_type)
        if _looks_binary(html):
            return _empty(encoding)
        root = _parse(html)
        meta = _meta_of(root)
        title = _title_of(root, meta)
        text = _trafilatura_text(_content_html(root, html), url)
        lines = _block_lines(root) if root is not None else ""
        if len(text) < MIN_TEXT_CHARS and root is not None:
            fallback = _largest_block_text(root)
            if len(fallback) > len(text):
                text = fallback
        header = _header_window(lines, title, text)
        fields = read_fields(title, f"{header}\n{text}" if header else text, meta, site_name)
        if fields.published is None:
            fields = replace(fields, published=url_date(url))
        return ExtractedReport(
            title=fields.title, text=text, fields=fields, meta=meta, encoding=encoding
        )
    except Exception:  # noqa: BLE001 - a worker must answer, whatever the page
        return _empty(encoding)
