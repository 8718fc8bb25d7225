"""Report attachments (govcrawl.documents): the real PDF against its golden figures, round
trips through generated PDF/DOCX/XLSX, the official template, broken inputs, sniffing, and
the resource bounds."""

from __future__ import annotations

import json
import random
import shutil
import struct
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from govcrawl.documents import (
    document_kind,
    filename_of,
    is_document_response,
    limit_resources,
    read_document,
)
from govcrawl.documents.legacy import read_legacy_word
from govcrawl.documents.text import collapse_cjk_spaces, join_cell_lines
from govcrawl.report.analyse import STAT_KEYS, analyse_page
from govcrawl.report.figures import TABLE_FIGURES
from simweb.documents import (
    Table,
    grid_of,
    html_error_page,
    report_docx,
    report_pdf,
    report_xls,
    report_xlsx,
    truncated,
)
from tests.golden import load_golden

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "documents"
HONGZE = FIXTURES / "hongze_qu_2023_report.pdf"
# The official blank template of the 2021 format (国办公开办函〔2021〕30号), from shared/samples.
TEMPLATE = Path(__file__).parent / "fixtures" / "documents" / "gbgkb_2021_format_template_from_govnianbao.docx"
FIGURE_FLAGS = ("t2_", "t3_", "t4_", "no_")

assert limit_resources  # re-exported for the caller's process pool; tested in a child below


def _flag_rule(flag: str) -> str:
    return flag.split(":", 1)[0]


# ------------------------------------------------------------------ the real PDF

@pytest.fixture(scope="module")
def hongze():
    return read_document(HONGZE.read_bytes(), "http://www.hongze.gov.cn/xxgk/2023nb.pdf",
                         "application/pdf")


def test_hongze_pdf_gives_the_golden_figures(hongze) -> None:
    golden = next(d for d in load_golden() if d.id == "hongze_qu_2023")
    assert hongze.kind == "pdf" and hongze.pages == 5 and hongze.flags == []
    record = analyse_page(hongze.html.encode(), "http://www.hongze.gov.cn/xxgk/2023nb.pdf")
    stats = record["stats"]
    for key in STAT_KEYS:  # all 16; null in the golden = absent
        assert stats.get(key) == golden.stats[key], key
    for flag in golden.flags:
        assert flag in record["flags"]
    expected_rules = {_flag_rule(f) for f in golden.flags}
    unexpected = [f for f in record["flags"]
                  if f.startswith(FIGURE_FLAGS) and _flag_rule(f) not in expected_rules]
    assert unexpected == []
    assert record["format"] == golden.format == "std2021"
    assert record["fields"]["year"] == 2023


def test_hongze_pdf_text_reads_right(hongze) -> None:
    text = hongze.text
    # The title from the metadata (UTF-16LE with a BOM, which pdfminer shows as mojibake).
    assert hongze.title == "洪泽区人民政府2023年政府信息公开工作年度报告"
    assert "<title>洪泽区人民政府2023年政府信息公开工作年度报告</title>" in hongze.html
    # Justified lines: pdfplumber puts spaces between the characters; they are gone.
    assert "邮编：223100，电话：0517-87222589，电子邮箱：" in text
    assert "4.无正当理由大量反复申请" in text and "大量反复 申请" not in text
    # A paragraph wrapped over lines and over a page break is one line.
    assert "严格执行“分级审核、先审后发”程序，落实“三审三校”制度" in text
    assert "主动公开政府信息 1136 条。" in text
    # Headings stay paragraphs of their own; the page numbers ("- 1 -") are dropped.
    lines = text.splitlines()
    for heading in ("一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
                    "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况",
                    "六、其他需要报告的事项"):
        assert heading in lines
    assert not any(line.strip("- ").isdigit() for line in lines)
    # The tables are real tables: the printed typo and the contradicting T4 kept as printed.
    assert "2.其他法律行政止公开 | 0 | 0 | 0 | 0 | 0 | 0 | 0" in lines
    assert "10 | 1 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 5 | 0 | 0 | 0 | 0" in lines
    assert "rowspan=" in hongze.html and "colspan=" in hongze.html
    json.dumps(hongze.to_dict(), ensure_ascii=False)


def test_reading_starts_no_threads() -> None:
    before = threading.active_count()
    read_document(HONGZE.read_bytes(), "a.pdf")
    assert threading.active_count() == before


# ------------------------------------------------------------------ generated documents

T3_ROWS = (  # (group label, rows) as in the official 2021 template
    (None, ["一、本年新收政府信息公开申请数量", "二、上年结转政府信息公开申请数量"]),
    ("三、本年度办理结果", None),
)
NOT_DISCLOSED = ["1.属于国家秘密", "2.其他法律行政法规禁止公开", "3.危及“三安全一稳定”",
                 "4.保护第三方合法权益", "5.属于三类内部事务信息", "6.属于四类过程性信息",
                 "7.属于行政执法案卷", "8.属于行政查询事项"]
UNABLE = ["1.本机关不掌握相关政府信息", "2.没有现成信息需要另行制作", "3.补正后申请内容仍不明确"]
NOT_PROCESSED = ["1.信访举报投诉类申请", "2.重复申请", "3.要求提供公开出版物", "4.无正当理由大量反复申请",
                 "5.要求行政机关确认或重新出具已获取信息"]
OTHER = ["1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
         "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", "3.其他"]
SECTIONS = ["一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
            "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况", "六、其他需要报告的事项"]


def _row(values: list[int]) -> list[str]:
    """Six applicant columns and their printed 总计."""
    return [str(v) for v in values] + [str(sum(values))]


