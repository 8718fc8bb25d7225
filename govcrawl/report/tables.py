"""The standard statistical tables of a report → tidy cells, key figures and the format.

T2 = 二、主动公开政府信息情况 (the 第二十条 blocks), T3 = 三、收到和处理政府信息公开申请情况
(7 applicant columns), T4 = 四、行政复议/行政诉讼 (15 cells). Both national formats are read:
the 2019 trial format (国办公开办函〔2019〕60号) and the 2021 format (国办公开办函〔2021〕30号).

Rows are recognised by their labels (not their position), so the blocks may sit in one
``<table>`` or several, with wrong rowspans, missing cells or Word markup. Printed values are
kept as printed (``Cell.text``) and as numbers (``Cell.value``); nothing is corrected.
Pure functions; no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from lxml import etree
from lxml import html as lxml_html

from govcrawl.report.figures import FIGURES
from govcrawl.report.grid import GridCell, grid_cells
from govcrawl.text.fold import BLANKS, fold

__all__ = [
    "Cell",
    "ParsedTables",
    "T3_COLUMNS",
    "T4_COLUMNS",
    "T4_ROWS",
    "detect_format",
    "key_stats",
    "parse_tables_html",
    "parse_tables_text",
    "parse_value",
    "row_total",
]


@dataclass(frozen=True)
class Cell:
    """One printed cell of a standard table.

    ``table`` T2/T3/T4; ``row``/``column`` canonical keys (see module constants); ``label`` the
    row and column labels as printed ("row | column"); ``text`` the value as printed ("" when
    blank); ``value`` its number (None when blank or not a number). 增/减 prefixes in T2 give a
    signed value; units (元/万元) are kept in ``text`` and not converted."""

    table: str
    row: str
    column: str
    label: str
    text: str
    value: float | None


@dataclass
class ParsedTables:
    """Cells of the standard tables found, the format their shape shows, and gap flags."""

    cells: list[Cell] = field(default_factory=list)
    format: str | None = None
    flags: list[str] = field(default_factory=list)


T3_COLUMNS = ("natural_person", "business", "research", "social_welfare", "legal_service",
              "other", "total")
T3_COLUMN_LABELS = ("自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计")
APPLICANT_COLUMNS = T3_COLUMNS[:6]
T4_ROWS = ("reconsideration", "litigation_direct", "litigation_after_reconsideration")
T4_ROW_LABELS = ("行政复议", "行政诉讼 未经复议直接起诉", "行政诉讼 复议后起诉")
T4_COLUMNS = ("upheld", "corrected", "other", "pending", "total")
T4_COLUMN_LABELS = ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")

# ------------------------------------------------------------------ label folding

# Labels are matched folded (govcrawl.text.fold.fold: NFKC, pinyin and blanks removed,
# Traditional → Simplified), so pages run through a site's 繁體 button (seed 001) match
# without the text normaliser.
_CJK = re.compile(r"[\u3400-\u9fff]")


# ------------------------------------------------------------------ values

_BLANKS = frozenset({"", "_", "-", "—", "–", "——", "/", "\\", "无", "空", "×", "x", "X", "--"})
_NUMBER = re.compile(
    r"^(增|减|\+|-)?(\d[\d,]*(?:\.\d+)?|\.\d+)(万元|元|件|条|个|项|次|人次|家|%)?$"
)


def parse_value(text: str) -> float | None:
    """The number a printed cell states: ``"251000元"`` → 251000, ``"减5"`` → -5, blank → None."""
    t = fold(text)
    m = _NUMBER.match(t)
    if not m:
        return None
    try:
        v = float(m.group(2).replace(",", ""))
    except ValueError:
        return None
    return -v if m.group(1) in ("减", "-") else v


def _value_like(text: str) -> bool:
    t = fold(text)
    return t in _BLANKS or _NUMBER.match(t) is not None


def _clean_text(text: str) -> str:
    """The printed value, whitespace-collapsed (&nbsp; alone becomes "")."""
    return BLANKS.sub(" ", text).strip()


# ------------------------------------------------------------------ row labels

# (pattern on the folded label, key); first match wins. Sub-row keywords come first, the
# group labels last (a group label with its own numbers is a printed subtotal).
_T3_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), k)
    for p, k in (
        (r"本年新收|新收.*申请", "new"),
        (r"上年结转", "carried_over"),
        (r"结转下", "carried_forward"),
        (r"部分公开", "partially_disclosed"),
        (r"予以公开", "disclosed"),
        (r"国家秘密", "not_disclosed.state_secret"),
        (r"禁止公开|其他法律", "not_disclosed.prohibited_by_law"),
        (r"三安全|一稳定", "not_disclosed.security_stability"),
        (r"第三方", "not_disclosed.third_party"),
        (r"内部事务", "not_disclosed.internal_affairs"),
        (r"过程性", "not_disclosed.process_info"),
        (r"执法案卷", "not_disclosed.law_enforcement_file"),
        (r"行政查询", "not_disclosed.inquiry"),
        (r"不掌握", "unable.not_held"),
        (r"另行制作", "unable.needs_creation"),
        (r"不明确", "unable.unclear"),
        (r"信访|举报投诉", "not_processed.petition"),
        (r"重复申请", "not_processed.repeated"),
        (r"出版物", "not_processed.publication"),
        (r"大量反复", "not_processed.excessive"),
        (r"重新出具|确认或", "not_processed.reconfirm"),
        (r"不补正", "other.overdue_correction"),
        (r"收费通知|缴纳费用", "other.unpaid_fees"),
        (r"\d[.、]?其他$", "other.other"),
        (r"\(七\)|^总计$|^合计$", "handled_total"),
        (r"\(六\)|其他处理", "other.total"),
        (r"\(三\)|不予公开", "not_disclosed.total"),
        (r"\(四\)|无法提供", "unable.total"),
        (r"\(五\)|不予处理", "not_processed.total"),
    )
]
_GROUP_TOTALS = ("not_disclosed.total", "unable.total", "not_processed.total", "other.total")

_T2_ROWS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), k)
    for p, k in (
        (r"^规章$", "rules"),
        (r"^(行政)?规范性文件$", "normative_documents"),
        (r"^行政许可$", "licensing"),
        (r"^其他对外管理服务事项$", "other_services"),
        (r"^行政处罚$", "punishment"),
        (r"^行政强制$", "coercion"),
        (r"^行政事业性收费$", "fees"),
        (r"^政府集中采购$", "procurement"),
    )
]
_T2_COLUMNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), k)
    for p, k in (
        (r"制发", "issued"),
        (r"废止", "repealed"),
        (r"现行有效", "in_force"),
        (r"新制作", "made"),
        (r"新公开", "published"),
        (r"对外公开总", "total_public"),
        (r"上一年", "previous_year"),
        (r"增/?减", "change"),
        (r"处理决定", "decisions"),
        (r"收费金额", "amount"),
        (r"采购项目", "count"),
        (r"金额", "amount"),
    )
]
# Default column keys of a T2 row, by format, when no header row was read.
_T2_DEFAULT_COLUMNS = {
    "std2021": {"rules": ("issued", "repealed", "in_force"),
                "normative_documents": ("issued", "repealed", "in_force"),
                "licensing": ("decisions",), "punishment": ("decisions",),
                "coercion": ("decisions",), "fees": ("amount",)},
    "std2019": {"rules": ("made", "published", "total_public"),
                "normative_documents": ("made", "published", "total_public"),
                "licensing": ("previous_year", "change", "decisions"),
                "other_services": ("previous_year", "change", "decisions"),
                "punishment": ("previous_year", "change", "decisions"),
                "coercion": ("previous_year", "change", "decisions"),
                "fees": ("previous_year", "change"), "procurement": ("count", "amount")},
}
_T2_2021_COLUMNS = frozenset({"issued", "repealed", "in_force"})
_T2_2019_COLUMNS = frozenset({"made", "published", "total_public", "previous_year", "change"})
_T2_2019_ROWS = frozenset({"other_services", "procurement"})
_2021_OTHER_ROWS = frozenset({"other.overdue_correction", "other.unpaid_fees", "other.other"})


def classify_t3(label: str) -> str | None:
    """Canonical T3 row key of a printed row label (folded), or None."""
    f = fold(label)
    if not f:
        return None
    for pat, key in _T3_RULES:
        if pat.search(f):
            return key
    return None


def _t2_row(label: str) -> str | None:
    f = re.sub(r"^[\d.、()]+", "", fold(label))
    for pat, key in _T2_ROWS:
        if pat.match(f):
            return key
    return None


def _t2_column(label: str, i: int) -> str:
    f = fold(label)
    for pat, key in _T2_COLUMNS:
        if pat.search(f):
            return key
    return f"col{i + 1}"


def _is_t4_header(f: str) -> bool:
    return "行政复议" in f or ("复议" in f and "诉讼" in f)


# ------------------------------------------------------------------ HTML


def _logical(row: Sequence[GridCell]) -> list[tuple[int, GridCell]]:
    """The row's distinct cells in order (a spanned cell once), with their first grid column.
    Padding slots count as separate blank cells."""
    out: list[tuple[int, GridCell]] = []
    last = object()
    for c, cell in enumerate(row):
        key = cell.origin if cell.origin is not None else ("pad", c)
        if key != last:
            out.append((c, cell))
            last = key
    return out


def _label_split(cells: list[tuple[int, GridCell]]) -> int:
    """Index of the row's last label cell (text that is not a value), or -1."""
    idx = -1
    for i, (_, cell) in enumerate(cells):
        if cell.text and not _value_like(cell.text) and _CJK.search(cell.text):
            idx = i
    return idx


