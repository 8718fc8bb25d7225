"""The ``annual_reports`` spider: portal → disclosure section(s) → report columns → reports.

Navigation only: which links to follow is decided by ``govcrawl.discovery.plan`` (pure, tested on
saved pages); archiving and extraction happen in the middleware and the pipelines.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import AsyncIterator, Generator, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, Self
from urllib.parse import urlsplit

from scrapy import FormRequest, Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from archive import db
from archive.models import Report
from govcrawl.antibot import detect_wall
from govcrawl.browser.decision import needs_browser
from govcrawl.browser.gate import BrowserGate
from govcrawl.browser.protocol import (
    BrowserUnavailable,
    is_render_request,
    render_request,
    rendered_snapshots,
)
from govcrawl.config import CrawlConfig
from govcrawl.discovery.plan import Limits, Role, Step, attachment_steps, plan, plan_answer
from govcrawl.discovery.scope import in_scope, registered_domain
from govcrawl.discovery.scripted import FORM_BODY, DataRequest
from govcrawl.documents.kinds import MAY_LINK_DOCUMENTS
from govcrawl.documents.route import is_document
from govcrawl.encoding import decode_html
from govcrawl.extensions import ArchiveExtension
from govcrawl.identity import url_key
from govcrawl.items import AttachmentDoc, ReportLinked, ReportPage, ReportSeen
from govcrawl.meta import DATALOSS, FROM_ARCHIVE, UNCHANGED, CaptureMeta, StepMeta
from govcrawl.middlewares import OutOfScope, slow_down_host
from govcrawl.sites import Site, SiteError, iter_site_args
from govcrawl.wayback import cdx_query_url, report_candidate

# Reports and their attachments first, then the lists that hold them, then navigation.
PRIORITY = {Role.ATTACHMENT: 35, Role.REPORT: 30, Role.LIST: 20, Role.COLUMN: 20, Role.UNIT: 10,
            Role.SECTION: 10, Role.HOME: 0}
HTML_TYPES = (b"text/html", b"application/xhtml", b"text/xml", b"application/xml")
# Cheap test before parsing a report page for its attachments (bytes: any page encoding).
_MAY_LINK_DOCUMENTS = MAY_LINK_DOCUMENTS  # derived from the one list of document kinds
# A report is stored under its URL and its URL key, which the archive holds up to this many
# characters: a longer one is refused by PostgreSQL (and kept by SQLite). Such a report link is
# recorded, not followed, on every database alike (review M9).
MAX_REPORT_URL: int = Report.__table__.c.url.type.length  # type: ignore[attr-defined]



def _capture(response: Response) -> CaptureMeta:
    return CaptureMeta.peek(response) or CaptureMeta()


class AnnualReportsSpider(Spider):
    name = "annual_reports"

    def __init__(self, sites: str | None = None, site: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.site_list: list[Site] = []
        self.site_errors: list[SiteError] = []
        for entry in iter_site_args(sites, site):
            (self.site_errors if isinstance(entry, SiteError) else self.site_list).append(entry)
        self.sites_by_url = {site.url: site for site in self.site_list}
        self.domains = {site.url: registered_domain(site.url) for site in self.site_list}
        # Scrapy's OffsiteMiddleware enforces the same scope once more, at the downloader.
        self.allowed_domains = sorted(set(self.domains.values()))
        self.requests_per_site: Counter[str] = Counter()
        self.over_budget: set[str] = set()
        # By URL key (govcrawl.identity), as the dupefilter (KeyFingerprinter) knows requests:
        self.too_large: set[str] = set()  # pages parsed only in part (page_too_large recorded)
        self.too_long: set[str] = set()  # report links not followed (MAX_REPORT_URL; recorded)
        self.report_keys: set[str] = set()  # reports requested (or left) in this crawl
        # The forms of their URLs links gave, and which had a listed date: what a later link
        # adds goes to the archive (ReportLinked) instead of a request the dupefilter drops.
        self.report_forms: set[str] = set()
        self.dated_reports: set[str] = set()
        # Recorded on the crawl_runs row (with the run mode) however the crawl was started.
        self.arguments: dict[str, str | None] = {"sites": sites, "site": site}

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        # Scrapy makes the spider before anything else of the crawl: incoherent settings stop it
        # here, with CrawlConfig's one-line ConfigError, before the archive is touched.
        config = CrawlConfig.of(crawler)
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider._configure(config)
        return spider

    def _configure(self, config: CrawlConfig) -> None:
        self.config = config
        self.limits: Limits = config.limits
        self.wayback = config.wayback
        self.early_stop = config.early_stop
        if config.wayback:  # the archive is where every request goes
            archive_host = urlsplit(config.archive_url).hostname or ""
            self.allowed_domains = sorted({*self.allowed_domains, archive_host})

    @property
    def browser(self) -> BrowserGate:
        """Whether pages may be rendered in the browser (and why not)."""
        return BrowserGate.of(self.crawler)

    @property
    def archive(self) -> ArchiveExtension:
        return ArchiveExtension.of(self.crawler)

    async def start(self) -> AsyncIterator[Request]:
        for error in self.site_errors:
            self.logger.error("Skipping site: %s", error)
            self.archive.problem("site_list", str(error))
        if not self.site_list:
            self.logger.error("No usable site: give sites=FILE.csv or site=URL")
        for site in self.site_list:
            row = db.upsert_site(self.archive.session, name=site.name, url=site.url,
                                 domain=self.domains[site.url], admin_level=site.level,
                                 region_code=site.region_code)
            self.archive.commit()
            self.logger.info("Crawling %s (%s), scope %s", site.name, site.url, row.domain)
            yield self._request(site, Step(url=site.url, role=Role.HOME, text=site.name, hops=0))
            if self.wayback:
                yield self._cdx_request(site)

    def _cdx_request(self, site: Site) -> Request:
        """Ask the archive's CDX API for the site's captured report columns and reports that no
        archived page links to any more."""
        url = cdx_query_url(self.config.archive_url, self.domains[site.url],
                            self.config.wayback_from, self.config.wayback_to)
        return Request(url, callback=self.parse_cdx, errback=self.on_error, priority=PRIORITY[Role.HOME],
                       meta=StepMeta(site_url=site.url, site_name=site.name).as_meta())

    def parse_cdx(self, response: Response) -> Iterator[Request | ReportLinked]:
        site = self.sites_by_url[StepMeta.of(response).site_url]
        try:
            rows = json.loads(response.body.decode("utf-8", "replace") or "[]")
            if not isinstance(rows, list):
                raise ValueError("not a JSON list")
        except ValueError as exc:
            self.archive.problem("cdx_error", f"unreadable CDX answer: {exc}", url=response.url)
            return
        fields, *captures = rows or [[]]
        if not isinstance(fields, list):
            self.archive.problem("cdx_error", "unreadable CDX answer: no field list", url=response.url)
            return
        malformed = 0
        for row in captures:
            capture = dict(zip(fields, row, strict=False)) if isinstance(row, list) else {}
            original = capture.get("original")
            if not isinstance(original, str):
                malformed += 1
                continue
            kind = report_candidate(original)
            if kind is None or not in_scope(original, (self.domains[site.url],)):
                continue
            role = Role.REPORT if kind == "report" else Role.COLUMN
            step = Step(url=original, role=role, text="", hops=0 if role is Role.REPORT else 1)
            if role is Role.REPORT and (not self._storable(original) or self._report_met(step)):
                yield from self._linked(step)
                continue
            if not self._budget_left(site):
                return
            timestamp = capture.get("timestamp")
            yield self._request(site, step, wayback_ts=timestamp if isinstance(timestamp, str) else "")
        if malformed:
            self.archive.problem("cdx_error", f"{malformed} CDX rows without an original URL skipped",
                                 url=response.url)

    def _request(self, site: Site, step: Step, *, report_url: str | None = None,
                 wayback_ts: str = "") -> Request:
        if step.data is not None:
            return self._data_request(site, step, step.data)
        callback = {Role.REPORT: self.parse_report,
                    Role.ATTACHMENT: self.parse_attachment}.get(step.role, self.parse_page)
        return Request(
            step.url,
            callback=callback,
            errback=self.on_error,
            priority=PRIORITY[step.role],
            meta=StepMeta(site_url=site.url, site_name=site.name, role=step.role, hops=step.hops,
                          link_text=step.text, listed_date=step.date or "",
                          report_url=report_url, wayback_ts=wayback_ts).as_meta(),
        )

    def _data_request(self, site: Site, step: Step, data: DataRequest) -> Request:
        """A script-built list's data request, made as the page's script makes it: its method,
        form (FormRequest) or JSON body, XHR headers and the list page as Referer. Scrapy's
        fingerprint covers the body, so each page of the list is asked for once."""
        self.crawler.stats.inc_value(f"govcrawl/scripted/{data.mechanism}")
        headers = dict(data.headers)
        meta = StepMeta(site_url=site.url, site_name=site.name, role=step.role, hops=step.hops,
                        link_text=step.text).as_meta()
        common: dict[str, Any] = dict(callback=self.parse_data, errback=self.on_error, meta=meta,
                                      priority=PRIORITY[step.role], cb_kwargs={"data": data})
        if data.method == "POST" and data.encoding == FORM_BODY:
            headers["Content-Type"] = data.content_type
            return FormRequest(data.url, method="POST", headers=headers,
                               formdata=[(k, str(v)) for k, v in data.form], **common)
        if data.method == "POST":
            headers["Content-Type"] = data.content_type
        return Request(data.url, method=data.method, headers=headers, body=data.body, **common)

    def _budget_left(self, site: Site) -> bool:
        budget = self.config.max_requests_per_site
        if self.requests_per_site[site.url] < budget:
            self.requests_per_site[site.url] += 1
            return True
        if site.url not in self.over_budget:
            self.over_budget.add(site.url)
            self.archive.problem("site_budget", f"stopped following links after {budget} requests",
                                 site.url)
        return False

    def _storable(self, report_url: str) -> bool:
        """Whether a report under ``report_url`` can be stored (``MAX_REPORT_URL``, for the URL
        and its key); if not, an ``ignored`` problem row says why the link is not followed."""
        key = url_key(report_url)
        length = max(len(report_url), len(key))
        if length <= MAX_REPORT_URL:
            return True
        if key in self.too_long:
            return False
        self.too_long.add(key)
        self.archive.problem("ignored", f"report URL of {length} characters, longer than "
                             f"the archive keeps ({MAX_REPORT_URL}): not followed", url=report_url)
        return False

    def _report_met(self, step: Step) -> bool:
        """Whether a link to this report (under any form of its URL) was met before in this
        crawl; if not, it is noted now and its request is to be made."""
        key = url_key(step.url)
        if key in self.report_keys:
            return True
        self.report_keys.add(key)
        self.report_forms.add(step.url)
        if step.date:
            self.dated_reports.add(key)
        return False

    def _linked(self, step: Step) -> Iterator[ReportLinked]:
        """What a later link to a requested report adds, for the archive: a form of its URL not
        met before (one of its URLs, report_urls), or the date a list printed next to it when
        the first link had none (a home page's 最新年报 box, then the report list); its request
        would fetch the same page again."""
        key = url_key(step.url)
        if key not in self.report_keys:
            return  # not followed (too long)
        new_form = step.url not in self.report_forms
        dated = bool(step.date) and key not in self.dated_reports
        if not new_form and not dated:
            return
        self.report_forms.add(step.url)
        if dated:
            self.dated_reports.add(key)
        self.crawler.stats.inc_value("govcrawl/report_links_noted")
        yield ReportLinked(url=step.url, seen_at=datetime.now(UTC), listed_title=step.text,
                           listed_date=step.date)

    def _is_wall(self, response: Response) -> bool:
        """An anti-bot challenge instead of the page: record it, slow down for the host."""
        wall = detect_wall(response.status, response.body)
        if wall is None:
            return False
        self.archive.problem("antibot_challenge",
                             f"{wall} challenge (HTTP {response.status}) instead of the page; not parsed",
                             url=response.url)
        slow_down_host(self.crawler, response.request, self.config.wall_delay)
        return True

    def parse_page(self, response: Response) -> Iterator[Request | ReportLinked]:
        if self._is_wall(response):
            return
        content_type = response.headers.get(b"Content-Type", b"") or b""
        if content_type and not content_type.lower().startswith(HTML_TYPES):
            return
        here = StepMeta.of(response)
        site = self.sites_by_url[here.site_url]
        html, _ = decode_html(self._parsed_part(response), content_type.decode("latin-1") or None)
        # A rendered page is planned in every state its pager showed, as the same role.
        # Once per resource: a link is the same whatever form of the URL it gives; the other
        # forms of a report's URL are noted as its URLs.
        planned: dict[tuple[str, DataRequest | None], Step] = {}
        later_links: list[Step] = []
        for page in rendered_snapshots(response) or [html]:
            for step in plan(page, response.url, here.role, here.hops,
                             domains=(self.domains[site.url],), limits=self.limits):
                first = planned.setdefault((url_key(step.url), step.data), step)
                if first is not step and step.role is Role.REPORT:
                    later_links.append(step)
        steps = list(planned.values())
        recognised = any(step.data is not None for step in steps)
        if self._needs_browser(response, html, steps, recognised=recognised) and self._budget_left(site):
            self.crawler.stats.inc_value("govcrawl/browser/asked")
            yield render_request(response, callback=self.parse_page, errback=self.on_error,
                                 priority=PRIORITY[here.role])
        if self.early_stop and self._list_exhausted(response, steps):
            steps = [step for step in steps if step.role is not Role.LIST]
            self.crawler.stats.inc_value("govcrawl/early_stops")
        if not (yield from self._follow(site, steps)):
            return
        for step in later_links:
            yield from self._linked(step)

    def parse_data(self, response: Response, data: DataRequest
                   ) -> Iterator[Request | ReportLinked]:
        """The answer to a script-built list's data request: its items, read as a list page's
        links, then the request for the list's next page (``plan_answer``)."""
        if self._is_wall(response):
            return
        here = StepMeta.of(response)
        site = self.sites_by_url[here.site_url]
        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1") or None
        answer, _ = decode_html(self._parsed_part(response), content_type)
        yield from self._follow(site, plan_answer(data, answer, here.hops,
                                                  domains=(self.domains[site.url],),
                                                  limits=self.limits))

    def _follow(self, site: Site, steps: Iterable[Step]
                ) -> Generator[Request | ReportLinked, None, bool]:
        """Request each planned step within the site's budget; a report already met (or too long
        to store) is only linked. Returns False when the budget ran out."""
        for step in steps:
            if step.role is Role.REPORT and (not self._storable(step.url)
                                             or self._report_met(step)):
                yield from self._linked(step)
                continue
            if not self._budget_left(site):
                return False
            # An attachment (a report's file listed next to its page) carries its report's URL.
            yield self._request(site, step, report_url=step.parent or None)
        return True

    def _needs_browser(self, response: Response, html: str, steps: list[Step], *,
                       recognised: bool) -> bool:
        """Whether to render the page in the browser (``govcrawl.browser.decision``);
        ``recognised``: a script-built-list strategy already asks for its items."""
        role = StepMeta.of(response).role
        if not self.browser.open or role not in (Role.COLUMN, Role.LIST):
            return False
        found = Counter(step.role for step in steps)
        return needs_browser(
            role, items_found=found[Role.REPORT] + found[Role.COLUMN] + found[Role.ATTACHMENT],
            pages_found=found[Role.LIST], mechanism_recognised=recognised,
            rendered=is_render_request(response), html=html)

    def _parse_limit(self) -> int:
        limit = self.crawler.settings.getint("GOVCRAWL_MAX_PARSE_BYTES")
        return limit if limit > 0 else 1 << 62

    def _parsed_part(self, response: Response) -> bytes:
        """The bytes of a page its links are read from: callbacks run on the reactor thread, where
        decoding and planning a 60 MiB page would stall every site's crawl (the whole page still
        goes to the analysis, in its worker). A page over GOVCRAWL_MAX_PARSE_BYTES is read up to
        the last ``<`` before the limit: a tag is not cut in half, nor a character (``<`` is never
        part of a UTF-8, GBK or Big5 one). Links after it are lost: recorded once per URL."""
        body, limit = response.body, self._parse_limit()
        if len(body) <= limit:
            return body
        if url_key(response.url) not in self.too_large:
            self.too_large.add(url_key(response.url))
            self.archive.problem("page_too_large", f"{len(body)} bytes: links only read from the "
                                 f"first {limit} (GOVCRAWL_MAX_PARSE_BYTES)", url=response.url)
        cut = body.rfind(b"<", 0, limit)
        return body[: cut if cut > 0 else limit]

    def _list_exhausted(self, response: Response, steps: list[Step]) -> bool:
        """A list page that is unchanged since the last crawl and links only reports known
        before this run: the older pages behind it are not walked again."""
        if StepMeta.of(response).role not in (Role.COLUMN, Role.LIST) or UNCHANGED not in response.flags:
            return False
        if self.archive.history.lost_reports:
            # A crash cut off stored reports' captures: they may sit behind this page, and only
            # walking the lists whole finds them to fetch again (once: then none is lost).
            return False
        reports = [step.url for step in steps if step.role is Role.REPORT]
        return bool(reports) and all(url in self.archive.priors for url in reports)

    @staticmethod
    def _headers(response: Response) -> tuple[str | None, str | None]:
        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1") or None
        disposition = (response.headers.get(b"Content-Disposition") or b"").decode("latin-1") or None
        return content_type, disposition

    def parse_report(self, response: Response) -> Iterator[ReportPage | ReportSeen | Request]:
        if self._is_wall(response):
            return
        content_type, disposition = self._headers(response)
        document = is_document(response.url, content_type, disposition, response.body)
        here, capture = StepMeta.of(response), _capture(response)
        capture_id = capture.capture_id
        replayed = UNCHANGED in response.flags or FROM_ARCHIVE in response.flags
        if replayed and self.archive.history.report_unchanged(response.url, capture_id):
            yield ReportSeen(url=response.url, capture_id=capture_id, fetched_at=capture.seen_at())
        else:
            yield ReportPage(
                url=response.url,
                body=response.body,
                content_type=content_type,
                site_url=here.site_url,
                site_name=here.site_name,
                listed_title=here.link_text,
                listed_date=here.listed_date,
                fetched_at=capture.seen_at(),
                source="wayback" if capture.archived_at else "live",
                capture_id=capture_id,
                payload_digest=capture.payload_digest,
                flags=["truncated_capture"] if DATALOSS in response.flags else [],
                document=document,
                disposition=disposition,
            )
        # Only the part _attachments reads is searched (a regex over 64 MiB takes seconds).
        if not document and _MAY_LINK_DOCUMENTS.search(response.body, 0, self._parse_limit()):
            yield from self._attachments(response, content_type)

    def _attachments(self, response: Response, content_type: str | None) -> Iterator[Request]:
        site = self.sites_by_url[StepMeta.of(response).site_url]
        html, _ = decode_html(self._parsed_part(response), content_type)
        for step in attachment_steps(html, response.url, (self.domains[site.url],)):
            if not self._budget_left(site):
                return
            yield self._request(site, step, report_url=response.url)

    def parse_attachment(self, response: Response) -> Iterator[AttachmentDoc]:
        if self._is_wall(response):
            return
        content_type, disposition = self._headers(response)
        here, capture = StepMeta.of(response), _capture(response)
        capture_id = capture.capture_id
        replayed = UNCHANGED in response.flags or FROM_ARCHIVE in response.flags
        assert here.report_url is not None  # attachment requests carry their report's URL
        key = (here.report_url, response.url)
        if replayed and self.archive.history.attachment_unchanged(*key, capture_id):
            return  # unchanged and already read
        yield AttachmentDoc(
            url=response.url,
            report_url=here.report_url,
            body=response.body,
            content_type=content_type,
            disposition=disposition,
            site_name=here.site_name,
            link_text=here.link_text,
            fetched_at=capture.seen_at(),
            capture_id=capture_id,
            flags=["truncated_capture"] if DATALOSS in response.flags else [],
        )

    def on_error(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        if failure.check(HttpError):
            response = failure.value.response
            if not self._is_wall(response):
                self.archive.problem("http_error", f"HTTP {response.status}", url=request.url)
        elif failure.check(OutOfScope):
            return  # the scope guard recorded it (out_of_scope)
        elif failure.check(BrowserUnavailable):
            return  # the browser gate recorded why, once (browser_unavailable)
        elif failure.check(IgnoreRequest):
            self.archive.problem("ignored", str(failure.value) or "request ignored", url=request.url)
        else:
            self.archive.problem("fetch_error", f"{failure.type.__name__}: {failure.value}", url=request.url)
