"""Database connection and the few writes the crawl makes (SQLAlchemy 2.x, any backend)."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Collection
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    String,
    Table,
    UniqueConstraint,
    create_engine,
    event,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Mapper, Session, sessionmaker

from archive.models import Attachment, Base, Problem, Report, ReportCell, ReportVersion, Site

# How long an SQLite write waits for another connection's write transaction to end (seconds).
# pysqlite's default, 5 s, is shorter than one batch of a busy writer: the commit then failed
# with "database is locked" and took every report of its batch with it (review H6).
SQLITE_BUSY_TIMEOUT = 60.0


def now() -> datetime:
    return datetime.now(UTC)


# -- values fitted to their columns ----------------------------------------------------------------
def fit(table: Table, values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with every string cut to its column's length and without NUL characters.

    Servers, documents and third-party WARCs send values (headers, titles, names, cell labels)
    of any length; PostgreSQL refuses a value longer than its column, or any text with a NUL
    in it, and one refused row fails the whole batch it is in. SQLite takes both."""
    fitted = dict(values)
    for name, value in values.items():
        column = table.columns.get(name)
        if not isinstance(value, str) or column is None or not isinstance(column.type, String):
            continue
        if "\x00" in value:
            value = fitted[name] = value.replace("\x00", "")
        length = column.type.length
        if length is not None and len(value) > length:
            fitted[name] = value[:length]
    return fitted


@functools.cache
def key_columns(table: Table) -> frozenset[str]:
    """Columns that name a row (primary key, unique): never cut, a cut key names another row."""
    names = {c.name for c in table.primary_key} | {c.name for c in table.columns if c.unique}
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint):
            names.update(c.name for c in constraint.columns)
    return frozenset(names)


def _fit_row(mapper: Mapper[Any], _connection: Connection, target: Any) -> None:
    """Every ORM row (report, version, attachment, problem, site, run …) fitted as it is
    written, whichever code set its values: one place, so no new column or caller can miss it.
    Keys are left alone; a row whose key does not fit fails alone (the callers' savepoints)."""
    table = mapper.local_table
    if not isinstance(table, Table):
        return
    fitted = _fitted_attributes(mapper)
    loaded = inspect(target).dict  # only values in memory: reading others would load them now
    for attr, value in list(loaded.items()):
        column = fitted.get(attr)
        if column is not None and isinstance(value, str):
            cut = fit(table, {column: value})[column]
            if cut != value:
                setattr(target, attr, cut)


@functools.cache
def _fitted_attributes(mapper: Mapper[Any]) -> dict[str, str]:
    """Attribute → column name of a mapper's string columns that may be cut (not keys)."""
    table = mapper.local_table
    assert isinstance(table, Table)
    keys = key_columns(table)
    return {prop.key: prop.columns[0].name for prop in mapper.column_attrs
            if isinstance(prop.columns[0].type, String) and prop.columns[0].name not in keys}


event.listen(Base, "before_insert", _fit_row, propagate=True)
event.listen(Base, "before_update", _fit_row, propagate=True)


