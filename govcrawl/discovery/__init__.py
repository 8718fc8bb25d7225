"""Discovery: pure functions that decide, on a gov.cn portal page, which links lead to the
disclosure section, a unit, an annual-report column, the next list page or a report; how CMSs
paginate; what is a trap; what is in scope; which titles are reports.

Modules: ``plan`` (the planner: ``plan``, ``classify``, ``attachment_steps``), ``markup``
(parsing and the ``Link`` record), ``jcms`` (Hanweb datastore lists), ``navigation``,
``pagination``, ``scope``, ``titles``, ``traps``, and for lists built by script ``scripted`` (the
requests a page's script makes), ``scripts`` (reading inline scripts) and ``answers`` (reading an
endpoint's answer). Import from them directly: this package
re-exports nothing, so importing one of them (``titles`` from the report analysis) never
imports the others, and the function ``plan`` cannot shadow the module ``plan``."""
