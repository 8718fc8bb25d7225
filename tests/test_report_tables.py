"""Golden tests of the standard-table parser: real samples, seeds and simweb pages.

Each ``tests/fixtures/tables/*.json`` names an input file and the figures written from the
document (see /work/shared/samples/README.md), never from the parser's output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from govcrawl.report.consistency import check_consistency
from govcrawl.report.tables import (
    Cell,
    ParsedTables,
    detect_format,
    key_stats,
    parse_tables_html,
    parse_tables_text,
    parse_value,
)

FIXTURES = Path(__file__).parent / "fixtures" / "tables"
GOLDEN = sorted(FIXTURES.glob("*.json"))


def _parse(spec: dict) -> tuple[ParsedTables, str]:
    raw = (FIXTURES / spec["input"]).read_text(encoding="utf-8")
    parsed = parse_tables_html(raw) if spec["kind"] == "html" else parse_tables_text(raw)
    return parsed, raw


@pytest.mark.parametrize("path", GOLDEN, ids=[p.stem for p in GOLDEN])
def test_golden(path: Path) -> None:
    spec = json.loads(path.read_text(encoding="utf-8"))
    parsed, raw = _parse(spec)
    stats = key_stats(parsed.cells)
    for key, want in spec.get("stats", {}).items():
        assert stats.get(key) == want, (key, stats)
    for key in spec.get("absent", []):
        assert key not in stats, (key, stats)
    assert detect_format(parsed, spec["year"], raw) == spec["format"]
    index = {(c.table, c.row, c.column): c for c in parsed.cells}
    for table, row, column, text in spec.get("cells", []):
        cell = index.get((table, row, column))
        assert cell is not None, (table, row, column)
        assert cell.text == text, (cell, text)
        assert cell.value == parse_value(text)
    if "cells_count" in spec:
        assert len(parsed.cells) == spec["cells_count"]
    flags = parsed.flags + check_consistency(parsed.cells, stats)
    for flag in spec.get("flags_include", []):
        assert flag in flags, flags
    for prefix in spec.get("flags_exclude_prefix", []):
        assert not [f for f in flags if f.startswith(prefix)], flags


def test_shanghai_blank_total_is_kept_blank_and_summed() -> None:
    parsed, _ = _parse({"input": "shanghai_szfbgt_2019.html", "kind": "html"})
    disclosed = [c for c in parsed.cells if c.table == "T3" and c.row == "disclosed"]
    assert [c.text for c in disclosed] == ["258", "12", "", "", "1", "1", ""]
    assert disclosed[-1].value is None and key_stats(parsed.cells)["disclosed"] == 272
    # every T3 row of the 2019 layout: 2 + 2 + 8 + 3 + 5 + 1 + 1 + 1 = 23 rows × 7 columns
    assert len([c for c in parsed.cells if c.table == "T3"]) == 23 * 7
    assert len([c for c in parsed.cells if c.table == "T4"]) == 15


def test_hongze_every_natural_person_figure() -> None:
    parsed, _ = _parse({"input": "hongze_qu_2023.pdfplumber.txt", "kind": "text"})
    got = {c.row: c.value for c in parsed.cells if c.table == "T3" and c.column == "natural_person"}
    assert got == {
        "new": 21, "carried_over": 0, "disclosed": 0, "partially_disclosed": 4,
        "not_disclosed.state_secret": 1, "not_disclosed.prohibited_by_law": 0,
        "not_disclosed.security_stability": 0, "not_disclosed.third_party": 0,
        "not_disclosed.internal_affairs": 0, "not_disclosed.process_info": 1,
        "not_disclosed.law_enforcement_file": 1, "not_disclosed.inquiry": 0,
        "unable.not_held": 10, "unable.needs_creation": 3, "unable.unclear": 0,
        "not_processed.petition": 1, "not_processed.repeated": 0, "not_processed.publication": 0,
        "not_processed.excessive": 0, "not_processed.reconfirm": 0, "other.total": 0,
        "handled_total": 21, "carried_forward": 0,
    }
    others = [c.value for c in parsed.cells if c.table == "T3"
              and c.column not in ("natural_person", "total")]
    assert set(others) == {0}


def test_seed_002_balance_flag_names_rule_and_numbers() -> None:
    parsed, _ = _parse({"input": "seed_002.txt", "kind": "text"})
    flags = check_consistency(parsed.cells, key_stats(parsed.cells))
    assert flags[0] == "t3_balance: 131+0 != 144+2"
    assert "t3_balance[natural_person]: 125+0 != 135+2" in flags


@pytest.mark.parametrize(("text", "value"), [
    ("251000元", 251000), ("7730.28", 7730.28), ("增163", 163), ("减5", -5), ("", None),
    ("\xa0", None), ("_", None), ("—", None), ("１２", 12), ("1,234", 1234), ("0?", 0), ("约5", None),
])
def test_parse_value(text: str, value: float | None) -> None:
    assert parse_value(text) == value


def _t3(rows: dict[str, list[float | None]]) -> list[Cell]:
    cols = ("natural_person", "business", "research", "social_welfare", "legal_service", "other", "total")
    return [Cell("T3", r, c, "", "" if v is None else str(v), v)
            for r, vals in rows.items() for c, v in zip(cols, vals, strict=True)]


def test_detect_format_shape_first_year_second() -> None:
    single_six = ParsedTables(cells=_t3({"other.total": [0] * 7}), format="std2019")
    split_six = ParsedTables(cells=_t3({"other.other": [0] * 7}), format="std2021")
    assert detect_format(single_six, 2020) == "std2019"
    assert detect_format(single_six, 2023) == "std2021"  # Hongze: 2021 report, 2019 (六) row
    assert detect_format(single_six, None) == "std2019"
    assert detect_format(split_six, 2019) == "std2021"   # the shape is decisive
    t2_2019 = ParsedTables(cells=[Cell("T2", "procurement", "count", "", "6", 6)])
    assert detect_format(t2_2019, 2022) == "std2019"
    empty = ParsedTables()
    assert detect_format(empty, 2018) == "pre2019"
    assert detect_format(empty, None) == "pre2019"
    assert detect_format(empty, 2022) == "std2021"
    assert detect_format(empty, None, "信息内容 本年制发件数 本年废止件数") == "std2021"


def test_consistency_rules_and_skips() -> None:
    cells = _t3({
        "new": [3, 1, None, None, None, None, 5],          # 总计 != parts
        "carried_over": [0, 0, None, None, None, None, 0],
        "disclosed": [2, 1, None, None, None, None, None],
        "partially_disclosed": [0] * 7,
        "not_disclosed.state_secret": [0] * 7,
        "unable.not_held": [0] * 7,
        "not_processed.petition": [0] * 7,
        "other.total": [None] * 7,
        "handled_total": [2, 1, None, None, None, None, 4],  # 4 != 3
        "carried_forward": [1, 0, None, None, None, None, 1],
    })
    stats = key_stats(cells)
    flags = check_consistency(cells, stats)
    assert "t3_columns_total[new]: 3+1+_+_+_+_ != 5" in flags
    assert "t3_columns_total[handled_total]: 2+1+_+_+_+_ != 4" in flags
    assert "t3_handled_sum: 4 != 3+0+0+0+0+0" in flags
    assert "t3_balance: 5+0 != 4+1" not in flags  # 5 + 0 == 4 + 1
    assert not [f for f in flags if f.startswith("t3_balance")]
    assert check_consistency([], {}) == []
    assert check_consistency([], {"applications_new": 3}) == []
    assert check_consistency([], {"applications_new": 3, "applications_carried_over": 0,
                                  "handled_total": 2, "carried_forward": 0}) == ["t3_balance: 3+0 != 2+0"]


def test_page_without_tables() -> None:
    assert parse_tables_html("") == ParsedTables()
    parsed = parse_tables_html("<html><body><p>本年度未收到政府信息公开申请。</p></body></html>")
    assert parsed.cells == [] and parsed.flags == []
    assert parse_tables_text("") == ParsedTables()