def standard_report(seed: int) -> tuple[list[str], list[Table], dict[str, int]]:
    """Paragraphs and the three 2021-format tables (labels and merges of the official template)
    with random figures, and the key figures they state (computed here, from the numbers)."""
    rng = random.Random(seed)

    def applicants(high: int) -> list[int]:
        return [rng.randint(0, high), rng.randint(0, 3), 0, rng.randint(0, 2), 0, rng.randint(0, 1)]

    t2: Table = [
        [("第二十条第（一）项", 1, 4)],
        ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"],
        ["规章", *(str(rng.randint(0, 9)) for _ in range(3))],
        ["行政规范性文件", *(str(rng.randint(0, 60)) for _ in range(3))],
        [("第二十条第（五）项", 1, 4)],
        ["信息内容", ("本年处理决定数量", 1, 3)],
        ["行政许可", (str(rng.randint(0, 900)), 1, 3)],
        [("第二十条第（六）项", 1, 4)],
        ["信息内容", ("本年处理决定数量", 1, 3)],
        ["行政处罚", (str(rng.randint(0, 5000)), 1, 3)],
        ["行政强制", (str(rng.randint(0, 300)), 1, 3)],
        [("第二十条第（八）项", 1, 4)],
        ["信息内容", ("本年收费金额（单位：万元）", 1, 3)],
        ["行政事业性收费", (f"{rng.randint(0, 9000)}.{rng.randint(10, 99)}", 1, 3)],
    ]
    groups = {"disclosed": [applicants(30)], "partial": [applicants(5)],
              "not_disclosed": [applicants(2) for _ in NOT_DISCLOSED],
              "unable": [applicants(9) for _ in UNABLE],
              "not_processed": [applicants(3) for _ in NOT_PROCESSED],
              "other": [applicants(2) for _ in OTHER]}
    handled = [sum(col) for col in zip(*(r for rows in groups.values() for r in rows), strict=True)]
    carried_over = applicants(4)
    carried_forward = applicants(3)
    new = [h + f - c for h, f, c in zip(handled, carried_forward, carried_over, strict=True)]
    new = [max(0, v) for v in new]  # keep counts natural; the balance need not hold exactly
    t3: Table = [
        [("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", 3, 3),
         ("申请人情况", 1, 7)],
        [("自然人", 2, 1), ("法人或其他组织", 1, 5), ("总计", 2, 1)],
        ["商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"],
        [("一、本年新收政府信息公开申请数量", 1, 3), *_row(new)],
        [("二、上年结转政府信息公开申请数量", 1, 3), *_row(carried_over)],
        [("三、本年度办理结果", 22, 1), ("（一）予以公开", 1, 2), *_row(groups["disclosed"][0])],
        [("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", 1, 2),
         *_row(groups["partial"][0])],
    ]
    for head, labels, key in (("（三）不予公开", NOT_DISCLOSED, "not_disclosed"),
                              ("（四）无法提供", UNABLE, "unable"),
                              ("（五）不予处理", NOT_PROCESSED, "not_processed"),
                              ("（六）其他处理", OTHER, "other")):
        for i, (label, values) in enumerate(zip(labels, groups[key], strict=True)):
            first = [(head, len(labels), 1)] if i == 0 else []
            t3.append([*first, label, *_row(values)])
    t3.append([("（七）总计", 1, 2), *_row(handled)])
    t3.append([("四、结转下年度继续办理", 1, 3), *_row(carried_forward)])
    assert sum(len(r) for r in t3[5:-1]) and len(t3) == 3 + 2 + 22 + 1
    t4_values = [rng.randint(0, 6) for _ in range(4)]
    lit_direct = [rng.randint(0, 4) for _ in range(4)]
    lit_after = [rng.randint(0, 3) for _ in range(4)]
    t4_row = [*t4_values, sum(t4_values), *lit_direct, sum(lit_direct), *lit_after, sum(lit_after)]
    heads = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
    t4: Table = [
        [("行政复议", 1, 5), ("行政诉讼", 1, 10)],
        [*((h, 2, 1) for h in heads), ("未经复议直接起诉", 1, 5), ("复议后起诉", 1, 5)],
        heads + heads,
        [str(v) for v in t4_row],
    ]
    proactive, fees = rng.randint(100, 5000), 0
    paragraphs = [
        SECTIONS[0],
        "本年度，本机关坚持以习近平新时代中国特色社会主义思想为指导，认真贯彻落实《中华人民共和国政府信息公开条例》，"
        f"全面推进政务公开工作。全年在政府网站主动公开政府信息 {proactive} 条。",
        SECTIONS[1], SECTIONS[2], SECTIONS[3],
        SECTIONS[4], "政务公开工作仍存在不足，下一步将进一步加强培训，规范依申请公开办理流程。",
        SECTIONS[5], f"本年度全年收取政府信息公开信息处理费 {fees} 元。",
    ]
    expected = {
        "applications_new": sum(new), "applications_carried_over": sum(carried_over),
        "disclosed": sum(groups["disclosed"][0]), "partially_disclosed": sum(groups["partial"][0]),
        "not_disclosed": sum(map(sum, groups["not_disclosed"])),
        "unable_to_provide": sum(map(sum, groups["unable"])),
        "not_processed": sum(map(sum, groups["not_processed"])),
        "other_handling": sum(map(sum, groups["other"])),
        "handled_total": sum(handled), "carried_forward": sum(carried_forward),
        "reconsideration_total": sum(t4_values), "litigation_direct_total": sum(lit_direct),
        "litigation_after_reconsideration_total": sum(lit_after),
        "litigation_total": sum(lit_direct) + sum(lit_after),
        "proactive_disclosures": proactive, "fees": fees,
    }
    return paragraphs, [t2, t3, t4], expected


TITLE = "某某县人民政府2023年政府信息公开工作年度报告"
TABLE_STATS = list(TABLE_FIGURES)  # the figures a standard table states


