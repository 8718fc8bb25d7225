"""``read_document``: any attachment a portal serves → ``Document`` (text, HTML, flags)."""

from __future__ import annotations

import logging
import re

from govcrawl.documents.model import Block, Document, render_html, render_text
from govcrawl.documents.sniff import document_kind

__all__ = ["MAX_CELLS", "MAX_PAGES", "read_document"]

log = logging.getLogger(__name__)

MAX_PAGES = 300
MAX_CELLS = 200_000


def _html_document(body: bytes, content_type: str | None) -> Document:
    """An HTML page where a document was expected: usually an error or login page. Its text is
    kept (it may still be the report, published as a page)."""
    from govcrawl.encoding import decode_html
    from govcrawl.report.extract import page_text

    html, _ = decode_html(body, content_type)
    match = re.search(r"<title[^>]*>(.*?)</title>", html, re.I | re.S)
    title = " ".join(match.group(1).split()) if match else None
    return Document("html", text=page_text(html), html=html,
                    flags=["not_a_document: HTML page served for a document URL"],
                    title=title or None)


def _read(kind: str, body: bytes, max_pages: int, max_cells: int
          ) -> tuple[list[Block], list[str], int | None, str | None]:
    if kind == "pdf":
        from govcrawl.documents.pdf import read_pdf
        r = read_pdf(body, max_pages=max_pages)
        return r.blocks, r.flags, r.pages, r.title
    if kind == "docx":
        from govcrawl.documents.word import read_docx
        w = read_docx(body, max_cells=max_cells)
        return w.blocks, w.flags, None, w.title
    if kind in ("xlsx", "xls"):
        from govcrawl.documents.sheets import read_xls, read_xlsx
        s = (read_xlsx if kind == "xlsx" else read_xls)(body, max_cells=max_cells)
        return s.blocks, s.flags, None, s.title
    if kind in ("doc", "wps"):
        from govcrawl.documents.legacy import read_legacy_word
        d = read_legacy_word(body, kind)
        return d.blocks, d.flags, None, d.title
    if kind == "image":
        return [], ["needs_ocr"], None, None
    return [], [f"unreadable_format: {kind}"], None, None


def read_document(body: bytes, url: str = "", content_type: str | None = None,
                  disposition: str | None = None, *, max_pages: int = MAX_PAGES,
                  max_cells: int = MAX_CELLS) -> Document:
    """Read a report attachment (PDF, DOCX, XLSX, XLS, DOC, WPS). Never raises: what could not
    be read is said in ``flags``:

    ``needs_ocr`` (+ ``needs_ocr_pages: k/n``) pages without a text layer or an image;
    ``encrypted``; ``damaged_document: …`` cut or corrupt, partly read;
    ``unreadable_document: …`` nothing readable (``unreadable_document: memory`` when the
    memory limit was hit); ``unreadable_format: …`` a kind or tool we cannot read;
    ``truncated_document: …`` stopped at ``max_pages`` / ``max_cells``;
    ``not_a_document: …`` an HTML page served for a document URL."""
    body = bytes(body or b"")
    kind = "unknown"
    try:
        kind = document_kind(body, url, content_type, disposition)
        if not body:
            return Document(kind, flags=["unreadable_document: empty body"])
        if kind == "html":
            return _html_document(body, content_type)
        blocks, flags, pages, title = _read(kind, body, max_pages, max_cells)
        text = render_text(blocks)
        if not text and not any(f.startswith(("unreadable", "encrypted", "needs_ocr"))
                                for f in flags):
            flags.append("no_text")
        return Document(kind, text=text, html=render_html(blocks, title),
                        flags=list(dict.fromkeys(flags)), pages=pages, title=title)
    except MemoryError:
        return Document(kind, flags=["unreadable_document: memory"])
    except RecursionError:
        return Document(kind, flags=["unreadable_document: nesting too deep"])
    except Exception as exc:  # noqa: BLE001 — by contract: a bad file is a flag, not a crash
        log.debug("read_document failed on %s", url, exc_info=True)
        return Document(kind, flags=[f"unreadable_document: {type(exc).__name__}"])
