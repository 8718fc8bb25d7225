"""A database made by an older govcrawl (before revisits and versions) opens with the new code:
the new tables are created and the new nullable columns added, the old rows kept."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from archive.db import add_missing_columns, connect

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