def _generate(kind: str, seed: int) -> tuple[bytes, dict[str, int]]:
    paragraphs, tables, expected = standard_report(seed)
    if kind == "pdf":
        return report_pdf(TITLE, paragraphs, tables), expected
    if kind == "docx":
        return report_docx(TITLE, paragraphs, tables), expected
    # A workbook holds the tables only: the text figures are not in it.
    expected = {k: v for k, v in expected.items() if k in TABLE_STATS}
    if kind == "xls":
        return minimal_xls(TITLE, tables), expected
    return report_xlsx(TITLE, tables), expected


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("kind", ["pdf", "docx", "xlsx", "xls"])
def test_round_trip_gives_the_figures_put_in(kind: str, seed: int) -> None:
    body, expected = _generate(kind, seed)
    url = f"http://www.example.gov.cn/xxgk/2023nb.{kind}"
    doc = read_document(body, url)
    assert doc.kind == kind and doc.flags == [], doc.flags
    assert doc.title == TITLE
    record = analyse_page(doc.html.encode(), url)
    got = {k: record["stats"].get(k) for k in STAT_KEYS}
    assert got == {k: expected.get(k) for k in STAT_KEYS}
    assert record["format"] == "std2021"
    assert not [f for f in record["flags"] if f.startswith(("t2_", "t3_", "t4_"))], record["flags"]
    # The merged cells of the template come back as spans.
    assert "rowspan='22'" in doc.html and "colspan='7'" in doc.html
    if kind in ("pdf", "docx"):
        for heading in SECTIONS:
            assert heading in doc.text.splitlines()
        assert "全年在政府网站主动公开政府信息" in doc.text


def test_generated_pdf_cjk_text_is_exact() -> None:
    paragraphs = ["政府信息公开工作坚持“公开为常态、不公开为例外”原则，" * 4]
    doc = read_document(report_pdf(TITLE, paragraphs), "a.pdf")
    assert doc.text.splitlines() == [TITLE, paragraphs[0]]


def test_unruled_pdf_table_rows_stay_rows() -> None:
    """Rows of a table without rules are lines with wide gaps: never joined to each other or
    to prose, and their right-aligned numbers do not move the prose's right margin."""
    import io

    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    out = io.BytesIO()
    page = canvas.Canvas(out)
    page.setFont("STSong-Light", 12)
    y = 750
    for label, value in [("信息内容", "本年处理决定数量"), ("行政许可", "550"), ("行政处罚", "4119")]:
        page.drawString(60, y, label)
        page.drawRightString(540, y, value)
        y -= 20
    page.drawString(60, y, "本年度政府信息公开工作取得了新的进展，主动公开政府信息一千余条，依申请公开")
    page.drawString(60, y - 20, "办理及时。")
    page.save()
    doc = read_document(out.getvalue(), "a.pdf")
    assert doc.text.splitlines() == [
        "信息内容 本年处理决定数量", "行政许可 550", "行政处罚 4119",
        "本年度政府信息公开工作取得了新的进展，主动公开政府信息一千余条，依申请公开办理及时。"]


@pytest.mark.parametrize(("raw", "clean"), [
    ("政 府 信 息 公 开", "政府信息公开"),
    ("2023 年", "2023 年"),
    ("号 ， 邮 编 ： 223100 ， 电 话", "号，邮编：223100，电话"),
    ("“三安全一稳定” 情形", "“三安全一稳定”情形"),
    ("hzzwgk@126.com ）。", "hzzwgk@126.com）。"),
    ("Open Government 信息", "Open Government 信息"),
])
def test_collapse_cjk_spaces(raw: str, clean: str) -> None:
    assert collapse_cjk_spaces(raw) == clean


@pytest.mark.parametrize(("raw", "clean"), [
    ("商业\n企业", "商业企业"),
    ("三\n、\n本\n年\n度", "三、本年度"),
    ("5.要求行政机关确认或重 新出具\n已获取信息", "5.要求行政机关确认或重新出具已获取信息"),
    ("total\ncount", "total count"),
])
def test_join_cell_lines(raw: str, clean: str) -> None:
    assert join_cell_lines(raw) == clean


# ------------------------------------------------------------------ the official template

def test_official_template_docx() -> None:
    doc = read_document(TEMPLATE.read_bytes(), "http://www.gov.cn/template.docx")
    assert doc.kind == "docx" and doc.flags == []
    lines = doc.text.splitlines()
    for heading in SECTIONS:
        assert heading in lines
    for label in [*NOT_DISCLOSED, *UNABLE, *NOT_PROCESSED, *OTHER, "（七）总计",
                  "四、结转下年度继续办理", "第二十条第（八）项", "未经复议直接起诉", "复议后起诉"]:
        assert label in doc.text, label
    html = doc.html
    for cell in ("<td rowspan='22'>三、本年度办理结果", "<td colspan='7'>申请人情况",
                 "<td rowspan='8'>（三）不予公开", "<td rowspan='3'>（六）其他处理",
                 "<td colspan='10'>行政诉讼", "<td colspan='4'>第二十条第（一）项"):
        assert cell in html, cell
    record = analyse_page(html.encode(), "http://www.gov.cn/template.docx")
    assert record["format"] == "std2021"


# ------------------------------------------------------------------ broken and odd inputs

def test_scanned_pdf_needs_ocr() -> None:
    paragraphs, tables, _ = standard_report(3)
    doc = read_document(report_pdf(TITLE, paragraphs, tables, scanned=True), "a.pdf")
    assert doc.kind == "pdf" and doc.text == ""
    assert "needs_ocr" in doc.flags
    assert f"needs_ocr_pages: {doc.pages}/{doc.pages}" in doc.flags


@pytest.mark.parametrize("kind", ["pdf", "docx", "xlsx", "xls"])
@pytest.mark.parametrize("keep", [0.3, 0.6, 0.9])
def test_truncated_documents_are_flagged_not_raised(kind: str, keep: float) -> None:
    body, _ = _generate(kind, 4)
    doc = read_document(truncated(body, keep), f"http://x.gov.cn/a.{kind}")
    assert doc.kind == kind
    assert any(f.startswith(("damaged_document", "unreadable_document")) for f in doc.flags), \
        doc.flags
    json.dumps(doc.to_dict())


