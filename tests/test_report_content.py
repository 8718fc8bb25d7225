"""Choosing the article container that trafilatura reads."""

from __future__ import annotations

import lxml.html

from govcrawl.report.extract import content_element

PARA = "<p>" + "本机关全年主动公开政府信息一千二百条，收到政府信息公开申请十二件。" * 4 + "</p>"


def tree(body: str) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(f"<html><body>{body}</body></html>")


def test_layout_table_cell_named_content_is_the_article() -> None:
    root = tree(f"<table><tr><td class='nav'>首 页 | 信息公开</td></tr>"
                f"<tr><td class='content'>{PARA * 5}</td></tr><tr><td>版权所有</td></tr></table>")
    element = content_element(root)
    assert element is not None and element.get("class") == "content"


def test_innermost_container_wins_when_it_holds_the_text() -> None:
    root = tree(f"<div id='content'><div class='title'>标题</div><div id='zoom'>{PARA * 5}</div></div>")
    element = content_element(root)
    assert element is not None and element.get("id") == "zoom"


def test_container_with_only_part_of_the_text_is_not_used() -> None:
    # The tables sit after the named container: reading only the container would lose them.
    root = tree(f"<div class='zoom'>{PARA * 2}</div><div class='tables'>{PARA * 3}</div>")
    assert content_element(root) is None


def test_page_without_a_named_container_is_read_whole() -> None:
    assert content_element(tree(f"<div class='wrap'>{PARA * 5}</div>")) is None
    assert content_element(tree("")) is None
