"""archive.store.ReportStore: the one way an analysis becomes rows, shared by crawl, import and
reparse; bounded memory over a long run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from archive import db, store
from archive.models import Capture, Report, ReportVersion
from archive.store import CaptureRow, ReportStore, Seen
from govcrawl.analysis.result import Analysis

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def _store(tmp_path: Path, **kwargs) -> ReportStore:
    session = db.session_factory(f"sqlite:///{tmp_path / 'db.sqlite'}")()
    return ReportStore(session, None, **kwargs)


def _analysis(text: str = "正文", year: int = 2022) -> Analysis:
    return Analysis(title=f"某县{year}年政府信息公开工作年度报告", text=text, year=year,
                    cells=[{"table": "T3", "row": "r1", "column": "total", "label": "x",
                            "text": "3", "value": 3.0}])


def test_a_long_run_keeps_only_recent_reports_at_hand_and_finds_older_ones_again(
        tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(store, "KNOWN_REPORTS", 5)
    reports = _store(tmp_path)
    urls = [f"http://www.x.gov.cn/{i}.html" for i in range(12)]
    for i, url in enumerate(urls):
        reports.store_page(Seen(url, None, T0 + timedelta(minutes=i)), _analysis(),
                           listed_title="")
    assert len(reports.known) == 5
    # The first report, long evicted, is found in the database: updated, not inserted again.
    outcome = reports.store_page(Seen(urls[0], None, T0 + timedelta(days=1)),
                                 _analysis("改过的正文"), listed_title="")
    reports.session.commit()
    assert outcome == "changed"
    assert reports.session.scalar(select(func.count()).select_from(Report)) == 12
    assert reports.session.scalar(select(func.count()).select_from(ReportVersion)) == 13


def test_capture_rows_are_fitted_to_their_columns() -> None:
    row = CaptureRow(id="<urn:x>", url="http://x/", status=200, fetched_at=T0, warc_file="f",
                     warc_offset=0, warc_length=1, etag="e" * 1000, content_type="t" * 1000,
                     last_modified="l" * 1000, truncated="disconnect" * 10).values()
    columns = Capture.__table__.columns
    for name in ("etag", "content_type", "last_modified", "truncated"):
        assert len(row[name]) == columns[name].type.length
    assert row["last_seen_at"] == T0  # a new capture is last seen when fetched


def test_an_older_archive_copy_is_a_past_version_and_rolls_nothing_back(tmp_path: Path) -> None:
    reports = _store(tmp_path)
    url = "http://www.x.gov.cn/r.html"
    assert reports.store_page(Seen(url, None, T0), _analysis("现行正文"), listed_title="") == "new"
    older = Seen(url, None, T0 - timedelta(days=400), source="wayback")
    assert reports.store_page(older, _analysis("旧的正文"), listed_title="") == "past"
    report = reports.report(url)
    assert report is not None and report.text == "现行正文"
    assert [v.text for v in report.versions] == ["现行正文", "旧的正文"]
