"""decode_html: BOM, HTTP charset, meta charset, detection, with a mojibake check."""

from __future__ import annotations

import random

import pytest

from govcrawl.encoding import decode_html, normalize_charset

GBK_ONLY = "朱镕基 陶喆 王堃"  # not in GB2312: lost by a strict gb2312 decode
TEXT = "景县2018年政府信息公开工作年度报告。本年度报告由景县人民政府编制。" + GBK_ONLY


def page(charset_decl: str = "", text: str = TEXT) -> str:
    meta = (
        f'<meta http-equiv="Content-Type" content="text/html; charset={charset_decl}">'
        if charset_decl
        else ""
    )
    return f"<html><head>{meta}<title>年报</title></head><body><p>{text}</p></body></html>"


def test_gb2312_meta_without_header_keeps_gbk_only_characters():
    html = page("gb2312")
    text, enc = decode_html(html.encode("gb18030"))
    assert enc == "gb18030"
    assert text == html
    assert GBK_ONLY in text


def test_meta_charset_html5_form_is_read():
    html = (
        '<html><head><meta charset="GBK"><title>年报</title></head><body>' + TEXT + "</body></html>"
    )
    assert decode_html(html.encode("gb18030"), "text/html") == (html, "gb18030")


@pytest.mark.parametrize("header", ["text/html; charset=utf-8", "text/html; charset=UTF-8"])
def test_utf8_header_over_gbk_body_falls_back_to_meta(header):
    html = page("gb2312")
    text, enc = decode_html(html.encode("gb18030"), header)
    assert (text, enc) == (html, "gb18030")
    assert "\ufffd" not in text


@pytest.mark.parametrize(
    "header",
    [
        "text/html; charset=iso-8859-1",
        "text/html; charset=ISO-8859-1",
        "text/html;charset=windows-1252",
        "text/html; charset=us-ascii",
    ],
)
def test_latin1_header_over_gbk_body_is_not_silent_mojibake(header):
    html = page("gb2312")
    assert decode_html(html.encode("gb18030"), header) == (html, "gb18030")


@pytest.mark.parametrize("header", ["text/html; charset=utf-8", "text/html; charset=iso-8859-1"])
def test_wrong_header_over_undeclared_gbk_body_is_detected(header):
    html = page()
    assert decode_html(html.encode("gb18030"), header) == (html, "gb18030")


def test_undeclared_gbk_is_detected():
    html = page()
    text, enc = decode_html(html.encode("gb18030"), "text/html")
    assert (text, enc) == (html, "gb18030")


def test_short_undeclared_gbk_is_detected():
    html = "<p>景县人民政府</p>"
    assert decode_html(html.encode("gbk")) == (html, "gb18030")


def test_utf8_bom_wins_and_is_stripped():
    html = page("gb2312")
    text, enc = decode_html(b"\xef\xbb\xbf" + html.encode("utf-8"), "text/html; charset=gbk")
    assert (text, enc) == (html, "utf-8")


def test_utf16_bom():
    html = page()
    assert decode_html(b"\xff\xfe" + html.encode("utf-16-le")) == (html, "utf-16-le")


def test_utf8_body_under_stale_gb2312_meta_is_utf8():
    html = page("gb2312")
    assert decode_html(html.encode("utf-8")) == (html, "utf-8")


def test_header_beats_meta_when_both_are_sane():
    html = page("utf-8")  # meta lies, header tells the truth
    assert decode_html(html.encode("gb18030"), "text/html; charset=GBK") == (html, "gb18030")


def test_plain_utf8_page():
    html = page("utf-8")
    assert decode_html(html.encode("utf-8"), "text/html; charset=utf-8") == (html, "utf-8")


def test_real_latin1_page_is_kept():
    html = "<html><head><meta charset=iso-8859-1></head><body>Café crème, déjà vu, naïve façade.</body></html>"
    text, enc = decode_html(html.encode("latin-1"))
    assert text == html and enc == "cp1252"


def test_big5_declared_page():
    html = '<html><head><meta charset="big5"></head><body>彩雲鎮政府資訊公開年度報告</body></html>'
    text, _ = decode_html(html.encode("big5"))
    assert text == html


def test_undecodable_declared_charset_is_ignored():
    html = page()
    assert decode_html(html.encode("utf-8"), "text/html; charset=no-such-codec") == (html, "utf-8")


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\x00" * 100,
        bytes(range(256)) * 20,
        random.Random(7).randbytes(5000),
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>stream\x89\x9a\xff\x00endstream",
    ],
)
@pytest.mark.parametrize(
    "content_type", [None, "text/html; charset=utf-8", "text/html; charset=", ";;;"]
)
def test_garbage_never_raises(body, content_type):
    text, enc = decode_html(body, content_type)
    assert isinstance(text, str) and isinstance(enc, str)


def test_none_body_does_not_raise():
    assert decode_html(None) == ("", "utf-8")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        ("gb2312", "gb18030"),
        ("GB2312", "gb18030"),
        ("gbk", "gb18030"),
        ("x-gbk", "gb18030"),
        ("cp936", "gb18030"),
        ("GB_2312-80", "gb18030"),
        ("gb18030", "gb18030"),
        ("utf8", "utf-8"),
        ("UTF-8", "utf-8"),
        ("utf-16", "utf-8"),
        ("iso-8859-1", "cp1252"),
        ("latin1", "cp1252"),
        ("big5", "big5hkscs"),
        ("shift_jis", "shift_jis"),
        ("bogus", None),
        ("", None),
        (None, None),
    ],
)
def test_normalize_charset(label, codec):
    assert normalize_charset(label) == codec
