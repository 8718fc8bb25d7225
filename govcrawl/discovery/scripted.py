"""Lists built by script, read without a browser: the requests a list page's own script would
make for its items, and, from each answer, the items and the next request.

One small strategy per mechanism, each recognising its markup in the fetched page:

- ``trs_static`` — TRS WCM pages whose pager is drawn by script from settings (``var countPage =
  5``/``currentPage``, a ``pgBar`` template, ``maxStaticIndex: 3`` of a "动静结合" ``list2``
  list) but carry no pager links: the static pages ``index_1.html`` … are ordinary list pages.
- ``trs_search`` — a TRS "动静结合" list (``maxStaticIndex`` / ``list2.trsapi``): pages after the
  static ones come from a search endpoint the script POSTs to (``channelid``, ``page``,
  ``prepage`` …), answering JSON.
- ``jpage`` — a Hanweb ``<datastore>`` column: later groups of records are POSTed for to
  ``dataproxy.jsp?startrecord=46&endrecord=90&perpage=15`` with the ``col=1&appid=1&webid=…
  &columnid=…&unitid=…`` form jpage.js builds from the ``<nextgroup>`` link.
- ``load_more`` — a 加载更多 button whose script GETs/POSTs the next page (JSON or an HTML
  fragment), its parameters read from the button's ``data-*`` attributes where the script does.
- ``json_list`` — any other JSON/XML list endpoint called by an inline script (``$.ajax``,
  ``$.post``, ``$.getJSON``, ``fetch``, ``axios``) with a column-id parameter and a page
  parameter.

A :class:`DataRequest` says how to ask (method, URL, form or JSON body, headers) and how to page
on; :func:`read_answer` reads the answer (:mod:`govcrawl.discovery.answers`) and returns the item
links and the following request until the list is exhausted: an empty or short answer, the
declared total or page count reached, "has more" false, or the same answer twice (an endpoint
that ignores the page number). The caller bounds the walk (``Limits.max_list_pages``). Pure: no
Scrapy, no network; never raises.
"""

from __future__ import annotations

import html as htmllib
import json
import logging
import math
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import lxml.html

from govcrawl.discovery import answers, scripts
from govcrawl.discovery.markup import Link, absolute_url, normalize_space
from govcrawl.discovery.pagination import PAGE_PARAMETERS
from govcrawl.discovery.scripts import UNKNOWN, Call, CallSite, Concat, Obj, Ref, Value

logger = logging.getLogger(__name__)

DEFAULT_MAX_PAGES = 200

# How the page number travels: in the query, in the POST form or JSON body, in the URL path,
# or as Hanweb record numbers (startrecord/endrecord).
QUERY, FORM, PATH, RECORDS = "query", "form", "path", "records"
FORM_BODY, JSON_BODY = "form", "json"
PAGE, DATA = "page", "data"

COLUMN_KEYS = frozenset({
    "columnid", "column_id", "colid", "col_id", "channelid", "channel_id", "chnlid", "chnl",
    "channel", "catid", "cat_id", "categoryid", "category_id", "cateid", "catalogid", "catalog_id",
    "nodeid", "node_id", "lmid", "menuid", "classid", "typeid", "cid", "infotypeid", "columncode",
    "channelcode", "chnlcode", "columnkey", "sortid", "lanmuid",
})  # fmt: skip
PAGE_KEYS = PAGE_PARAMETERS | frozenset({"pagenow", "currpage", "nowpage", "page_index", "pageidx",
                                         "current"})  # MyBatis-Plus pages: current & size
SIZE_KEYS = frozenset({"pagesize", "page_size", "prepage", "perpage", "per_page", "rows", "limit",
                       "size", "ps", "pernum", "pagecount_per", "length", "num"})
_ENDPOINT_KEYS = ("searchurl", "apiurl", "dataurl", "listurl", "ajaxurl", "requesturl", "jsonurl",
                  "searchapi", "dataapi", "listapi", "api", "trsapi", "url")
_FETCHERS = frozenset({"ajax", "post", "get", "getjson", "fetch", "axios", "load", "request"})
_GET_RECEIVERS = frozenset({"$", "jquery", "axios", "$http", "http", "request", "service"})
_NOT_ENDPOINTS = re.compile(
    r"\.(?:js|css|png|jpe?g|gif|svg|ico|woff2?)(?:[?#]|$)|^(?:javascript|data|mailto):", re.IGNORECASE)
