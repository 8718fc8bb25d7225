"""The span-aware table grid."""

from __future__ import annotations

import lxml.html

from govcrawl.report.grid import table_grid


def _table(markup: str) -> lxml.html.HtmlElement:
    root = lxml.html.fromstring(f"<html><body>{markup}</body></html>")
    return root.xpath("//table")[0]


def test_rowspan_and_colspan_fill_every_slot() -> None:
    t = _table('<table><tr><td colspan="2" rowspan="2">A</td><td>B</td></tr>'
               "<tr><td>C</td></tr><tr><td>D</td><td>E</td><td>F</td></tr></table>")
    assert table_grid(t) == [["A", "A", "B"], ["A", "A", "C"], ["D", "E", "F"]]


def test_word_markup_and_nbsp_blanks() -> None:
    t = _table("<table><tbody><tr><td><p><span>本年新</span><br/><span>制作\u3000数量</span></p></td>"
               "<td><p>&nbsp;</p></td><td>  1\n2 </td></tr></tbody></table>")
    assert table_grid(t) == [["本年新 制作 数量", "", "1 2"]]


def test_rowspan_past_the_end_is_clamped() -> None:
    t = _table('<table><tr><td rowspan="20">X</td><td>1</td></tr><tr><td>2</td></tr></table>')
    assert table_grid(t) == [["X", "1"], ["X", "2"]]


def test_missing_cells_are_padded() -> None:
    t = _table("<table><tr><td>a</td><td>b</td><td>c</td></tr><tr><td>d</td></tr></table>")
    assert table_grid(t) == [["a", "b", "c"], ["d", "", ""]]


def test_nested_table_is_not_part_of_the_outer_grid() -> None:
    t = _table("<table><tr><td>outer<table><tr><td>inner</td><td>x</td></tr></table></td>"
               "<td>o2</td></tr></table>")
    assert table_grid(t) == [["outer", "o2"]]
    inner = t.xpath(".//table")[0]
    assert table_grid(inner) == [["inner", "x"]]


def test_garbage_spans_and_th_cells() -> None:
    t = _table('<table><thead><tr><th colspan="abc">h</th><th rowspan="0">i</th></tr></thead>'
               '<tr><td colspan="3">wide</td></tr></table>')
    assert table_grid(t) == [["h", "i", ""], ["wide", "wide", "wide"]]


def test_empty_table() -> None:
    assert table_grid(_table("<table></table>")) == []
