"""normalize_text: pinyin, '?' mojibake, Traditional → Simplified, widths, spaces, spam."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govcrawl.report.normalize import (
    NormalizedText,
    is_mostly_traditional,
    normalize_for_reading,
    normalize_text,
    strip_pinyin,
    to_simplified,
)
from govcrawl.report.textstats import text_stats

FIXTURES = Path(__file__).parent / "fixtures"
SEEDS = FIXTURES / "report" / "seeds"


def seed(name: str) -> str:
    return next(SEEDS.glob(f"{name}_*.txt")).read_text(encoding="utf-8")


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


# --- the seeds --------------------------------------------------------------------------------

def test_seed_001_traditional_with_pinyin():
    result = normalize_text(seed("001"))
    assert isinstance(result, NormalizedText)
    assert result.flags == ["pinyin_removed", "mojibake_repaired", "traditional_converted"]
    assert not re.search("[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ]", result.text)
    assert "?" not in result.text
    assert to_simplified(result.text) == result.text  # nothing Traditional left
    assert result.text.startswith("一、总体情况\n2023年,彩云镇紧紧围绕建设服务型政府、提高服务质量的总要求")
    assert "取得了明显成效。现将彩云镇政府信息公开2023年工作情况汇报如下" in result.text
    assert "掌上曲靖、彩云之窗、学习强国、曲靖日报等平台" in result.text
    assert "第二十条第(一)项" in result.text  # real brackets kept
    assert "本年收费金额(单位:万元)" in result.text
    assert "未收到依申请公开政府信息申请" in result.text
    assert result.text.count("\n") == seed("001").count("\n")  # line breaks kept


def test_seed_002_question_mark_mojibake():
    raw = seed("002")
    result = normalize_text(raw)
    assert result.flags == ["mojibake_repaired"]
    assert "?" not in result.text
    assert "现将全年工作情况报告如下:\n一、总体公开情况\n" in result.text
    assert "以“加强政务公开工作 保障民众从政府信息中获益”为题" in result.text  # was a NBSP
    assert "各县区、各部门主要领导" in result.text
    assert "\n125\n|\n0\n|\n0\n|\n2\n|\n0\n|\n4\n|\n131\n" in result.text  # table cells clean
    assert squeeze(result.text) == squeeze(raw.replace("?", ""))  # nothing but '?' removed


@pytest.mark.parametrize("name", ["000", "004"])
def test_clean_simplified_seeds_untouched(name):
    raw = seed(name)
    result = normalize_text(raw)
    assert result.flags == []
    assert squeeze(result.text) == squeeze(raw)
    assert result.text.count("\n") == raw.strip().count("\n")


def test_seed_003_spam():
    result = normalize_text(seed("003"))
    assert result.flags == ["spam_injection"]
    assert "西甲直播" not in result.text
    assert "省、市、县开展政府信息公开工作的要求" in result.text


def test_samples_untouched():
    for path in (FIXTURES / "text").glob("*.txt"):
        raw = path.read_text(encoding="utf-8")
        result = normalize_text(raw)
        assert result.flags == [], path.name
        assert squeeze(result.text) == squeeze(raw), path.name


# --- pinyin -----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("彩云鎮(zhèn)緊緊圍繞建設(shè)服務(wù)型政府", "彩云镇紧紧围绕建设服务型政府"),
        ("機關（guān）", "机关"),  # full-width brackets
        ("(一)主动公开 APP(app) 景县(2019年)", "(一)主动公开 APP(app) 景县(2019年)"),
        ("手机客户端(app)和微信(wechat)", "手机客户端(app)和微信(wechat)"),
        ("方案(a)稿", "方案(a)稿"),  # toneless, no tone-marked annotation anywhere
        ("鎮(zhèn)和縣(xian)", "镇和县"),  # toneless taken once a tool clearly ran
        ("咖啡(café)", "咖啡(café)"),  # not a syllable
    ],
)
def test_pinyin(raw, expected):
    assert normalize_text(raw).text == expected


def test_existing_helpers_still_work():
    assert strip_pinyin("彩云鎮(zhèn)緊緊圍繞建設(shè)服務(wù)型政府") == "彩云鎮緊緊圍繞建設服務型政府"
    assert strip_pinyin("(一)主动公开 APP(app) 景县(2019)") == "(一)主动公开 APP(app) 景县(2019)"
    assert to_simplified("師宗縣彩云鎮政府信息公開工作年度報告") == "师宗县彩云镇政府信息公开工作年度报告"
    assert normalize_for_reading("發佈時間：２０２４－０１－２２") == "发布时间:2024-01-22"


# --- Traditional → Simplified -----------------------------------------------------------------

def test_simplified_text_is_not_converted():
    # a Simplified text quoting a few Traditional characters (乾县 is a real county) stays as is
    raw = "乾县人民政府2018年政府信息公开工作年度报告。以后继续推进，後续工作另行部署。干部队伍建设。"
    result = normalize_text(raw)
    assert result.text == raw
    assert "traditional_converted" not in result.flags
    assert not is_mostly_traditional(raw)


def test_traditional_text_is_converted():
    raw = "本機關於2019年1月1日起實施《條例》，以後將繼續推進政府資訊公開工作，乾淨俐落。"
    result = normalize_text(raw)
    assert result.flags == ["traditional_converted"]
    assert "本机关于2019年1月1日起实施《条例》" in result.text
    assert "以后将继续推进" in result.text
    assert "干净" in result.text


# --- '?' mojibake -----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("raw", "expected", "flagged"),
    [
        ("现将工作情况报告如下:?\n一、总体情况?", "现将工作情况报告如下:\n一、总体情况", True),
        ("加强政务公开工作?保障民众获益", "加强政务公开工作 保障民众获益", True),
        ("各县区?、各部门", "各县区、各部门", True),
        ("共收到申请。?a件", "共收到申请。a件", True),  # no clause before it, no URL word
        ("|\n??7\n|\n0??\n|", "|\n7\n|\n0\n|", True),
        ("取得了明显成效?,F(xiàn)将工作汇报如下", "取得了明显成效。现将工作汇报如下", True),
        ("群众问:如何申请政府信息公开?", "群众问:如何申请政府信息公开?", False),
        ("这样做对吗?", "这样做对吗?", False),
        ("详见http://www.x.gov.cn/col/a.jsp?id=12&p=1。", "详见http://www.x.gov.cn/col/a.jsp?id=12&p=1。", False),
        ("网址:www.jingxian.gov.cn/index.php?c=1", "网址:www.jingxian.gov.cn/index.php?c=1", False),
        ("路径a/b?x=1", "路径a/b?x=1", False),  # a path and a query, no scheme or www.
        ("政府信息公开？", "政府信息公开？", False),  # full-width: a real question mark
    ],
)
def test_question_marks(raw, expected, flagged):
    result = normalize_text(raw)
    assert result.text == expected
    assert ("mojibake_repaired" in result.flags) is flagged


# --- widths and spaces ------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("２０２２年收到申请１３１件", "2022年收到申请131件"),
        ("ＡＰＰ和ｗｗｗ．ｘ．ｃｎ", "APP和www．x．cn"),
        ("增长３．５％，占比１０％", "增长3.5%，占比10%"),
        ("（一）依申请公开，同比增长。、", "（一）依申请公开，同比增长。、"),
        ("一、总体情况\u3000\u3000本年度\xa0\xa0共  收到", "一、总体情况 本年度 共 收到"),
        ("  第一行  \n\n\n\n  第二行\t\t", "第一行\n\n第二行"),
        ("零\u200b宽\ufeff字符", "零宽字符"),
        ("a\r\nb\rc", "a\nb\nc"),
    ],
)
def test_width_and_spaces(raw, expected):
    assert normalize_text(raw).text == expected


def test_empty():
    assert normalize_text("") == NormalizedText("", [])


# --- properties and cost ----------------------------------------------------------------------

ALPHABET = st.sampled_from(
    list("政府信息公开申请件条元年鎮縣關報發機關乾後干后的了在是 \n?？(（)）:：，。、0123456789０１２zhènguānabc")
    + ["鎮(zhèn)", "關（guān）", "?,F(xiàn)", "西甲直播:", "http://a.cn/x.jsp?id=1", "\u3000", "\xa0"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(ALPHABET, max_size=60).map("".join))
def test_normalize_is_idempotent_and_total(raw):
    once = normalize_text(raw)
    twice = normalize_text(once.text)
    assert twice.text == once.text
    assert "西甲直播" not in once.text
    text_stats(once.text)  # never raises


def test_cost_on_a_15kb_report():
    raws = [seed(n) for n in ("000", "001", "002", "003", "004")]
    raws = [(r * (15000 // len(r) + 1))[:15000] for r in raws]
    for raw in raws:
        text_stats(normalize_text(raw).text)  # warm up (OpenCC, caches)
    runs = 10
    # CPU time of this thread, not wall time: the suite runs on more workers than cores, and a
    # text waiting for a core is not a slow text.
    start = time.thread_time()
    for _ in range(runs):
        for raw in raws:
            text_stats(normalize_text(raw).text)
    per_text = (time.thread_time() - start) / (runs * len(raws))
    # ~3 ms measured; the bound leaves room for a slow CI machine, not for quadratic blowups
    assert per_text < 0.025
