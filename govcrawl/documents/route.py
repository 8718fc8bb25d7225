"""Is a fetched report URL a document (read with ``read_document``) or an HTML page?"""

from __future__ import annotations

from govcrawl.documents.kinds import DOCUMENT_KINDS, is_attachment
from govcrawl.documents.sniff import document_kind, is_document_response

__all__ = ["DOCUMENT_KINDS", "is_document"]


def is_document(url: str, content_type: str | None, disposition: str | None, head: bytes) -> bool:
    """By the URL (a link to a .pdf is read as a document even when the server sends an HTML
    error page for it: flagged ``not_a_document``, never parsed as the report page), the
    headers, or the first bytes."""
    return (is_attachment(url) or is_document_response(content_type, disposition, url)
            or document_kind(head[:4096], url, content_type, disposition) in DOCUMENT_KINDS)
