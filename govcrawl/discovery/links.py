"""Links on a page: ``<a href>`` / ``<area href>`` / ``<link rel=next>`` plus Hanweb jcms records
hidden in ``<script type="text/xml">``, resolved against ``<base href>``, fragments removed, text
normalised. Parsing never raises: broken input gives no links."""

from __future__ import annotations

from govcrawl.discovery import jcms
from govcrawl.discovery.markup import (
    ATTACHMENT_EXTENSIONS,
    Link,
    base_url,
    is_attachment,
    is_page_url,
    links_from_tree,
    normalize_space,
    parse_html,
    to_text,
)

__all__ = [
    "ATTACHMENT_EXTENSIONS",
    "Link",
    "attachment_links",
    "is_attachment",
    "is_page_url",
    "normalize_space",
    "page_links",
]


def page_links(html: str, url: str) -> list[Link]:
    """Every link of a page: ``<a href>`` plus jcms datastore records and next-group links;
    exact repeats removed (a dataproxy XML response shows its records both ways)."""
    tree = parse_html(html)
    base = base_url(tree, url)
    found = links_from_tree(tree, base) + jcms.datastore_links(to_text(html), base)
    return list(dict.fromkeys(found))


def attachment_links(html: str, url: str) -> list[Link]:
    """Links to document downloads (.pdf .doc .docx .xls .xlsx .wps .zip .rar), deduplicated."""
    seen: set[str] = set()
    found: list[Link] = []
    for link in page_links(html, url):
        if is_attachment(link.url) and link.url not in seen:
            seen.add(link.url)
            found.append(link)
    return found
