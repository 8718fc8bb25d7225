"""The domain vocabulary has one home each, and every user of it agrees with that home:
document links (govcrawl.documents.kinds), key figures (govcrawl.report.figures), folding
(govcrawl.text.fold) and problem kinds (govcrawl.problems)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govcrawl.discovery.markup import Link
from govcrawl.discovery.plan import attachment_steps, is_download_link
from govcrawl.discovery.titles import canonical, is_report_title
from govcrawl.documents import kinds
from govcrawl.problems import FAILURE_KINDS, CaptureSource, ProblemKind, RunStatus
from govcrawl.report.analyse import STAT_KEYS, analyse_page
from govcrawl.report.figures import (
    FIGURE_NAMES,
    FIGURES,
    OUTCOME_FIGURES,
    TABLE_FIGURES,
    TEXT_FIGURES,
    figure,
)
from govcrawl.report.normalize import normalize_for_reading, strip_pinyin, to_simplified
from govcrawl.report.tables import _T3_RULES, T4_ROWS, key_stats, parse_tables_text
from govcrawl.report.textstats import text_stats
from govcrawl.spiders.annual_reports import _MAY_LINK_DOCUMENTS
from govcrawl.text.fold import T2S, fold, fold_text
from tests.golden import WRAPPERS, load_golden, render_page

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
REPORT_URL = "http://www.x.gov.cn/art/2024/1/20/art_1_1.html"


def _report_page(anchor: str) -> str:
    """A report page whose article holds the text, then ``anchor``."""
    return ("<html><body><div class='nav'><a href='/'>首页</a></div><div id='zoom'>"
            + "<p>正文</p>" * 60 + f"<p>{anchor}</p></div></body></html>")


# ------------------------------------------------------------------ document links


def test_the_spider_precheck_sees_a_getfile_attachment() -> None:
    # The pre-check used to miss this page: its only attachment is a getfile.jsp script.
    page = _report_page('<a href="/getfile.jsp?id=7">附件下载</a>')
    assert [s.url for s in attachment_steps(page, REPORT_URL)] == ["http://www.x.gov.cn/getfile.jsp?id=7"]
    assert _MAY_LINK_DOCUMENTS.search(page.encode("utf-8"))
    assert _MAY_LINK_DOCUMENTS.search(page.encode("gb18030"))


def test_the_spider_precheck_is_derived_from_the_kinds() -> None:
    assert _MAY_LINK_DOCUMENTS is kinds.MAY_LINK_DOCUMENTS


_HINTS = [*kinds.DOWNLOAD_PATH_HINTS, *(ext[1:] for ext in kinds.ATTACHMENT_EXTENSIONS)]


@pytest.mark.parametrize("hint", kinds.DOWNLOAD_PATH_HINTS)
@pytest.mark.parametrize("text", ["附件下载", "附件：2023年报.pdf", "点击下载", "2023年度报告.ofd"])
def test_every_download_script_the_planner_accepts_passes_the_precheck(hint: str, text: str) -> None:
    for path in (f"/{hint}.jsp?id=7", f"/{hint.upper()}/a.do?id=7", f"/x/{hint}file.aspx?f=1"):
        page = _report_page(f'<a href="{path}">{text}</a>')
        assert attachment_steps(page, REPORT_URL), path  # the planner takes it …
        assert _MAY_LINK_DOCUMENTS.search(page.encode("utf-8")), path  # … so the pre-check must


@pytest.mark.parametrize("extension", sorted(kinds.ATTACHMENT_EXTENSIONS))
def test_every_attachment_extension_passes_the_precheck(extension: str) -> None:
    for href in (f"/up/2024/a{extension}", f"/up/A{extension.upper()}",
                 f"/module/downfile.jsp?classid=0&filename=1{extension}", f"/f.do?name=r{extension}&x=1"):
        page = _report_page(f'<a href="{href}">2023年报</a>')
        assert attachment_steps(page, REPORT_URL), href
        assert _MAY_LINK_DOCUMENTS.search(page.encode("utf-8")), href


_SEGMENT = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789._-", max_size=8)


@settings(max_examples=300, deadline=None)
@given(before=_SEGMENT, hint=st.sampled_from(["", *_HINTS, *(h.upper() for h in _HINTS)]),
       after=_SEGMENT, dot=st.sampled_from(["", "."]), query=st.sampled_from(["", "?id=7", "?f=a.pdf"]),
       text=st.sampled_from(["附件", "下载", "返回", "x.docx", "2023年度报告", ""]))
def test_no_download_link_escapes_the_precheck(before: str, hint: str, after: str, dot: str,
                                               query: str, text: str) -> None:
    url = f"http://www.x.gov.cn/d/{before}{dot}{hint}{after}{query}"
    if is_download_link(Link(url, text)):
        page = _report_page(f'<a href="{url}">{text}</a>')
        assert _MAY_LINK_DOCUMENTS.search(page.encode("utf-8")), url


def test_saved_pages_with_attachments_pass_the_precheck() -> None:
    checked = 0
    for path in sorted(FIXTURES.rglob("*.html")):
        body = path.read_bytes()
        if attachment_steps(body.decode("utf-8", "replace"), REPORT_URL):
            checked += 1
            assert _MAY_LINK_DOCUMENTS.search(body), path
    assert checked >= 1


def test_the_users_of_document_kinds_share_them() -> None:
    from govcrawl.discovery import markup
    from govcrawl.documents import route, sniff

    assert markup.is_attachment is kinds.is_attachment  # archive/importer.py reads it there
    assert route.DOCUMENT_KINDS is kinds.DOCUMENT_KINDS
    assert sniff.KINDS is kinds.KINDS and sniff.DOCUMENT_EXTENSIONS is kinds.DOCUMENT_EXTENSIONS
    assert set(kinds.KINDS) > kinds.DOCUMENT_KINDS
    assert set(kinds.DOCUMENT_EXTENSIONS.values()) <= kinds.DOCUMENT_KINDS
    assert set(kinds.CONTENT_TYPES.values()) <= set(kinds.KINDS)
    assert not kinds.ATTACHMENT_EXTENSIONS & kinds.NON_PAGE_EXTENSIONS


# ------------------------------------------------------------------ key figures


def test_stat_keys_is_the_registrys_export_order() -> None:
    assert STAT_KEYS is FIGURE_NAMES
    assert len(FIGURE_NAMES) == len(set(FIGURE_NAMES)) == 16
    assert tuple(n for n in FIGURE_NAMES if figure(n).in_text) == TEXT_FIGURES
    assert tuple(n for n in FIGURE_NAMES if figure(n).table) == TABLE_FIGURES


def test_each_table_figure_names_a_row_the_tables_have() -> None:
    t3_rows = {key for _, key in _T3_RULES}
    for f in FIGURES:
        if f.parts:
            assert all(FIGURE_NAMES.index(p) < FIGURE_NAMES.index(f.name) for p in f.parts), f
        elif f.table == "T3" and f.group:
            assert any(r.startswith(f"{f.row}.") for r in t3_rows), f
        elif f.table == "T3":
            assert f.row in t3_rows, f
        elif f.table == "T4":
            assert f.row in T4_ROWS, f
        else:
            assert f.in_text and f.row is None, f  # a figure nobody could read
    assert [f.row for f in OUTCOME_FIGURES] == ["disclosed", "partially_disclosed",
                                                "not_disclosed", "unable", "not_processed", "other"]


@pytest.fixture(scope="module")
def golden_records() -> list[dict]:
    return [analyse_page(render_page(doc, wrapper), f"http://www.example.gov.cn/{doc.id}.html")
            for doc in load_golden() for wrapper in WRAPPERS]


def test_the_registry_covers_every_figure_the_analysis_emits(golden_records: list[dict]) -> None:
    emitted = {key for record in golden_records for key in record["stats"]}
    assert emitted <= set(FIGURE_NAMES), emitted - set(FIGURE_NAMES)
    assert len(emitted) >= 14  # the golden set states nearly all of them


def test_table_and_text_readers_emit_their_registry_lists(golden_records: list[dict]) -> None:
    for record in golden_records:
        assert set(text_stats(record["text"])) <= set(TEXT_FIGURES)
        assert set(key_stats(parse_tables_text(record["text"]).cells)) <= set(TABLE_FIGURES)


# ------------------------------------------------------------------ folding


def test_one_t2s_table_holds_every_characters_the_three_tables_had() -> None:
    # titles.py's, tables.py's and normalize.py's own tables, now one.
    for traditional, simplified in zip("開報佈製歲欄訊強採執繳當違網財", "开报布制岁栏讯强采执缴当违网财",
                                       strict=True):
        assert T2S[traditional] == simplified
    assert not set(T2S) & set(T2S.values())  # Simplified text is never touched


def test_the_label_fold_serves_titles_and_tables() -> None:
    assert canonical(" ＸＸ縣 ２０２２年\u3000政府信息公開（全文） ") == "XX县2022年政府信息公开(全文)"
    assert fold("行政規(guī)范性文件\u00a0?") == "行政规范性文件"  # table label of seed 001
    assert fold("XX縣財政局2019年度政府信息公開年度報告") == "XX县财政局2019年度政府信息公开年度报告"
    # A title run through a conversion tool is a report title again.
    assert is_report_title("彩云鎮(zhèn)2023年政府信息公開工作年度報(bào)告")


def test_the_reading_fold_keeps_layout_and_real_brackets() -> None:
    assert normalize_for_reading is fold_text
    assert normalize_for_reading("發佈時間：２０２４－０１－２２") == "发布时间:2024-01-22"
    assert fold_text("景县 人民政府\n(一)") == "景县 人民政府\n(一)"
    assert strip_pinyin("(一)主动公开 APP(app) 景县(2019)") == "(一)主动公开 APP(app) 景县(2019)"
    assert strip_pinyin("鎮(zhèn)和縣(xian)") == "鎮和縣"
    assert to_simplified("行政強制") == "行政强制"


# ------------------------------------------------------------------ problem kinds

_CODE = ("govcrawl", "pipelines", "archive")
# (function name, index of the kind among its positional arguments)
_KIND_ARGUMENT = {"problem": 0, "record_problem": 1, "_problem": 2}


def _used_kinds() -> dict[str, list[str]]:
    """Every problem kind the code records, with where: literal strings and ProblemKind members
    passed as the kind of ``problem``/``record_problem``/``_problem``, and ``*PROBLEM_KIND``
    constants."""
    found: dict[str, list[str]] = {}
    for package in _CODE:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            where = str(path.relative_to(ROOT))
            for node in ast.walk(tree):
                kind: ast.expr | None = None
                if isinstance(node, ast.Call):
                    name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
                    if name in _KIND_ARGUMENT:
                        index = _KIND_ARGUMENT[name]
                        kind = node.args[index] if len(node.args) > index else None
                        kind = next((k.value for k in node.keywords if k.arg == "kind"), kind)
                elif isinstance(node, ast.Assign | ast.AnnAssign):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    if any(isinstance(t, ast.Name) and t.id.endswith("PROBLEM_KIND") for t in targets):
                        kind = node.value
                if isinstance(kind, ast.Constant) and isinstance(kind.value, str):
                    found.setdefault(kind.value, []).append(f"{where}:{node.lineno}")
                elif isinstance(kind, ast.Attribute) and getattr(kind.value, "id", "") == "ProblemKind":
                    found.setdefault(f"ProblemKind.{kind.attr}", []).append(f"{where}:{node.lineno}")
    return found


def test_every_problem_kind_in_the_code_is_a_problem_kind() -> None:
    used = _used_kinds()
    values = {k.value for k in ProblemKind}
    members = {f"ProblemKind.{k.name}" for k in ProblemKind}
    unknown = {kind: where for kind, where in used.items() if kind not in values | members}
    assert not unknown, unknown
    assert len(used) >= 12, used  # the scan sees the call sites (a rename would blind it)


def test_failure_kinds_come_from_counts_as_failure() -> None:
    from archive import runs

    assert runs.FAILURE_KINDS == FAILURE_KINDS
    assert set(FAILURE_KINDS) == {"fetch_error", "http_error", "extract_error", "db_error",
                                  "warc_write_error", "antibot_challenge"}
    assert not ProblemKind.SITE_BUDGET.counts_as_failure and ProblemKind.DB_ERROR.counts_as_failure
    assert set(runs.UNFINISHED) == {RunStatus.RUNNING, RunStatus.SHUTDOWN, RunStatus.INTERRUPTED}
    assert [s.value for s in CaptureSource] == ["live", "wayback", "import", "browser"]


# ------------------------------------------------------------------ package facades


def test_importing_one_module_does_not_import_its_package_siblings() -> None:
    code = ("import sys, govcrawl.discovery.titles, govcrawl.documents.kinds, govcrawl.report.figures\n"
            "loaded = sorted(m for m in sys.modules if m.startswith('govcrawl.'))\n"
            "print(' '.join(loaded))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True, timeout=60).stdout.split()
    assert set(out) == {"govcrawl.discovery", "govcrawl.discovery.titles", "govcrawl.documents",
                        "govcrawl.documents.kinds", "govcrawl.report", "govcrawl.report.figures",
                        "govcrawl.text", "govcrawl.text.fold"}, out


def test_the_facades_still_give_their_names() -> None:
    import govcrawl.documents as documents
    import govcrawl.report as report

    assert report.analyse_page is analyse_page
    for package in (report, documents):
        assert all(getattr(package, name) is not None for name in package.__all__)
    with pytest.raises(AttributeError):
        _ = report.no_such_name
