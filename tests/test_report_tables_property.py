"""Property test: random standard tables rendered to HTML come back as the same figures."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govcrawl.report.consistency import check_consistency
from govcrawl.report.tables import detect_format, key_stats, parse_tables_html

APPLICANTS = ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]
SUB = {
    "not_disclosed": ("（三）不予公开", ["1.属于国家秘密", "2.其他法律行政法规禁止公开", "3.危及“三安全一稳定”",
                                  "4.保护第三方合法权益", "5.属于三类内部事务信息", "6.属于四类过程性信息",
                                  "7.属于行政执法案卷", "8.属于行政查询事项"]),
    "unable": ("（四）无法提供", ["1.本机关不掌握相关政府信息", "2.没有现成信息需要另行制作",
                             "3.补正后申请内容仍不明确"]),
    "not_processed": ("（五）不予处理", ["1.信访举报投诉类申请", "2.重复申请", "3.要求提供公开出版物",
                                    "4.无正当理由大量反复申请", "5.要求行政机关确认或重新出具已获取信息"]),
    "other": ("（六）其他处理", ["1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
                            "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
                            "3.其他"]),
}
STAT = {"new": "applications_new", "carried_over": "applications_carried_over",
        "disclosed": "disclosed", "partially_disclosed": "partially_disclosed",
        "not_disclosed": "not_disclosed", "unable": "unable_to_provide",
        "not_processed": "not_processed", "other": "other_handling",
        "handled_total": "handled_total", "carried_forward": "carried_forward"}


def result_rows(fmt: str) -> list[tuple[str, str, str | None, str | None, int]]:
    """(stat group, row label, group label, position within group, group size)."""
    rows: list[tuple[str, str, str | None, str | None, int]] = [
        ("disclosed", "（一）予以公开", None, None, 0),
        ("partially_disclosed", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", None, None, 0),
    ]
    for g in ("not_disclosed", "unable", "not_processed", "other"):
        glabel, subs = SUB[g]
        if g == "other" and fmt == "std2019":
            rows.append((g, glabel, None, None, 0))
            continue
        for i, s in enumerate(subs):
            rows.append((g, s, glabel, "first" if i == 0 else "next", len(subs)))
    return rows


numbers = st.integers(min_value=0, max_value=400)


@st.composite
def reports(draw: st.DrawFn) -> dict:
    fmt = draw(st.sampled_from(["std2019", "std2021"]))
    rows = result_rows(fmt)
    sparse = draw(st.booleans())
    num = st.one_of(st.just(0), numbers) if sparse else numbers
    t3 = {"new": draw(st.lists(num, min_size=6, max_size=6)),
          "carried_over": draw(st.lists(num, min_size=6, max_size=6))}
    t3["results"] = [draw(st.lists(num, min_size=6, max_size=6)) for _ in rows]
    t3["handled_total"] = draw(st.lists(num, min_size=6, max_size=6))
    t3["carried_forward"] = draw(st.lists(num, min_size=6, max_size=6))
    t4 = [draw(st.lists(num, min_size=4, max_size=4)) for _ in range(3)]
    return {
        "fmt": fmt, "rows": rows, "t3": t3, "t4": t4,
        "blank_total": draw(st.booleans()),      # 总计 blank on detail rows (Shanghai)
        "zero_blank": draw(st.booleans()),       # zeros printed as &nbsp;
        "wrap": draw(st.sampled_from(["plain", "p_span", "p_nbsp"])),
        "one_table": draw(st.booleans()),
        "nest": draw(st.booleans()),
        "span_delta": draw(st.sampled_from([0, 0, -2, -1, 1, 2])),
        "t2": draw(numbers),
    }


def render(r: dict) -> str:
    def td(v: object, attrs: str = "") -> str:
        text = "" if v is None else str(v)
        if r["zero_blank"] and text == "0":
            text = ""
        if text == "":
            text = "&nbsp;"
        if r["wrap"] == "p_span":
            text = f'<p align="center"><span style="font-size:12px">{text}</span></p>'
        elif r["wrap"] == "p_nbsp":
            text = f"<p>&nbsp;{text}&nbsp;</p>"
        return f"<td{attrs}>{text}</td>"

    def nums(vals: list[int], detail: bool) -> str:
        total = None if (detail and r["blank_total"]) else sum(vals)
        return "".join(td(v) for v in vals) + td(total)

    fmt, t3 = r["fmt"], r["t3"]
    if fmt == "std2021":
        t2 = ['<tr><td colspan="4">第二十条第（一）项</td></tr>',
              "<tr><td>信息内容</td><td>本年制发件数</td><td>本年废止件数</td><td>现行有效件数</td></tr>",
              f"<tr>{td('规章')}{td(r['t2'])}{td(0)}{td(r['t2'])}</tr>"]
    else:
        t2 = ['<tr><td colspan="4">第二十条第（一）项</td></tr>',
              "<tr><td>信息内容</td><td>本年新制作数量</td><td>本年新公开数量</td><td>对外公开总数量</td></tr>",
              f"<tr>{td('规章')}{td(r['t2'])}{td(r['t2'])}{td(r['t2'])}</tr>"]
    head = ['<tr><td colspan="3" rowspan="3">（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）</td>'
            '<td colspan="7">申请人情况</td></tr>',
            '<tr><td rowspan="2">自然人</td><td colspan="5">法人或其他组织</td><td rowspan="2">总计</td></tr>',
            "<tr>" + "".join(f"<td>{a}</td>" for a in APPLICANTS[1:]) + "</tr>"]
    body = [f'<tr><td colspan="3">一、本年新收政府信息公开申请数量</td>{nums(t3["new"], False)}</tr>',
            f'<tr><td colspan="3">二、上年结转政府信息公开申请数量</td>{nums(t3["carried_over"], False)}</tr>']
    n_results = len(r["rows"]) + 1
    for i, ((_, label, glabel, pos, size), vals) in enumerate(zip(r["rows"], t3["results"], strict=True)):
        cells = ""
        if i == 0:
            cells += f'<td rowspan="{max(1, n_results + r["span_delta"])}">三、本年度办理结果</td>'
        if pos == "first":
            cells += f'<td rowspan="{size}">{glabel}</td>'
        cells += f"<td>{label}</td>" if glabel else f'<td colspan="2">{label}</td>'
        body.append(f"<tr>{cells}{nums(vals, True)}</tr>")
    body.append(f'<tr><td colspan="2">（七）总计</td>{nums(t3["handled_total"], False)}</tr>')
    body.append(f'<tr><td colspan="3">四、结转下年度继续办理</td>{nums(t3["carried_forward"], False)}</tr>')
    heads = "".join(f"<td>{x}</td>" for x in ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"])
    t4 = ['<tr><td colspan="5">行政复议</td><td colspan="10">行政诉讼</td></tr>',
          '<tr><td rowspan="2">结果维持</td><td rowspan="2">结果纠正</td><td rowspan="2">其他结果</td>'
          '<td rowspan="2">尚未审结</td><td rowspan="2">总计</td>'
          '<td colspan="5">未经复议直接起诉</td><td colspan="5">复议后起诉</td></tr>',
          f"<tr>{heads * 2}</tr>",
          "<tr>" + "".join(td(v) for part in r["t4"] for v in [*part, sum(part)]) + "</tr>"]
    if r["one_table"]:
        tables = "<table border='1'><tbody>" + "".join(t2 + head + body + t4) + "</tbody></table>"
    else:
        tables = ("<p>二、主动公开政府信息情况</p><table>" + "".join(t2) + "</table>"
                  "<p>三、收到和处理政府信息公开申请情况</p><table><tbody>" + "".join(head + body)
                  + "</tbody></table><p>四、政府信息公开行政复议、行政诉讼情况</p><table>" + "".join(t4) + "</table>")
    if r["nest"]:
        tables = f"<table class='layout'><tr><td><div>正文</div>{tables}</td></tr></table>"
    return f"<html><body><h1>2022年政府信息公开工作年度报告</h1>{tables}</body></html>"


def expected(r: dict) -> dict[str, int]:
    """The key figures the page states, under the documented rules (blank 总计 → sum of the
    printed parts; a row with nothing printed → absent)."""
    zb = r["zero_blank"]

    def row_total(vals: list[int], detail: bool) -> int | None:
        total_printed = not (detail and r["blank_total"]) and not (zb and sum(vals) == 0)
        if total_printed:
            return sum(vals)
        printed = [v for v in vals if not (zb and v == 0)]
        return sum(printed) if printed else None

    t3 = r["t3"]
    out: dict[str, int] = {}
    for key in ("new", "carried_over", "handled_total", "carried_forward"):
        v = row_total(t3[key], False)
        if v is not None:
            out[STAT[key]] = v
    groups: dict[str, list[int]] = {}
    for (g, *_), vals in zip(r["rows"], t3["results"], strict=True):
        v = row_total(vals, True)
        groups.setdefault(g, [])
        if v is not None:
            groups[g].append(v)
    for g, vals in groups.items():
        if vals:
            out[STAT[g]] = sum(vals)
    names = ["reconsideration_total", "litigation_direct_total", "litigation_after_reconsideration_total"]
    for name, part in zip(names, r["t4"], strict=True):
        if not (zb and sum(part) == 0):
            out[name] = sum(part)
    if names[1] in out and names[2] in out:
        out["litigation_total"] = out[names[1]] + out[names[2]]
    return out


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reports())
def test_rendered_tables_come_back(r: dict) -> None:
    parsed = parse_tables_html(render(r))
    stats = key_stats(parsed.cells)
    assert stats == expected(r)
    assert detect_format(parsed, None) == r["fmt"]
    assert not [f for f in parsed.flags if f.startswith(("t3_", "t4_"))], parsed.flags
    t3_cells = [c for c in parsed.cells if c.table == "T3"]
    assert len(t3_cells) == 7 * (len(r["rows"]) + 4)
    rules = {c.column: c.value for c in parsed.cells if c.table == "T2" and c.row == "rules"}
    first = "issued" if r["fmt"] == "std2021" else "made"
    assert rules[first] == (None if r["zero_blank"] and r["t2"] == 0 else r["t2"])
    # the consistency checks never fail on numbers that were generated consistent per row
    flags = check_consistency(parsed.cells, stats)
    assert not [f for f in flags if f.startswith(("t3_columns_total", "t4_"))], flags