class _Builder:
    """Collects cells of the three tables from a stream of grid rows (HTML) or tokens."""

    def __init__(self) -> None:
        self.cells: list[Cell] = []
        self.flags: list[str] = []
        self.t3_rows: set[str] = set()
        self.t4_done = False
        self.t2_seen = False

    def add(self, table: str, row: str, column: str, label: str, text: str) -> None:
        text = _clean_text(text)
        self.cells.append(Cell(table, row, column, label, text, parse_value(text)))

    def add_t3_row(self, key: str, row_label: str, values: Sequence[str],
                   col_labels: Sequence[str] = T3_COLUMN_LABELS) -> None:
        if key in self.t3_rows:
            self.flags.append(f"t3_duplicate_row: {key}")
            return
        self.t3_rows.add(key)
        for col, clabel, text in zip(T3_COLUMNS, col_labels, values, strict=False):
            self.add("T3", key, col, f"{row_label} | {clabel}", text)

    def add_t4(self, values: Sequence[str]) -> None:
        self.t4_done = True
        for i, text in enumerate(values[:15]):
            r, c = divmod(i, 5)
            self.add("T4", T4_ROWS[r], T4_COLUMNS[c],
                     f"{T4_ROW_LABELS[r]} | {T4_COLUMN_LABELS[c]}", text)


