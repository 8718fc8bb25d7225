"""Report attachments (PDF, DOCX, XLSX, XLS, DOC, WPS) → plain text and a simple HTML page
with the tables' merged cells as spans, for ``govcrawl.report.analyse_page``.

Pure functions (no Scrapy, no threads); ``read_document`` never raises and bounds its own work
(pages, cells, part sizes). Run it in worker processes with ``limits.limit_resources``.

The names below load on first use: importing one module of the package (``kinds`` from
discovery, ``sniff`` from the importer) must not import the readers, and through them the
report package, which imports discovery — an import cycle waiting to close."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from govcrawl.documents.kinds import KINDS
    from govcrawl.documents.limits import limit_resources
    from govcrawl.documents.model import Document
    from govcrawl.documents.reader import MAX_CELLS, MAX_PAGES, read_document
    from govcrawl.documents.sniff import document_kind, filename_of, is_document_response

# Public name → the module that defines it.
_HOMES = {
    "KINDS": "kinds", "limit_resources": "limits", "Document": "model", "MAX_CELLS": "reader",
    "MAX_PAGES": "reader", "read_document": "reader", "document_kind": "sniff",
    "filename_of": "sniff", "is_document_response": "sniff",
}  # fmt: skip

__all__ = ["KINDS", "MAX_CELLS", "MAX_PAGES", "Document", "document_kind", "filename_of",
           "is_document_response", "limit_resources", "read_document"]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_HOMES[name]}"), name)
