"""In-place revisions of a built simulated web, for testing incremental re-crawls.

A revision (:meth:`Reviser.revise`, reached through ``SimulatedWeb.revise``) does two things:

* **edits** published reports: same URL, a figure corrected in the text plus a revision note
  such as ``（2024年4月修订：“2719条”更正为“2725条”。）``, Last-Modified moved to the revision
  time (so the ETag changes too); the report's ground truth is unchanged;
* **adds** new reports, generated like the rest of their portal, for a unit (department,
  township, the government itself) that did not have that year yet, and publishes each into
  its report column the way the CMS would: a fresh id, newest first, the column's list pages
  re-rendered (a TRS ``index_N.html`` series or a plain ``list.asp?page=N`` series shifts as a
  whole; a jcms column page carries every record in its datastore).

Every other static page keeps its bytes, ETag and Last-Modified, so a conditional re-crawl
gets 304 for it. Pages that change besides the edited and added reports: all list pages of
each column that received a report (page 1 and the shifted later pages, a new last page if
the column grows one; the first page under both its aliases, ``dir/`` + ``dir/index.html`` or
``list.asp`` + ``list.asp?page=1``), and, on jcms portals, the dynamic data proxy
(``/module/web/jpage/dataproxy.jsp?…&columnid=N``) of that column, which serves the same
records. New reports go only to portals without a site-search trap, because its (dynamic)
result pages list every article and would change too.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .content import ReportSeries, para, stable_rng
from .model import ExpectedReport, Revision
from .server import SimulatedWeb
from .styles import BaseSite, Item

__all__ = ["Reviser", "ReportFactory", "revision_time"]

#: builds a generated report item: ``(series, year, region, level, issuer, *, title, agency,
#: parent, published)`` (``portals.report``; passed in to keep the import graph acyclic)
ReportFactory = Callable[..., Item]

# The figure a revision corrects: the 主动公开 total first (it is in no ground-truth stat),
# else any count of 条 that is not an article number (第N条). 件 counts are left alone: in
# national-format reports they are the 依申请 figures that the tables and ``stats`` carry.
_FIGURES = (
    re.compile(r"主动公开政府信息(?P<n>\d+)条"),
    re.compile(r"(?<![第\d.])(?P<n>\d+)条"),
)


def revision_time(number: int) -> dt.datetime:
    """When revision ``number`` happens: the 10th of the ``number``-th month after March 2024,
    10:00 — later than anything the bundled webs publish, and later for each revision."""
    month = 3 + number
    return dt.datetime(2024 + (month - 1) // 12, (month - 1) % 12 + 1, 10, 10, 0)


@dataclass
class _Unit:
    """A body that publishes reports into one column of a site."""

    issuer: str
    region: str
    level: str
    agency: str | None
    column: str  # Column key
    dept: bool


class Reviser:
    """Revises a built web in place; attached to it as ``web.reviser`` by the builders.

    ``sites`` are the built style objects (in build order, which fixes every choice);
    ``series`` the web's report series (so a new year's 结转 continues the previous one);
    ``departments`` the department names a portal may gain reports for.
    """

    def __init__(
        self,
        web: SimulatedWeb,
        sites: Sequence[BaseSite],
        series: ReportSeries,
        make_report: ReportFactory,
        departments: Sequence[str],
    ) -> None:
        self.web = web
        self.sites = list(sites)
        self.series = series
        self.make_report = make_report
        self.departments = list(departments)
        self.edit_counts: dict[str, int] = {}
        # round-robin positions, so consecutive revisions spread over different portals
        self._edit_cursor = 0
        self._add_cursor = 0

    # ------------------------------------------------------------------ revise
    def revise(self, edit: int = 3, add: int = 3) -> Revision:
        """Edit ``edit`` reports and add ``add`` new ones; return what changed.

        Safe while serving: each page is swapped whole, and a new report is served before a
        list links it; a request racing the revision sees a page's old or new version."""
        if edit < 0 or add < 0:
            raise ValueError("edit and add must be >= 0")
        number = len(self.web.revisions) + 1
        at = revision_time(number)
        before = _snapshot(self.web)
        by_url = {r.url: r for r in self.web.expected_reports}
        # edits first: a report added by this revision is not also "edited" by it
        edited = [by_url[self._edit(site, item, at)] for site, item in self._pick_edits(edit)]
        added: list[ExpectedReport] = []
        lists: list[str] = []
        for _ in range(add):
            site, key, item = self._next_addition(at)
            expected, urls = site.publish(key, item)
            assert expected is not None
            added.append(expected)
            lists += [u for u in urls if u not in lists]
        after = _snapshot(self.web)
        changed = sorted(u for u, v in after.items() if before.get(u) != v)
        revision = Revision(number, at, edited, added, lists, changed)
        self.web.revisions.append(revision)
        return revision

    # ------------------------------------------------------------------ edits
    def _pick_edits(self, n: int) -> list[tuple[BaseSite, Item]]:
        """``n`` reports, one portal after the other; per portal the least edited first
        (generated reports before real seed texts, whose figures are less regular)."""
        queues: list[tuple[BaseSite, list[Item]]] = []
        for site in self.sites:
            reports = [it for it, _, _ in site.served.values() if it.kind == "report"]
            order = {id(it): i for i, it in enumerate(reports)}
            reports.sort(
                key=lambda it: (
                    self.edit_counts.get(it.url, 0),
                    "seed" in (it.stats or {}),
                    order[id(it)],
                )
            )
            if reports:
                queues.append((site, reports))
        if n > sum(len(q) for _, q in queues):
            raise ValueError(f"cannot edit {n} reports: the web has fewer")
        picks: list[tuple[BaseSite, Item]] = []
        taken = [0] * len(queues)
        k = self._edit_cursor
        while len(picks) < n:
            i = k % len(queues)
            site, queue = queues[i]
            if taken[i] < len(queue):
                picks.append((site, queue[taken[i]]))
                taken[i] += 1
            k += 1
        self._edit_cursor = k % len(queues) if queues else 0
        return picks

    def _edit(self, site: BaseSite, item: Item, at: dt.datetime) -> str:
        """Correct a figure in the report's text, append a revision note, re-serve the page."""
        label = f"{at.year}年{at.month}月修订"
        note = f"（{label}）"
        for pattern in _FIGURES:
            m = pattern.search(item.body)
            if m:
                old = m.group("n")
                new = str(int(old) + stable_rng("revise", item.url, at.isoformat()).randint(1, 9))
                item.body = item.body[: m.start("n")] + new + item.body[m.end("n") :]
                note = f"（{label}：“{old}条”更正为“{new}条”。）"
                break
        item.body += "\n" + para(note)
        item.modified = max(at, item.stamp + dt.timedelta(minutes=1))
        site.render_item(item)
        self.edit_counts[item.url] = self.edit_counts.get(item.url, 0) + 1
        return item.url

    # ------------------------------------------------------------------ additions
    def _next_addition(self, at: dt.datetime) -> tuple[BaseSite, str, Item]:
        """The next new report, taking portals in turn (skipping those with nothing due)."""
        sites = [s for s in self.sites if "reports" in s.columns and "search" not in s.cfg.traps]
        for k in range(self._add_cursor, self._add_cursor + len(sites)):
            site = sites[k % len(sites)]
            found = self._candidate(site, at)
            if found is not None:
                self._add_cursor = k + 1
                unit, year = found
                return site, unit.column, self._new_report(site, unit, year, at)
        raise ValueError("no report left to add at this revision")

    def _candidate(self, site: BaseSite, at: dt.datetime) -> tuple[_Unit, int] | None:
        """The first unit of ``site`` due a report: its year after its latest one (a unit
        without reports starts with last year), not later than last year."""
        latest: dict[str, int] = {}
        units: dict[str, _Unit] = {}
        towns: list[_Unit] = []
        own: list[_Unit] = []
        for key, col in site.columns.items():
            for it in reversed(col.items):  # oldest first: a unit's first column wins
                if it.kind != "report" or it.year is None:
                    continue
                latest[it.issuer] = max(latest.get(it.issuer, it.year), it.year)
                if it.issuer in units:
                    continue
                unit = _Unit(it.issuer, it.region, it.level, it.agency, key, bool(it.agency))
                units[it.issuer] = unit
                if it.level == "township":
                    towns.append(unit)
                elif not it.agency:
                    own.append(unit)
        c = site.cfg
        depts = [
            units.get(f"{c.region}{d}")
            or _Unit(f"{c.region}{d}", c.region, c.level or "county", d, "reports", True)
            for d in self.departments
        ]
        # departments and townships alternate (departments first: they go to the main,
        # usually paginated, column); the government's own next report comes last
        order = [u for pair in zip(depts, towns, strict=False) for u in pair]
        order += depts[len(towns) :] + towns[len(depts) :] + own
        last_year = at.year - 1
        for unit in order:
            year = latest.get(unit.issuer, last_year - 1) + 1
            if year <= last_year:
                return unit, year
        return None

    def _new_report(self, site: BaseSite, unit: _Unit, year: int, at: dt.datetime) -> Item:
        region = unit.region
        if unit.dept:
            title = f"{unit.issuer}{year}年度政府信息公开工作年度报告"
        else:
            title = f"{region}{year}年政府信息公开工作年度报告"
        return self.make_report(
            self.series,
            year,
            region,
            unit.level,
            unit.issuer,
            title=title,
            agency=unit.agency,
            parent=site.cfg.region if unit.dept or unit.level == "township" else "",
            published=at.date(),
        )


def _snapshot(web: SimulatedWeb) -> dict[str, tuple[object, ...]]:
    """Every static response as compared by a revision: status, bytes, validators, headers."""
    return {
        f"http://{host}{target}": (
            page.status,
            page.body,
            page.etag,
            page.last_modified,
            tuple(page.headers),
        )
        for host, vh in web.hosts.items()
        for target, page in vh.pages.items()
    }