def _html_root(html: str) -> lxml_html.HtmlElement | None:
    if not html or not html.strip():
        return None
    html = re.sub(r"^\s*<\?xml[^>]*>", "", html)  # lxml refuses str with an encoding declaration
    try:
        return lxml_html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return None


# No label or value of a standard table is this long; a longer cell is prose or a whole page.
_PROSE_CELL = 200


def parse_tables_html(html: str) -> ParsedTables:
    """All standard tables on a report page (in one ``<table>`` or several).

    Rows are recognised by label; T3 values are the seven cells after the row's label (by the
    header's grid columns when a row has fewer cells), T4 the first row of 15 values after the
    复议/诉讼 header, T2 rows are matched to the columns of their block's 信息内容 header."""
    root = _html_root(html)
    if root is None:
        return ParsedTables(flags=[])
    rows: list[list[GridCell]] = []
    for table in root.iter("table"):
        rows.extend(grid_cells(table))
    b = _Builder()
    state = "none"  # none | t2 | t3 | t4
    t2_cols: list[tuple[int, str, str]] = []  # (grid col, label, key)
    t3_pos: list[int] | None = None
    t3_col_labels: Sequence[str] = T3_COLUMN_LABELS
    t3_started = t3_ended = False
    t4_wait = 0
    for row in rows:
        cells = _logical(row)
        texts = [c.text for _, c in cells]
        folded = [fold(t) for t in texts]
        joined = "".join(folded)
        if not joined and state != "t4":  # an all-blank row can only be T4's (no labels)
            continue
        if max(map(len, folded)) > _PROSE_CELL:  # a layout table's cell holding the article
            continue
        # ---- block switches
        if "第二十条" in joined or "第十九条" in joined:
            state, t2_cols = "t2", []
            b.t2_seen = True
            continue
        if _is_t4_header(joined) and ("诉讼" in joined or "维持" in joined) and not b.t4_done:
            state, t4_wait = "t4", 6
            if t3_started:
                t3_ended = True
            continue
        if "申请人情况" in joined or ("自然人" in folded and "总计" in joined):
            if not t3_ended:
                state = "t3"
            if "自然人" in folded and "商业企业" in folded:
                pos = [row_i for row_i, _ in enumerate(row)]
                names = [fold(c.text) for c in row]
                found = []
                for want in T3_COLUMN_LABELS:
                    hits = [p for p in pos if names[p] == want]
                    found.append(hits[-1] if hits else -1)
                if all(p >= 0 for p in found):
                    t3_pos = found
                    t3_col_labels = [row[p].text for p in found]
            continue
        # ---- T2
        if state == "t2":
            if folded[0].startswith("信息内容"):
                t2_cols = [(c, cell.text, _t2_column(cell.text, i))
                           for i, (c, cell) in enumerate(cells[1:])]
                continue
            key = _t2_row(texts[0])
            if key is not None:
                values = [(c, cell.text) for c, cell in cells[1:]]
                while values and values[-1][1] == "" and len(values) > max(1, len(t2_cols)):
                    values.pop()
                for i, (c, text) in enumerate(values):
                    if len(values) == len(t2_cols):
                        _, clabel, ckey = t2_cols[i]
                    else:
                        match = [h for h in t2_cols if h[0] <= c]
                        _, clabel, ckey = match[-1] if match else (c, f"列{i + 1}", f"col{i + 1}")
                    b.add("T2", key, ckey, f"{texts[0]} | {clabel}", text)
                continue
            if classify_t3(texts[0]) == "new":
                state = "t3"
        # ---- T3
        split = _label_split(cells)
        if state in ("t3", "none", "t2") and split >= 0 and not t3_ended:
            keys = [k for t in texts[: split + 1] if (k := classify_t3(t)) is not None]
            specific = [k for k in keys if k not in _GROUP_TOTALS]
            key = specific[-1] if specific else (keys[-1] if keys else None)
            values = cells[split + 1:]
            if key is not None and values and all(_value_like(c.text) for _, c in values):
                if key == "new":
                    state, t3_started = "t3", True
                if state == "t3":
                    row_label = " ".join(dict.fromkeys(
                        t for t in texts[: split + 1]
                        if t and "勾稽" not in t and not t.startswith("三、本年度")))
                    if len(values) >= 7:
                        vals = [c.text for _, c in values[:7]]
                    elif t3_pos is not None and max(t3_pos) < len(row):
                        vals = [row[p].text for p in t3_pos]
                    else:
                        b.flags.append(f"t3_unparsed: row '{texts[split]}' has {len(values)} values")
                        continue
                    b.add_t3_row(key, row_label, vals, t3_col_labels)
                    if key == "carried_forward":
                        t3_ended = True
                        state = "none"
                    continue
        # ---- T4
        if state == "t4" and not b.t4_done:
            t4_wait -= 1
            split = _label_split(cells)
            values = [c.text for _, c in cells[split + 1:]]
            if len(values) < 15:
                slot_vals = [c.text for c in row]
                if len(slot_vals) >= 15 and all(_value_like(t) for t in slot_vals[-15:]):
                    values = slot_vals[-15:]
            if len(values) >= 15 and all(_value_like(t) for t in values[:15]):
                b.add_t4(values[:15])
                state = "none"
            elif t4_wait <= 0:
                b.flags.append("t4_unparsed: no row of 15 values under the 复议/诉讼 header")
                state = "none"
    if state == "t4" and not b.t4_done:
        b.flags.append("t4_unparsed: no row of 15 values under the 复议/诉讼 header")
    has_t3 = bool(b.t3_rows)
    if not has_t3 and (b.t2_seen or b.t4_done or "收到和处理政府信息公开申请" in fold(
            root.text_content()[:200000])):
        b.flags.append("t3_missing")
    if not b.t4_done and (has_t3 or b.t2_seen) and not any(f.startswith("t4_") for f in b.flags):
        b.flags.append("t4_missing")
    return ParsedTables(cells=b.cells, format=_shape_format(b.cells), flags=b.flags)