_DATAPROXY = re.compile(r"/dataproxy\.jsp", re.IGNORECASE)
_TRS_PAGER = re.compile(r"createPageHTML|pgBar", re.IGNORECASE)
_STATIC_NAME = re.compile(r"^(?P<stem>index)(?:_(?P<n>\d{1,5}))?\.(?P<ext>s?html?)$", re.IGNORECASE)
_LOAD_MORE_TEXT = re.compile(
    r"^(?:点击)?(?:加载|查看|显示|浏览)更多(?:内容|信息|数据|文章)?|^load\s*more$", re.IGNORECASE)
_BUTTON_TAGS = ("a", "button", "div", "span", "p", "li", "input")
_BUTTON_PAGE = ("data-page", "data-pageno", "data-current", "data-curpage", "data-pageindex")
_BUTTON_URL = ("data-url", "data-href", "data-next", "data-src")

_JSON_ACCEPT = "application/json, text/javascript, */*; q=0.01"
_XML_ACCEPT = "application/xml, text/xml, */*; q=0.01"
_HTML_ACCEPT = "text/html, */*; q=0.01"
_FORM_TYPE = "application/x-www-form-urlencoded; charset=UTF-8"


@dataclass(frozen=True)
class DataRequest:
    """A request the page's script makes for list items, and how to page on.

    ``kind`` is ``"page"`` for an ordinary HTML list page (TRS static pages: read like any list
    page) or ``"data"`` for an endpoint answer (read by :func:`read_answer`). ``form`` holds the
    POST fields in order (sent URL-encoded, or as a JSON object when ``encoding`` is ``"json"``);
    a GET's parameters are in ``url``. ``referer`` is the list page: it is sent as the page's
    XHR would send it, and answers' links resolve against it."""

    mechanism: str
    url: str
    method: str = "GET"
    form: tuple[tuple[str, str | int], ...] = ()
    encoding: str = FORM_BODY
    headers: tuple[tuple[str, str], ...] = ()
    kind: str = DATA
    referer: str = ""
    page: int = 1  # the page (Hanweb: group) this request asks for
    page_at: str = QUERY
    page_key: str = ""  # the parameter carrying the page number ("" when not paged)
    page_size: int = 0  # items per answer, when known (Hanweb: records per group)
    total: int = 0  # items in the list as the page declared them (0: unknown)
    pages: int = 0  # pages in the list as the page declared them (0: unknown)
    path_parts: tuple[str, str] = ("", "")  # page number in the path: prefix, suffix
    seen: str = field(default="", compare=False)  # first item URL of the previous answer

    @property
    def body(self) -> bytes:
        """The request body as sent (``b""`` for a GET)."""
        if self.method != "POST" or not self.form:
            return b""
        if self.encoding == JSON_BODY:
            return json.dumps(dict(self.form), ensure_ascii=False, separators=(",", ":")).encode()
        return urlencode([(k, str(v)) for k, v in self.form]).encode()

    @property
    def content_type(self) -> str:
        if self.method != "POST":
            return ""
        return "application/json;charset=UTF-8" if self.encoding == JSON_BODY else _FORM_TYPE

    def at_page(self, page: int) -> DataRequest:
        """The same request for page ``page``."""
        if self.page_at == RECORDS:
            size = self.page_size or 45
            query = _set_query(urlsplit(self.url).query, "startrecord", (page - 1) * size + 1)
            query = _set_query(query, "endrecord", page * size)
            url = urlunsplit(urlsplit(self.url)._replace(query=query))
            return replace(self, url=url, page=page)
        if self.page_at == FORM:
            form = tuple((k, page if k == self.page_key else v) for k, v in self.form)
            return replace(self, form=form, page=page)
        if self.page_at == PATH:
            prefix, suffix = self.path_parts
            return replace(self, url=f"{prefix}{page}{suffix}", page=page)
        parts = urlsplit(self.url)
        query = _set_query(parts.query, self.page_key, page)
        return replace(self, url=urlunsplit(parts._replace(query=query)), page=page)


@dataclass(frozen=True)
class Answer:
    """The item links of one answer and the request for the next page (None: exhausted)."""

    links: tuple[Link, ...]
    next: DataRequest | None
    count: int = 0
    notes: tuple[str, ...] = ()


def _set_query(query: str, key: str, value: int) -> str:
    """``query`` with ``key`` set to ``value`` (added when absent), other pairs as they were."""
    pairs = parse_qsl(query, keep_blank_values=True)
    if not any(k == key for k, _ in pairs):
        pairs.append((key, str(value)))
    return urlencode([(k, str(value) if k == key else v) for k, v in pairs], safe="/:,")


# --- the page ----------------------------------------------------------------------------------


