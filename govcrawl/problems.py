"""The crawl's small vocabularies, each in one place: the kinds of problem recorded in the
``problems`` table, where a capture came from, and the states of a crawl run.

Members are ``StrEnum``s equal to the strings stored in the database, so a member and its
string are interchangeable in queries, comparisons and rows already written. Pure; imports
nothing of govcrawl or archive."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["FAILURE_KINDS", "UNFINISHED_STATUSES", "CaptureSource", "ProblemKind", "RunStatus"]


class ProblemKind(StrEnum):
    """What went wrong, as recorded in ``problems.kind`` (and counted as
    ``govcrawl/problems/<kind>`` in the crawl's stats)."""

    # fetching
    HTTP_ERROR = "http_error"  # the server answered with an error status
    FETCH_ERROR = "fetch_error"  # no answer: DNS, connection, timeout …
    IGNORED = "ignored"  # a request dropped by Scrapy (robots.txt, offsite, a middleware)
    # a request refused just before the downloader: a host outside the sites' domains, a port
    # not theirs, a non-public address, a web-archive redirect away from the sites
    OUT_OF_SCOPE = "out_of_scope"
    # robots.txt answered 5xx/429, a challenge page or no answer: the host is not crawled
    # (RFC 9309 §2.3.1.4; once per host)
    ROBOTS_UNAVAILABLE = "robots_unavailable"
    ANTIBOT_CHALLENGE = "antibot_challenge"  # a wall page instead of the content
    TRUNCATED = "truncated"  # the body was shorter than announced (archived as truncated)
    # the crawl's own limits and inputs
    SITE_LIST = "site_list"  # a line of the site list could not be read
    SITE_BUDGET = "site_budget"  # a site's request budget ran out
    # a page over GOVCRAWL_MAX_PARSE_BYTES: its links were read from its first bytes only
    PAGE_TOO_LARGE = "page_too_large"
    CDX_ERROR = "cdx_error"  # a web archive's CDX answer could not be read
    # Chromium could not start (missing, crashed): pages built by script are not rendered
    # (once per crawl; govcrawl.browser)
    BROWSER_UNAVAILABLE = "browser_unavailable"
    # reading and storing what was fetched
    EXTRACT_ERROR = "extract_error"  # the analysis of a page or document failed
    EMPTY_TEXT = "empty_text"  # a report page gave no text
    DB_ERROR = "db_error"  # a report could not be stored
    WARC_WRITE_ERROR = "warc_write_error"  # an exchange could not be archived
    ARCHIVE_READ_ERROR = "archive_read_error"  # an archived copy could not be read back
    # a capture's record was cut off by a crash after its row was committed: the row is kept
    # (``captures.lost_at``) and the next crawl fetches the URL again
    CAPTURE_LOST = "capture_lost"
    # commands outside the crawl
    IMPORT_ERROR = "import_error"  # a damaged record or file of an imported WARC/ARC
    REPARSE_ERROR = "reparse_error"  # a stored report could not be analysed again

    @property
    def counts_as_failure(self) -> bool:
        """Whether the problem means a page or report was not obtained (the run's ``failed``
        count): errors, not the crawl's own choices (budget, ignored) or partial results."""
        return self in _FAILURES


_FAILURES = frozenset({
    ProblemKind.FETCH_ERROR, ProblemKind.HTTP_ERROR, ProblemKind.EXTRACT_ERROR,
    ProblemKind.DB_ERROR, ProblemKind.WARC_WRITE_ERROR, ProblemKind.ANTIBOT_CHALLENGE,
})  # fmt: skip
# The kinds a run counts as failed, as plain strings (for SQL ``IN``), in declaration order.
FAILURE_KINDS: tuple[str, ...] = tuple(k.value for k in ProblemKind if k.counts_as_failure)


class CaptureSource(StrEnum):
    """Where a capture's bytes came from (``captures.source``)."""

    LIVE = "live"  # fetched from the portal by our crawl
    WAYBACK = "wayback"  # fetched from a web archive; ``archived_at`` is its capture time
    IMPORT = "import"  # read from a third-party WARC/ARC file
    # fetched by our crawl for the browser while it rendered a page (its script, its XHR/JSON)
    BROWSER = "browser"


class RunStatus(StrEnum):
    """The state of a crawl run (``crawl_runs.status``). A crawl that closes for another reason
    records Scrapy's close reason instead (``shutdown``, ``closespider_timeout`` …)."""

    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"  # an import that read nothing
    SHUTDOWN = "shutdown"  # stopped by a signal: resumable
    INTERRUPTED = "interrupted"  # killed, and found so by a later crawl


# Runs that did not finish: a later crawl may resume them.
UNFINISHED_STATUSES: tuple[str, ...] = (RunStatus.RUNNING.value, RunStatus.SHUTDOWN.value,
                                        RunStatus.INTERRUPTED.value)
