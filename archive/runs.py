"""Crawl runs: their outcome counts (from the database, so they survive a kill), which run an
interrupted crawl left behind, and the per-site coverage ``govcrawl status`` shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.orm import Session, aliased

from archive.db import aware
from archive.lock import live_lease
from archive.models import Capture, CrawlRun, Problem, Report, ReportVersion, Site
from govcrawl.problems import FAILURE_KINDS, UNFINISHED_STATUSES, CaptureSource, RunStatus

# FAILURE_KINDS: the problems that mean a page or report was not obtained (derived from
# ProblemKind.counts_as_failure). UNFINISHED: runs a later crawl may resume.
UNFINISHED = UNFINISHED_STATUSES


def run_counts(session: Session, run_id: int) -> dict[str, int]:
    """fetched / new / changed / unchanged / failed of a run, and its revisit records."""
    run = session.get(CrawlRun, run_id)
    assert run is not None
    earlier = aliased(ReportVersion)
    first = ~exists().where(and_(earlier.report_id == ReportVersion.report_id,
                                 earlier.id < ReportVersion.id))
    in_run = ReportVersion.run_id == run_id

    def count(query) -> int:  # type: ignore[no-untyped-def]
        return int(session.scalar(query) or 0)

    new = count(select(func.count()).select_from(ReportVersion).where(in_run, first))
    changed = count(select(func.count()).select_from(ReportVersion).where(in_run, ~first))
    seen = count(select(func.count()).select_from(Report).where(Report.last_seen >= run.started_at))
    return {
        "fetched": count(select(func.count()).select_from(Capture).where(Capture.run_id == run_id)),
        "not_modified": count(select(func.count()).select_from(Capture).where(
            Capture.run_id == run_id, Capture.record_type == "revisit", Capture.status == 304)),
        "identical_payload": count(select(func.count()).select_from(Capture).where(
            Capture.run_id == run_id, Capture.record_type == "revisit", Capture.status != 304)),
        "new": new,
        "changed": changed,
        "unchanged": max(0, seen - new - changed),
        "failed": count(select(func.count()).select_from(Problem).where(
            Problem.run_id == run_id, Problem.kind.in_(FAILURE_KINDS))),
    }


def live_run_id(session: Session) -> int | None:
    """The run that writes to this database now: the holder of the live writer's lease
    (``archive.lock``), which knows whether its process is alive on any host, unlike a pid."""
    lease = live_lease(session)
    return lease.run_id if lease is not None else None


def interrupted_runs(session: Session) -> list[CrawlRun]:
    """Runs that did not finish and whose process is gone (killed, stopped, rebooted)."""
    runs = session.scalars(select(CrawlRun).where(CrawlRun.status.in_(UNFINISHED))
                           .order_by(CrawlRun.id)).all()
    live = live_run_id(session)
    # An import is not a crawl: nothing to resume, and its captures live in other files.
    return [run for run in runs if "import" not in (run.arguments or {}) and run.id != live]


def live_runs(session: Session) -> list[CrawlRun]:
    live = live_run_id(session)
    run = session.get(CrawlRun, live) if live is not None else None
    return [run] if run is not None and run.status == RunStatus.RUNNING else []


@dataclass(frozen=True)
class SiteCoverage:
    name: str
    url: str
    years: dict[int | None, int]  # report year → reports found
    archive_only: dict[int | None, int]  # report year → of those, found only in a web archive
    last_seen: str | None


def site_coverage(session: Session) -> list[SiteCoverage]:
    """Per site and report year: reports found, and how many of them only in an archive (no
    form of their URL has a capture of our own, only wayback or imported ones)."""
    live = (select(Capture.id).where(Capture.source == CaptureSource.LIVE.value,
                                     Capture.url_key == Report.url_key)  # any form of its URL
            .exists())
    rows = session.execute(
        select(Site.name, Site.url, Report.year, func.count(Report.id),
               func.sum(case((live, 0), else_=1)), func.max(Report.last_seen))
        .outerjoin(Report, Report.site_id == Site.id)
        .group_by(Site.id, Site.name, Site.url, Report.year).order_by(Site.name)).all()
    sites: dict[str, SiteCoverage] = {}
    for name, url, year, n, archived, last in rows:
        site = sites.setdefault(url, SiteCoverage(name, url, {}, {}, None))
        if n:
            site.years[year] = n
            if archived:
                site.archive_only[year] = int(archived)
            stamp = aware(last).strftime("%Y-%m-%d")
            if site.last_seen is None or stamp > site.last_seen:
                sites[url] = SiteCoverage(name, url, site.years, site.archive_only, stamp)
    return list(sites.values())


def _when(moment: datetime | None) -> str:
    if moment is None:
        return "-"
    return aware(moment).strftime("%Y-%m-%d %H:%M")


def _cell(site: SiteCoverage, year: int) -> str:
    if year not in site.years:
        return "  ."
    archived = site.archive_only.get(year, 0)
    return f"{site.years[year]:>3}" if not archived else f"{site.years[year]:>2}a"


def status_lines(session: Session, runs: int = 10) -> list[str]:
    """The last runs with their counts, then each site's report years (what a researcher checks)."""
    lines = [f"{'run':>4} {'started':16} {'finished':16} {'status':12} {'fetched':>8} {'304':>6} "
             f"{'same':>6} {'new':>5} {'changed':>7} {'unchanged':>9} {'failed':>6}"]
    recent = session.scalars(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(runs)).all()
    alive = {run.id for run in live_runs(session)}
    for run in reversed(recent):
        c = run.counts or {}
        status = run.status
        if status == RunStatus.RUNNING and run.id not in alive:
            status = RunStatus.INTERRUPTED.value
        lines.append(
            f"{run.id:>4} {_when(run.started_at):16} {_when(run.finished_at):16} {status:12} "
            f"{c.get('fetched', '-'):>8} {c.get('not_modified', '-'):>6} "
            f"{c.get('identical_payload', '-'):>6} {c.get('new', '-'):>5} {c.get('changed', '-'):>7} "
            f"{c.get('unchanged', '-'):>9} {c.get('failed', '-'):>6}")
    lines.append("")
    coverage = site_coverage(session)
    years = sorted({y for site in coverage for y in site.years if y is not None})
    lines.append(f"{'site':24} {'reports':>7}  " + " ".join(f"{y % 100:>3d}" for y in years)
                 + "  last seen")
    for site in coverage:
        marks = " ".join(_cell(site, y) for y in years)
        total = sum(site.years.values())
        lines.append(f"{site.name[:24]:24} {total:>7}  {marks}  {site.last_seen or 'never'}")
    if years:
        lines.append(f"(columns: report years {years[0]}–{years[-1]}; number = reports found, "
                     f"a = some of them found only in a web archive or an imported WARC, . = none)")
    return lines