@dataclass
class _Page:
    """What the strategies read from one fetched page."""

    html: str
    url: str
    base: str
    tree: lxml.html.HtmlElement | None
    tokens: list[list[scripts.Token]]
    literals: dict[str, scripts.Literal]
    has_pager: bool
    max_pages: int
    button: dict[str, str] | None = None  # the 加载更多 element's attributes
    objects: dict[str, Obj] = field(default_factory=dict)  # var name = {…}

    def lookup(self, *names: str) -> scripts.Literal:
        for name in names:
            value = self.literals.get(name.lower())
            if value not in (None, ""):
                return value
        return None

    def number(self, *names: str) -> int:
        value = self.lookup(*names)
        if isinstance(value, bool):
            return 0
        if isinstance(value, int | float):
            return max(0, int(value))
        if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 9:
            return int(value.strip())
        return 0


def page_requests(
    html: str,
    url: str,
    tree: lxml.html.HtmlElement | None,
    *,
    base: str | None = None,
    has_pager: bool = False,
    max_pages: int = DEFAULT_MAX_PAGES,
) -> list[DataRequest]:
    """The requests the scripts of the list page at ``url`` would make for its items (static
    pages first), deduplicated. ``has_pager``: the page's pager links were found already (the
    static strategy then adds nothing). Never raises."""
    try:
        return _page_requests(html, url, tree, base or url, has_pager, max_pages)
    except Exception:  # a strange page must not stop the crawl
        logger.warning("discovery: cannot read the scripts of %s", url, exc_info=True)
        return []


def _page_requests(html: str, url: str, tree: lxml.html.HtmlElement | None, base: str,
                   has_pager: bool, max_pages: int) -> list[DataRequest]:
    if not isinstance(html, str) or not html:
        return []
    script_texts = scripts.inline_scripts(tree)
    tokens = scripts.page_tokens(script_texts)
    page = _Page(html, url.split("#", 1)[0], base, tree, tokens, scripts.literals(tokens),
                 has_pager, max(1, max_pages), _load_more_button(tree), scripts.objects(tokens))
    found: list[DataRequest] = []
    for strategy in STRATEGIES:
        found.extend(strategy(page))
    return list(dict.fromkeys(found))


# --- TRS static pages --------------------------------------------------------------------------


def trs_static(page: _Page) -> list[DataRequest]:
    """``index_1.html`` … when the pager is drawn by script from ``countPage`` (with its
    ``currentPage``/``pgBar`` template) or bounded by ``maxStaticIndex``, and no pager link is on
    the page (those are read by :mod:`govcrawl.discovery.pagination`)."""
    if page.has_pager or not page.tokens:
        return []
    directory, stem, extension = _static_name(page.url, page.tokens)
    if not directory:
        return []
    last = page.number("maxStaticIndex")
    if not last and page.number("countPage") > 1 and _has_pager_template(page):
        last = page.number("countPage") - 1  # pages 0 … countPage-1
    last = min(last, page.max_pages)
    names = [f"{stem}.{extension}"] + [f"{stem}_{k}.{extension}" for k in range(1, last + 1)]
    urls = [urljoin(directory, name) for name in names] if last else []
    return [DataRequest("trs_static", u, kind=PAGE, referer=page.url, page=k + 1)
            for k, u in enumerate(urls) if u != page.url]


def _has_pager_template(page: _Page) -> bool:
    """A TRS pager drawn by script beside ``countPage``: its ``currentPage`` setting, or its
    ``pgBar`` container / ``createPageHTML`` function."""
    return "currentpage" in page.literals or _TRS_PAGER.search(page.html) is not None


def _static_name(url: str, tokens: list[list[scripts.Token]]) -> tuple[str, str, str]:
    """The directory URL, the file stem and the extension of a TRS static list page, or
    ("", "", "") when ``url`` is not one (``/a/``, ``/a/index.html``, ``/a/index_2.htm``)."""
    parts = urlsplit(url)
    if parts.query:
        return "", "", ""
    directory, name = posixpath.split(parts.path)
    base = urlunsplit((parts.scheme, parts.netloc, directory.rstrip("/") + "/", "", ""))
    if not name:
        return base, "index", _script_extension(tokens)
    match = _STATIC_NAME.match(name)
    if match is None:
        return "", "", ""
    return base, match.group("stem"), match.group("ext")


def _script_extension(tokens: list[list[scripts.Token]]) -> str:
    """The page extension the pager script writes (``"htm"``, ``".shtml"``), else ``html``."""
    for script in tokens:
        for kind, text in script:
            if kind == "s" and text.lstrip(".").lower() in ("htm", "html", "shtml"):
                return text.lstrip(".").lower()
    return "html"


