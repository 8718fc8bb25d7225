"""Discovery: pure functions that decide, on a gov.cn portal page, which links lead to the
disclosure section, a unit, an annual-report column, the next list page or a report; how CMSs
paginate; what is a trap; what is in scope; which titles are reports."""

from govcrawl.discovery.jcms import datastore_links
from govcrawl.discovery.links import Link, attachment_links, page_links
from govcrawl.discovery.pagination import list_pages
from govcrawl.discovery.plan import Limits, Role, Step, classify, plan
from govcrawl.discovery.scope import in_scope, registered_domain
from govcrawl.discovery.titles import is_listed_report_title, is_report_column_text, is_report_title
from govcrawl.discovery.traps import is_trap

__all__ = [
    "Limits",
    "Link",
    "Role",
    "Step",
    "attachment_links",
    "classify",
    "datastore_links",
    "in_scope",
    "is_listed_report_title",
    "is_report_column_text",
    "is_report_title",
    "is_trap",
    "list_pages",
    "page_links",
    "plan",
    "registered_domain",
]
