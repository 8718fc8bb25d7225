"""What a document is, in one place: file extensions, MIME types, and the hints in a link's URL
and text that it downloads one.

Used by discovery (which links are attachments, which titles end in a file name), the spider's
cheap pre-check before it parses a report page for attachments, the sniffer and router of
fetched responses, and the web-archive planner. Each list a caller needs is derived from the
few base lists here, so a new format or download script is added once and every check agrees.
Pure; imports nothing of govcrawl.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

__all__ = [
    "ARCHIVE_EXTENSIONS",
    "ATTACHMENT_EXTENSIONS",
    "CONTENT_TYPES",
    "DOCUMENT_EXTENSIONS",
    "DOCUMENT_KINDS",
    "DOCUMENT_VERSION_MARK",
    "DOWNLOAD_PATH",
    "DOWNLOAD_PATH_HINTS",
    "DOWNLOAD_TEXT",
    "GENERIC_TYPES",
    "IMAGE_EXTENSIONS",
    "KINDS",
    "MAY_LINK_DOCUMENTS",
    "NON_PAGE_EXTENSIONS",
    "PAGE_EXTENSIONS",
    "REPORT_EXTENSIONS",
    "REPORT_TEXT_EXTENSIONS",
    "STATIC_PAGE_EXTENSIONS",
    "extensions_pattern",
    "is_attachment",
    "is_download",
    "url_extension",
]

# ------------------------------------------------------------------ kinds

# What ``sniff.document_kind`` answers.
KINDS = ("pdf", "docx", "xlsx", "xls", "doc", "wps", "html", "image", "zip", "unknown")
# Kinds read as a document, never parsed as a report page.
DOCUMENT_KINDS = frozenset(KINDS) - {"html", "unknown"}

# ------------------------------------------------------------------ file extensions (no dot)

# The formats a report itself is published in: a PDF or Word version next to its page, or the
# file a list links directly.
REPORT_TEXT_EXTENSIONS = ("pdf", "doc", "docx", "wps")
# … and spreadsheets, which hold a report's tables.
REPORT_EXTENSIONS = (*REPORT_TEXT_EXTENSIONS, "xls", "xlsx")
# Extension → kind of every document the readers open; macro and template variants read as
# their base format, Kingsoft's .et as .xls.
DOCUMENT_EXTENSIONS = {
    "pdf": "pdf", "docx": "docx", "docm": "docx", "dotx": "docx", "xlsx": "xlsx", "xlsm": "xlsx",
    "xls": "xls", "et": "xls", "doc": "doc", "dot": "doc", "wps": "wps", "wpt": "wps",
}  # fmt: skip
ARCHIVE_EXTENSIONS = ("zip", "rar", "7z")
IMAGE_EXTENSIONS = frozenset({"jpg", "jpeg", "png", "gif", "bmp", "tif", "tiff", "webp"})
STATIC_PAGE_EXTENSIONS = ("htm", "html", "shtm", "shtml")
PAGE_EXTENSIONS = (*STATIC_PAGE_EXTENSIONS, "jsp", "asp", "aspx", "php")

# Links whose path ends in one of these are attachments (with a dot, as ``url_extension`` gives
# them): the report formats and the archives that bundle a report's files.
ATTACHMENT_EXTENSIONS = frozenset(f".{ext}" for ext in (*REPORT_EXTENSIONS, "zip", "rar"))
# Files that are never pages worth planning (images, styles, scripts, media, other archives,
# documents nobody reads as a report).
NON_PAGE_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp", ".svg", ".ico", ".css", ".js", ".json",
     ".mp3", ".mp4", ".avi", ".flv", ".wmv", ".swf", ".7z", ".gz", ".tar", ".exe", ".apk", ".txt",
     ".ppt", ".pptx", ".ofd", ".et", ".dps", ".xml", ".rss"}
)  # fmt: skip

# ------------------------------------------------------------------ MIME types

CONTENT_TYPES = {
    "application/pdf": "pdf", "application/x-pdf": "pdf",
    "application/msword": "doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.ms-excel": "xls", "application/x-xls": "xls",
    "application/vnd.ms-works": "wps", "application/kswps": "wps", "application/wps-office.wps": "wps",
    "application/wps-office.doc": "doc", "application/wps-office.docx": "docx",
    "application/wps-office.xls": "xls", "application/wps-office.xlsx": "xlsx",
    "application/zip": "zip", "application/x-zip-compressed": "zip",
    "text/html": "html", "application/xhtml+xml": "html",
}  # fmt: skip
# Types that say nothing about the content: the file name decides.
GENERIC_TYPES = frozenset(
    {"application/octet-stream", "application/x-download", "application/download",
     "application/force-download", "binary/octet-stream", "application/unknown"}
)  # fmt: skip


def _alternatives(words: Iterable[str]) -> str:
    """``a|b|c`` of the words, longest first (a regex alternative picks the first that fits)."""
    return "|".join(re.escape(word) for word in sorted(set(words), key=lambda w: (-len(w), w)))


def extensions_pattern(extensions: Iterable[str]) -> str:
    r"""A regex of a dot and one of the extensions: ``("pdf", "doc")`` → ``\.(?:pdf|doc)``."""
    return r"\.(?:" + _alternatives(extensions) + ")"


# ------------------------------------------------------------------ download links

# Download scripts that serve a document without a file extension in the URL
# (``download.jsp?id=4711``, ``downfile.jsp``, ``getfile.jsp?id=7``, ``/fujian/…``).
DOWNLOAD_PATH_HINTS = ("download", "downfile", "attach", "fujian", "getfile", "filedown")
DOWNLOAD_PATH = re.compile(_alternatives(DOWNLOAD_PATH_HINTS), re.IGNORECASE)
# A download script's link text that names a file, a download or an attachment.
DOWNLOAD_TEXT = re.compile(
    "附件|下载|" + extensions_pattern((*REPORT_EXTENSIONS, "et", "ofd")) + r"\s*$|年度报告",
    re.IGNORECASE,
)
# A link text marking a document version of a report listed next to its page:
# "…年度报告（PDF版）", "…年度报告.docx".
DOCUMENT_VERSION_MARK = re.compile(
    # ``\s*(?:版\s*)?``, not ``\s*版?\s*``: one way to split a run of spaces (linear time)
    r"[（(]\s*(?:" + _alternatives((*REPORT_TEXT_EXTENSIONS, "word")) + r")\s*(?:版\s*)?[)）]|"
    + extensions_pattern(REPORT_TEXT_EXTENSIONS) + "$",
    re.IGNORECASE,
)

# The bytes of a page that may link a document: any attachment extension or download-path hint
# anywhere. A superset of what ``is_download`` accepts (its URL is in the page's markup), so a
# page that fails it has no attachment to find and need not be parsed.
MAY_LINK_DOCUMENTS = re.compile(
    (extensions_pattern(ext[1:] for ext in ATTACHMENT_EXTENSIONS) + r"\b|"
     + _alternatives(DOWNLOAD_PATH_HINTS)).encode("ascii"),
    re.IGNORECASE,
)


def url_extension(url: str) -> str:
    """Lower-case file extension of the URL path (``".pdf"``), or ``""``."""
    try:
        last = urlsplit(url).path.rsplit("/", 1)[-1]
    except ValueError:
        return ""
    dot = last.rfind(".")
    return last[dot:].lower() if dot > 0 else ""


def is_attachment(url: str) -> bool:
    """True for a document download: the path ends in .pdf/.doc/…, or a download script's query
    names such a file (``downfile.jsp?…&filename=x.pdf``)."""
    if url_extension(url) in ATTACHMENT_EXTENSIONS:
        return True
    try:
        query = urlsplit(url).query.lower()
    except ValueError:
        return False
    return any(f"{ext}&" in query + "&" for ext in ATTACHMENT_EXTENSIONS)


def is_download(url: str, text: str) -> bool:
    """A link to a document: by its extension, or a download script with a query whose link text
    names a file, a download or an attachment (``download.jsp?id=4711`` "附件：2023年报.pdf")."""
    if is_attachment(url):
        return True
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return bool(parts.query and DOWNLOAD_PATH.search(parts.path) and DOWNLOAD_TEXT.search(text))