# --- calls in the page's scripts ----------------------------------------------------------------


@dataclass
class _Template:
    """A call read from a script, its values resolved: what a request is built from."""

    url: str
    method: str
    params: list[tuple[str, str | int | None]]  # None: the page number goes there
    encoding: str = FORM_BODY
    accept: str = _JSON_ACCEPT
    xhr: bool = True
    start: int = 0  # the page number the script asks for first (0: not said)
    path_parts: tuple[str, str] = ("", "")


def _resolve(value: Value, page: _Page, depth: int = 0) -> str | int | None:
    """A literal for ``value``: literals as they are, variables through the scripts' literal
    settings, ``$(…).data("k")``/``attr("data-k")`` through the 加载更多 element, sums and
    concatenations of those; None when not known."""
    if depth > 8:
        return None
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str | int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, Ref):
        found = page.lookup(value.name, value.last)
        return found if isinstance(found, str | int) and not isinstance(found, bool) else None
    if isinstance(value, Call):
        method = value.name.rpartition(".")[2].lower()
        first = value.args[0] if value.args else None
        if method in ("data", "attr", "getattribute") and isinstance(first, str) and page.button:
            key = first.lower()
            name = key if key.startswith("data-") or method != "data" else f"data-{key}"
            return page.button.get(name)
        if method in ("parseint", "number", "string", "encodeuricomponent", "trim") and value.args:
            return _resolve(first, page, depth + 1)
        return None
    if isinstance(value, Concat):
        parts = [_resolve(part, page, depth + 1) for part in value.parts]
        if any(part is None for part in parts):
            return None
        if all(isinstance(part, int) for part in parts):
            return sum(parts)  # type: ignore[arg-type]
        return "".join(str(part) for part in parts)
    return None


def _is_page_value(value: Value) -> bool:
    """A value that is the page number the script pages with (``pageNo``, ``page + 1``)."""
    if isinstance(value, Ref):
        return value.last.lower() in PAGE_KEYS or value.last.lower() in ("next", "nextpage", "n")
    if isinstance(value, Concat):
        return any(_is_page_value(part) for part in value.parts)
    if isinstance(value, Call):
        return any(_is_page_value(arg) for arg in value.args)
    return False


# Stands for the page number in a URL or query string being built (letters only: urljoin and
# parse_qsl keep it as it is).
_PAGE_MARK = "GOVCRAWLPAGENUMBER"


def _render(value: Value, page: _Page) -> str | None:
    """The string an expression builds, the page number (once) as ``_PAGE_MARK``; None when a
    part is not known."""
    resolved = _resolve(value, page)
    if resolved is not None:
        return str(resolved)
    if not isinstance(value, Concat):
        return _PAGE_MARK if _is_page_value(value) else None
    pieces: list[str] = []
    marked = False
    for part in value.parts:
        known = _resolve(part, page)
        if known is None and not marked and _is_page_value(part):
            pieces.append(_PAGE_MARK)
            marked = True
        elif known is None:
            return None
        else:
            pieces.append(str(known))
    return "".join(pieces)


def _url_of(value: Value, page: _Page) -> tuple[str, tuple[str, str]] | None:
    """The absolute URL an expression builds; a page number concatenated into it (``"/list_"
    + page + ".html"``, ``"?pageNo=" + pageNo``) is returned as the (prefix, suffix) around it."""
    text = _render(value, page)
    if text is None or text == _PAGE_MARK:
        return None
    absolute = _absolute(text, page)
    if not absolute:
        return None
    if _PAGE_MARK not in absolute:
        return absolute, ("", "")
    prefix, _, suffix = absolute.partition(_PAGE_MARK)
    return f"{prefix}1{suffix}", (prefix, suffix)


def _absolute(href: str, page: _Page) -> str:
    href = href.strip().split(" ", 1)[0]  # jQuery .load("url selector")
    if not href or _NOT_ENDPOINTS.search(href):
        return ""
    return absolute_url(href, page.base) or ""


