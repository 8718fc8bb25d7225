"""Which titles are disclosure annual reports, and which link texts name their column."""

import pytest

from govcrawl.discovery.titles import (
    canonical,
    is_listed_report_title,
    is_report_column_text,
    is_report_title,
)

REPORTS = [
    "XX县2022年政府信息公开工作年度报告",
    "2022年度XX镇政府信息公开年报",
    "XX县财政局2022年度政府信息公开工作年度报告",
    "XX市人民政府办公室2019年政府信息公开工作年度报告",
    "XX街道办事处2016年度政府信息公开工作年度报告",
    "政府信息公开工作年度报告（2021年）",
    "政府信息公开工作年度报告(2020年度)",
    "沧源自治县2018年政府信息公开工作年度报告",
    "景县2018年政府信息公开工作年度报告",
    "略阳县 2022 年政府信息公开工作年度报告",
    "略阳县\u30002022年\u3000政府信息公开工作年度报告",
    "城关镇２０２２年度政府信息公开工作年度报告",
    "【2020年】白水江镇政府信息公开工作年度报告",
    "〔2021年度〕县教育局政府信息公开工作年度报告",
    "XX縣2020年政府信息公開工作年度報告",
    "XX縣財政局2019年度政府信息公開年度報告",
    "二〇一九年略阳县政府信息公开工作年度报告",
    "略阳县2022年政府信息公开工作年度报告.pdf",
    "略阳县2022年政府信息公开工作年度报告（更正版）",
    "略阳县2022年政府信息公开工作年度报告-县财政局",
    "略阳县2022年政府信息公开工作年度报告_略阳县人民政府",  # a page <title>
    "略阳县2022年政府信息公开工作年度报告 - 政务公开 - 略阳县人民政府",
    "云和县卫生健康局2023年政府信息公开年度报告",
    "2021年XX县人民政府政务公开工作年度报告",
    "XX区2010年政府信息公开工作报告",
    "XX乡2017年信息公开年报",
    "XX县人民政府2015年度政府信息公开年度报告",
]

NOT_REPORTS = [
    "关于做好2022年度政府信息公开工作年度报告编制发布工作的通知",
    "关于XX县2022年政府信息公开工作年度报告的公告",
    "关于报送2021年度政府信息公开工作年度报告的函",
    "关于2020年度政府信息公开工作年度报告的审核意见",
    "XX县2022年政府信息公开工作年度报告的通知",
    "XX县2023年政务公开工作要点",
    "XX县2022年国民经济和社会发展统计公报",
    "2023年XX县政府工作报告",
    "XX县财政局2022年部门决算",
    "XX县教育局2023年部门预算",
    "XX县2022年法治政府建设年度报告",
    "2022年度企业年度报告公示",
    "政府信息公开年报",
    "政府信息公开工作年度报告",
    "XX县2022年政务公开工作总结",
    "我县发布2022年政府信息公开工作年度报告",
    "XX县2022年政府信息公开工作年度报告解读",
    "一图读懂XX县2022年政府信息公开工作年度报告",
    "图解：2022年政府信息公开工作年度报告",
    "2022年政府信息公开工作年度报告模板",
    "XX市开展2021年度政府信息公开工作年度报告评估",
    "XX县2022年政府信息公开工作年度报告发布会召开",
    "XX县2022年政府信息公开指南",
    "",
    "   ",
]


@pytest.mark.parametrize("title", REPORTS)
def test_report_titles_are_recognised(title: str) -> None:
    assert is_report_title(title)


@pytest.mark.parametrize("title", NOT_REPORTS)
def test_notices_plans_and_other_yearly_reports_are_not_reports(title: str) -> None:
    assert not is_report_title(title)


def test_title_table_is_large_enough() -> None:
    assert len(REPORTS) + len(NOT_REPORTS) >= 40


def test_canonical_folds_full_width_traditional_and_whitespace() -> None:
    assert (
        canonical(" ＸＸ縣 ２０２２年\u3000政府信息公開（全文） ") == "XX县2022年政府信息公开(全文)"
    )


@pytest.mark.parametrize(
    "title",
    [
        "XX镇2022年度报告",
        "2022年年报",
        "略阳县发展和改革局2021年政府信息公开工作...",
        "云和县财政局2023年度政府信息公开…",
        "XX县2022年政府信息公...",
    ],
)
def test_listed_titles_in_a_report_column_include_short_and_truncated_forms(title: str) -> None:
    assert is_listed_report_title(title)


@pytest.mark.parametrize(
    "title",
    [
        "关于做好2022年度政府信息...",
        "XX县2022年政务公开工作要...",
        "XX县2022年政府信息化建设...",
        "2022年度企业年报",
        "2022年统计年报",
        "政府信息公开年报",
    ],
)
def test_listed_titles_still_reject_notices_and_other_reports(title: str) -> None:
    assert not is_listed_report_title(title)


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("政府信息公开年报", "http://www.x.gov.cn/zwgk/zfxxgknb/"),
        ("政府信息公开年度报告", "http://www.x.gov.cn/col/col123/index.html"),
        ("政府信息公开工作年度报告", "http://www.x.gov.cn/col/col124/index.html"),
        ("年度报告", "http://www.x.gov.cn/a/"),
        ("年报", "http://www.x.gov.cn/b/"),
        ("乡镇政府信息公开年报", "http://www.x.gov.cn/c/"),
        ("乡镇（街道）信息公开年报", "http://www.x.gov.cn/col/col125/index.html"),
        ("更多>>", "http://www.x.gov.cn/zwgk/ndbg/"),
        ("", "http://www.x.gov.cn/zfxxgknb/index.html"),
        ("more", "http://www.x.gov.cn/xxgk/gknb/index_1.html"),
    ],
)
def test_report_column_links_by_text_or_url(text: str, url: str) -> None:
    assert is_report_column_text(text, url)


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("XX县2022年政府信息公开工作年度报告", "http://www.x.gov.cn/zwgk/ndbg/"),
        ("更多", "http://www.x.gov.cn/zwgk/ndbg/202301/t20230120_123.html"),
        ("统计年报", "http://www.x.gov.cn/tjnb/"),
        ("企业年报", "http://www.x.gov.cn/qynb/"),
        ("法治政府建设年度报告", "http://www.x.gov.cn/fzzf/"),
        ("政策文件", "http://www.x.gov.cn/zcwj/"),
        ("2022年", "http://www.x.gov.cn/zwgk/ndbg/2022/"),
        ("", "http://www.x.gov.cn/zwgk/"),
    ],
)
def test_reports_and_other_columns_are_not_report_columns(text: str, url: str) -> None:
    assert not is_report_column_text(text, url)
