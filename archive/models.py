"""SQLAlchemy 2.x models: sites, crawl runs, captures, reports, the URLs a report was seen under,
report versions, report cells, problems, and the writer's lease.

A resource is known by its URL key (``govcrawl.identity.url_key``: http and https, default
ports, escapes and fragments folded), whatever form a link gave its URL. Rows keep the URL as
fetched (what a user clicks, what the WARC record names) and, where they are looked up, its key:
``captures.url_key``, ``reports.url_key`` (one report per key), ``attachments.url_key``;
``attachments.report_url`` holds its report's key. ``archive.migrate`` fills the keys of rows
an older version wrote."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Site(Base):
    """A portal a user asked us to crawl; its registered domain is the crawl's scope."""

    __tablename__ = "sites"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(2000), unique=True)
    domain: Mapped[str] = mapped_column(String(253), index=True)
    admin_level: Mapped[str | None] = mapped_column(String(20))
    region_code: Mapped[str | None] = mapped_column(String(20))


class CrawlRun(Base):
    __tablename__ = "crawl_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    arguments: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(20), default="running")
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Lease(Base):
    """Who writes to this database now (``archive.lock.WriterLease``): one row while a crawl,
    import or reparse runs; ``expires_at`` moves on with the holder's commits."""

    __tablename__ = "leases"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    token: Mapped[str] = mapped_column(String(40))  # the holder's, random per acquisition
    command: Mapped[str] = mapped_column(String(40))  # crawl | import | reparse
    run_id: Mapped[int | None] = mapped_column(Integer)  # the crawl_runs row, once there is one
    host: Mapped[str] = mapped_column(String(253))
    pid: Mapped[int] = mapped_column(Integer)
    process_start: Mapped[str | None] = mapped_column(String(80))  # boot id : start time
    acquired_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Capture(Base):
    """One archived exchange: where its response record sits in which WARC file.

    Keyed by the record's WARC-Record-ID, known before the row is written, so captures are
    inserted in batches without a round trip per page."""

    __tablename__ = "captures"
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"), index=True)
    url: Mapped[str] = mapped_column(Text, index=True)  # exactly as requested (WARC-Target-URI)
    # The URL's identity (url_key): the lookups by URL (priors, a resumed run's replay) go by it,
    # so a page first fetched over https is known when a link gives it over http. Set by
    # CaptureRow for every new row; None only in a row an older version wrote and
    # archive.migrate has not reached yet.
    url_key: Mapped[str | None] = mapped_column(Text, index=True)
    method: Mapped[str] = mapped_column(String(10), default="GET")
    # sha1 of the request body, base32 as WARC payload digests ("sha1:…"); None for a request
    # without one. Tells apart the POSTs to one endpoint (a script-built list's pages), which a
    # resumed run replays by method, URL key and this digest.
    request_digest: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str | None] = mapped_column(String(200))
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    payload_digest: Mapped[str | None] = mapped_column(String(64), index=True)
    warc_file: Mapped[str] = mapped_column(Text)
    warc_offset: Mapped[int] = mapped_column(BigInteger)
    warc_length: Mapped[int] = mapped_column(BigInteger)
    record_type: Mapped[str] = mapped_column(String(20), default="response")
    etag: Mapped[str | None] = mapped_column(String(300))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(20), default="live")
    truncated: Mapped[str | None] = mapped_column(String(20))  # WARC-Truncated reason
    # A revisit's original: the response record holding the payload (WARC-Refers-To).
    refers_to: Mapped[str | None] = mapped_column(String(100))
    # Moved by later revisits of the same content (304 or identical payload).
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # For source "wayback"/"import": when the archive captured it, and where we got it from.
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    archive_url: Mapped[str | None] = mapped_column(Text)
    # When a repair found the record gone (a crash cut the file below what the database had
    # committed): the row is kept, as is what refers to it, and the next crawl fetches the URL
    # again as if never captured (archive.recovery, archive.priors).
    lost_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Report(Base):
    """One annual report, keyed by its URL key (``url_key``); re-crawls update it.

    ``url`` is the URL the report was last fetched under whole (what a user clicks, and what
    the WARC record of its capture names: fetched again unchanged under another form, it keeps
    the form its content rests on); ``urls`` holds every URL it was seen under (fetched, or
    linked by a page of the crawl), ``url`` among them."""

    __tablename__ = "reports"
    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000), unique=True)
    # Unique: one report per resource. Nullable in the table only so that an older database can
    # gain the column (archive.db.add_missing_columns); archive.migrate fills it, merging the
    # reports an older version kept once per URL form, before the unique index is made.
    url_key: Mapped[str | None] = mapped_column(String(2000), index=True, unique=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), index=True)
    title: Mapped[str | None] = mapped_column(Text)
    listed_title: Mapped[str | None] = mapped_column(Text)
    listed_date: Mapped[date | None] = mapped_column(Date)  # printed next to the link in its list
    year: Mapped[int | None] = mapped_column(Integer, index=True)
    published: Mapped[date | None] = mapped_column(Date)
    issuer: Mapped[str | None] = mapped_column(String(200))
    region: Mapped[str | None] = mapped_column(String(100), index=True)
    admin_level: Mapped[str | None] = mapped_column(String(20))
    agency: Mapped[str | None] = mapped_column(String(100))
    format: Mapped[str | None] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text, default="")
    raw_text: Mapped[str] = mapped_column(Text, default="")
    encoding: Mapped[str | None] = mapped_column(String(40))
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)
    flags: Mapped[list[Any]] = mapped_column(default=list)
    capture_id: Mapped[str | None] = mapped_column(ForeignKey("captures.id"))
    # The page's (or the document's) own analysis, kept so attachments can be combined with it.
    page_part: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    capture: Mapped[Capture | None] = relationship()
    site: Mapped[Site | None] = relationship()
    cells: Mapped[list[ReportCell]] = relationship(cascade="all, delete-orphan", order_by="ReportCell.id")
    versions: Mapped[list[ReportVersion]] = relationship(
        cascade="all, delete-orphan", order_by="ReportVersion.id", back_populates="report")
    attachments: Mapped[list[Attachment]] = relationship(
        primaryjoin="Report.url_key == foreign(Attachment.report_url)", viewonly=True,
        order_by="Attachment.id")
    urls: Mapped[list[ReportUrl]] = relationship(
        cascade="all, delete-orphan", order_by="ReportUrl.id", back_populates="report")