def _params(value: Value, page: _Page) -> tuple[list[tuple[str, str | int | None]], str] | None:
    """The parameters a ``data``/``body`` value sends (None: the page number) and how (form or
    JSON); None when a column id it sends cannot be resolved (a request for an unknown column
    is noise)."""
    encoding = FORM_BODY
    for _ in range(3):  # data: params / JSON.stringify(params) / new URLSearchParams({…})
        if isinstance(value, Ref) and value.name.lower() in page.objects:
            value = page.objects[value.name.lower()]
        elif isinstance(value, Call) and value.args and value.name.lower().endswith("stringify"):
            value, encoding = value.args[0], JSON_BODY
        elif (isinstance(value, Call) and value.args
              and value.name.lower().endswith("urlsearchparams")):
            value = value.args[0]
        else:
            break
    if isinstance(value, Obj):
        params: list[tuple[str, str | int | None]] = []
        for key, item in value.pairs:
            name = key.lower()
            resolved = None if _is_page_value(item) else _resolve(item, page)
            if name in PAGE_KEYS and not isinstance(resolved, str):
                params.append((key, resolved))  # a number to start from, or the page to come
            elif resolved is not None:
                params.append((key, resolved))
            elif name in COLUMN_KEYS:
                return None
        return params, encoding
    if isinstance(value, str | Concat):  # "columnId=12&pageNo=" + page
        text = _render(value, page)
        if text is None:
            return None
        pairs = parse_qsl(text, keep_blank_values=True)
        return [(k, None if v == _PAGE_MARK else v) for k, v in pairs], encoding
    return [], encoding


def _template(call: CallSite, page: _Page) -> _Template | None:
    """The request a fetching call makes, or None when it is not one we can make."""
    method, receiver, args = call.method, call.name.rpartition(".")[0].lower(), call.args
    first = args[0] if args else UNKNOWN
    second = args[1] if len(args) > 1 else UNKNOWN
    if method in ("post", "get", "getjson") and receiver not in _GET_RECEIVERS:
        return None  # map.get(k), form.post(): not a fetch
    axios = method == "axios" or receiver == "axios"
    if method == "ajax" or (method in ("axios", "request") and isinstance(first, Obj)):
        if not isinstance(first, Obj):
            return None
        target, verb = first.get("url"), _resolve(first.get("type", "method"), page)
        data = first.get("data", "params", "body")
        kind = _resolve(first.get("dataType", "responseType"), page)
        content = _resolve(first.get("contentType"), page) or ("json" if axios and verb else None)
    elif method in ("post", "get", "getjson", "load"):
        # $.post(url, data), $.get(url, data), axios.get(url, {params}), $(…).load(url, data)
        target, data = first, second
        if axios and method == "get" and isinstance(second, Obj):
            data = second.get("params")
        posted = method == "post" or (method == "load" and isinstance(second, Obj))  # jQuery .load
        verb = "POST" if posted else "GET"
        last = args[-1] if len(args) > 2 else None  # $.get(url, data, success, "json")
        kind = {"load": "html", "getjson": "json"}.get(method) or (
            last if isinstance(last, str) else None)
        content = "json" if axios and method == "post" else None
    elif method == "fetch":
        options = second if isinstance(second, Obj) else Obj(())
        target, verb, data = first, _resolve(options.get("method"), page), options.get("body")
        kind, content = "json", None
    else:
        return None
    where = _url_of(target, page)
    if where is None:
        return None
    url, path_parts = where
    params = ([], FORM_BODY) if data is UNKNOWN else _params(data, page)
    if params is None:
        return None
    pairs, encoding = params
    if isinstance(content, str) and "json" in content.lower():
        encoding = JSON_BODY
    accept = {"json": _JSON_ACCEPT, "jsonp": _JSON_ACCEPT, "xml": _XML_ACCEPT, "html": _HTML_ACCEPT,
              "text": "text/plain, */*; q=0.01"}.get(str(kind or "").lower(), "*/*")
    start = next((v for k, v in pairs if k.lower() in PAGE_KEYS and isinstance(v, int)), 0)
    method_sent = "POST" if str(verb or "").upper() == "POST" else "GET"
    return _Template(url, method_sent, pairs, encoding, accept, xhr=method != "fetch" and not axios,
                     start=start, path_parts=path_parts)


def _templates(page: _Page) -> list[_Template]:
    """The fetching calls of the page's scripts we can make, Hanweb's data proxy aside."""
    found = []
    for call in scripts.calls(page.tokens, _FETCHERS):
        template = _template(call, page)
        if template is not None and not _DATAPROXY.search(template.url):
            found.append(template)
    return found