# ------------------------------------------------------------------ flattened text

_PAGE_NO = re.compile(r"^\s*[-—–]\s*\d+\s*[-—–]\s*$|^\s*第\s*\d+\s*页")
_VAL_TOKEN = re.compile(r"(?<!\S)(?:[增减]\s?)?[+\-]?\d[\d,]*(?:\.\d+)?(?:万元|元)?(?!\S)")


def _tokens(text: str) -> list[tuple[str, str]]:
    """('n', value) and ('t', text run) tokens; '|' and newlines separate cells."""
    out: list[tuple[str, str]] = []
    text = unicodedata.normalize("NFKC", text.replace("?", " "))
    for line in re.split(r"[\n|]", text):
        if not line.strip() or _PAGE_NO.match(line):
            continue
        pos = 0
        for m in _VAL_TOKEN.finditer(line):
            pre = line[pos:m.start()].strip()
            if pre:
                out.append(("t", pre))
            out.append(("n", m.group().replace(" ", "")))
            pos = m.end()
        rest = line[pos:].strip()
        if rest:
            out.append(("t", rest))
    return out


def _runs(tokens: Sequence[tuple[str, str]]) -> list[list[str]]:
    runs: list[list[str]] = []
    cur: list[str] = []
    for kind, tok in tokens:
        if kind == "n":
            cur.append(tok)
        elif cur:
            runs.append(cur)
            cur = []
    if cur:
        runs.append(cur)
    return runs