def connect(url: str) -> Engine:
    """Engine for ``url`` with the schema created; an SQLite file's folder is made if missing."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    sqlite = parsed.get_backend_name() == "sqlite"
    # Wait for another writer (reparse, import, a person's sqlite3 shell) instead of failing.
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT} if sqlite else {})
    if sqlite:
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite begins transactions itself, late and not before SAVEPOINT, so a savepoint
        # (one stored item's unit of work) could release as a commit: SQLAlchemy's recipe for
        # correct transactions is to switch that off and emit BEGIN ourselves.
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN"))
    Base.metadata.create_all(engine)
    add_missing_columns(engine)
    return engine


def add_missing_columns(engine: Engine) -> list[str]:
    """Add the nullable columns a newer version introduced to a database made by an older one.

    Additive changes only (new tables come from ``create_all``); anything else needs a real
    migration. Returns ``table.column`` for each column added."""
    inspector = inspect(engine)
    added = []
    with engine.begin() as conn:
        for table in Base.metadata.sorted_tables:
            present = {c["name"] for c in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name in present or not column.nullable:
                    continue
                kind = column.type.compile(dialect=engine.dialect)
                conn.execute(text(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}'))
                added.append(f"{table.name}.{column.name}")
    return added


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # no implicit BEGIN/COMMIT (see connect)
    cursor = dbapi_connection.cursor()
    # WAL: readers (export, status) don't block a running crawl.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def insert_each(session: Session, table: Table, rows: list[dict[str, Any]]
                ) -> list[tuple[dict[str, Any], Exception]]:
    """Insert ``rows`` (one executemany, in a savepoint); if the database refuses a row of it,
    insert them one by one, each in its own savepoint, so a refused row costs only itself.
    Returns the refused rows with why. Other failures (a lock, the connection) are raised: they
    are not the row's fault, and its caller keeps the rows for the next try.

    Rows are fitted to their columns already; this is for what fitting cannot foresee (a
    duplicate key, a value the server rejects for another reason): a refused row used to fail
    its whole batch again and again, or block the repair before every later crawl (review C1)."""
    if not rows:
        return []
    try:
        with session.begin_nested():
            session.execute(table.insert(), rows)
        return []
    except (IntegrityError, DataError):
        pass
    refused: list[tuple[dict[str, Any], Exception]] = []
    for row in rows:
        try:
            with session.begin_nested():
                session.execute(table.insert(), [row])
        except (IntegrityError, DataError) as exc:
            refused.append((row, exc))
    return refused


def session_factory(url: str) -> sessionmaker[Session]:
    return sessionmaker(connect(url), expire_on_commit=False)


def upsert_site(session: Session, *, name: str, url: str, domain: str,
                admin_level: str | None = None, region_code: str | None = None) -> Site:
    site = session.scalar(select(Site).where(Site.url == url))
    if site is None:
        site = Site(name=name, url=url, domain=domain)
        session.add(site)
    site.name, site.domain = name, domain
    site.admin_level = admin_level or site.admin_level
    site.region_code = region_code or site.region_code
    session.flush()
    return site


REPORT_FIELDS = (
    "title", "listed_title", "year", "published", "issuer", "region", "admin_level", "agency",
    "format", "text", "raw_text", "encoding", "meta", "stats", "flags", "capture_id", "site_id",
    "page_part", "listed_date",
)


def upsert_report(session: Session, url: str, values: dict[str, Any], seen_at: datetime, *,
                  known: dict[str, Report] | None = None,
                  stored_urls: Collection[str] | None = None) -> tuple[Report, bool]:
    """Insert or update the report at ``url``; returns it and whether it is new.

    ``known`` caches this session's reports by URL and ``stored_urls`` lists the URLs already in
    the database: lookups then need no flush (or no query at all), so captures and reports go to
    the database in batches at commit time."""
    report = known.get(url) if known is not None else None
    if report is None and (stored_urls is None or url in stored_urls):
        with session.no_autoflush:
            report = session.scalar(select(Report).where(Report.url == url))
    created = report is None
    if report is None:
        report = Report(url=url, first_seen=seen_at, last_seen=seen_at, versions=[])
        session.add(report)
    else:
        baseline_version(report)
    update_report(report, values)
    report.last_seen = seen_at
    if known is not None:
        known[url] = report
    return report, created


def text_digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def note_version(report: Report, *, text: str, capture_id: str | None, payload_digest: str | None,
                 seen_at: datetime, run_id: int | None) -> str:
    """Keep the report's content as a version; returns "new", "changed" or "same".

    A version is a distinct normalised text: a page whose bytes change (a visitor counter) but
    whose text does not is the same version, seen again."""
    digest = text_digest(text)
    latest = report.versions[-1] if report.versions else None
    if latest is not None and latest.text_digest == digest:
        latest.last_seen_at = seen_at
        return "same"
    if latest is not None and run_id is not None and latest.run_id == run_id:
        # Completed within one run (a page, then its attachment): one version, filled in.
        latest.text, latest.text_digest, latest.last_seen_at = text, digest, seen_at
        return "same"
    report.versions.append(ReportVersion(
        capture_id=capture_id, run_id=run_id, payload_digest=payload_digest, text_digest=digest,
        text=text, seen_at=seen_at, last_seen_at=seen_at))
    return "new" if latest is None else "changed"


def note_past_version(report: Report, *, text: str, capture_id: str | None,
                      payload_digest: str | None, seen_at: datetime, run_id: int | None) -> str:
    """A copy of the report older than what is stored (a web archive's): kept as a version of
    its time; the report's current columns stay. "same" when that text is already a version."""
    digest = text_digest(text)
    report.first_seen = min(aware(report.first_seen), seen_at)
    for version in report.versions:
        if version.text_digest == digest:
            version.seen_at = min(aware(version.seen_at), seen_at)
            return "same"
    report.versions.append(ReportVersion(
        capture_id=capture_id, run_id=run_id, payload_digest=payload_digest, text_digest=digest,
        text=text, seen_at=seen_at, last_seen_at=seen_at))
    return "past"


def aware(moment: datetime) -> datetime:
    """SQLite gives naive datetimes back; every timestamp stored is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def baseline_version(report: Report) -> None:
    """A report stored before versions were kept gets its stored content as version 1."""
    if report.id is not None and not report.versions and report.text:
        report.versions.append(ReportVersion(
            capture_id=report.capture_id, payload_digest=None, text_digest=text_digest(report.text),
            text=report.text, seen_at=report.first_seen, last_seen_at=report.last_seen))


def update_report(report: Report, values: dict[str, Any]) -> None:
    """Set the report columns present in ``values``."""
    for key in REPORT_FIELDS:
        if key in values:
            setattr(report, key, values[key])


_CELL_COLUMNS = ("report_id", "table", "row", "column", "label", "value_text", "value")


def _cell_insert(paramstyle: str) -> str:
    """INSERT of one report_cells row in the driver's own parameter style (qmark or format)."""
    mark = "?" if paramstyle == "qmark" else "%s"
    names = ", ".join(f'"{c}"' for c in _CELL_COLUMNS)
    return f"INSERT INTO report_cells ({names}) VALUES ({', '.join([mark] * len(_CELL_COLUMNS))})"


def set_cells(session: Session, report: Report, cells: list[dict[str, Any]]) -> None:
    """Replace the report's table cells (dicts with table, row, column, label, text, value).

    One DELETE and one executemany INSERT: a report has ~170 cells, and as ORM objects they cost
    more than everything else the crawl does for the report (measured by benchmarks/crawl.py)."""
    if report.id is None:
        session.flush()  # the report's id, for the cells' foreign key
    table = ReportCell.__table__
    session.execute(table.delete().where(table.c.report_id == report.id))
    if cells:
        # The driver's executemany straight away: SQLAlchemy's per-row parameter processing
        # was most of the cost (benchmarks/crawl.py).
        connection = session.connection()
        columns = ReportCell.__table__
        connection.exec_driver_sql(_cell_insert(connection.dialect.paramstyle), [
            (report.id, *_fitted_cell(columns, c)) for c in cells])  # type: ignore[arg-type]
    if "cells" in report.__dict__:  # a loaded collection would be stale
        session.expire(report, ["cells"])


def _fitted_cell(table: Table, cell: dict[str, Any]) -> tuple[Any, ...]:
    """A cell's values in ``_CELL_COLUMNS`` order (after report_id), fitted: labels come from
    documents and pages, any length (an executemany fails for one long label otherwise)."""
    values = fit(table, {"table": cell["table"], "row": cell["row"], "column": cell["column"],
                         "label": cell.get("label"), "value_text": cell.get("text")})
    return (values["table"], values["row"], values["column"], values["label"],
            values["value_text"], cell.get("value"))


def record_problem(session: Session, kind: str, message: str, *, url: str | None = None,
                   run_id: int | None = None) -> None:
    session.add(Problem(run_id=run_id, at=now(), kind=kind, url=url, message=message))


def upsert_attachment(session: Session, report_url: str, url: str, values: dict[str, Any],
                      seen_at: datetime) -> Attachment:
    """Insert or update the attachment ``url`` of the report at ``report_url``."""
    with session.no_autoflush:
        attachment = session.scalar(select(Attachment).where(
            Attachment.report_url == report_url, Attachment.url == url))
    if attachment is None:
        attachment = Attachment(report_url=report_url, url=url, first_seen=seen_at)
        session.add(attachment)
    for key in ("link_text", "capture_id", "content_type", "kind", "pages", "flags", "part"):
        if key in values:
            setattr(attachment, key, values[key])
    attachment.last_seen = seen_at
    return attachment


def attachments_of(session: Session, report_url: str) -> list[Attachment]:
    """The documents of a report other than the report's own URL, in the order first seen."""
    return list(session.scalars(select(Attachment).where(
        Attachment.report_url == report_url, Attachment.url != report_url).order_by(Attachment.id)))
