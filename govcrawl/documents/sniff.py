"""What kind of document a response carries, and whether a response is an attachment at all.

Magic bytes win over the server's word: portals send PDFs as ``application/octet-stream``,
``text/html`` error pages for ``.pdf`` links, and Word files named ``.doc`` that are DOCX."""

from __future__ import annotations

import io
import re
import zipfile
from urllib.parse import unquote, unquote_to_bytes, urlsplit

from govcrawl.documents.kinds import (
    ARCHIVE_EXTENSIONS,
    CONTENT_TYPES,
    DOCUMENT_EXTENSIONS,
    GENERIC_TYPES,
    IMAGE_EXTENSIONS,
    KINDS,
    PAGE_EXTENSIONS,
)

__all__ = ["DOCUMENT_EXTENSIONS", "KINDS", "document_kind", "extension_of", "filename_of",
           "is_document_response"]

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"BM", b"II*\x00",
                b"MM\x00*")
_ZIP_ENTRY = re.compile(rb"PK\x03\x04")  # a local file header
# The page opens (after an XML declaration) with HTML comments, then one of these tags. A run of
# comments is written as ONE optional group with a greedy ``.*``: ``(?:<!--.*?-->\s*)*`` can split
# n comments in 2^(n-1) ways (the lazy ``.*?`` may also swallow ``--><!--``), which a backtracking
# engine tries one by one when the tag after them is not in the list: a page of 30 comments and a
# ``<link>`` froze the reactor for minutes. Both accept the same heads (a run of comments is one
# ``<!--`` … ``-->`` whatever lies between), but this one backtracks only over the ``-->``
# positions, once each: linear.
_HTML_START = re.compile(rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*-->\s*)?<(?:!doctype\s+html|html"
                         rb"|head|body|meta|title|script|div|p\b|h1|table)", re.I | re.S)


# ------------------------------------------------------------------ file names

def _decode_raw(raw: str) -> str:
    """A raw header value: HTTP libraries decode header bytes as latin-1, so a UTF-8 or GBK
    file name arrives as mojibake; turn it back into the bytes and decode those."""
    try:
        data = raw.encode("latin-1")
    except UnicodeEncodeError:
        return raw  # already real text
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw


def _unquote_any(value: str) -> str:
    """Percent-decoding as UTF-8, else as GBK (older Chinese servers encode with the page's
    charset)."""
    if "%" not in value:
        return value
    data = unquote_to_bytes(value)
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return unquote(value, errors="replace")


_PARAM = re.compile(r"""(?i)(?:^|;)\s*(filename\*?)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)""")
_QUOTED_PAIR = re.compile(r"\\(.)")
_PATH_SEPARATOR = re.compile(r"[\\/]")


def filename_of(disposition: str | bytes | None) -> str | None:
    """The file name a Content-Disposition header gives: ``filename*=`` (RFC 5987) first,
    else ``filename=`` (quoted or not, percent-encoded or raw UTF-8/GBK)."""
    if not disposition:
        return None
    if isinstance(disposition, bytes):
        disposition = disposition.decode("latin-1")
    plain = extended = None
    for match in _PARAM.finditer(disposition):
        name, value = match.group(1).lower(), match.group(2).strip()
        if value.startswith('"') and value.endswith('"') and len(value) >= 2:
            value = _QUOTED_PAIR.sub(r"\1", value[1:-1])
        if name == "filename*":
            charset, _, rest = value.partition("'")
            _, _, encoded = rest.partition("'")
            if not encoded:  # no charset'lang' prefix: treat it as a plain value
                encoded, charset = value, "utf-8"
            try:
                extended = unquote_to_bytes(encoded).decode(charset or "utf-8")
            except (LookupError, UnicodeDecodeError):
                extended = _unquote_any(encoded)
        elif plain is None:
            plain = _unquote_any(_decode_raw(value))
    name = (extended or plain or "").strip()
    # Keep the last path component: some servers send a full path.
    name = _PATH_SEPARATOR.split(name)[-1].strip()
    return name or None


# At module level so tests/test_linear_time.py sees it (it reads URLs and file names of servers).
_EXTENSION = re.compile(r"\.([A-Za-z0-9]{1,5})(?:[?#&]|$)")


def extension_of(name: str | None) -> str | None:
    """The lower-case extension of a file name or URL (its path, then its query)."""
    if not name:
        return None
    parts = urlsplit(name) if "://" in name or name.startswith("/") else None
    candidates = [parts.path, unquote(parts.query)] if parts else [name]
    for candidate in candidates:
        match = _EXTENSION.search(candidate.strip())
        if match:
            return match.group(1).lower()
    return None


