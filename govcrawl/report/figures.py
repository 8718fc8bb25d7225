"""The key figures of a report, in one registry: what each is called, which standard table row
states it, whether free text can state it, its unit, and the order a researcher reads them in
(the export's columns).

Every list of figures derives from :data:`FIGURES`: the table reader (``tables.key_stats``), the
text reader (``textstats``), the combination of a page with its attachments (``combine``), the
consistency checks (``consistency``), the analysis (``analyse.STAT_KEYS``) and the export. A
figure is added here, once, and every one of them sees it. Pure data; imports nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BALANCE_IN",
    "BALANCE_OUT",
    "FIGURES",
    "FIGURE_NAMES",
    "OUTCOME_FIGURES",
    "TABLE_FIGURES",
    "TEXT_FIGURES",
    "Figure",
    "figure",
]


@dataclass(frozen=True)
class Figure:
    """One key figure.

    ``table``/``row``/``column``: the standard table cell it is read from (T3 = applications,
    T4 = review and litigation; the row keys of ``govcrawl.report.tables``), None when no table
    states it. ``group``: the row is a group (三)…(六) whose figure is its printed subtotal or
    the sum of its sub-rows. ``parts``: the figure is the sum of these figures, not a row of its
    own. ``outcome``: one of the ways an application was answered, which add up to (七)总计.
    ``in_text``: report sentences can state it (``textstats`` reads it). ``unit``: what it
    counts (件 applications or cases, 条 items of information, 元 yuan)."""

    name: str
    label: str
    table: str | None = None
    row: str | None = None
    column: str | None = None
    group: bool = False
    parts: tuple[str, ...] = ()
    outcome: bool = False
    in_text: bool = False
    unit: str = "件"


def _total(table: str, name: str, label: str, row: str, *, group: bool = False,
           outcome: bool = False, in_text: bool = False) -> Figure:
    """A figure printed in a row's 总计 column."""
    return Figure(name, label, table, row, "total", group=group, outcome=outcome, in_text=in_text)


# In export order: the application table top to bottom, review and litigation, then the
# figures only text states.
FIGURES: tuple[Figure, ...] = (
    _total("T3", "applications_new", "本年新收政府信息公开申请数量", "new", in_text=True),
    _total("T3", "applications_carried_over", "上年结转政府信息公开申请数量", "carried_over"),
    _total("T3", "disclosed", "(一)予以公开", "disclosed", outcome=True, in_text=True),
    _total("T3", "partially_disclosed", "(二)部分公开", "partially_disclosed", outcome=True, in_text=True),
    _total("T3", "not_disclosed", "(三)不予公开", "not_disclosed", group=True, outcome=True, in_text=True),
    _total("T3", "unable_to_provide", "(四)无法提供", "unable", group=True, outcome=True),
    _total("T3", "not_processed", "(五)不予处理", "not_processed", group=True, outcome=True),
    _total("T3", "other_handling", "(六)其他处理", "other", group=True, outcome=True),
    _total("T3", "handled_total", "(七)总计", "handled_total"),
    _total("T3", "carried_forward", "结转下年度继续办理", "carried_forward"),
    _total("T4", "reconsideration_total", "行政复议 总计", "reconsideration", in_text=True),
    _total("T4", "litigation_direct_total", "行政诉讼 未经复议直接起诉 总计", "litigation_direct"),
    _total("T4", "litigation_after_reconsideration_total", "行政诉讼 复议后起诉 总计",
           "litigation_after_reconsideration"),
    Figure("litigation_total", "行政诉讼 总计", "T4",
           parts=("litigation_direct_total", "litigation_after_reconsideration_total"),
           in_text=True),
    Figure("proactive_disclosures", "主动公开政府信息数量", in_text=True, unit="条"),
    Figure("fees", "收取费用", in_text=True, unit="元"),
)

_BY_NAME = {f.name: f for f in FIGURES}

# The names in export order (``analyse.STAT_KEYS``, the export's columns).
FIGURE_NAMES: tuple[str, ...] = tuple(f.name for f in FIGURES)
# Figures a standard table states: they come from the part that holds the tables.
TABLE_FIGURES: tuple[str, ...] = tuple(f.name for f in FIGURES if f.table)
# Figures report sentences can state (pre-2019 reports, tables that did not parse).
TEXT_FIGURES: tuple[str, ...] = tuple(f.name for f in FIGURES if f.in_text)
# (一)…(六): how the applications were answered; their sum is (七)总计.
OUTCOME_FIGURES: tuple[Figure, ...] = tuple(f for f in FIGURES if f.outcome)
# 一 + 二 = (七) + 四: what came in is what was answered plus what is carried forward.
BALANCE_IN: tuple[Figure, ...] = (_BY_NAME["applications_new"],
                                  _BY_NAME["applications_carried_over"])
BALANCE_OUT: tuple[Figure, ...] = (_BY_NAME["handled_total"], _BY_NAME["carried_forward"])


def figure(name: str) -> Figure:
    """The figure called ``name`` (KeyError for a name the registry does not have)."""
    return _BY_NAME[name]
