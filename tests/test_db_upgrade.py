"""A database made by an older govcrawl opens with the new code: the new tables are created and
the new nullable columns added, the old rows kept; before URL identity, its reports kept once
per form of their URL are merged into one per URL key."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy.orm import Session

from archive.db import add_missing_columns, aware, connect, text_digest
from archive.models import Capture, Report
from tests.archive_dbs import BACKENDS, database

NEW_COLUMNS = {"captures": ["truncated", "refers_to", "last_seen_at"]}


def test_old_database_gains_new_tables_and_columns(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    connect(f"sqlite:///{path}").dispose()
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO crawl_runs (id, started_at, arguments, status, counts) "
                     "VALUES (1, '2025-01-01 00:00:00', '{}', 'finished', '{}')")
        for table, columns in NEW_COLUMNS.items():
            for column in columns:
                conn.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        conn.execute("DROP TABLE report_versions")
    engine = connect(f"sqlite:///{path}")
    with sqlite3.connect(path) as conn:
        columns = {r[1] for r in conn.execute("PRAGMA table_info(captures)")}
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert conn.execute("SELECT count(*) FROM crawl_runs").fetchone()[0] == 1
    assert set(NEW_COLUMNS["captures"]) <= columns
    assert "report_versions" in tables
    assert add_missing_columns(engine) == []  # idempotent


# -- URL identity (archive.migrate) ----------------------------------------------------------
PAGE = "www.huaning.gov.cn/xxgk/ndbg/content_2601.html"
HTTP, HTTPS, PORT80 = f"http://{PAGE}", f"https://{PAGE}", PAGE.replace(".cn/", ".cn:80/")
PORT80 = f"http://{PORT80}"
PDF = "www.huaning.gov.cn/uploadfiles/a.pdf"
OTHER = "http://www.huaning.gov.cn/xxgk/ndbg/content_2621.html"


def _older_archive(url: str) -> None:
    """A database as a version before URL identity left it: no key columns, no report_urls,
    and one report per form of a URL (the crawl fetched and stored each form)."""
    connect(url).dispose()
    engine = create_engine(url)
    with engine.begin() as conn:
        for index in ("ix_captures_url_key", "ix_reports_url_key"):
            conn.execute(text(f"DROP INDEX {index}"))
        for table, column in (("captures", "url_key"), ("captures", "request_digest"),
                              ("reports", "url_key"), ("attachments", "url_key")):
            conn.execute(text(f"ALTER TABLE {table} DROP COLUMN {column}"))
        conn.execute(text("DROP TABLE report_urls"))
        conn.execute(text("INSERT INTO crawl_runs (id, started_at, arguments, status, counts) "
                          "VALUES (1, '2024-01-01 00:00:00', '{}', 'finished', '{}')"))
        captures = [("c1", HTTP), ("c2", HTTPS), ("c3", PORT80), ("c4", OTHER),
                    ("p1", f"http://{PDF}"), ("p2", f"https://{PDF}")]
        for capture_id, capture_url in captures:
            conn.execute(text(
                "INSERT INTO captures (id, run_id, url, method, status, fetched_at, warc_file, "
                "warc_offset, warc_length, record_type, source) VALUES (:id, 1, :url, 'GET', 200, "
                "'2024-01-01 00:00:00', 'a.warc.gz', 0, 1, 'response', 'live')"),
                {"id": capture_id, "url": capture_url})
        # The same report three times; HTTPS seen last (its content is kept), HTTP first.
        reports = [(1, HTTP, "c1", "旧文", "2024-01-01", "2024-02-01"),
                   (2, HTTPS, "c2", "新文", "2024-01-15", "2024-06-01"),
                   (3, PORT80, "c3", "旧文", "2024-01-10", "2024-03-01"),
                   (4, OTHER, "c4", "别的", "2024-01-05", "2024-01-05")]
        for report_id, report_url, capture_id, body, first, last in reports:
            conn.execute(text(
                "INSERT INTO reports (id, url, capture_id, text, raw_text, meta, stats, flags, "
                "first_seen, last_seen) VALUES (:id, :url, :capture, :text, '', '{}', '{}', '[]', "
                ":first, :last)"), {"id": report_id, "url": report_url, "capture": capture_id,
                                    "text": body, "first": first, "last": last})
            conn.execute(text(
                "INSERT INTO report_versions (report_id, capture_id, text_digest, text, seen_at, "
                "last_seen_at) VALUES (:id, :capture, :digest, :text, :first, :last)"),
                {"id": report_id, "capture": capture_id, "digest": text_digest(body),
                 "text": body, "first": first, "last": last})
            conn.execute(text(
                'INSERT INTO report_cells (report_id, "table", "row", "column", value) '
                "VALUES (:id, 'T3', 'r', 'c', :id)"), {"id": report_id})
        # Its PDF, attached to two of the forms under two forms of its own URL.
        for attachment_id, report_url, pdf, last in ((1, HTTP, "http", "2024-02-01"),
                                                     (2, HTTPS, "https", "2024-06-01")):
            conn.execute(text(
                "INSERT INTO attachments (id, report_url, url, capture_id, flags, part, "
                "first_seen, last_seen) VALUES (:id, :report, :url, :capture, '[]', '{}', "
                "'2024-01-01', :last)"),
                {"id": attachment_id, "report": report_url, "url": f"{pdf}://{PDF}",
                 "capture": "p1" if pdf == "http" else "p2", "last": last})
    engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_reports_kept_once_per_url_form_are_merged_into_one_per_url_key(
        backend: str, tmp_path: Path) -> None:
    with database(backend, tmp_path) as url:
        _older_archive(url)
        engine = connect(url)
        with Session(engine) as session:
            assert {c.id: c.url_key for c in session.scalars(select(Capture))} == {
                "c1": HTTP, "c2": HTTP, "c3": HTTP, "c4": OTHER, "p1": f"http://{PDF}",
                "p2": f"http://{PDF}"}  # every capture is kept, keyed
            merged, other = session.scalars(select(Report).order_by(Report.url_key)).all()
            # The one seen last holds the content and the URL; the first-seen time is the earliest.
            assert (merged.id, merged.url, merged.url_key, merged.text) == (2, HTTPS, HTTP, "新文")
            assert aware(merged.first_seen) == datetime(2024, 1, 1, tzinfo=UTC)
            assert aware(merged.last_seen) == datetime(2024, 6, 1, tzinfo=UTC)
            assert {u.url for u in merged.urls} == {HTTP, HTTPS, PORT80}
            # Versions: the two texts once each, the kept content last (the latest version).
            assert [v.text for v in merged.versions] == ["旧文", "新文"]
            old = merged.versions[0]
            assert (aware(old.seen_at), aware(old.last_seen_at)) == (
                datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 3, 1, tzinfo=UTC))
            assert [c.value for c in merged.cells] == [2.0]  # the kept content's cells only
            (pdf,) = merged.attachments
            assert (pdf.report_url, pdf.url, pdf.url_key, pdf.capture_id) == (
                HTTP, f"https://{PDF}", f"http://{PDF}", "p2")
            assert (other.url, other.url_key, [u.url for u in other.urls]) == (OTHER, OTHER, [OTHER])
        with engine.connect() as conn:
            indexes = {i["name"]: i["unique"] for i in inspect(conn).get_indexes("reports")}
        assert indexes["ix_reports_url_key"]  # one report per key from now on
        engine.dispose()
        again = connect(url)  # nothing left to do
        with Session(again) as session:
            assert session.scalar(select(func.count()).select_from(Report)) == 2
        again.dispose()