def _named_kind(url: str, disposition: str | None) -> str | None:
    for name in (filename_of(disposition), url):
        ext = extension_of(name)
        if ext in DOCUMENT_EXTENSIONS:
            return DOCUMENT_EXTENSIONS[ext]
        if ext in IMAGE_EXTENSIONS:
            return "image"
        if ext in ARCHIVE_EXTENSIONS:
            return "zip"
        if ext in PAGE_EXTENSIONS and name is not url:
            return "html"
    return None


# ------------------------------------------------------------------ content

def _zip_kind(body: bytes) -> str:
    """DOCX or XLSX by the parts the package holds; the central directory when the archive is
    whole, else the local file headers (a cut download keeps its first entries)."""
    try:
        names = zipfile.ZipFile(io.BytesIO(body)).namelist()
    except (zipfile.BadZipFile, ValueError, OSError):
        names = []
        for m in _ZIP_ENTRY.finditer(body[:1_000_000]):
            size = int.from_bytes(body[m.start() + 26:m.start() + 28], "little")
            names.append(body[m.start() + 30:m.start() + 30 + size].decode("latin-1", "replace"))
    if any(n.startswith("word/") for n in names):
        return "docx"
    if any(n.startswith("xl/") for n in names):
        return "xlsx"
    blob = body[:200_000]
    if b"word/" in blob:
        return "docx"
    if b"xl/" in blob:
        return "xlsx"
    return "zip"


def _ole_kind(body: bytes, url: str, disposition: str | None) -> str:
    """Word, Excel or Kingsoft WPS inside an OLE2 container: by the stream names when olefile
    can list them, else by the file name."""
    named = _named_kind(url, disposition)
    try:
        import olefile

        ole = olefile.OleFileIO(io.BytesIO(body))
        streams = {"/".join(entry).lower() for entry in ole.listdir()}
        ole.close()
    except Exception:  # noqa: BLE001 — a cut container: trust the name
        streams = set()
    if "workbook" in streams or "book" in streams:
        return "xls"
    if "worddocument" in streams:
        # Kingsoft writes Word-compatible files; only the name tells a .wps apart.
        return "wps" if named == "wps" else "doc"
    if named in ("doc", "xls", "wps"):
        return named
    return "doc" if not streams else "unknown"


def _magic_kind(body: bytes, url: str, disposition: str | None) -> str | None:
    head = body[:1024]
    stripped = head.lstrip(b"\xef\xbb\xbf\r\n\t ")
    if b"%PDF-" in head:  # some generators put junk before the header; readers accept it
        return "pdf"
    if head.startswith(_OLE_MAGIC):
        return _ole_kind(body, url, disposition)
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _zip_kind(body)
    if head.startswith(_IMAGE_MAGIC) or head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image"
    if _HTML_START.match(stripped):
        return "html"
    return None


def _mime(content_type: str | bytes | None) -> str:
    if isinstance(content_type, bytes):
        content_type = content_type.decode("latin-1")
    return (content_type or "").split(";")[0].strip().lower()


def document_kind(body: bytes, url: str = "", content_type: str | None = None,
                  disposition: str | None = None) -> str:
    """One of ``KINDS``: by magic bytes first, then the Content-Type, then the file name
    (Content-Disposition, then the URL)."""
    kind = _magic_kind(body or b"", url, disposition)
    if kind:
        return kind
    mime = _mime(content_type)
    if mime in CONTENT_TYPES and mime not in ("application/zip", "text/html"):
        # The bytes did not show the type the server claims: a body this short or odd is
        # usually an error, but a claimed Word type without OLE magic may still be RTF/text.
        return CONTENT_TYPES[mime] if body else "unknown"
    if mime.startswith("image/"):
        return "image"
    named = _named_kind(url, disposition)
    if named and named != "html":
        return named if body else "unknown"
    return "unknown"


def is_document_response(content_type: str | bytes | None, disposition: str | bytes | None,
                         url: str = "") -> bool:
    """Whether a crawler should treat a response as an attachment (a document to read) rather
    than a web page: a document Content-Type, an ``attachment`` disposition, or a generic
    binary type with a document file name."""
    if isinstance(disposition, bytes):
        disposition = disposition.decode("latin-1")
    mime = _mime(content_type)
    if mime in CONTENT_TYPES and CONTENT_TYPES[mime] not in ("html", "zip"):
        return True
    if CONTENT_TYPES.get(mime) == "html":
        return False  # an error or landing page, even at a .pdf URL
    name = filename_of(disposition)
    if disposition and disposition.strip().lower().startswith("attachment"):
        return True
    if mime in GENERIC_TYPES or not mime:
        ext = extension_of(name) or extension_of(url)
        return ext in DOCUMENT_EXTENSIONS
    return False
