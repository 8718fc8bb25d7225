"""Hanweb jcms lists: the items of a ``/col/colN/index.html`` column are not ``<a>`` elements of
the page but CDATA records inside ``<script type="text/xml"><datastore>…</datastore></script>``
(rendered by ``jpage.js``); later groups come from ``/module/web/jpage/dataproxy.jsp``, whose
response is the same ``<datastore>`` XML. Both are read here with regular expressions (the records
are HTML fragments inside CDATA, which an HTML parser keeps as opaque script text)."""

from __future__ import annotations

import html as htmllib
import re
from collections.abc import Iterator

import lxml.html
from lxml import etree

from govcrawl.discovery import markup
from govcrawl.discovery.markup import Link

_DATASTORE = re.compile(r"<datastore", re.IGNORECASE)
# The elements read are found by scanning, each part of the page once (``_elements``, ``_base``):
# a pattern such as ``<record\b[^>]*>(.*?)</record\s*>`` run by ``finditer`` scans to the end of
# the page from every unclosed ``<record>``, quadratic in the page (10⁴ of them: 4 s on the
# reactor thread), and ``<base\b[^>]*\bhref…`` does the same from every ``<base`` without ``>``.
_OPEN = {name: re.compile(rf"<{name}\b", re.IGNORECASE) for name in ("record", "nextgroup")}
_CLOSE = {name: re.compile(rf"</{name}\s*>", re.IGNORECASE) for name in ("record", "nextgroup")}
_CDATA = re.compile(r"^\s*<!\[CDATA\[(.*?)\]\]>\s*$", re.DOTALL)
_HREF = re.compile(r"""href\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)
_BASE_TAG = re.compile(r"<base\b", re.IGNORECASE)
_HREF_WORD = re.compile(r"href", re.IGNORECASE)
_BASE_HREF = re.compile(r"""\bhref\s*=\s*["']?([^"'\s>]+)""", re.IGNORECASE)


def _elements(html: str, name: str) -> Iterator[str]:
    r"""The contents of the ``<name …>…</name>`` elements of ``html``, in order: what
    ``<name\b[^>]*>(.*?)</name\s*>`` finds, in one pass. An element runs from its opening tag's
    first ``>`` to the next closing tag; once one has no ``>`` or no closing tag after it, no
    later one has either, so the scan stops there instead of retrying from every later tag."""
    opening, closing = _OPEN[name], _CLOSE[name]
    position = 0
    while (tag := opening.search(html, position)) is not None:
        start = html.find(">", tag.end())
        if start < 0:
            return
        end = closing.search(html, start + 1)
        if end is None:
            return
        yield html[start + 1 : end.start()]
        position = end.end()


def _base(html: str) -> str | None:
    r"""The ``href`` of the first ``<base>`` tag that has one: what
    ``<base\b[^>]*\bhref\s*=\s*["']?([^"'\s>]+)`` finds (its greedy ``[^>]*`` takes the tag's
    last ``href``), each tag scanned once. A tag without ``>`` runs to the end of the page."""
    position = 0
    while (tag := _BASE_TAG.search(html, position)) is not None:
        end = html.find(">", tag.end())
        end = len(html) if end < 0 else end
        for word in reversed([m.start() for m in _HREF_WORD.finditer(html, tag.end(), end)]):
            found = _BASE_HREF.match(html, word, end)
            if found is not None:
                return found.group(1)
        # A later <base inside this tag would see a part of the same text: skip the whole tag.
        position = end
    return None


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
    base_href = _base(html)
    base = markup.absolute_url(base_href, url) or url if base_href is not None else url
    fragment = "".join(_unwrap(record) for record in _elements(html, "record"))
    found: list[Link] = []
    if fragment.strip():
        try:
            tree = lxml.html.document_fromstring(
                f"<html><body>{markup.to_text(fragment)}</body></html>"
            )
        except (etree.ParserError, ValueError, TypeError):
            tree = None
        found.extend(markup.links_from_tree(tree, base))
    for nextgroup in _elements(html, "nextgroup"):
        href = _HREF.search(_unwrap(nextgroup))
        if href is None:
            continue
        target = markup.absolute_url(
            htmllib.unescape(next(g for g in href.groups() if g is not None)), base
        )
        if target is not None:
            found.append(Link(url=target, text="", rel="next"))
    return found