def _request(mechanism: str, template: _Template, page: _Page, *, start: int, size: int,
             total: int = 0, pages: int = 0) -> DataRequest | None:
    """The request for page ``start`` of a call's template; None when it names no page number
    (a request that cannot page is not a list's)."""
    params = list(template.params)
    page_key = next((k for k, _ in params if k.lower() in PAGE_KEYS), "")
    page_at = (QUERY if template.method == "GET" else FORM) if page_key else QUERY
    path_parts = template.path_parts
    if not page_key and path_parts != ("", ""):
        page_at = PATH
    elif not page_key:
        query = parse_qsl(urlsplit(template.url).query, keep_blank_values=True)
        page_key = next((k for k, _ in query if k.lower() in PAGE_KEYS), "")
        if not page_key:
            return None
    params = [(k, 1 if v is None else v) for k, v in params]
    url, form = template.url, ()
    if template.method == "POST":
        form = tuple(params)
    elif params:
        extra = urlencode([(k, str(v)) for k, v in params], safe="/:,")
        parts = urlsplit(url)
        url = urlunsplit(parts._replace(query=f"{parts.query}&{extra}" if parts.query else extra))
        if page_at == PATH:
            prefix, suffix = path_parts
            path_parts = (prefix, f"{suffix}{'&' if '?' in prefix + suffix else '?'}{extra}")
    headers = [("Accept", template.accept), ("Referer", page.url)]
    if template.xhr:
        headers.append(("X-Requested-With", "XMLHttpRequest"))
    request = DataRequest(mechanism, url, template.method, form, template.encoding, tuple(headers),
                          referer=page.url, page_at=page_at, page_key=page_key, page_size=size,
                          total=total, pages=pages, path_parts=path_parts)
    return request.at_page(max(1, start))


def _size_of(template: _Template, page: _Page, *names: str) -> int:
    for key, value in template.params:
        if key.lower() in SIZE_KEYS and isinstance(value, int):
            return value
        if key.lower() in SIZE_KEYS and isinstance(value, str) and value.isdigit():
            return int(value)
    return page.number(*names)


def _has_column(template: _Template) -> bool:
    keys = [k.lower() for k, _ in template.params]
    keys += [k.lower() for k, _ in parse_qsl(urlsplit(template.url).query, keep_blank_values=True)]
    path = urlsplit(template.url).path.lower()
    return any(k in COLUMN_KEYS for k in keys) or any(
        part in path for part in ("/col", "/channel", "/column"))


# --- TRS "动静结合" search endpoint ------------------------------------------------------------


def trs_search(page: _Page) -> list[DataRequest]:
    """A TRS list2 list (``maxStaticIndex`` set): the first page after the static ones, from the
    endpoint its script calls, or the one its settings name (``searchUrl`` …, POSTed)."""
    if "maxstaticindex" not in page.literals:
        return []
    last_static = page.number("maxStaticIndex")
    size = page.number("prepage", "pageSize", "perPage")
    total = page.number("recordCount", "totalRecord", "total", "totalCount")
    pages = math.ceil(total / size) if total and size else page.number("countPage", "pageCount")
    # The static pages are index.html … index_{M}.html; the endpoint is asked from page M + 1 on:
    # the first dynamic page of a 0-based API, the last static one of a 1-based API (one request
    # repeated rather than one page missed).
    start = last_static + 1
    if pages and start > pages:
        return []
    templates = [t for t in _templates(page) if _has_column(t)]
    if not templates:
        template = _settings_template(page)
        templates = [template] if template is not None else []
    found = []
    for template in templates[:1]:
        request = _request("trs_search", template, page, start=start,
                           size=_size_of(template, page, "prepage", "pageSize", "perPage") or size,
                           total=total, pages=pages)
        if request is not None:
            found.append(request)
    return found


def _settings_template(page: _Page) -> _Template | None:
    """A POST to the endpoint the list's settings name, with their column id and page size
    (the call itself lives in an external script: ``require(['list2.trsapi'])``)."""
    endpoint = next((v for k in _ENDPOINT_KEYS if isinstance(v := page.lookup(k), str) and v), "")
    url = _absolute(endpoint, page) if endpoint else ""
    column = next(((k, v) for k, v in page.literals.items() if k in COLUMN_KEYS
                   and isinstance(v, str | int) and not isinstance(v, bool) and str(v)), None)
    if not url or column is None:
        return None
    size = page.number("prepage", "pageSize", "perPage") or 10
    return _Template(url, "POST", [(column[0], column[1]), ("page", None), ("prepage", size)])


# --- Hanweb jpage ------------------------------------------------------------------------------


def jpage(page: _Page) -> list[DataRequest]:
    """The next group of each Hanweb ``<datastore>`` list whose ``<nextgroup>`` names the data
    proxy, when its settings (``totalRecord``) or its size say there is one."""
    lowered = page.html.lower()
    if "<datastore" not in lowered:
        return []
    settings = _jpage_settings(page)
    found = []
    for block in _blocks(page.html, lowered, "datastore"):
        request = _jpage_request(block, page, settings)
        if request is not None:
            found.append(request)
        if len(found) >= 16:
            break
    return found


