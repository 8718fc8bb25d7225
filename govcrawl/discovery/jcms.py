"""Hanweb jcms lists: the items of a ``/col/colN/index.html`` column are not ``<a>`` elements of
the page but CDATA records inside ``<script type="text/xml"><datastore>…</datastore></script>``
(rendered by ``jpage.js``); later groups come from ``/module/web/jpage/dataproxy.jsp``, whose
response is the same ``<datastore>`` XML. Both are read here with regular expressions (the records
are HTML fragments inside CDATA, which an HTML parser keeps as opaque script text)."""

from __future__ import annotations

import html as htmllib
import re

import lxml.html
from lxml import etree

from govcrawl.discovery import markup
from govcrawl.discovery.markup import Link

_DATASTORE = re.compile(r"<datastore", re.IGNORECASE)
_RECORD = re.compile(r"<record\b[^>]*>(.*?)</record\s*>", re.IGNORECASE | re.DOTALL)
_NEXTGROUP = re.compile(r"<nextgroup\b[^>]*>(.*?)</nextgroup\s*>", re.IGNORECASE | re.DOTALL)
_CDATA = re.compile(r"^\s*<!\[CDATA\[(.*?)\]\]>\s*$", re.DOTALL)
_HREF = re.compile(r"""href\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)
_BASE = re.compile(r"""<base\b[^>]*\bhref\s*=\s*["']?([^"'\s>]+)""", re.IGNORECASE)


def _unwrap(content: str) -> str:
    """The HTML inside a record: CDATA as is, otherwise entity-escaped markup unescaped."""
    match = _CDATA.match(content)
    return match.group(1) if match else htmllib.unescape(content)


def has_datastore(html: str) -> bool:
    """True when the page carries a jcms ``<datastore>``."""
    return bool(html) and _DATASTORE.search(html) is not None


def datastore_links(html: str, url: str) -> list[Link]:
    """Links inside jcms datastore records, then the ``<nextgroup>`` link (``rel="next"``).
    ``url`` is the page URL (a ``<base href>`` in ``html`` is honoured)."""
    if not isinstance(html, str) or not has_datastore(html):
        return []
    base_match = _BASE.search(html)
    base = markup.absolute_url(base_match.group(1), url) or url if base_match else url
    fragment = "".join(_unwrap(match.group(1)) for match in _RECORD.finditer(html))
    found: list[Link] = []
    if fragment.strip():
        try:
            tree = lxml.html.document_fromstring(
                f"<html><body>{markup.to_text(fragment)}</body></html>"
            )
        except (etree.ParserError, ValueError, TypeError):
            tree = None
        found.extend(markup.links_from_tree(tree, base))
    for match in _NEXTGROUP.finditer(html):
        href = _HREF.search(_unwrap(match.group(1)))
        if href is None:
            continue
        target = markup.absolute_url(
            htmllib.unescape(next(g for g in href.groups() if g is not None)), base
        )
        if target is not None:
            found.append(Link(url=target, text="", rel="next"))
    return found