def test_truncated_pdf_keeps_its_first_pages() -> None:
    paragraphs = [f"第{i}段：本年度政府信息公开工作稳步推进，主动公开政府信息{i}条。" for i in range(400)]
    body = report_pdf(TITLE, paragraphs)
    doc = read_document(truncated(body, 0.7), "a.pdf")
    assert any(f.startswith("damaged_document") for f in doc.flags)
    assert "第1段：本年度政府信息公开工作稳步推进，主动公开政府信息1条。" in doc.text.splitlines()


def test_truncated_docx_keeps_partial_text() -> None:
    paragraphs = [f"第{i}段：本年度政府信息公开工作稳步推进。" for i in range(3000)]
    doc = read_document(truncated(report_docx(TITLE, paragraphs), 0.8), "a.docx")
    assert any(f.startswith("damaged_document") for f in doc.flags)
    assert "第1段：本年度政府信息公开工作稳步推进。" in doc.text.splitlines()


def test_truncated_xlsx_keeps_partial_cells() -> None:
    rows: Table = [[f"行{i}", str(i)] for i in range(20_000)]
    doc = read_document(truncated(report_xlsx(TITLE, [rows]), 0.8), "a.xlsx")
    assert any(f.startswith("damaged_document") for f in doc.flags), doc.flags
    assert "行1 | 1" in doc.text.splitlines()


def test_pypdf_fallback_reads_text() -> None:
    # What runs when pdfminer cannot open a file and the repair does not help either.
    from govcrawl.documents.pdf import PdfReading, _read_with_pypdf

    body = report_pdf(TITLE, ["一、总体情况", "主动公开政府信息 1136 条。"])
    result = _read_with_pypdf(body, PdfReading(), ValueError("pdfminer"))
    assert result.blocks == [TITLE, "一、总体情况", "主动公开政府信息 1136 条。"]
    assert (result.flags, result.title, result.pages) == (["damaged_document: ValueError"],
                                                          TITLE, 1)


def test_encrypted_pdf() -> None:
    import io

    from reportlab.lib import pdfencrypt
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    page = canvas.Canvas(out, encrypt=pdfencrypt.StandardEncryption("secret", canModify=0))
    page.drawString(100, 700, "report")
    page.save()
    doc = read_document(out.getvalue(), "a.pdf")
    assert any(f.startswith("encrypted") for f in doc.flags), doc.flags


def test_html_error_page_for_a_pdf_url() -> None:
    doc = read_document(html_error_page(), "http://x.gov.cn/files/2023nb.pdf", "application/pdf")
    assert doc.kind == "html"
    assert "not_a_document: HTML page served for a document URL" in doc.flags
    assert doc.title == "404 Not Found"


def test_random_bytes_and_other_kinds() -> None:
    noise = random.Random(5).randbytes(5000)
    doc = read_document(noise, "http://x.gov.cn/download.jsp?id=1")
    assert (doc.kind, doc.flags) == ("unknown", ["unreadable_format: unknown"])
    import io
    import zipfile
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("a.txt", "x")
    assert read_document(out.getvalue(), "a.zip").flags == ["unreadable_format: zip"]
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 100
    assert read_document(png, "a.png").flags == ["needs_ocr"]
    assert read_document(b"", "a.pdf").flags == ["unreadable_document: empty body"]
    garbage_pdf = b"%PDF-1.4\n" + noise
    doc = read_document(garbage_pdf, "a.pdf")
    assert doc.kind == "pdf" and any(f.startswith("unreadable_document") for f in doc.flags)


def test_xls_writer_is_not_available() -> None:
    with pytest.raises(NotImplementedError):
        report_xls(TITLE, [])


_END, _FREE, _FATSECT, _NONE = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF


def _compound_file(name: str, data: bytes) -> bytes:
    """An OLE2 compound file (v3, 512-byte sectors) with one stream of >= 4096 bytes (so no
    mini stream is needed): header, one FAT sector, one directory sector, the stream."""
    data = data.ljust(max(4096, len(data)), b"\0")
    data += b"\0" * (-len(data) % 512)
    sectors = len(data) // 512
    assert 2 + sectors <= 128  # one FAT sector maps 128 sectors
    fat = [_FATSECT, _END] + [2 + i + 1 for i in range(sectors - 1)] + [_END]
    fat += [_FREE] * (128 - len(fat))

    def entry(entry_name: str, kind: int, child: int, start: int, size: int) -> bytes:
        raw = entry_name.encode("utf-16-le") + b"\0\0"
        return (raw.ljust(64, b"\0") + struct.pack("<HBBIII", len(raw), kind, 1, _NONE, _NONE,
                                                    child) + b"\0" * 36
                + struct.pack("<IQ", start, size))

    directory = (entry("Root Entry", 5, 1, _END, 0) + entry(name, 2, _NONE, 2, len(data)))
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16
              + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\0" * 6
              + struct.pack("<9I", 0, 1, 1, 0, 4096, _END, 0, _END, 0)
              + struct.pack("<I", 0) + struct.pack("<I", _FREE) * 108)
    return header + struct.pack("<128I", *fat) + directory.ljust(512, b"\0") + data


def minimal_word97(paragraphs: list[str]) -> bytes:
    """The smallest Word 97 file catdoc reads: a WordDocument stream with a file information
    block (magic, fExtChar, fcMin/fcMac) and the text in UTF-16LE, paragraphs ended by CR,
    table cells by 0x07. No piece table or styles: Word itself would want more, but catdoc's
    own parser reads real .doc files exactly this way (src/analyze.c, src/reader.c)."""
    text = "\r".join(paragraphs).encode("utf-16-le") + b"\r\0"
    fib = bytearray(0x400)
    struct.pack_into("<HHHH", fib, 0, 0xA5EC, 0xC1, 0x6A62, 0x0804)  # magic, nFib 97, zh-CN
    struct.pack_into("<H", fib, 10, 0x1000)  # fExtChar: the text is Unicode
    struct.pack_into("<II", fib, 24, len(fib), len(fib) + len(text))
    return _compound_file("WordDocument", bytes(fib) + text)


