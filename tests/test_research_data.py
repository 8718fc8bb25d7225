"""The crawl's research records: normalised text, format, key figures and flags on the real seeds."""

from __future__ import annotations

import json
import sqlite3

from govcrawl.identity import url_key
from tests.conftest import CrawlResult

STD = ("std2019", "std2021")


class _ByKey(dict):
    """Records by URL key, looked up with any form of a report's URL (the ground truth has the
    plain one; 华宁's reports are fetched as https:// or with :80)."""

    def __getitem__(self, url: str) -> dict:
        return super().__getitem__(url_key(url))


def records(crawled: CrawlResult) -> dict[str, dict]:
    with sqlite3.connect(crawled.db_url.removeprefix("sqlite:///")) as conn:
        conn.row_factory = sqlite3.Row
        return _ByKey({r["url_key"]: {**dict(r), "stats": json.loads(r["stats"]),
                                      "flags": json.loads(r["flags"])}
                       for r in conn.execute("SELECT url_key, url, text, raw_text, format, stats, "
                                             "flags, year FROM reports")})


def seed(crawled: CrawlResult, number: int) -> dict:
    url = next(e.url for e in crawled.web.expected_reports if (e.stats or {}).get("seed") == number)
    return records(crawled)[url]


def test_every_report_has_its_format(crawled: CrawlResult) -> None:
    stored = records(crawled)
    for e in crawled.web.expected_reports:
        assert stored[e.url]["format"] == e.stats["format"], e.url


def test_generated_reports_give_back_their_table_figures(crawled: CrawlResult) -> None:
    stored = records(crawled)
    for e in crawled.web.expected_reports:
        if "t3_new" in e.stats:
            stats = stored[e.url]["stats"]
            assert (stats["applications_new"], stats["applications_carried_over"], stats["handled_total"],
                    stats["carried_forward"]) == (e.stats["t3_new"], e.stats["t3_carried"],
                                                  e.stats["t3_handled"], e.stats["t3_forward"]), e.url
            assert not [f for f in stored[e.url]["flags"] if f.startswith("t3_balance")], e.url


def test_fuxin_2019_inconsistency_is_flagged_with_its_numbers(crawled: CrawlResult) -> None:
    report = seed(crawled, 2)
    assert "t3_balance: 131+0 != 144+2" in report["flags"]
    assert report["stats"]["applications_new"] == 131 and report["stats"]["handled_total"] == 144


def test_spam_injected_by_a_hacked_site_is_flagged_and_removed(crawled: CrawlResult) -> None:
    report = seed(crawled, 3)
    assert "spam_injection" in report["flags"]
    assert "西甲直播" in report["raw_text"] and "西甲直播" not in report["text"]


def test_traditional_text_with_pinyin_is_normalised_and_missing_table_flagged(crawled: CrawlResult) -> None:
    report = seed(crawled, 1)
    assert "彩云镇" in report["text"] and "(zhèn)" not in report["text"] and "鎮" not in report["text"]
    assert "t3_missing" in report["flags"]


def test_no_report_lacks_a_key_figure_silently(crawled: CrawlResult) -> None:
    for url, report in records(crawled).items():
        stats, flags = report["stats"], report["flags"]
        if report["format"] in STD and "handled_total" not in stats:
            assert any(f.startswith("no_handled_total") for f in flags), url
        if "applications_new" not in stats:
            assert any(f.startswith("no_applications_new") for f in flags), url