class ReportUrl(Base):
    """A URL a report was seen under: fetched under it, or linked as it by a page the crawl read
    (portals link one page as ``https://…``, ``http://…`` and ``http://…:80/…``)."""

    __tablename__ = "report_urls"
    __table_args__ = (UniqueConstraint("report_id", "url"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"))  # first column of the key
    url: Mapped[str] = mapped_column(String(2000))
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    report: Mapped[Report] = relationship(back_populates="urls")


class Attachment(Base):
    """A document a report page links (or the document an attachment-only report is), archived
    and analysed.

    ``report_url`` holds the report's URL *key* (``Report.url_key``), not one form of its URL:
    a page and its documents may be fetched under different forms, and either can be stored
    first. ``url`` is the document's URL as last fetched (its capture's), ``url_key`` its key:
    one row per document of a report, whatever form linked it; an attachment-only report's own
    document is the row whose ``url_key`` is the ``report_url``."""

    __tablename__ = "attachments"
    __table_args__ = (UniqueConstraint("report_url", "url"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    report_url: Mapped[str] = mapped_column(String(2000), index=True)  # the report's URL key
    url: Mapped[str] = mapped_column(Text)
    url_key: Mapped[str | None] = mapped_column(Text)  # set for every row (archive.migrate)
    link_text: Mapped[str | None] = mapped_column(Text)
    capture_id: Mapped[str | None] = mapped_column(ForeignKey("captures.id"))
    content_type: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str | None] = mapped_column(String(20))  # pdf, docx, xlsx, doc, html …
    pages: Mapped[int | None] = mapped_column(Integer)
    flags: Mapped[list[Any]] = mapped_column(default=list)
    part: Mapped[dict[str, Any]] = mapped_column(default=dict)  # text, format, stats, cells
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    capture: Mapped[Capture | None] = relationship()


class ReportVersion(Base):
    """One distinct content of a report page (by normalised text), kept when the page changes."""

    __tablename__ = "report_versions"
    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    capture_id: Mapped[str | None] = mapped_column(ForeignKey("captures.id"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"), index=True)
    payload_digest: Mapped[str | None] = mapped_column(String(64))
    text_digest: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text, default="")
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    report: Mapped[Report] = relationship(back_populates="versions")


class ReportCell(Base):
    """A tidy cell of a report's standard tables (filled by the table parser)."""

    __tablename__ = "report_cells"
    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    table: Mapped[str] = mapped_column(String(20))
    row: Mapped[str] = mapped_column(String(200))
    column: Mapped[str] = mapped_column(String(200))
    label: Mapped[str | None] = mapped_column(Text)  # row and column labels as printed
    value_text: Mapped[str | None] = mapped_column(Text)  # the value as printed ("" = blank)
    value: Mapped[float | None]


class Problem(Base):
    """Something that went wrong, kept so a run's gaps are visible: what, where, when."""

    __tablename__ = "problems"
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(String(40))
    url: Mapped[str | None] = mapped_column(Text)
    message: Mapped[str] = mapped_column(Text)
