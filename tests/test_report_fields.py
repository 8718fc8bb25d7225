"""Pure field readers: split_issuer, report_year, published_date, read_fields."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from govcrawl.report.fields import (
    ReportFields,
    published_date,
    read_fields,
    report_year,
    split_issuer,
)
from govcrawl.report.normalize import normalize_for_reading, strip_pinyin, to_simplified

SEEDS = Path(__file__).parent / "fixtures" / "report" / "seeds"


def seed(prefix: str) -> str:
    return next(SEEDS.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")


# ----------------------------------------------------------------------------- split_issuer


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("师宗县财政局", ("师宗县", "county", "财政局")),
        ("横现河街道办事处", ("横现河街道", "township", None)),
        ("横现河街道办", ("横现河街道", "township", None)),
        ("沧源佤族自治县人民政府", ("沧源佤族自治县", "county", None)),
        ("沧源自治县政府", ("沧源自治县", "county", None)),
        ("上海市人民政府办公厅", ("上海市", "province", None)),
        ("阜新市", ("阜新市", "prefecture", None)),
        ("阜新市人民政府办公室", ("阜新市", "prefecture", None)),
        ("师宗县彩云镇人民政府", ("彩云镇", "township", None)),
        ("云南省曲靖市师宗县彩云镇人民政府", ("彩云镇", "township", None)),
        ("彩云镇政府", ("彩云镇", "township", None)),
        ("中共师宗县委宣传部", ("师宗县", "county", "县委宣传部")),
        ("师宗县教育体育局", ("师宗县", "county", "教育体育局")),
        ("景县", ("景县", "county", None)),
        ("景县人民政府", ("景县", "county", None)),
        ("金华市义乌市", ("义乌市", "county", None)),
        ("义乌市", ("义乌市", "prefecture", None)),
        ("红河州蒙自市", ("蒙自市", "county", None)),
        ("德州市", ("德州市", "prefecture", None)),
        ("新乡市", ("新乡市", "prefecture", None)),
        ("乡宁县", ("乡宁县", "county", None)),
        ("北京市海淀区人民政府", ("海淀区", "county", None)),
        ("重庆市石柱土家族自治县", ("石柱土家族自治县", "county", None)),
        ("红河哈尼族彝族自治州", ("红河哈尼族彝族自治州", "prefecture", None)),
        ("和田地区行政公署", ("和田地区", "prefecture", None)),
        ("锡林郭勒盟", ("锡林郭勒盟", "prefecture", None)),
        ("正蓝旗人民政府", ("正蓝旗", "county", None)),
        ("广西壮族自治区人民政府办公厅", ("广西壮族自治区", "province", None)),
        ("黑龙江省", ("黑龙江省", "province", None)),
        ("济南市市中区", ("市中区", "county", None)),
        ("阳泉市城区", ("城区", "county", None)),
        ("城区街道办事处", ("城区街道", "township", None)),
        ("杭州市西湖区西溪街道", ("西溪街道", "township", None)),
        ("苏州工业园区", ("苏州工业园区", "county", None)),
        ("师宗县市场监督管理局", ("师宗县", "county", "市场监督管理局")),
        ("师宗县住房和城乡建设局", ("师宗县", "county", "住房和城乡建设局")),
        ("师宗县城市管理局", ("师宗县", "county", "城市管理局")),
        ("师宗县乡村振兴局", ("师宗县", "county", "乡村振兴局")),
        ("师宗县经济开发区管委会", ("师宗县", "county", "经济开发区管委会")),
        ("师宗县人民政府国有资产监督管理委员会", ("师宗县", "county", "国有资产监督管理委员会")),
        ("景县人民政府网", ("景县", "county", None)),
        ("師宗縣人民政府辦公室", ("师宗县", "county", None)),
        ("彩云鎮(zhèn)", ("彩云镇", "township", None)),
        ("县信息化工作办公室", (None, None, None)),
        ("2022年度政府信息公开工作年度报告", (None, None, None)),
        ("", (None, None, None)),
    ],
)
def test_split_issuer(name, expected):
    assert split_issuer(name) == expected


# ----------------------------------------------------------------------------- report_year


@pytest.mark.parametrize(
    ("title", "text", "year"),
    [
        ("沧源自治县2018年政府信息公开工作年度报告", "", 2018),
        ("师宗县财政局2022年度政府信息公开工作年度报告", "", 2022),
        ("2022年度政府信息公开工作年度报告", "", 2022),
        ("2022年度彩云镇政府信息公开年报", "", 2022),
        ("2022 年度 政府信息公开工作年度报告", "", 2022),
        ("２０２２年度政府信息公开工作年度报告", "", 2022),
        ("师宗县卫生健康局政府信息公开工作年度报告（2021年）", "", 2021),
        ("XX县政府信息公开工作年度报告(2021年度)", "", 2021),
        ("二〇一八年度政府信息公开工作年度报告", "", 2018),
        ("2023年度政府信息公开工作年度报告（2024年1月）", "", 2023),
        ("XX县2023年度政府信息公开工作年度报告 2024年1月20日", "", 2023),
        ("XX县2022年政府信息公开工作年度报告(2023年修订)", "", 2022),
        ("关于XX县2022年度政府信息公开工作年度报告的补充说明", "", 2022),
        ("关于做好2022年度政府信息公开工作年度报告编制发布工作的通知", "", 2022),
        ("2019年上海市人民政府办公厅政府信息公开工作年度报告", "", 2019),
        ("彩云鎮(zhèn)2023年政府信息公開工作年度報(bào)告", "", 2023),
        (
            "政府信息公开工作年度报告",
            "本报告中所列数据的统计期限自2018年1月1日起至2018年12月31日止。",
            2018,
        ),
        (
            "政府信息公开工作年度报告",
            "本年度报告中所列数据统计期限从2019年1月1日到12月31日止。",
            2019,
        ),
        (None, "编制了横现河街道办事处2016年度政府信息公开工作年度报告。", 2016),
        (None, "现将2023年工作情况报告如下：", 2023),
        (None, "现将彩云镇政府信息公开2023年工作情况汇报如下", 2023),
        (None, "附表 政府信息公开情况统计表 (2018年度)", 2018),
        (None, "一、总体情况\n2020年，我局认真贯彻落实条例。", 2020),
        ("年度报告", "发布时间：2024年1月20日\n2023年，全县主动公开信息。2024年将继续推进。", 2023),
        ("年度报告", "2019年1月17日", None),
        ("1999年政府信息公开工作年度报告", "", None),
        ("2999年度政府信息公开工作年度报告", "", None),
        (None, "", None),
        ("", "没有年份的文字", None),
    ],
)
def test_report_year(title, text, year):
    assert report_year(title, text) == year


@pytest.mark.parametrize(
    ("prefix", "year"), [("000", 2018), ("001", 2023), ("002", 2019), ("003", 2016), ("004", 2018)]
)
def test_report_year_from_seed_text_alone(prefix, year):
    assert report_year(None, seed(prefix)) == year


# ----------------------------------------------------------------------------- published_date


@pytest.mark.parametrize(
    ("meta", "text", "date"),
    [
        ({"PubDate": "2019-02-18 10:20"}, "", dt.date(2019, 2, 18)),
        ({"pubdate": "2019-02-18"}, "", dt.date(2019, 2, 18)),
        ({"publishdate": "2019/2/18"}, "", dt.date(2019, 2, 18)),
        ({"PubDate": "20190218"}, "", dt.date(2019, 2, 18)),
        ({"PubDate": "2022年01月20日"}, "", dt.date(2022, 1, 20)),
        ({"PubDate": ""}, "发布时间：2019-02-18", dt.date(2019, 2, 18)),
        ({"PubDate": "not a date"}, "发布日期：2020-01-31", dt.date(2020, 1, 31)),
        ({}, "发布日期：2022年01月20日", dt.date(2022, 1, 20)),
        ({}, "发布时间: 2019-02-18 10:20 来源:县政府办", dt.date(2019, 2, 18)),
        ({}, "发布时间：2019/2/18", dt.date(2019, 2, 18)),
        ({}, "发布时间：２０１９－０２－１８", dt.date(2019, 2, 18)),
        ({}, "發佈時間：2024-01-22", dt.date(2024, 1, 22)),
        (
            {},
            "来源:沧源自治县政府 作者:沧源自治县政府 时间:2019-02-18 点击率:",
            dt.date(2019, 2, 18),
        ),
        ({}, "信息来源：本站 日期：2021.3.5", dt.date(2021, 3, 5)),
        (
            {},
            "景县2018年政府信息公开工作年度报告\n(2019年1月17日)\n本年度报告……",
            dt.date(2019, 1, 17),
        ),
        (
            {},
            "XX镇2022年政府信息公开工作年度报告\n2023年1月16日\n一、总体情况",
            dt.date(2023, 1, 16),
        ),
        ({}, "填报日期:2019年1月11日", None),
        ({}, "成文日期：2019-01-11", None),
        ({}, "发布时间：2019-02-30", None),
        ({}, "一、总体情况\n" + "正文。" * 400 + "\n2017年3月9日", None),
        ({}, "", None),
    ],
)
def test_published_date(meta, text, date):
    assert published_date(meta, text) == date


def test_published_date_prefers_meta_to_text():
    assert published_date({"PubDate": "2019-01-18"}, "(2019年1月17日)") == dt.date(2019, 1, 18)


# ----------------------------------------------------------------------------- read_fields


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        (
            "000",
            ReportFields(
                None,
                2018,
                dt.date(2019, 2, 18),
                "沧源佤族自治县人民政府",
                "沧源佤族自治县",
                "county",
                None,
            ),
        ),
        ("001", ReportFields(None, 2023, None, "彩云镇人民政府", "彩云镇", "township", None)),
        ("002", ReportFields(None, 2019, None, "阜新市人民政府", "阜新市", "prefecture", None)),
        ("003", ReportFields(None, 2016, None, "横现河街道办事处", "横现河街道", "township", None)),
        (
            "004",
            ReportFields(None, 2018, dt.date(2019, 1, 17), "景县人民政府", "景县", "county", None),
        ),
    ],
)
def test_read_fields_from_seed_text_alone(prefix, expected):
    assert read_fields(None, seed(prefix)) == expected


def test_abbreviated_title_gets_full_official_name_from_text():
    f = read_fields("沧源自治县2018年政府信息公开工作年度报告", seed("000"))
    assert (f.region, f.issuer, f.admin_level) == (
        "沧源佤族自治县",
        "沧源佤族自治县人民政府",
        "county",
    )
    assert f.title == "沧源自治县2018年政府信息公开工作年度报告"


def test_traditional_title_with_pinyin_on_county_site():
    f = read_fields(
        "彩云鎮(zhèn)2023年政府信息公開工作年度報(bào)告",
        seed("001"),
        {"ContentSource": "師宗縣人民政府"},
        site_name="师宗县人民政府",
    )
    assert (f.year, f.region, f.admin_level, f.agency) == (2023, "彩云镇", "township", None)


def test_department_title_beats_uploading_office_in_meta():
    f = read_fields(
        "师宗县财政局2022年度政府信息公开工作年度报告",
        "……",
        {"ContentSource": "师宗县人民政府办公室", "PubDate": "2023-01-20"},
    )
    assert (f.issuer, f.region, f.agency, f.year, f.published) == (
        "师宗县财政局",
        "师宗县",
        "财政局",
        2022,
        dt.date(2023, 1, 20),
    )


def test_meta_content_source_names_issuer_when_title_does_not():
    f = read_fields("2022年度政府信息公开工作年度报告", "", {"contentsource": "师宗县自然资源局"})
    assert (f.region, f.agency, f.issuer) == ("师宗县", "自然资源局", "师宗县自然资源局")


def test_meta_without_a_place_is_skipped():
    f = read_fields("彩云镇2022年政府信息公开工作年度报告", "", {"ContentSource": "本站"})
    assert (f.region, f.admin_level) == ("彩云镇", "township")


def test_year_first_title_names_township():
    f = read_fields("2022年度大同镇政府信息公开年报", "")
    assert (f.year, f.region, f.admin_level, f.agency, f.issuer) == (
        2022,
        "大同镇",
        "township",
        None,
        "大同镇人民政府",
    )


def test_bracket_year_title_names_department():
    f = read_fields(
        "师宗县卫生健康局政府信息公开工作年度报告（2021年）", "发布日期：2022年01月20日"
    )
    assert (f.year, f.published, f.agency) == (2021, dt.date(2022, 1, 20), "卫生健康局")


def test_relative_source_line_resolved_against_site():
    f = read_fields(
        "2022年度政府信息公开工作年度报告",
        "发布时间：2023-02-15 来源：县教育体育局\n正文",
        site_name="师宗县人民政府",
    )
    assert (f.region, f.agency, f.issuer) == ("师宗县", "教育体育局", "师宗县教育体育局")


def test_site_name_is_a_fallback():
    f = read_fields("2022年度政府信息公开工作年度报告", "一、总体情况", site_name="景县人民政府网")
    assert (f.region, f.admin_level, f.issuer) == ("景县", "county", "景县人民政府")


def test_county_level_city_named_under_its_prefecture():
    f = read_fields("义乌市2022年政府信息公开工作年度报告", "金华市义乌市人民政府认真贯彻落实……")
    assert (f.region, f.admin_level) == ("义乌市", "county")
    assert read_fields("义乌市2022年政府信息公开工作年度报告", "").admin_level == "prefecture"


def test_party_department():
    f = read_fields("中共师宗县委宣传部2022年度政府信息公开工作年度报告", "")
    assert (f.region, f.agency, f.issuer) == ("师宗县", "县委宣传部", "中共师宗县委宣传部")


def test_province_level_office():
    f = read_fields("2019年上海市人民政府办公厅政府信息公开工作年度报告", "发布日期：2020-01-31")
    assert (f.issuer, f.region, f.admin_level, f.agency, f.year, f.published) == (
        "上海市人民政府办公厅",
        "上海市",
        "province",
        None,
        2019,
        dt.date(2020, 1, 31),
    )


def test_empty_input():
    assert read_fields(None, "") == ReportFields()
    assert read_fields("", "", {}, None) == ReportFields()


def test_report_fields_to_dict_is_json_safe():
    f = ReportFields("t", 2018, dt.date(2019, 2, 18), "景县人民政府", "景县", "county", None)
    assert f.to_dict()["published"] == "2019-02-18"


# ----------------------------------------------------------------------------- normalisation


def test_strip_pinyin_and_simplify():
    assert (
        strip_pinyin("彩云鎮(zhèn)緊緊圍繞建設(shè)服務(wù)型政府")
        == "彩云鎮緊緊圍繞建設服務型政府"
    )
    assert (
        to_simplified("師宗縣彩云鎮政府信息公開工作年度報告")
        == "师宗县彩云镇政府信息公开工作年度报告"
    )
    assert normalize_for_reading("發佈時間：２０２４－０１－２２") == "发布时间:2024-01-22"


def test_strip_pinyin_leaves_other_brackets():
    assert strip_pinyin("(一)主动公开 APP(app) 景县(2019)") == "(一)主动公开 APP(app) 景县(2019)"


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("来源:XX县政府时间:2019-02-18", dt.date(2019, 2, 18)),  # spans glued together
        ("文章来源：本站发布日期：2020-01-02", dt.date(2020, 1, 2)),
        ("点击数：12时间：2020-05-06", dt.date(2020, 5, 6)),
        ("成文日期：2019-01-11 填报日期：2019-01-12", None),
    ],
)
def test_published_date_labels_glued_to_other_fields(text, date):
    assert published_date({}, text) == date


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("根据本市浦东新区人民政府的部署，浦东新区全面推进政务公开。", "浦东新区"),
        ("全椒县人民政府认真贯彻落实条例，全县政务公开工作……全椒县", "全椒县"),
        ("本溪市人民政府高度重视……本溪市", "本溪市"),
        ("我县人民政府高度重视。", None),
    ],
)
def test_demonstratives_are_not_place_names(text, region):
    assert read_fields(None, text).region == region


@pytest.mark.parametrize(
    ("title", "text", "region"),
    [
        (
            "双江县2018年政府信息公开工作年度报告",
            "双江拉祜族佤族布朗族傣族自治县人民政府",
            "双江拉祜族佤族布朗族傣族自治县",
        ),
        ("石柱县2018年政府信息公开工作年度报告", "重庆市石柱土家族自治县", "石柱土家族自治县"),
        (
            "红河州2018年政府信息公开工作年度报告",
            "红河哈尼族彝族自治州人民政府",
            "红河哈尼族彝族自治州",
        ),
        (
            "景县2018年政府信息公开工作年度报告",
            "景谷傣族彝族自治县来函。景县",
            "景县",
        ),  # another county
    ],
)
def test_abbreviated_autonomous_names_are_expanded(title, text, region):
    assert read_fields(title, text).region == region