def _text_t3(b: _Builder, toks: list[tuple[str, str]], start: int, end: int) -> None:
    labels: list[tuple[str, str]] = []
    for kind, tok in toks[start:end]:
        if kind == "t":
            key = classify_t3(tok)
            if key is not None:
                labels.append((key, tok))
    keys = {k for k, _ in labels}
    labels = [(k, t) for k, t in labels
              if k not in _GROUP_TOTALS or not any(x.startswith(k.split(".")[0] + ".") and x != k
                                                   for x in keys)]
    seen: dict[str, str] = {}
    ordered: list[tuple[str, str]] = []
    prev = None
    for k, t in labels:
        if k == prev:
            continue
        if k in seen:
            b.flags.append(f"t3_unparsed: row label '{t}' appears twice")
            return
        seen[k] = t
        ordered.append((k, t))
        prev = k
    groups: list[list[str]] = []
    for run in _runs(toks[start:end]):
        if len(run) % 7:
            b.flags.append(f"t3_unparsed: a run of {len(run)} numbers is not rows of 7")
            return
        groups.extend(run[i:i + 7] for i in range(0, len(run), 7))
    if len(groups) != len(ordered):
        b.flags.append(f"t3_unparsed: {len(ordered)} row labels but {len(groups)} rows of 7 numbers")
        return
    for (key, label), vals in zip(ordered, groups, strict=True):
        b.add_t3_row(key, label, vals)


def _text_t2(b: _Builder, toks: list[tuple[str, str]], start: int, end: int, fmt: str) -> None:
    header: list[str] = []
    i = start
    while i < end:
        kind, tok = toks[i]
        if kind == "t" and fold(tok).startswith("信息内容"):
            header = []
            words = tok.split()[1:]
            j = i + 1
            while j < end and toks[j][0] == "t" and _t2_row(toks[j][1]) is None \
                    and "第二十条" not in fold(toks[j][1]):
                words.extend(toks[j][1].split())
                j += 1
            header = words
            i = j
            continue
        key = _t2_row(tok) if kind == "t" else None
        if key is not None:
            vals: list[str] = []
            j = i + 1
            while j < end and toks[j][0] == "n":
                vals.append(toks[j][1])
                j += 1
            ckeys = [_t2_column(h, n) for n, h in enumerate(header)]
            default = list(_T2_DEFAULT_COLUMNS.get(fmt, {}).get(key, ()))
            if len(ckeys) == len(vals) == len(default) and any(k.startswith("col") for k in ckeys):
                ckeys = default
            if len(ckeys) != len(vals):
                ckeys = list(_T2_DEFAULT_COLUMNS.get(fmt, {}).get(key, ()))
                header = []
            if len(ckeys) != len(vals):
                ckeys = [f"col{n + 1}" for n in range(len(vals))]
            for n, (ck, v) in enumerate(zip(ckeys, vals, strict=True)):
                clabel = header[n] if header else ck
                b.add("T2", key, ck, f"{tok} | {clabel}", v)
            i = j
            continue
        i += 1


