"""Decide how to decode an HTML body, deliberately.

Order of evidence: byte-order mark, then the HTTP ``Content-Type`` charset, then a
``<meta charset>`` / ``http-equiv`` / XML declaration near the top of the body, then
detection (a strict UTF-8 check, then charset-normalizer).  A declared charset is only
believed when the text it gives is sane: no run of U+FFFD (``charset=utf-8`` on a GBK
body) and no silent Latin-1 mojibake (``charset=iso-8859-1`` on a GBK or UTF-8 body).
Every gb2312/gbk declaration decodes as gb18030, so GBK-only characters (镕 喆 堃)
survive.  :func:`decode_html` never raises.
"""

from __future__ import annotations

import codecs
import re

import charset_normalizer

__all__ = ["decode_html", "normalize_charset"]

#: How much of the body is searched for a ``<meta>`` charset declaration.
META_SCAN_BYTES = 4096

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Labels that mean "some member of the GB family": decode them all as the superset.
# fmt: off
_GB_LABELS = {
    "gb2312", "gb_2312", "gb_2312-80", "gb2312-80", "gb231280", "csgb2312", "euc-cn", "euccn",
    "x-euc-cn", "gbk", "x-gbk", "cp936", "ms936", "windows-936", "936", "chinese",
    "csiso58gb231280", "iso-ir-58", "gb18030", "gb-18030",
}
_GB_LABELS_COMPACT = {x.replace("-", "") for x in _GB_LABELS}
# WHATWG: these labels are windows-1252 in every browser.
_LATIN1_LABELS = {
    "iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "ascii", "us-ascii", "cp819",
    "ibm819", "iso_8859-1", "windows-1252", "cp1252", "x-cp1252",
}
# fmt: on
_BIG5_LABELS = {"big5", "big5-hkscs", "cn-big5", "x-x-big5", "csbig5"}

_CHINESE_CODECS = ["gb18030", "big5"]

# ``\s*["']?\s*`` would let two ``\s*`` share a run of spaces in every way on a failing value
# (quadratic); ``\s*(?:["']\s*)?`` accepts the same text with one way only. A <meta> tag's
# attributes are scanned up to the next ``<`` too, so tags close together are not each rescanned
# for 400 bytes.
_HTTP_CHARSET = re.compile(r"""charset\s*=\s*(?:["']\s*)?([\w.:\-]+)""", re.I)
_META_CHARSET = re.compile(rb"""<meta[^<>]{0,400}?charset\s*=\s*(?:["']\s*)?([\w.:\-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']\s*([\w.:\-]+)""", re.I)


def normalize_charset(label: str | None) -> str | None:
    """Map a declared charset label to the Python codec we decode it with (or None)."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower().replace("_", "-")
    if name in _GB_LABELS or name.replace("-", "") in _GB_LABELS_COMPACT:
        return "gb18030"
    if name in _LATIN1_LABELS:
        return "cp1252"
    if name in _BIG5_LABELS:
        return "big5hkscs"
    if name in {"utf8", "utf-8", "unicode-1-1-utf-8", "x-unicode20utf8"}:
        return "utf-8"
    if name.startswith(("utf-16", "utf-32", "ucs-2", "unicode")):
        # A BOM-less body cannot really be UTF-16; browsers read such pages as UTF-8.
        return "utf-8"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _http_charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    m = _HTTP_CHARSET.search(content_type)
    return normalize_charset(m.group(1)) if m else None


def _meta_charset(body: bytes) -> str | None:
    head = body[:META_SCAN_BYTES]
    m = _XML_ENCODING.search(head) or _META_CHARSET.search(head)
    return normalize_charset(m.group(1).decode("ascii", "ignore")) if m else None


_CJK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0002ffff]")


def _count_nonascii(text: str) -> int:
    return len(text) - len(text.encode("ascii", "ignore"))


def _strict(body: bytes, encoding: str) -> str | None:
    try:
        return body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _utf8_with_multibyte(body: bytes) -> bool:
    """True if the body is valid UTF-8 and holds a few multi-byte characters.

    GBK/Big5 text of more than a handful of characters is practically never valid UTF-8,
    so this is strong evidence whatever the page declares.
    """
    text = _strict(body, "utf-8")
    return text is not None and _count_nonascii(text) >= 4


def _is_single_byte(encoding: str) -> bool:
    try:
        info = codecs.lookup(encoding)
    except LookupError:
        return False
    return info.name.startswith(("cp12", "iso8859", "latin", "mac-", "koi8", "cp4", "cp8"))


def _sane(body: bytes, encoding: str) -> str | None:
    """Decode with ``encoding`` if the result is believable, else return None."""
    try:
        text = body.decode(encoding, errors="replace")
    except LookupError:
        return None
    nonascii = _count_nonascii(text)
    if nonascii:
        bad = text.count("\ufffd")
        if bad > 2 and bad > nonascii * 0.005:
            return None
    if encoding != "utf-8" and nonascii and _utf8_with_multibyte(body):
        return None  # declared legacy charset over a UTF-8 body
    if _is_single_byte(encoding) and nonascii >= 4:
        # Silent mojibake check: would a CJK codec read these bytes as Chinese?
        for other in ("utf-8", "gb18030"):
            alt = _strict(body, other)
            if alt is None:
                continue
            alt_nonascii = _count_nonascii(alt)
            if alt_nonascii and len(_CJK.findall(alt)) >= 0.5 * alt_nonascii:
                return None
    return text


def _detect(body: bytes) -> tuple[str, str] | None:
    """Undeclared body: UTF-8 if it is valid UTF-8, else charset-normalizer's pick."""
    if _strict(body, "utf-8") is not None:
        return body.decode("utf-8"), "utf-8"
    # Chinese codecs first: on short snippets unrestricted detection likes cp949.
    for isolation in (_CHINESE_CODECS, None):
        try:
            best = charset_normalizer.from_bytes(body, cp_isolation=isolation).best()
        except Exception:  # noqa: BLE001 - detection is advisory
            best = None
        if best is not None and best.encoding:
            enc = normalize_charset(best.encoding) or best.encoding
            text = _sane(body, enc)
            if text is not None:
                return text, enc
    return None


def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Decode an HTML body; return ``(text, python_codec_name)``. Never raises."""
    try:
        return _decode(body or b"", content_type)
    except Exception:  # noqa: BLE001 - last resort, by contract
        return bytes(body or b"").decode("utf-8", errors="replace"), "utf-8"


def _decode(body: bytes, content_type: str | None) -> tuple[str, str]:
    for bom, enc in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(enc, errors="replace"), enc
    tried: set[str] = set()
    for enc in (_http_charset(content_type), _meta_charset(body)):
        if enc is None or enc in tried:
            continue
        tried.add(enc)
        text = _sane(body, enc)
        if text is not None:
            return text, enc
    detected = _detect(body)
    if detected is not None:
        return detected
    # Nothing is clean: take the Chinese-web favourite if it is nearly clean.
    text = _sane(body, "gb18030")
    if text is not None:
        return text, "gb18030"
    return body.decode("utf-8", errors="replace"), "utf-8"
