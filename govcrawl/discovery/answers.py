"""What a list endpoint answered: the items (title, URL, date) of a JSON, XML or HTML-fragment
answer, and what it says about the list's size (total items, pages, "has more").

Endpoints name their fields in many ways (TRS ``DOCTITLE``/``DOCPUBURL``/``DOCRELTIME``,
``title``/``url``/``publishDate``, ``articleTitle``/``linkUrl``/``pubTime`` as epoch
milliseconds …): the items are the longest JSON array of objects that carry a title and a URL,
wherever it sits in the answer. Hanweb ``<datastore>`` answers hold the items as CDATA records;
other XML (RSS-like ``<item><title/><link/>``) is read with a parser that loads nothing external.

Links resolve against the page whose script asked (``base``), as the browser resolves the
``href`` the script writes into that page. Pure; bounded (``MAX_ANSWER_CHARS``, ``MAX_NODES``);
never raises.
"""

from __future__ import annotations

import html as htmllib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import lxml.html
from lxml import etree

from govcrawl.discovery import jcms
from govcrawl.discovery.markup import Link, absolute_url, links_from_tree, normalize_space, to_text
from govcrawl.discovery.pagination import is_pagination_text

MAX_ANSWER_CHARS = 4 * 1024 * 1024
MAX_NODES = 100_000  # JSON values or XML elements looked at
MAX_DEPTH = 40

_TITLE_KEYS = ("title", "doctitle", "articletitle", "article_title", "infotitle", "showtitle",
               "name", "subject", "headline", "bt", "text", "label")
_URL_KEYS = ("url", "docpuburl", "puburl", "link", "href", "linkurl", "link_url", "articleurl",
             "detailurl", "pageurl", "htmlurl", "weburl", "docurl", "infourl", "contenturl",
             "targeturl", "redirecturl", "path")
_DATE_KEYS = ("pubdate", "publishdate", "publish_date", "docreltime", "reltime", "releasetime",
              "publishtime", "publish_time", "pubtime", "date", "time", "createtime", "createdate",
              "crtime", "fbsj", "fbrq", "writetime")
_TOTAL_KEYS = frozenset({"total", "totalcount", "total_count", "totalrecord", "totalrecords",
                         "recordcount", "record_count", "totalnum", "totalsize", "totalelements",
                         "totalrow", "totalrows", "rowcount", "allcount", "totalitems"})
_PAGES_KEYS = frozenset({"pagecount", "page_count", "totalpage", "totalpages", "total_page",
                         "pages", "pagetotal", "countpage"})
_MORE_KEYS = frozenset({"hasmore", "has_more", "hasnext", "has_next", "hasnextpage", "more"})
_LAST_KEYS = frozenset({"lastpage", "islastpage", "last", "islast", "end", "isend"})

_DATE = re.compile(r"((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
_COMPACT_DATE = re.compile(r"^((?:19|20)\d{2})(\d{2})(\d{2})(?:\d{6})?$")
_TAG = re.compile(r"<[^<>]*>")
_JSONP_HEAD = re.compile(r"\A[\w$.]{1,64}\s*\(")  # anchored: search tries the start only
_DATASTORE = re.compile(r"<datastore\b", re.IGNORECASE)
_RECORD = re.compile(r"<record\b(?!set)", re.IGNORECASE)
_TOTAL_RECORD = re.compile(r"<totalrecord>\s*(\d{1,9})\s*</totalrecord>", re.IGNORECASE)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^<>]*\?>")
_LOAD_MORE = re.compile(r"(?:加载|查看|显示)更多|load\s*more", re.IGNORECASE)
_CHINA = timedelta(hours=8)  # list dates are printed in Beijing time


@dataclass(frozen=True)
class Reading:
    """What one answer held: its item ``links`` (in order), how many items it had (``count``,
    links or not), and what it says of the whole list (0 / None: not said)."""

    links: tuple[Link, ...] = ()
    count: int = 0
    total: int = 0  # items in the whole list
    pages: int = 0  # pages in the whole list
    more: bool | None = None  # "has more" / "is last page"
    kind: str = "empty"  # json | datastore | xml | fragment | empty
    notes: tuple[str, ...] = field(default=(), compare=False)  # why nothing was read


