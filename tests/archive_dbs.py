"""The two databases the archive runs on, for tests that must hold on both: a SQLite file, and
a fresh database on the PostgreSQL test server (``GOVCRAWL_TEST_PG_URL``, started by
scripts/postgres-for-tests.sh; the PostgreSQL case is skipped when it is not set, as in
tests/test_postgres.py).

Report pages small enough to build inline, which the crawl's analysis takes for reports."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PG_URL = os.environ.get("GOVCRAWL_TEST_PG_URL")
BACKENDS = ("sqlite", "postgresql")


@contextmanager
def pg_database() -> Iterator[str]:
    """A fresh database on the test server; dropped afterwards (connections left open too)."""
    assert PG_URL
    name = f"govcrawl_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def database(backend: str, tmp_path: Path, name: str = "archive") -> Iterator[str]:
    """A URL of an empty database of ``backend``; skips the test without a PostgreSQL server."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / f'{name}.sqlite'}"
        return
    if not PG_URL:
        pytest.skip("no PostgreSQL server: `make test` starts one (scripts/postgres-for-tests.sh)")
    with pg_database() as url:
        yield url


def report_page(n: int, county: str = "某县") -> bytes:
    """An HTML report page whose own title names it a report for year 2010 + n."""
    title = f"{county}{2010 + n}年政府信息公开工作年度报告"
    paragraphs = "".join(
        f"<p>本年度，{county}人民政府办公室认真贯彻落实《中华人民共和国政府信息公开条例》，"
        f"第{i}项工作扎实推进，主动公开政府信息{i * 10}条。</p>" for i in range(20))
    return (f'<html><head><meta charset="utf-8"><title>{title}</title></head><body>'
            f"<h1>{title}</h1>{paragraphs}</body></html>").encode()