def _blocks(html: str, lowered: str, name: str) -> list[str]:
    """The ``<name>…</name>`` blocks of ``html`` (an unclosed one runs to the end), in one scan."""
    found: list[str] = []
    position = 0
    while len(found) < 64:
        start = lowered.find(f"<{name}", position)
        if start < 0:
            break
        end = lowered.find(f"</{name}", start)
        end = len(html) if end < 0 else end
        found.append(html[start:end])
        position = end + 1
    return found


def _jpage_settings(page: _Page) -> dict[str, Obj]:
    """The settings object of each jpage widget (``$('#UNIT').jpage({…})``, ``new JPage({…})``),
    by its unit id ("" for one named by none)."""
    found: dict[str, Obj] = {}
    for call in scripts.calls(page.tokens, frozenset({"jpage"})):
        settings = next((arg for arg in call.args if isinstance(arg, Obj)), None)
        if settings is None:
            continue
        unit = _resolve(settings.get("id", "unitid"), page) or call.selector.lstrip("#")
        found.setdefault(str(unit or ""), settings)
    return found


_HREF = re.compile(r"""href\s*=\s*(?:"([^"<>]*)"|'([^'<>]*)')""", re.IGNORECASE)
_RECORD = re.compile(r"<record\b(?!set)", re.IGNORECASE)
_TOTAL_RECORD = re.compile(r"<totalrecord>\s*(\d{1,9})\s*<", re.IGNORECASE)