def _record(kind: int, data: bytes = b"") -> bytes:
    return struct.pack("<HH", kind, len(data)) + data


def _biff_string(text: str, length_format: str = "<H") -> bytes:
    """A BIFF8 Unicode string: its length, the "uncompressed UTF-16" flag, the characters."""
    return struct.pack(length_format, len(text)) + b"\x01" + text.encode("utf-16-le")


def minimal_xls(title: str, tables: list[Table]) -> bytes:
    """A BIFF8 workbook (Excel 97) with one sheet per table, the title merged across its first
    row like ``report_xlsx``: BOF, fonts, XFs, BOUNDSHEETs, then per sheet DIMENSIONS, LABEL /
    NUMBER cells and MERGEDCELLS. Minimal, but real BIFF8: xlrd and catdoc's xls2csv read it.
    (simweb's ``report_xls`` stays NotImplementedError: no maintained writer exists.)"""
    bof = lambda kind: _record(0x0809, struct.pack("<HHHHII", 0x0600, kind, 0x0DBB, 0x07CC, 0, 6))  # noqa: E731
    font = _record(0x0031, struct.pack("<HHHHHBBBB", 200, 0, 0x7FFF, 400, 0, 0, 0, 0, 0)
                   + _biff_string("SimSun", "<B"))
    xf = lambda style: _record(0x00E0, struct.pack(  # noqa: E731
        "<HHHBBBBIIH", 0, 0, 0xFFF5 if style else 1, 0x20, 0, 0, 0, 0, 0, 0x20C0))
    sheets = []
    for table in tables:
        grid, spans = grid_of(table)
        width = max(1, len(grid[0]) if grid else 1)
        body = bof(0x10) + _record(0x0200, struct.pack("<IIHHH", 0, len(grid) + 1, 0, width, 0))
        body += _record(0x0204, struct.pack("<HHH", 0, 0, 15) + _biff_string(title))
        for r, row in enumerate(grid, 1):
            for c, text in enumerate(row):
                if not text:
                    continue
                if text.isdigit():
                    body += _record(0x0203, struct.pack("<HHHd", r, c, 15, float(text)))
                else:
                    body += _record(0x0204, struct.pack("<HHH", r, c, 15) + _biff_string(text))
        merges = [(0, 0, 0, width - 1)] + [(r + 1, r + rs, c, c + cs - 1) for r, c, rs, cs in spans]
        body += _record(0x00E5, struct.pack("<H", len(merges))
                        + b"".join(struct.pack("<HHHH", *m) for m in merges))
        sheets.append(body + _record(0x000A))
    head = bof(0x05) + _record(0x0042, struct.pack("<H", 1200)) + font * 5
    head += b"".join(xf(True) for _ in range(15)) + xf(False)
    names = [f"表{i + 1}" for i in range(len(sheets))]
    bound_len = sum(len(_record(0x0085, b"\0" * 6 + _biff_string(n, "<B"))) for n in names)
    offset = len(head) + bound_len + len(_record(0x000A))
    for name, sheet in zip(names, sheets, strict=True):
        head += _record(0x0085, struct.pack("<IBB", offset, 0, 0) + _biff_string(name, "<B"))
        offset += len(sheet)
    return _compound_file("Workbook", head + _record(0x000A) + b"".join(sheets))


DOC_PARAGRAPHS = [TITLE, "一、总体情况", "本年度主动公开政府信息 1136 条。",
                  "信息内容\x07本年制发件数\x07本年废止件数\x07\x07规章\x070\x075\x07\x07",
                  "六、其他需要报告的事项", "全年收取信息处理费 0 元。"]


@pytest.mark.skipif(shutil.which("catdoc") is None,
                    reason="catdoc is not installed (scripts/debian-packages.sh installs it)")
@pytest.mark.parametrize(("url", "kind"), [("http://x.gov.cn/a.doc", "doc"),
                                           ("http://x.gov.cn/2023nb.wps", "wps"),
                                           ("http://x.gov.cn/d.jsp?id=1", "doc")])
def test_doc_and_wps_through_catdoc(url: str, kind: str) -> None:
    body = minimal_word97(DOC_PARAGRAPHS)
    assert document_kind(body, url) == kind
    doc = read_document(body, url, "application/octet-stream")
    assert (doc.kind, doc.flags, doc.title) == (kind, [], TITLE)
    assert doc.text.splitlines() == [
        TITLE, "一、总体情况", "本年度主动公开政府信息 1136 条。",
        "信息内容 | 本年制发件数 | 本年废止件数", "规章 | 0 | 5",
        "六、其他需要报告的事项", "全年收取信息处理费 0 元。"]
    record = analyse_page(doc.html.encode(), url)
    assert record["stats"]["proactive_disclosures"] == 1136 and record["stats"]["fees"] == 0


def test_doc_without_catdoc_is_unreadable_format(monkeypatch) -> None:
    monkeypatch.setattr("govcrawl.documents.legacy.catdoc_path", lambda: None)
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600
    doc = read_document(ole, "http://x.gov.cn/a.doc")
    assert doc.kind == "doc"
    assert doc.flags == ["unreadable_format: doc: catdoc is not installed "
                         "(scripts/debian-packages.sh installs it)"]


def test_catdoc_failure_is_a_flag(tmp_path) -> None:
    fake = tmp_path / "catdoc"
    fake.write_text("#!/bin/sh\necho 'broken file' >&2\nexit 1\n")
    fake.chmod(0o755)
    result = read_legacy_word(b"\xd0\xcf\x11\xe0", "wps", catdoc=str(fake))
    assert result.flags == ["unreadable_format: wps: catdoc exit 1 (broken file)"]
    slow = tmp_path / "slow"
    slow.write_text("#!/bin/sh\nsleep 5\n")
    slow.chmod(0o755)
    result = read_legacy_word(b"x", "doc", timeout=0.2, catdoc=str(slow))
    assert result.flags == ["unreadable_format: doc: catdoc timed out after 0.2s"]