def read(text: str | bytes | None, base: str) -> Reading:
    """The items of an endpoint's answer ``text``, links resolved against ``base``."""
    try:
        return _read(to_text(text)[:MAX_ANSWER_CHARS], base)
    except (RecursionError, ValueError, TypeError, MemoryError) as exc:
        return Reading(notes=(f"unreadable answer: {type(exc).__name__}",))


def _read(text: str, base: str) -> Reading:
    stripped = text.strip().lstrip("\ufeff")
    if not stripped:
        return Reading(notes=("empty answer",))
    if stripped[0] in "{[" or _jsonp(stripped) is not None:
        body = stripped if stripped[0] in "{[" else _jsonp(stripped) or ""
        try:
            data = json.loads(body)
        except ValueError:
            if stripped[0] in "{[":
                return Reading(notes=("malformed JSON",))
        else:
            return _json_reading(data, base)
    if _DATASTORE.search(stripped, 0, 4096) is not None:
        return _datastore_reading(stripped, base)
    if stripped.startswith("<?xml") or stripped.startswith(("<rss", "<feed")):
        reading = _xml_reading(stripped, base)
        if reading.count:
            return reading
    return _fragment_reading(stripped, base)


def _jsonp(text: str) -> str | None:
    """The JSON inside ``callback({...});``, or None when ``text`` is not that shape."""
    head = _JSONP_HEAD.match(text)
    if head is None:
        return None
    close = text.rfind(")")
    if close < head.end():
        return None
    tail = text[close + 1 :].strip()
    if tail not in ("", ";"):
        return None
    inner = text[head.end() : close].strip()
    return inner if inner[:1] in ("{", "[") else None


# --- JSON --------------------------------------------------------------------------------------


def _number(value: object) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return max(0, value)
    if isinstance(value, float):
        return max(0, int(value))
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 9:
        return int(value.strip())
    return 0