def _jpage_request(block: str, page: _Page, settings: dict[str, Obj]) -> DataRequest | None:
    nextgroup = block.lower().find("<nextgroup")
    href = _HREF.search(block, nextgroup) if nextgroup >= 0 else None
    if href is None:
        return None
    link = absolute_url(htmllib.unescape(href.group(1) or href.group(2) or ""), page.base)
    if link is None:
        return None
    parts = urlsplit(link)
    pairs = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if k.lower() != "page"]
    unit = next((v for k, v in pairs if k.lower() == "unitid"), "")
    options = settings.get(unit) or settings.get("") or next(iter(settings.values()), Obj(()))
    per_page = _int(_resolve(options.get("perPage"), page)) or page.number("perPage") or 15
    group = _int(_resolve(options.get("groupSize"), page)) or page.number("groupSize") or 3
    total = _int(_resolve(options.get("totalRecord"), page))
    found_total = _TOTAL_RECORD.search(block)
    total = total or (int(found_total.group(1)) if found_total else 0)
    proxy = _resolve(options.get("proxyUrl"), page)
    proxy_url = absolute_url(proxy, page.base) if isinstance(proxy, str) else None
    proxy_url = proxy_url or urlunsplit(parts._replace(query="", fragment=""))
    size = per_page * group
    records = sum(1 for _ in _RECORD.finditer(block))
    if (total and records >= total) or (not total and 0 < records < size):
        return None  # all there: the list is this short, or a part group is the whole list
    # jpage.js sends the nextgroup link's parameters as its form, ``col=1`` first.
    form: list[tuple[str, str | int]] = [("col", "1")]
    for key, value in pairs:
        form.append((key, value))
        if key.lower() == "columnid" and not any(k == "sourceContentType" for k, _ in pairs):
            form.append(("sourceContentType", "1"))
    query = urlencode([("startrecord", "1"), ("endrecord", str(size)), ("perpage", str(per_page))])
    request = DataRequest(
        "jpage", urlunsplit(urlsplit(proxy_url)._replace(query=query)), "POST", tuple(form),
        headers=(("Accept", _XML_ACCEPT), ("Referer", page.url),
                 ("X-Requested-With", "XMLHttpRequest")),
        referer=page.url, page_at=RECORDS, page_key="startrecord", page_size=size, total=total,
        pages=math.ceil(total / size) if total else 0,
    )
    return request.at_page(records // size + 1 if records else 1)


def _int(value: object) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return max(0, value)
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 9:
        return int(value.strip())
    return 0




# --- 加载更多 ----------------------------------------------------------------------------------


def _load_more_button(tree: lxml.html.HtmlElement | None) -> dict[str, str] | None:
    """The attributes (lower-cased names) of the page's 加载更多 element, or None: an element
    whose own text (an input's value) says so and that is not a plain link to another page;
    the attributes of the two elements around it are added (``<a data-page=1><span>加载更多``),
    the nearest winning. Only each element's own text is read: one pass over the page."""
    if tree is None:
        return None
    for seen, element in enumerate(tree.iter(*_BUTTON_TAGS)):
        if seen > 50_000:
            break
        own = element.get("value") if element.tag == "input" else element.text
        text = normalize_space((own or "")[:40])
        if not text or len(text) > 12 or not _LOAD_MORE_TEXT.match(text):
            continue
        chain = [element, *list(element.iterancestors())[:2]]
        href = next(((e.get("href") or "").strip().lower() for e in chain if e.tag == "a"), "")
        if href and not href.startswith(("javascript", "#")):
            continue  # 查看更多 linking the full column: an ordinary link
        attributes: dict[str, str] = {}
        for node in reversed(chain):
            attributes |= {str(k).lower(): str(v) for k, v in node.attrib.items()}
        return attributes
    return None


def load_more(page: _Page) -> list[DataRequest]:
    """The page after the ones shown, as the 加载更多 button's script asks for it."""
    button = page.button
    if button is None:
        return []
    current = next((_int(button.get(k)) for k in _BUTTON_PAGE if k in button), 0)
    found = []
    for template in _templates(page):
        size = _size_of(template, page, "pageSize", "size", "perPage")
        start = template.start if template.start > current else (current or 1) + 1
        request = _request("load_more", template, page, start=start, size=size,
                           total=page.number("total", "totalCount", "recordCount"),
                           pages=page.number("pageCount", "totalPage", "pages"))
        if request is not None:
            found.append(request)
            break
    if not found:  # no call read: the button's own URL with a page number (data-url="…?page=2")
        href = next((button[k] for k in _BUTTON_URL if button.get(k)), "")
        url = _absolute(href, page) if href else ""
        key = next((k for k, _ in parse_qsl(urlsplit(url).query) if k.lower() in PAGE_KEYS), "")
        if url and key:
            template = _Template(url, "GET", [], accept=_HTML_ACCEPT)
            request = _request("load_more", template, page, start=(current or 1) + 1, size=0)
            found += [request] if request is not None else []
    return found


# --- any other list endpoint ---------------------------------------------------------------------


def json_list(page: _Page) -> list[DataRequest]:
    """Each list endpoint an inline script calls with a column id and a page number, from the
    page the script asks for first (1 when it does not say)."""
    if page.button is not None or "maxstaticindex" in page.literals:
        return []  # the load_more / trs_search strategies read those calls
    found = []
    for template in _templates(page):
        if not _has_column(template):
            continue
        size = _size_of(template, page, "pageSize", "perPage", "rows")
        request = _request("json_list", template, page, start=template.start or 1, size=size,
                           total=page.number("total", "totalCount", "recordCount"))
        if request is not None:
            found.append(request)
        if len(found) >= 4:
            break
    return found


STRATEGIES: tuple[Callable[[_Page], list[DataRequest]], ...] = (
    trs_static, trs_search, jpage, load_more, json_list)


# --- answers ---------------------------------------------------------------------------------------


def read_answer(request: DataRequest, text: str | bytes | None,
                max_pages: int = DEFAULT_MAX_PAGES) -> Answer:
    """The item links of the answer to ``request`` and the request for the next page, None once
    the list is exhausted or ``max_pages`` pages were asked for. Never raises."""
    try:
        reading = answers.read(text, request.referer or request.url)
        following = _next(request, reading, max_pages)
        return Answer(reading.links, following, reading.count, reading.notes)
    except Exception:  # an endpoint's answer must not stop the crawl
        logger.warning("discovery: cannot read the answer of %s", request.url, exc_info=True)
        return Answer((), None, 0, ("unreadable answer",))


def _next(request: DataRequest, reading: answers.Reading, max_pages: int) -> DataRequest | None:
    if reading.count == 0 or not reading.links or request.page >= max_pages:
        return None
    first = reading.links[0].url
    if first == request.seen:
        return None  # the same answer again: the endpoint ignores the page number
    if reading.more is False:
        return None
    size = request.page_size
    total = reading.total or request.total
    pages = reading.pages or request.pages or (math.ceil(total / size) if total and size else 0)
    if pages and request.page >= pages:
        return None
    if size and reading.count < size:
        return None  # a short page is the last
    if total and size and request.page * size >= total:
        return None
    return replace(request.at_page(request.page + 1), seen=first)


def describe(request: DataRequest) -> str:
    """``POST http://…/list2.trsapi channelid=8475&page=2&prepage=10``: for logs."""
    body = request.body.decode("utf-8", "replace")
    return f"{request.method} {request.url}" + (f" {body}" if body else "")