# ------------------------------------------------------------------ sniffing

UTF8_NAME = 'attachment; filename="2023年报.pdf"'.encode().decode("latin-1")
GBK_NAME = 'attachment; filename="2023年报.pdf"'.encode("gbk").decode("latin-1")


@pytest.mark.parametrize(("disposition", "name"), [
    (None, None),
    ("inline", None),
    ('attachment; filename="report.pdf"', "report.pdf"),
    ("attachment; filename=report.docx", "report.docx"),
    (UTF8_NAME, "2023年报.pdf"),
    (GBK_NAME, "2023年报.pdf"),
    ("attachment; filename*=UTF-8''2023%E5%B9%B4%E6%8A%A5.pdf", "2023年报.pdf"),
    ("attachment; filename=\"fallback.pdf\"; filename*=utf-8''%E5%B9%B4%E6%8A%A5.xlsx", "年报.xlsx"),
    ("attachment; filename=%C4%EA%B1%A8.doc", "年报.doc"),  # GBK, percent-encoded
    ("attachment; filename=%E5%B9%B4%E6%8A%A5.doc", "年报.doc"),  # UTF-8, percent-encoded
    ('attachment; filename="C:\\\\upload\\\\年报.wps"', "年报.wps"),
])
def test_filename_of(disposition, name) -> None:
    assert filename_of(disposition) == name


PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504


@pytest.mark.parametrize(("body", "url", "ctype", "disposition", "kind"), [
    (PDF, "http://x.gov.cn/download.jsp?id=123", "application/octet-stream",
     UTF8_NAME, "pdf"),
    (PDF, "http://x.gov.cn/a.doc", "text/html", None, "pdf"),  # bytes beat the server's word
    (OLE, "http://x.gov.cn/download.jsp?id=123", "application/octet-stream",
     'attachment; filename="年报.doc"', "doc"),
    (OLE, "http://x.gov.cn/files/2023nb.wps", None, None, "wps"),
    (OLE, "http://x.gov.cn/files/2023nb.xls", None, None, "xls"),
    (OLE, "http://x.gov.cn/down?id=1", "application/octet-stream",
     GBK_NAME.replace(".pdf", ".xls"), "xls"),
    (OLE, "http://x.gov.cn/down?file=a.WPS", None, None, "wps"),
    (html_error_page(), "http://x.gov.cn/a.pdf", "application/pdf", None, "html"),
    (b"\n\n<!doctype html><html><body>x", "a.docx", None, None, "html"),
    (b"\xff\xd8\xff\xe0\0\x10JFIF", "a.pdf", None, None, "image"),
    (b"\x89PNG\r\n\x1a\n", "a", None, None, "image"),
    (b"hello", "a.bin", "application/octet-stream", None, "unknown"),
    (b"hello", "http://x.gov.cn/a.pdf", "application/pdf", None, "pdf"),  # claimed, not shown
])
def test_document_kind(body, url, ctype, disposition, kind) -> None:
    assert document_kind(body, url, ctype, disposition) == kind


def test_document_kind_of_office_zips() -> None:
    docx = report_docx(TITLE, ["x"])
    xlsx = report_xlsx(TITLE, [[["a"]]])
    assert document_kind(docx, "http://x/download.jsp?id=1") == "docx"
    assert document_kind(docx, "http://x/a.doc", "application/msword") == "docx"
    assert document_kind(xlsx, "http://x/a.xls") == "xlsx"
    assert document_kind(truncated(docx, 0.5), "x") == "docx"  # from the local headers
    assert document_kind(truncated(xlsx, 0.5), "x") == "xlsx"


@pytest.mark.parametrize(("ctype", "disposition", "url", "answer"), [
    ("application/pdf", None, "http://x/a", True),
    ("application/msword", None, "http://x/a", True),
    ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", None, "x", True),
    ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", None, "x", True),
    ("application/vnd.ms-excel; charset=gbk", None, "x", True),
    ("application/octet-stream", None, "http://x/files/2023nb.pdf", True),
    ("application/octet-stream", None, "http://x/download.jsp?id=123", False),
    ("application/octet-stream", UTF8_NAME, "http://x/download.jsp?id=123", True),
    ("application/octet-stream", 'inline; filename="a.docx"', "http://x/d?id=1", True),
    ("application/octet-stream", 'inline; filename="a.exe"', "http://x/d?id=1", False),
    (None, None, "http://x/a.xlsx", True),
    (b"application/x-download", None, "http://x/a.wps", True),
    ("text/html; charset=utf-8", None, "http://x/a.pdf", False),
    ("text/html", None, "http://x/list.html", False),
    ("image/jpeg", None, "http://x/a.jpg", False),
    ("application/zip", 'attachment; filename="a.zip"', "http://x/a.zip", True),
])
def test_is_document_response(ctype, disposition, url, answer) -> None:
    assert is_document_response(ctype, disposition, url) is answer


# ------------------------------------------------------------------ resource bounds

