"""Report attachments (PDF, DOCX, XLSX, XLS, DOC, WPS) → plain text and a simple HTML page
with the tables' merged cells as spans, for ``govcrawl.report.analyse_page``.

Pure functions (no Scrapy, no threads); ``read_document`` never raises and bounds its own work
(pages, cells, part sizes). Run it in worker processes with ``limits.limit_resources``."""

from govcrawl.documents.limits import limit_resources
from govcrawl.documents.model import Document
from govcrawl.documents.reader import MAX_CELLS, MAX_PAGES, read_document
from govcrawl.documents.sniff import KINDS, document_kind, filename_of, is_document_response

__all__ = ["KINDS", "MAX_CELLS", "MAX_PAGES", "Document", "document_kind", "filename_of",
           "is_document_response", "limit_resources", "read_document"]
