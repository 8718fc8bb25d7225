"""Key figures stated in free text: golden seeds/samples and a table of real-looking sentences."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from govcrawl.report.normalize import normalize_text
from govcrawl.report.textstats import TEXT_FIGURES, parse_number, text_stats, text_stats_spans

FIXTURES = Path(__file__).parent / "fixtures"
GOLDEN = json.loads((FIXTURES / "text" / "golden_text_stats.json").read_text(encoding="utf-8"))
DOCS = GOLDEN["documents"]


@pytest.mark.parametrize("doc", DOCS, ids=[d["text"].rsplit("/", 1)[-1] for d in DOCS])
def test_golden_figures(doc):
    normalized = normalize_text((FIXTURES / doc["text"]).read_text(encoding="utf-8"))
    expected = {key: item["value"] for key, item in doc["stats"].items()}
    assert text_stats(normalized.text) == expected
    spans = text_stats_spans(normalized.text)
    for key, item in doc["stats"].items():
        assert item["evidence"] in normalized.text, key
        span = spans[key]
        assert normalized.text[span.start:span.end] in span.evidence
        # the quoted evidence and the sentence the reader used overlap
        assert normalized.text[span.start:span.end] in item["evidence"] or item["evidence"] in span.evidence
    for key in doc["not_taken"]:
        assert key not in expected


def test_golden_covers_every_key_somewhere():
    seen = {key for doc in DOCS for key in doc["stats"]}
    assert seen >= set(TEXT_FIGURES) - {"disclosed", "partially_disclosed"}


SENTENCES = [
    # applications_new
    ("本年度沧源自治县收到信息公开申请1件,申请方式为当面申请。", {"applications_new": 1}),
    ("2019年共受理政府信息公开申请12件。", {"applications_new": 12}),
    ("全年共收到依申请公开政府信息申请5件，均已按时答复。", {"applications_new": 5}),
    ("本机关全年共收到依申请公开的申请两件。", {"applications_new": 2}),
    ("全年共接到政府信息公开申请十二件。", {"applications_new": 12}),
    ("2017年，我局共受理依申请公开政府信息申请1,024件。", {"applications_new": 1024}),
    ("2018年依申请公开政府信息3件。", {"applications_new": 3}),
    ("2023年未收到依申请公开政府信息申请。", {"applications_new": 0}),
    ("2018年,全县未接到依申请公开事项。", {"applications_new": 0}),
    ("我办共收到政府信息公开申请叁件。", {"applications_new": 3}),
    ("受理行政许可申请1200件，政府信息公开申请3件。", {"applications_new": 3}),
    ("本年度没有收到公民、法人或其他组织提出的政府信息公开申请。", {"applications_new": 0}),
    ("本年度无依申请公开事项。", {"applications_new": 0}),
    ("今年没有群众提出政府信息公开的申请。", {"applications_new": 0}),
    ("共受理行政复议申请3件。", {}),  # not an application for disclosure (and no 公开 context)
    ("全年收到群众咨询120人次，其中信息公开咨询30人次。", {}),
    ("全市各县区政府共受理依申请公开件99件。", {}),  # subordinate governments' sum
    ("本年度共受理政府信息公开申请约50件。", {}),  # hedged
    # how they were answered
    ("三、依申请公开政府信息情况\n共收到申请20件，其中同意公开3件、部分公开1件、不予公开2件。",
     {"applications_new": 20, "disclosed": 3, "partially_disclosed": 1, "not_disclosed": 2}),
    ("对收到的申请，予以公开15件，不予公开0件。", {"disclosed": 15, "not_disclosed": 0}),
    ("答复申请人8件，其中全部公开6件，部分同意公开2件。", {"disclosed": 6, "partially_disclosed": 2}),
    ("予以公开及部分公开258件，占33.9%。", {}),  # one count for two outcomes
    ("主动公开规范性文件12件。", {}),  # not an answer to applications
    # reconsideration and litigation
    ("2018年,本县不存在因政府信息公开申请行政复议及提起行政诉讼情况。",
     {"reconsideration_total": 0, "litigation_total": 0}),
    ("未发生因政府信息公开申请行政复议和行政诉讼的情况。",
     {"reconsideration_total": 0, "litigation_total": 0}),
    ("本年度没有因政府信息公开申请行政复议、提起行政诉讼的情况。",
     {"reconsideration_total": 0, "litigation_total": 0}),
    ("因政府信息公开申请行政复议、提起行政诉讼情况：无。",
     {"reconsideration_total": 0, "litigation_total": 0}),
    ("政府信息公开方面，本年度发生行政复议1件，未发生行政诉讼。",
     {"reconsideration_total": 1, "litigation_total": 0}),
    ("因政府信息公开被申请行政复议2起，提起行政诉讼1起。",
     {"reconsideration_total": 2, "litigation_total": 1}),
    ("政府信息公开行政复议一件。", {"reconsideration_total": 1}),
    ("因政府信息公开申请提起行政复议0件、行政诉讼0件。",
     {"reconsideration_total": 0, "litigation_total": 0}),
    ("因政府信息公开申请行政复议和行政诉讼情况为零。",
     {"reconsideration_total": 0, "litigation_total": 0}),
    ("没有发生因政府信息公开而被申请行政复议的情况，也没有发生行政诉讼。",
     {"reconsideration_total": 0, "litigation_total": 0}),
    ("信息公开类行政复议7件，诉讼9件，均获维持。", {"reconsideration_total": 7, "litigation_total": 9}),
    ("发生2件因依申请公开引起的行政复议和行政诉讼案件。", {}),  # one count for both
    ("全年办理行政复议案件35件。", {}),  # not about disclosure
    # proactive disclosures
    ("全年累计公开政府信息6251条，其中财政预决算信息349条。", {"proactive_disclosures": 6251}),
    ("2016年,主动公开信息26条。", {"proactive_disclosures": 26}),
    ("在政府网站平台主动公开政府信息 1136 条。", {"proactive_disclosures": 1136}),
    ("2019年，主动公开各类政府信息条3万余条。", {}),
    ("主动公开政府信息1.2万条。", {}),
    ("主动公开政府信息近5000条。", {}),
    ("本年度主动公开政府信息共计2,345条。", {"proactive_disclosures": 2345}),
    # fees
    ("全年收取政府信息公开信息处理费 0 元。", {"fees": 0}),
    ("依申请公开政府信息未收取任何费用。", {"fees": 0}),
    ("本年度没有产生信息公开处理费。", {"fees": 0}),
    ("本县不存在政府信息公开收费情况。", {"fees": 0}),
    ("政府信息公开收取检索、复制费用共计120元。", {"fees": 120}),
    ("行政事业性收费0元。", {}),
    ("县财政每年给予2万元用于政府信息公开工作专项经费。", {}),
]


@pytest.mark.parametrize(("sentence", "expected"), SENTENCES)
def test_sentences(sentence, expected):
    assert text_stats(normalize_text(sentence).text) == expected


def test_sentence_table_is_large():
    assert len(SENTENCES) >= 30


@pytest.mark.parametrize(
    ("token", "value"),
    [("0", 0), ("12", 12), ("1,234", 1234), ("3.5", 3.5), ("一", 1), ("两", 2), ("十", 10),
     ("十二", 12), ("二十", 20), ("二十三", 23), ("一百零五", 105), ("三千", 3000), ("零", 0),
     ("〇", 0), ("一万二千", 12000), ("叁拾", 30), ("x", None)],
)
def test_parse_number(token, value):
    assert parse_number(token) == value


def test_first_statement_wins_and_spans_are_exact():
    text = "全年收到政府信息公开申请3件。附：2017年收到政府信息公开申请5件。"
    spans = text_stats_spans(text)
    assert spans["applications_new"].value == 3
    assert text[spans["applications_new"].start:spans["applications_new"].end] == "收到政府信息公开申请3件"


def test_empty_text():
    assert text_stats("") == {}
    assert text_stats_spans("") == {}