def _run_limited(code: str, memory_mb: int = 1024, timeout: float = 240) -> dict:
    """Run ``code`` in a child whose address space ``limit_resources`` caps; it prints JSON."""
    script = textwrap.dedent("""
        import json, sys
        from govcrawl.documents import limit_resources, read_document
        limit_resources(int(sys.argv[1]))
    """) + textwrap.dedent(code)
    done = subprocess.run([sys.executable, "-c", script, str(memory_mb)], capture_output=True,
                          text=True, timeout=timeout, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_limit_resources_caps_the_address_space() -> None:
    out = _run_limited("""
        import resource
        try:
            bytearray(2 * 1024 ** 3)
            hit = False
        except MemoryError:
            hit = True
        print(json.dumps({"hit": hit, "as": resource.getrlimit(resource.RLIMIT_AS)[0],
                          "core": resource.getrlimit(resource.RLIMIT_CORE)}))
    """, memory_mb=1024)
    assert out == {"hit": True, "as": 1024 * 1024 * 1024, "core": [0, 0]}


def test_pdf_page_bomb_is_bounded() -> None:
    # 30,000 pages (distinct objects: pdfminer reads a page object only once) in 3 MB.
    out = _run_limited("""
        n = 30_000
        kids = " ".join(f"{6 + i} 0 R" for i in range(n))
        objects = [
            "<< /Type /Catalog /Pages 2 0 R >>",
            f"<< /Type /Pages /Kids [{kids}] /Count {n} /MediaBox [0 0 200 200] "
            "/Resources << /Font << /F1 5 0 R >> >> >>",
            "<< >>",
        ]
        stream = "BT /F1 12 Tf 20 100 Td (bomb page) Tj ET"
        objects.append(f"<< /Length {len(stream)} >>\\nstream\\n{stream}\\nendstream")
        objects.append("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
        objects += ["<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>"] * n
        # Parts joined once (body += part would copy up to 3 MB 30,000 times: ~20 s).
        parts, offsets = [b"%PDF-1.4\\n"], []
        size = len(parts[0])
        for i, obj in enumerate(objects, 1):
            offsets.append(size)
            parts.append(f"{i} 0 obj\\n{obj}\\nendobj\\n".encode())
            size += len(parts[-1])
        body = b"".join(parts)
        xref = len(body)
        body += f"xref\\n0 {len(objects) + 1}\\n0000000000 65535 f \\n".encode()
        body += "".join(f"{o:010d} 00000 n \\n" for o in offsets).encode()
        body += f"trailer\\n<< /Size {len(objects) + 1} /Root 1 0 R >>\\n".encode()
        body += f"startxref\\n{xref}\\n%%EOF\\n".encode()
        doc = read_document(body, "bomb.pdf", max_pages=50)
        print(json.dumps({"flags": doc.flags, "pages": doc.pages,
                          "lines": len(doc.text.splitlines())}))
    """)
    assert out["flags"] in (["truncated_document: read 50 of 30000 pages"],
                            ["unreadable_document: memory"]), out
    if out["flags"][0].startswith("truncated"):
        assert out["pages"] == 30_000 and out["lines"] == 50


def test_xlsx_zip_bomb_is_bounded() -> None:
    # A sheet of 2 million cells that zips to a few hundred KB.
    out = _run_limited("""
        import io, zipfile
        from simweb.documents import report_xlsx
        small = report_xlsx("bomb", [[["a", "b"]]])
        source = zipfile.ZipFile(io.BytesIO(small))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
            for item in source.infolist():
                data = source.read(item)
                if item.filename == "xl/worksheets/sheet1.xml":
                    rows = "".join(
                        f'<row r="{r}">' + "".join(f'<c r="{c}{r}"><v>{r}</v></c>'
                                                     for c in "ABCDEFGHIJ") + "</row>"
                        for r in range(1, 200_001))
                    head, _, rest = data.decode().partition("<sheetData>")
                    _, _, tail = rest.partition("</sheetData>")
                    data = (head + "<sheetData>" + rows + "</sheetData>" + tail).encode()
                bomb.writestr(item, data)
        body = out.getvalue()
        doc = read_document(body, "bomb.xlsx")
        print(json.dumps({"size": len(body), "flags": doc.flags,
                          "rows": len(doc.text.splitlines())}))
    """)
    assert out["size"] < 5_000_000
    assert out["flags"] in (["truncated_document: more than 200000 cells"],
                            ["unreadable_document: memory"]), out


def test_docx_bombs_are_bounded() -> None:
    # 1,000,000 paragraphs (43 MB of XML in 170 KB) under a 400 MB cap, and a document.xml
    # inflating past the part-size cap.
    out = _run_limited("""
        import io, zipfile
        from simweb.documents import report_docx

        def bomb(n):
            source = zipfile.ZipFile(io.BytesIO(report_docx("bomb", ["x"])))
            out = io.BytesIO()
            with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
                for item in source.infolist():
                    data = source.read(item)
                    if item.filename == "word/document.xml":
                        text = "<w:p><w:r><w:t>政府信息</w:t></w:r></w:p>" * n
                        data = data.replace(b"<w:body>", b"<w:body>" + text.encode())
                    archive.writestr(item, data)
            return out.getvalue()

        flags = [read_document(bomb(n), "bomb.docx").flags for n in (1_000_000, 1_600_000)]
        print(json.dumps({"flags": flags}))
    """, memory_mb=400)
    many, huge = out["flags"]
    assert many in (["truncated_document: more than 200000 paragraphs and cells"],
                    ["unreadable_document: memory"]), many
    assert huge == ["unreadable_document: word/document.xml inflates beyond 64 MB"]


def test_memory_error_becomes_a_flag(monkeypatch) -> None:
    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr("govcrawl.documents.word.read_docx", exhausted)
    doc = read_document(report_docx(TITLE, ["x"]), "a.docx")
    assert (doc.kind, doc.flags) == ("docx", ["unreadable_document: memory"])


def _with_merges(body: bytes, refs: list[str]) -> bytes:
    """The workbook with ``refs`` added to its first sheet's merged ranges."""
    import io
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(body))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                merges = "".join(f'<mergeCell ref="{ref}"/>' for ref in refs).encode()
                data = data.replace(b"</mergeCells>", merges + b"</mergeCells>", 1)
            archive.writestr(item, data)
    return out.getvalue()