def _t4_text_head(toks: Sequence[tuple[str, str]], ftoks: Sequence[str], i: int) -> bool:
    """Whether token ``i`` heads the T4 table: a 复议 label followed, before any number, by the
    result column labels (维持/纠正/审结)."""
    if "复议" not in ftoks[i]:
        return False
    for j in range(i + 1, min(i + 60, len(toks))):
        if toks[j][0] == "n":
            return False
        if any(x in ftoks[j] for x in ("维持", "纠正", "审结")):
            return True
    return False


def parse_tables_text(text: str) -> ParsedTables:
    """Standard tables flattened to text (seeds, pdfplumber lines), as far as unambiguous.

    T3: the row labels in the section are matched, in order, with the runs of 7 numbers (a
    run of 14 is two rows); labels and number rows may interleave (pdfplumber puts a wrapped
    label's number line between its halves). Any count mismatch → ``t3_unparsed`` and no T3
    cells. T4: the first run of exactly 15 numbers after the 复议/维持 header. Blank cells
    cannot be told apart from layout in flattened text, so rows with blanks do not parse."""
    b = _Builder()
    if not text:
        return ParsedTables()
    toks = _tokens(text)
    ftoks = [fold(t) if k == "t" else "" for k, t in toks]
    start = next((i for i, (k, t) in enumerate(toks) if k == "t" and classify_t3(t) == "new"
                  and ("本年新收" in ftoks[i] or "新收" in ftoks[i])), None)
    t4_from = start if start is not None else 0
    t4_head = next((i for i in range(t4_from, len(toks)) if _t4_text_head(toks, ftoks, i)), None)
    t3_end = len(toks)
    if start is not None:
        t3_end = next((i for i in range(start, len(toks)) if _is_t4_header(ftoks[i])), len(toks))
    t2_start = next((i for i, f in enumerate(ftoks) if "第二十条" in f or "第十九条" in f), None)
    fmt = "std2021" if any(x in f for f in ftoks for x in ("本年制发件数", "现行有效件数")) else \
        "std2019" if any(x in f for f in ftoks for x in ("本年新制作数量", "对外公开总数量")) else ""
    if t2_start is not None:
        t2_end = start if start is not None and start > t2_start else next(
            (i for i in range(t2_start, len(toks)) if "收到和处理" in ftoks[i]
             or "尚未审结" in ftoks[i] or "行政复议" in ftoks[i]), len(toks))
        _text_t2(b, toks, t2_start, t2_end, fmt)
        b.t2_seen = any(c.table == "T2" for c in b.cells)
    if start is not None:
        _text_t3(b, toks, start, t3_end)
    if t4_head is not None:
        run: list[str] = []
        for kind, tok in toks[t4_head + 1:]:
            if kind == "n":
                run.append(tok)
            elif run:
                break
        if len(run) == 15:
            b.add_t4(run)
        else:
            b.flags.append(f"t4_unparsed: {len(run)} numbers under the 复议/诉讼 header, not 15")
    has_t3 = bool(b.t3_rows) or any(f.startswith("t3_") for f in b.flags)
    if not has_t3 and (b.t2_seen or b.t4_done or any("收到和处理政府信息公开申请" in f for f in ftoks)):
        b.flags.append("t3_missing")
    if t4_head is None and (b.t3_rows or b.t2_seen):
        b.flags.append("t4_missing")
    return ParsedTables(cells=b.cells, format=_shape_format(b.cells), flags=b.flags)


# ------------------------------------------------------------------ figures


def _num(v: float) -> int | float:
    return int(v) if float(v).is_integer() else round(v, 6)


def _index(cells: Iterable[Cell]) -> dict[tuple[str, str, str], Cell]:
    out: dict[tuple[str, str, str], Cell] = {}
    for c in cells:
        out.setdefault((c.table, c.row, c.column), c)
    return out


def row_total(idx: dict[tuple[str, str, str], Cell], table: str, row: str) -> float | None:
    """A row's total: the printed 总计 when it is a number, else the sum of the printed parts
    (blank parts count 0), None when nothing in the row is printed."""
    total = idx.get((table, row, "total"))
    if total is not None and total.value is not None:
        return total.value
    parts = T3_COLUMNS[:6] if table == "T3" else T4_COLUMNS[:4]
    nums = [idx[(table, row, c)].value for c in parts if (table, row, c) in idx]
    nums = [v for v in nums if v is not None]
    return sum(nums) if nums else None


