"""The navigation vocabulary: disclosure-section links and unit (township/department) links."""

import pytest

from govcrawl.discovery.navigation import (
    is_section_text,
    is_section_url,
    is_unit_category_text,
    is_unit_name,
)


@pytest.mark.parametrize(
    "text",
    [
        "政务公开",
        "信息公开",
        "政府信息公开",
        "政务信息公开",
        "法定主动公开内容",
        "信息公开目录",
        "政府信息公开目录",
        "部门信息公开",
        "乡镇信息公开",
        "政府信息公开专栏",
        "政府信息公开平台",
        "略阳县政府信息公开",
        "县财政局信息公开",
        "政 务 公 开",
    ],
)
def test_section_texts(text: str) -> None:
    assert is_section_text(text)


@pytest.mark.parametrize(
    "text",
    [
        "政府信息公开指南",
        "政府信息公开制度",
        "政府信息公开年报",
        "依申请公开",
        "重点领域信息公开",
        "政务公开工作要点",
        "政策解读",
        "",
    ],
)
def test_guides_procedures_and_topics_are_not_sections(text: str) -> None:
    assert not is_section_text(text)


@pytest.mark.parametrize(
    "url",
    [
        "http://www.x.gov.cn/zwgk/",
        "http://www.x.gov.cn/xxgk/index.html",
        "http://www.x.gov.cn/zfxxgk/index.shtml",
        "http://xxgk.x.gov.cn/",
        "http://zwgk.x.gov.cn/index.html",
    ],
)
def test_section_urls(url: str) -> None:
    assert is_section_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://www.x.gov.cn/zwgk/zcwj/",
        "http://www.x.gov.cn/zwgk/202301/t20230101_1.html",
        "http://xxgk.x.gov.cn/xxgk/czj/",
        "http://www.x.gov.cn/",
    ],
)
def test_deeper_pages_of_a_section_are_not_section_entries(url: str) -> None:
    assert not is_section_url(url)


@pytest.mark.parametrize(
    "text",
    [
        "城关镇",
        "郭镇",
        "白水江乡",
        "兴州街道",
        "兴州街道办事处",
        "县财政局",
        "县发改委",
        "县卫生健康委员会",
        "县政府办",
        "县人民政府办公室",
        "县政务服务中心",
        "县市场监督管理所",
        "县人民法院",
        "县消防救援大队",
        "略阳县人民政府",
        "县委宣传部",
        "县妇联",
        "经济开发区管委会",
    ],
)
def test_organisation_names_are_units(text: str) -> None:
    assert is_unit_name(text)


@pytest.mark.parametrize(
    "text",
    [
        "新闻中心",
        "下载中心",
        "一网通办",
        "网上办事",
        "法治政府",
        "门户网站",
        "全部",
        "首页",
        "政策文件",
        "2022年财政局",
        "县财政局2022年政府信息公开工作年度报告",
        "",
    ],
)
def test_navigation_words_are_not_units(text: str) -> None:
    assert not is_unit_name(text)


@pytest.mark.parametrize(
    "text",
    [
        "乡镇信息公开",
        "部门信息公开",
        "乡镇（街道）",
        "乡镇(街道)",
        "县直部门",
        "县政府部门",
        "镇街",
    ],
)
def test_unit_categories(text: str) -> None:
    assert is_unit_category_text(text)