def test_xlsx_merge_bombs_are_bounded() -> None:
    # Regression inputs of the audit (M10): 60 merged ranges of 99,999 cells each in 5 KB took
    # 7.9 s and 1 GB; ranges as wide as the sheet allows stretched every row to 16,384 columns.
    # Each stays within the sheet it sits on, in time and memory (400 MB cap).
    out = _run_limited("""
        import time
        from openpyxl.utils import get_column_letter
        from tests.test_documents import _with_merges
        from simweb.documents import report_xlsx

        columns = [get_column_letter(600 + i) for i in range(60)]
        tall = _with_merges(report_xlsx("bomb", [[["a", "b"], ["c", "d"]]]),
                            [f"{c}1:{c}99999" for c in columns])
        wide = _with_merges(report_xlsx("bomb", [[["a", "b"]] * 1000]),
                            [f"B{r}:XFD{r}" for r in range(2, 1002)])
        found = {}
        for name, body in (("tall", tall), ("wide", wide)):
            start = time.perf_counter()
            doc = read_document(body, "bomb.xlsx")
            found[name] = {"size": len(body), "seconds": time.perf_counter() - start,
                           "flags": doc.flags, "width": max(len(line.split(" | "))
                                                            for line in doc.text.splitlines())}
        print(json.dumps(found))
    """, memory_mb=400)
    assert out["tall"]["size"] < 6000 and out["wide"]["size"] < 20_000, out
    for found in out.values():
        assert found["flags"] == [] and found["width"] == 2, out
        assert found["seconds"] < 0.5, out


def test_overlapping_merges_are_flagged() -> None:
    body = _with_merges(report_xlsx("t", [[["a", "b"], ["c", "d"]]]),
                        ["A1:B3", "A2:B3", "A1:A3"])
    doc = read_document(body, "a.xlsx")
    assert doc.flags == ["damaged_document: merged ranges cover more than the sheet's 6 cells"]
    assert "t" in doc.text


@pytest.mark.parametrize(("merges", "kept", "flagged"), [
    ([(0, 0, 0, 1)], [(0, 0, 0, 1)], False),                 # the title across the table
    ([(0, 0, 99_998, 0)], [(0, 0, 2, 0)], False),             # cut to the grid's height
    ([(0, 1, 0, 16_383)], [(0, 1, 0, 1)], False),             # cut to the grid's width
    ([(0, 647, 99_998, 647), (5, 0, 6, 0)], [], False),       # starting outside: nothing
    ([(0, 0, 1, 1)] * 3, [(0, 0, 1, 1)], False),              # repeated entries count once
    ([(0, 0, 2, 1), (1, 0, 2, 1)], [(0, 0, 2, 1)], True),     # more cells than the grid has
])
def test_clip_merges(merges, kept, flagged) -> None:
    from govcrawl.documents.sheets import clip_merges

    result, flag = clip_merges(merges, 3, 2)
    assert (result, flag is not None) == (kept, flagged)


def _time(call, *args):
    """The result and this thread's CPU seconds (not wall time: the suite runs on more workers
    than cores, and a call waiting for a core is not a slow call)."""
    import time

    start = time.thread_time()
    result = call(*args)
    return result, time.thread_time() - start


def test_pdf_repair_is_linear() -> None:
    # Regression inputs of the audit (M10): 8000 headers sharing one endobj took 4.9 s (the
    # same number) and 7.4 s with 900 MB (distinct numbers); one object numbered 9,999,999
    # made a 200 MB cross-reference table.
    import io

    import pdfplumber

    from govcrawl.documents.pdf import repair_pdf

    same = b"%PDF-1.4\n" + b"1 0 obj << /Type /Page >> " * 8000 + b"endobj\n"
    distinct = b"%PDF-1.4\n" + b"".join(b"%d 0 obj << /Type /Page >> " % n
                                        for n in range(1, 8001)) + b"endobj\n"
    (_, how), seconds = _time(repair_pdf, same)
    assert seconds < 0.5 and how == "page tree rebuilt from 1 page objects"
    (out, how), seconds = _time(repair_pdf, distinct)
    assert seconds < 0.5 and how == "page tree rebuilt from 8000 page objects"
    assert len(out) < 3 * len(distinct)
    (out, _), seconds = _time(repair_pdf, b"%PDF-1.4\n9999999 0 obj << /Type /Page "
                                          b"/MediaBox [0 0 10 10] >> endobj\n")
    assert seconds < 0.5 and len(out) < 1000
    with pdfplumber.open(io.BytesIO(out)) as pdf:
        assert len(pdf.pages) == 1


def test_pdf_repair_caps_the_object_count(monkeypatch) -> None:
    from govcrawl.documents import pdf

    monkeypatch.setattr(pdf, "MAX_REPAIR_OBJECTS", 3)
    body = b"%PDF-1.4\n" + b"".join(b"%d 0 obj << /Type /Page >> endobj\n" % n
                                    for n in range(1, 6))
    out, how = pdf.repair_pdf(body)
    assert how == "page tree rebuilt from 3 page objects; objects after the first 3 dropped"
    assert b"4 0 obj << /Type /Page >>" not in out and b"/Count 3" in out


def test_xlsx_entities_are_refused_through_a_declared_defusedxml() -> None:
    # openpyxl defuses its XML only when defusedxml is installed: declared, not left to Scrapy's
    # dependencies (review L7).
    import tomllib

    import openpyxl

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert any(d.startswith("defusedxml") for d in project["dependencies"])
    assert openpyxl.DEFUSEDXML
    import io
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(report_xlsx("t", [[["a", "b"]]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<worksheet", b'<!DOCTYPE w [<!ENTITY a "expanded">]>'
                                    b"<worksheet", 1).replace(b"<t>a</t>", b"<t>&a;</t>")
            archive.writestr(item, data)
    # openpyxl refuses the sheet (without defusedxml it expands the entity); the salvage reads
    # the cells without resolving it.
    doc = read_document(out.getvalue(), "a.xlsx")
    assert doc.flags == ["damaged_document: ValueError"] and "expanded" not in doc.text
    assert "b" in doc.text