def group_total(idx: dict[tuple[str, str, str], Cell], group: str) -> float | None:
    """(三)…(六): the printed subtotal row if any, else the sum of the sub-rows' totals."""
    printed = row_total(idx, "T3", f"{group}.total")
    if printed is not None:
        return printed
    rows = {r for (t, r, _) in idx if t == "T3" and r.startswith(group + ".") and r != f"{group}.total"}
    vals = [v for r in sorted(rows) if (v := row_total(idx, "T3", r)) is not None]
    return sum(vals) if vals else None


def key_stats(cells: list[Cell]) -> dict[str, int | float]:
    """Key figures from the cells, absent when the table does not state them (the table
    figures of :mod:`govcrawl.report.figures`, in its order).

    A row's figure is its printed 总计; where the 总计 cell is blank (Shanghai 2019 leaves it
    blank on detail rows) it is the sum of the applicant columns (blanks count 0) — the cell
    keeps its printed blank (value None). A row with nothing printed gives no figure. Grouped
    rows ((三)…(六)) use a printed subtotal row, else the sum of their sub-rows.
    ``litigation_total`` needs both litigation totals. Values are never corrected."""
    idx = _index(cells)
    out: dict[str, int | float] = {}
    for figure in FIGURES:
        if figure.parts:
            if all(part in out for part in figure.parts):
                out[figure.name] = _num(sum(out[part] for part in figure.parts))
            continue
        if figure.table is None or figure.row is None:
            continue
        v = (group_total(idx, figure.row) if figure.group
             else row_total(idx, figure.table, figure.row))
        if v is not None:
            out[figure.name] = _num(v)
    return out


# ------------------------------------------------------------------ format


def _shape_format(cells: Sequence[Cell]) -> str | None:
    """The format the tables' shape shows, or None when it shows none.

    (六) with sub-rows, or 2021 T2 columns (本年制发件数/现行有效件数) → std2021; 2019 T2
    columns (本年新制作数量, 上一年项目数量 …) or the 政府集中采购 block → std2019; a T3 with
    the single (六) row alone is the 2019 layout (``detect_format`` lets the year decide)."""
    rows = {c.row for c in cells if c.table == "T3"}
    if rows & _2021_OTHER_ROWS:
        return "std2021"
    t2_cols = {c.column for c in cells if c.table == "T2"}
    t2_rows = {c.row for c in cells if c.table == "T2"}
    if t2_cols & _T2_2021_COLUMNS:
        return "std2021"
    if t2_cols & _T2_2019_COLUMNS or t2_rows & _T2_2019_ROWS:
        return "std2019"
    if rows:
        return "std2019"
    return None


def detect_format(parsed: ParsedTables, year: int | None, text: str = "") -> str:
    """``pre2019`` | ``std2019`` | ``std2021``: from the tables' shape first, the year second.

    Decisive shapes: (六) split into three sub-rows, or the 2021 第二十条 columns → std2021;
    the 2019 第二十条 columns (本年新制作数量, 上一年项目数量, 政府集中采购) → std2019. A T3 with
    a single (六) row is the 2019 layout, but 2021-format reports keep it too (Hongze 2023), so
    then the year decides (≥ 2021 → std2021). Without tables: the text's 2021/2019 labels, then
    the year (≤ 2018 → pre2019, 2019–2020 → std2019, ≥ 2021 → std2021); no year → pre2019."""
    cells = parsed.cells
    rows = {c.row for c in cells if c.table == "T3"}
    t2_cols = {c.column for c in cells if c.table == "T2"}
    t2_rows = {c.row for c in cells if c.table == "T2"}
    if rows & _2021_OTHER_ROWS or t2_cols & _T2_2021_COLUMNS:
        return "std2021"
    if t2_cols & _T2_2019_COLUMNS or t2_rows & _T2_2019_ROWS:
        return "std2019"
    standard = bool(cells) or parsed.format in ("std2019", "std2021")
    if not standard and text:
        f = fold(text[:200000])
        if any(x in f for x in ("本年制发件数", "现行有效件数", "逾期不补正")):
            return "std2021"
        if any(x in f for x in ("本年新制作数量", "对外公开总数量", "上一年项目数量")):
            return "std2019"
        standard = "收到和处理政府信息公开申请" in f
    if year is not None:
        if year >= 2021:
            return "std2021"
        if year >= 2019:
            return "std2019"
        return "std2019" if rows else "pre2019"
    if rows or standard:
        return parsed.format or "std2019"
    return "pre2019"
