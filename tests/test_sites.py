"""Reading the site list: good rows kept, bad rows reported with their line."""

from __future__ import annotations

from pathlib import Path

from govcrawl.sites import Site, iter_site_args, parse_sites, read_sites


def test_good_rows_are_read_with_optional_columns() -> None:
    sites, errors = parse_sites("name,url,level,region_code\n沧源县,http://www.cangyuan.gov.cn/,county,530927\n师宗县,http://www.shizong.gov.cn/,,\n")
    assert errors == []
    assert sites == [Site("沧源县", "http://www.cangyuan.gov.cn/", "county", "530927"),
                     Site("师宗县", "http://www.shizong.gov.cn/")]


def test_malformed_rows_name_their_line_and_the_rest_is_kept() -> None:
    text = ("name,url,level\n"
            "ok,http://www.a.gov.cn/,county\n"
            "no scheme,www.b.gov.cn,county\n"
            "bad level,http://www.c.gov.cn/,village\n"
            ",http://www.d.gov.cn/\n"
            "too,many,fields,here,x\n"
            "ok2,https://www.e.gov.cn/index.html,\n")
    sites, errors = parse_sites(text, "sites.csv")
    assert [s.name for s in sites] == ["ok", "ok2"]
    assert [e.line for e in errors] == [3, 4, 5, 6]
    assert str(errors[0]).startswith("sites.csv, line 3: URL must start with http")
    assert "village" in errors[1].message


def test_header_without_url_column_is_an_error() -> None:
    sites, errors = parse_sites("name,link\nx,http://www.a.gov.cn/\n")
    assert sites == [] and "missing url" in errors[0].message


def test_gb18030_csv_saved_by_excel_is_read(tmp_path: Path) -> None:
    path = tmp_path / "sites.csv"
    path.write_bytes("name,url\n堃溪镇,http://www.kx.gov.cn/\n".encode("gb18030"))
    sites, errors = read_sites(path)
    assert errors == [] and sites[0].name == "堃溪镇"


def test_missing_file_and_bad_site_url_are_errors_not_crashes(tmp_path: Path) -> None:
    entries = list(iter_site_args(str(tmp_path / "nope.csv"), "http://www.ok.gov.cn/,ftp://x"))
    kinds = [type(e).__name__ for e in entries]
    assert kinds == ["SiteError", "Site", "SiteError"]
