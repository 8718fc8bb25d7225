"""Database connection and the few writes the crawl makes (SQLAlchemy 2.x, any backend)."""

from __future__ import annotations

import functools
import hashlib
import logging
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
from sqlalchemy.orm import Mapper, Session, SessionTransaction, sessionmaker

from archive.models import (
    Attachment,
    Base,
    Problem,
    Report,
    ReportCell,
    ReportUrl,
    ReportVersion,
    Site,
)
from govcrawl.identity import url_key

logger = logging.getLogger(__name__)

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


def _key_row(_mapper: Mapper[Any], _connection: Connection, target: Report | Attachment) -> None:
    """A report or attachment row written without its URL keys (made by hand, not by
    ``upsert_report``/``upsert_attachment``) gets them: the lookups go by key, a row without
    one would never be found again. An attachment's ``report_url`` is its report's key."""
    if target.url_key is None:
        target.url_key = url_key(target.url)
    if isinstance(target, Attachment):
        target.report_url = url_key(target.report_url)


for _keyed in (Report, Attachment):
    event.listen(_keyed, "before_insert", _key_row)


def connect(url: str) -> Engine:
    """Engine for ``url`` with the schema created; an SQLite file's folder is made if missing."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    sqlite = parsed.get_backend_name() == "sqlite"
    # Wait for another writer (a person's sqlite3 shell) instead of failing; a transaction
    # that read first waits only if it began with the lock (``as_writer``).
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT} if sqlite else {})
    if sqlite:
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite begins transactions itself, late and not before SAVEPOINT, so a savepoint
        # (one stored item's unit of work) could release as a commit: SQLAlchemy's recipe for
        # correct transactions is to switch that off and emit BEGIN ourselves.
        event.listen(engine, "begin", _sqlite_begin)
    with engine.connect() as conn:  # reads only: a database made already takes no lock
        current = _schema_is_current(conn)
    if not current:
        # Crawls started in the same second on a new (or older) database both created (or
        # altered) the tables, and one failed with a traceback instead of being refused
        # (review scenario 13): on PostgreSQL on the catalog's unique keys, on SQLite with
        # "database is locked" (it had read first, see as_writer). One at a time, under a lock.
        with engine.execution_options(**{_WRITE_LOCK_AT_BEGIN: WriteLock()}).begin() as conn:
            if engine.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK})
            Base.metadata.create_all(conn)
            add_missing_columns(conn)
            # Here, not at the top: archive.migrate uses this module's helpers.
            from archive.migrate import migrate_url_identity

            migrated = migrate_url_identity(conn)
            if migrated.changed:
                logger.warning("database upgraded to URL identity: %d captures, %d reports and %d "
                               "attachments keyed; %d reports and %d attachments merged into "
                               "another of the same URL key", migrated.captures_keyed,
                               migrated.reports_keyed, migrated.attachments_keyed,
                               migrated.reports_merged, migrated.attachments_merged)
            # After the data: the unique index on reports.url_key holds once duplicates merged.
            add_missing_indexes(conn)
    return engine


def _schema_is_current(conn: Connection) -> bool:
    """Every table of the models is in the database, with every column ``add_missing_columns``
    would add and every index ``add_missing_indexes`` would make, and no row waits for its URL
    key (``archive.migrate``; an indexed lookup)."""
    from archive.migrate import needs_url_identity

    inspector = inspect(conn)
    tables = set(inspector.get_table_names())
    for table in Base.metadata.sorted_tables:
        if table.name not in tables:
            return False
        present = {c["name"] for c in inspector.get_columns(table.name)}
        if any(c.name not in present and c.nullable for c in table.columns):
            return False
        indexes = {i["name"] for i in inspector.get_indexes(table.name)}
        if any(index.name not in indexes for index in table.indexes):
            return False
    return not needs_url_identity(conn)


# The advisory lock that serialises creating and upgrading the schema on PostgreSQL (any
# constant; "govcrawl" in ASCII).
_SCHEMA_LOCK = 0x676F76637261776C


class WriteLock:
    """Whether a writer's SQLite transactions begin with the database's write lock (see
    ``as_writer``): until ``end``, when the writer lets the database go."""

    def __init__(self) -> None:
        self.held = True

    def end(self) -> None:
        self.held = False


# Execution option carrying a writer's WriteLock.
_WRITE_LOCK_AT_BEGIN = "govcrawl_write_lock_at_begin"


def _sqlite_begin(conn: Connection) -> None:
    lock = conn.get_execution_options().get(_WRITE_LOCK_AT_BEGIN)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if lock is not None and lock.held else "BEGIN")


def as_writer(session: Session) -> WriteLock:
    """Make ``session`` the one that writes for a crawl, import or reparse: on SQLite, each of
    its transactions takes the database's write lock as it begins (``BEGIN IMMEDIATE``),
    waiting up to ``SQLITE_BUSY_TIMEOUT`` for another writer to finish, until the returned
    lock's ``end()``. From the session's next transaction on; nothing changes elsewhere.

    Why: in WAL mode a transaction that has read cannot wait for the write lock. Its first
    write fails at once with "database is locked" while another connection writes (or has
    written since it read), whatever the busy timeout, because waiting could deadlock or write
    over a stale snapshot. Every crawl transaction reads first (the priors of each URL), so a
    person's sqlite3 shell holding the lock for a second cost the crawl every report it stored
    meanwhile, and the problem rows saying so (review scenario 11). Readers keep a plain
    BEGIN: in WAL they read while the writer writes."""
    bind = session.bind
    if not isinstance(bind, Engine) or bind.dialect.name != "sqlite":
        return WriteLock()
    current = bind.get_execution_options().get(_WRITE_LOCK_AT_BEGIN)
    if current is not None and current.held:
        return current
    lock = WriteLock()
    writer = bind.execution_options(**{_WRITE_LOCK_AT_BEGIN: lock})
    if not session.in_transaction():
        session.bind = writer
        return lock

    # Not within a transaction: the session would open a second connection for the new bind,
    # and it would wait for the write lock the first one holds. From the next one on.
    def switch(_session: Session, transaction: SessionTransaction) -> None:
        if transaction.parent is None and session.bind is bind:
            session.bind = writer

    event.listen(session, "after_transaction_end", switch)
    return lock


def add_missing_columns(bind: Engine | Connection) -> list[str]:
    """Add the nullable columns a newer version introduced to a database made by an older one.

    Additive changes only (new tables come from ``create_all``); anything else needs a real
    migration. Returns ``table.column`` for each column added. Given a connection, in its
    transaction."""
    if isinstance(bind, Engine):
        with bind.begin() as conn:
            return add_missing_columns(conn)
    inspector = inspect(bind)
    added = []
    for table in Base.metadata.sorted_tables:
        present = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name in present or not column.nullable:
                continue
            kind = column.type.compile(dialect=bind.dialect)
            bind.execute(text(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}'))
            added.append(f"{table.name}.{column.name}")
    return added


def add_missing_indexes(conn: Connection) -> list[str]:
    """Make the indexes of the models that a database made by an older version lacks (an added
    column gets none from ``add_missing_columns``). Returns their names."""
    inspector = inspect(conn)
    made = []
    for table in Base.metadata.sorted_tables:
        present = {i["name"] for i in inspector.get_indexes(table.name)}
        for index in sorted(table.indexes, key=lambda i: str(i.name)):
            if index.name not in present:
                index.create(conn)
                made.append(str(index.name))
    return made


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


def find_report(session: Session, url: str) -> Report | None:
    """The stored report of ``url``'s URL key (any form of the URL): one indexed lookup, without
    flushing the batch for it."""
    with session.no_autoflush:
        return session.scalar(select(Report).where(Report.url_key == url_key(url)))


def upsert_report(session: Session, url: str, values: dict[str, Any], seen_at: datetime, *,
                  report: Report | None) -> tuple[Report, bool]:
    """Update ``report``, the stored report of ``url``'s URL key as the caller found it
    (``find_report``, or its cache), or insert it when that is None; returns it and whether it
    is new. ``url`` becomes the report's ``url`` (the URL it was last fetched under) and one of
    its ``urls``."""
    created = report is None
    if report is None:
        report = Report(url=url, url_key=url_key(url), first_seen=seen_at, last_seen=seen_at,
                        versions=[], urls=[])
        session.add(report)
    else:
        baseline_version(report)
    update_report(report, values)
    report.url = url
    report.last_seen = seen_at
    note_url(report, url, seen_at)
    return report, created


def note_url(report: Report, url: str, seen_at: datetime) -> None:
    """The report was seen under ``url`` (fetched, or linked) at ``seen_at``: a ``report_urls``
    row, or its times widened (a report has a handful: read with the report)."""
    for alias in report.urls:
        if alias.url == url:
            alias.first_seen = min(aware(alias.first_seen), seen_at)
            alias.last_seen = max(aware(alias.last_seen), seen_at)
            return
    report.urls.append(ReportUrl(url=url, first_seen=seen_at, last_seen=seen_at))


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
    """Insert or update the attachment ``url`` of the report at ``report_url``, each matched by
    its URL key (``Attachment.report_url`` holds the report's key); ``url`` becomes the row's
    URL, the one it was last fetched under."""
    report_key, key = url_key(report_url), url_key(url)
    with session.no_autoflush:
        attachment = session.scalar(select(Attachment).where(
            Attachment.report_url == report_key, Attachment.url_key == key))
    if attachment is None:
        attachment = Attachment(report_url=report_key, url=url, url_key=key, first_seen=seen_at)
        session.add(attachment)
    attachment.url = url
    for name in ("link_text", "capture_id", "content_type", "kind", "pages", "flags", "part"):
        if name in values:
            setattr(attachment, name, values[name])
    attachment.last_seen = seen_at
    return attachment


def attachments_of(session: Session, report_url: str) -> list[Attachment]:
    """The documents of the report at ``report_url`` (any form of it) other than the report's
    own document, in the order first seen."""
    key = url_key(report_url)
    return list(session.scalars(select(Attachment).where(
        Attachment.report_url == key, Attachment.url_key != key).order_by(Attachment.id)))


def has_attachments(session: Session, report_url: str) -> bool:
    """Whether a document other than the report's own is attached to the report at
    ``report_url`` (an indexed lookup)."""
    key = url_key(report_url)
    with session.no_autoflush:
        return session.scalar(select(Attachment.id).where(
            Attachment.report_url == key, Attachment.url_key != key).limit(1)) is not None
