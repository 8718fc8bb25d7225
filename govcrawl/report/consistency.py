"""Consistency checks (勾稽关系) of the standard tables: failures become flags, never fixes.

Rules (DESIGN.md): per applicant column 一 + 二 = (七)总计 + 四; (七) = the sum of the
outcome rows (一)…(六); 总计 = the sum of the six applicant columns; each review/litigation
总计 = its four parts. A flag names the rule and the numbers as printed, e.g.
``t3_balance: 131+0 != 144+2``. A rule is skipped when a number it needs is absent.

Within a printed table a blank cell counts 0 (the templates leave zero cells blank); a row
that is not in the table at all makes the rules needing it skip. The 总计 column's rules use
the key figures (``stats``), which already sum the applicant columns where 总计 is blank.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from govcrawl.report.figures import BALANCE_IN, BALANCE_OUT, OUTCOME_FIGURES
from govcrawl.report.tables import (
    APPLICANT_COLUMNS,
    T4_COLUMNS,
    T4_ROWS,
    Cell,
)

__all__ = ["check_consistency"]

# (一)…(六), as T3 rows and as key figures; their sum is (七).
_OUTCOME_GROUPS = tuple(str(f.row) for f in OUTCOME_FIGURES)
_OUTCOME_STATS = tuple(f.name for f in OUTCOME_FIGURES)
# 一 + 二 = (七) + 四, as key figures and as T3 rows.
_BALANCE_STATS = tuple(f.name for f in (*BALANCE_IN, *BALANCE_OUT))
_BALANCE_ROWS = tuple(str(f.row) for f in (*BALANCE_IN, *BALANCE_OUT))
_EPS = 1e-6


def _fmt(v: float | None) -> str:
    if v is None:
        return "_"
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def _differs(a: float, b: float) -> bool:
    return abs(a - b) > _EPS


def _outcome_rows(rows: set[str]) -> list[str] | None:
    """The rows whose sum is (七): per group its sub-rows, or its printed subtotal when it
    has no sub-rows. None when an outcome group is missing from the table."""
    out: list[str] = []
    for g in _OUTCOME_GROUPS:
        if g in rows:
            out.append(g)
            continue
        subs = sorted(r for r in rows if r.startswith(g + ".") and r != f"{g}.total")
        if subs:
            out.extend(subs)
        elif f"{g}.total" in rows:
            out.append(f"{g}.total")
        else:
            return None
    return out


def check_consistency(cells: list[Cell], stats: Mapping[str, float]) -> list[str]:
    """The 勾稽关系 that the printed figures break, as flags naming the rule and numbers."""
    flags: list[str] = []
    t3: dict[tuple[str, str], float | None] = {}
    t4: dict[tuple[str, str], float | None] = {}
    for c in cells:
        if c.table == "T3":
            t3.setdefault((c.row, c.column), c.value)
        elif c.table == "T4":
            t4.setdefault((c.row, c.column), c.value)
    rows = {r for r, _ in t3}

    def val(row: str, col: str) -> float:
        return t3.get((row, col)) or 0.0

    def printed(row: str, col: str) -> bool:
        return t3.get((row, col)) is not None

    # 一 + 二 = (七) + 四, the 总计 column from the key figures, then per applicant column.
    if all(k in stats for k in _BALANCE_STATS):
        a, b, h, f = (float(stats[k]) for k in _BALANCE_STATS)
        if _differs(a + b, h + f):
            flags.append(f"t3_balance: {_fmt(a)}+{_fmt(b)} != {_fmt(h)}+{_fmt(f)}")
    if all(r in rows for r in _BALANCE_ROWS):
        for col in APPLICANT_COLUMNS:
            if not any(printed(r, col) for r in _BALANCE_ROWS):
                continue
            a, b, h, f = (val(r, col) for r in _BALANCE_ROWS)
            if _differs(a + b, h + f):
                flags.append(f"t3_balance[{col}]: {_fmt(a)}+{_fmt(b)} != {_fmt(h)}+{_fmt(f)}")

    # (七) = sum of the outcome rows.
    if "handled_total" in stats and all(k in stats or _has_group(rows, g)
                                        for k, g in zip(_OUTCOME_STATS, _OUTCOME_GROUPS,
                                                        strict=True)):
        parts = [float(stats.get(k, 0)) for k in _OUTCOME_STATS]
        if _differs(float(stats["handled_total"]), sum(parts)):
            flags.append(f"t3_handled_sum: {_fmt(stats['handled_total'])} != "
                         + "+".join(_fmt(p) for p in parts))
    outcome = _outcome_rows(rows)
    if outcome is not None and "handled_total" in rows:
        for col in APPLICANT_COLUMNS:
            if not printed("handled_total", col) and not any(printed(r, col) for r in outcome):
                continue
            total = val("handled_total", col)
            s = sum(val(r, col) for r in outcome)
            if _differs(total, s):
                flags.append(f"t3_handled_sum[{col}]: {_fmt(total)} != {_fmt(s)}")

    # 总计 = sum of the six applicant columns, where both are printed.
    for row in sorted(rows, key=_row_order(cells)):
        total = t3.get((row, "total"))
        parts = [t3.get((row, c)) for c in APPLICANT_COLUMNS]
        if total is None or all(p is None for p in parts):
            continue
        s = sum(p or 0.0 for p in parts)
        if _differs(total, s):
            flags.append(f"t3_columns_total[{row}]: "
                         + "+".join(_fmt(p) for p in parts) + f" != {_fmt(total)}")

    # Each review/litigation 总计 = its four parts.
    for row in T4_ROWS:
        total = t4.get((row, "total"))
        parts = [t4.get((row, c)) for c in T4_COLUMNS[:4]]
        if total is None or all(p is None for p in parts):
            continue
        s = sum(p or 0.0 for p in parts)
        if _differs(total, s):
            flags.append(f"t4_{row}_total: " + "+".join(_fmt(p) for p in parts)
                         + f" != {_fmt(total)}")
    return flags


def _has_group(rows: set[str], group: str) -> bool:
    return group in rows or any(r.startswith(group + ".") for r in rows)


def _row_order(cells: list[Cell]) -> Callable[[str], int]:
    """Sort key: rows in the order the table prints them."""
    order: dict[str, int] = {}
    for c in cells:
        if c.table == "T3":
            order.setdefault(c.row, len(order))
    return lambda r: order.get(r, len(order))