def _flag(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0"):
        return value.strip().lower() in ("true", "1")
    return None


def iso_date(value: object) -> str:
    """An ISO date from a list's date field: ``2024-01-20 09:30:00``, ``2024年1月20日``,
    ``20240120``, or epoch seconds / milliseconds (Beijing time); "" when none."""
    if isinstance(value, bool):
        return ""
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 1e11 else value
        if not 1e8 < seconds < 4.2e9:
            return ""
        return (datetime.fromtimestamp(seconds, UTC) + _CHINA).date().isoformat()
    if not isinstance(value, str):
        return ""
    text = value.strip()[:64]
    match = _DATE.search(text) or _COMPACT_DATE.match(text)
    if match is None:
        return iso_date(int(text)) if text.isdigit() and len(text) in (10, 13) else ""
    try:
        return date(*(int(g) for g in match.groups())).isoformat()
    except ValueError:
        return ""


def _clean_title(value: object) -> str:
    if not isinstance(value, str):
        return ""
    return normalize_space(htmllib.unescape(_TAG.sub("", value[:2000])))


def _field(item: dict[str, object], keys: tuple[str, ...], ends: tuple[str, ...]) -> object:
    """The value of the first of ``keys`` the item has (keys compared without case), else of
    the first key ending with one of ``ends``."""
    lowered = {str(k).lower(): v for k, v in item.items()}
    for key in keys:
        value = lowered.get(key)
        if value not in (None, ""):
            return value
    for key, value in lowered.items():
        if key.endswith(ends) and value not in (None, ""):
            return value
    return None


def _item_link(item: dict[str, object], base: str) -> Link | None:
    title = _clean_title(_field(item, _TITLE_KEYS, ("title",)))
    href = _field(item, _URL_KEYS, ("url", "link", "href"))
    if not title or not isinstance(href, str):
        return None
    url = absolute_url(htmllib.unescape(href.strip()), base)
    if url is None:
        return None
    when = iso_date(_field(item, _DATE_KEYS, ("date", "time")))
    return Link(url=url, text=title, title=title, date=when)


def _json_reading(data: object, base: str) -> Reading:
    best: list[Link] = []
    best_count = 0
    total = pages = 0
    more: bool | None = None
    fragments: list[str] = []
    stack: list[tuple[object, int]] = [(data, 0)]
    seen = 0
    while stack and seen < MAX_NODES:
        node, depth = stack.pop()
        seen += 1
        if isinstance(node, dict):
            for key, value in node.items():
                name = str(key).lower()
                if depth <= 4:
                    if name in _TOTAL_KEYS and not total:
                        total = _number(value)
                    elif name in _PAGES_KEYS and not pages:
                        pages = _number(value)
                    elif name in _MORE_KEYS and more is None:
                        more = _flag(value)
                    elif name in _LAST_KEYS and more is None:
                        last = _flag(value)
                        more = None if last is None else not last
                if isinstance(value, dict | list) and depth < MAX_DEPTH:
                    stack.append((value, depth + 1))
                elif (isinstance(value, str) and len(fragments) < 64 and "href" in value
                      and "<a" in value.lower()):  # {"html": "<li><a href=…"}
                    fragments.append(value)
        elif isinstance(node, list):
            objects = [x for x in node[:MAX_NODES] if isinstance(x, dict)]
            links = [link for link in (_item_link(x, base) for x in objects) if link is not None]
            if len(links) > len(best):
                best, best_count = links, len(objects)
            for value in reversed(node[:MAX_NODES]):
                if isinstance(value, dict | list) and depth < MAX_DEPTH:
                    stack.append((value, depth + 1))
    if not best and fragments:  # {"html": "<li><a href=…>…</a></li>…"}
        reading = _fragment_reading("".join(fragments), base)
        return Reading(reading.links, reading.count, total, pages, more, "json")
    unique = tuple(dict.fromkeys(best))
    return Reading(unique, best_count, total, pages, more, "json",
                   () if unique else ("no item list in the JSON answer",))


# --- XML ---------------------------------------------------------------------------------------


def _datastore_reading(text: str, base: str) -> Reading:
    """A Hanweb ``<datastore>`` (``dataproxy.jsp``): its records, ``<totalrecord>``; the
    ``<nextgroup>`` link is left out (groups are asked for by record numbers)."""
    links = tuple(link for link in jcms.datastore_links(text, base) if link.rel != "next")
    count = sum(1 for _ in _RECORD.finditer(text))
    total = _TOTAL_RECORD.search(text)
    return Reading(links, count, int(total.group(1)) if total else 0, 0, None, "datastore")


_XML_PARSER_OPTIONS = {"resolve_entities": False, "no_network": True, "load_dtd": False,
                       "huge_tree": False, "recover": True}


def _local(tag: object) -> str:
    return tag.rpartition("}")[2].lower() if isinstance(tag, str) else ""


def _xml_reading(text: str, base: str) -> Reading:
    body = _XML_DECLARATION.sub("", text, count=1)
    try:
        root = etree.fromstring(body.encode("utf-8"), etree.XMLParser(**_XML_PARSER_OPTIONS))
    except (etree.XMLSyntaxError, ValueError):
        return Reading(notes=("malformed XML",))
    if root is None:
        return Reading(notes=("malformed XML",))
    links: list[Link] = []
    count = total = 0
    for seen, element in enumerate(root.iter()):
        if seen >= MAX_NODES:
            break
        name = _local(element.tag)
        if name in _TOTAL_KEYS and not total:
            total = _number((element.text or "").strip())
        if len(element) == 0 or any(len(child) for child in element):
            continue  # a leaf, or a container of items (an RSS <channel>): not an item itself
        children = {_local(child.tag): (child.text or child.get("href") or "") for child in element}
        item = {key: value.strip() for key, value in children.items() if isinstance(value, str)}
        link = _item_link(item, base)
        if link is not None:
            links.append(link)
            count += 1
    return Reading(tuple(dict.fromkeys(links)), count, total, 0, None, "xml")


# --- HTML fragments ----------------------------------------------------------------------------


def _fragment_reading(text: str, base: str) -> Reading:
    """An HTML fragment (``<li><a href=…>…</a><span>2024-01-20</span></li>…``): its links,
    without pager and 加载更多 links."""
    try:
        tree = lxml.html.document_fromstring(f"<html><body>{text}</body></html>")
    except (etree.ParserError, ValueError, TypeError):
        return Reading(notes=("unreadable fragment",))
    links = [
        link for link in links_from_tree(tree, base)
        if link.text and not is_pagination_text(link.text) and not _LOAD_MORE.search(link.text)
    ]
    unique = tuple(dict.fromkeys(links))
    return Reading(unique, len(unique), 0, 0, None, "fragment" if unique else "empty")
