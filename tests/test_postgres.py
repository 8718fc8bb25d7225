"""The same crawl into a real PostgreSQL server (started on 127.0.0.1 by scripts/postgres-for-tests.sh)."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from archive.models import Capture, Report
from archive.warc import read_record
from govcrawl.identity import url_key
from simweb import SimulatedWeb
from tests.conftest import crawl, run_cli

PG_URL = os.environ.get("GOVCRAWL_TEST_PG_URL")
pytestmark = pytest.mark.skipif(
    not PG_URL, reason="no PostgreSQL server: `make test` starts one (scripts/postgres-for-tests.sh)")


@pytest.fixture
def pg_database() -> Iterator[str]:
    """A fresh database on the test server; dropped afterwards."""
    assert PG_URL
    name = f"govcrawl_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def test_crawl_recrawl_and_export_with_postgresql(test_web: SimulatedWeb, tmp_path: Path, pg_database: str) -> None:
    test_web.reset()
    first = crawl(test_web, tmp_path, db_url=pg_database)
    assert first.returncode == 0, first.stderr[-3000:]
    engine = create_engine(pg_database)
    with engine.connect() as conn:
        # By URL key: 华宁's reports are fetched as https:// or with :80, whatever their plain URL.
        stored = {r.url_key: r for r in conn.execute(select(Report.url_key, Report.year, Report.region,
                                                              Report.admin_level, Report.agency,
                                                              Report.published, Report.first_seen))}
        captures = conn.scalar(select(func.count()).select_from(Capture))
    expected = test_web.expected_reports
    assert set(stored) == {url_key(e.url) for e in expected}
    for e in expected:
        row = stored[url_key(e.url)]
        assert (row.year, row.region, row.admin_level, row.agency, row.published) == (
            e.year, e.region, e.admin_level, e.agency, e.published)
    assert captures == len([r for r in test_web.request_log if r.status != 502])

    test_web.reset()
    again = crawl(test_web, tmp_path, db_url=pg_database)
    assert again.returncode == 0, again.stderr[-3000:]
    with engine.connect() as conn:
        rows = {r.url_key: r.first_seen for r in conn.execute(select(Report.url_key, Report.first_seen))}
    assert rows == {url: row.first_seen for url, row in stored.items()}  # updated, not duplicated
    engine.dispose()

    out = tmp_path / "reports.jsonl"
    proc = run_cli(["export", "--db", pg_database, "--out", str(out)], tmp_path, None)
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) == len(expected)
    for record in records:
        warc_record, _ = read_record(str(tmp_path / record["capture"]["warc_file"]), record["capture"]["offset"])
        assert warc_record.rec_headers.get_header("WARC-Target-URI") == record["url"]
