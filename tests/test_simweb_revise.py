"""In-place revisions of the simulated web (``web.revise()``), for incremental re-crawl tests.

Exercised through the running proxy (loopback only) where the crawler would see the change.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from govcrawl.report.analyse import analyse_page
from simweb import Page, Revision, SimulatedWeb, build_large_web, build_test_web

ROOT = Path(__file__).resolve().parent.parent

Snapshot = dict[str, tuple[int, bytes, str, str | None]]

# What revision 1 of the test web re-renders: every list page of the three columns that get a
# new report (TRS 沧源 and plain 景县 are paginated, so their later pages shift too).
FIRST_LISTS = {
    "http://www.cangyuan.gov.cn/zwgk/zfxxgknb/",
    "http://www.cangyuan.gov.cn/zwgk/zfxxgknb/index.html",
    "http://www.cangyuan.gov.cn/zwgk/zfxxgknb/index_1.html",
    "http://www.cangyuan.gov.cn/zwgk/zfxxgknb/index_2.html",
    "http://www.shizong.gov.cn/col/col4521/index.html",
    "http://www.jingxian.gov.cn/xxgk/ndbg/list.asp",
    "http://www.jingxian.gov.cn/xxgk/ndbg/list.asp?page=1",
    "http://www.jingxian.gov.cn/xxgk/ndbg/list.asp?page=2",
    "http://www.jingxian.gov.cn/xxgk/ndbg/list.asp?page=3",
}
FIRST_EDITED = [
    "http://www.cangyuan.gov.cn/zwgk/zfxxgknb/202401/t20240126_512103.html",
    "http://www.shizong.gov.cn/art/2024/1/20/art_4521_88123.html",
    "http://www.jingxian.gov.cn/xxgk/ndbg/content_1105.html",
]
FIRST_ADDED = [
    "沧源佤族自治县财政局2023年度政府信息公开工作年度报告",
    "师宗县财政局2023年度政府信息公开工作年度报告",
    "景县财政局2023年度政府信息公开工作年度报告",
]


# ----------------------------------------------------------------------------- helpers
class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003
        return None


def fetch(web: SimulatedWeb, url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    """GET through the simulated web's proxy (127.0.0.1); HTTP errors come back as responses."""
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({"http": web.proxy_url}), _NoRedirect
    )
    try:
        with opener.open(urllib.request.Request(url, headers=headers or {}), timeout=10) as r:
            return r.status, dict(r.headers.items()), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers.items()), e.read()


def page_of(web: SimulatedWeb, url: str) -> Page:
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return web.hosts[parts.hostname or ""].pages[target]


def snapshot(web: SimulatedWeb) -> Snapshot:
    """Every static page: status, bytes and both validators as served."""
    return {
        f"http://{h}{t}": (p.status, p.body, p.etag, p.last_modified_http)
        for h, vh in web.hosts.items()
        for t, p in vh.pages.items()
    }


def changed(before: Snapshot, after: Snapshot) -> set[str]:
    return {u for u, v in after.items() if before.get(u) != v}


def hrefs(url: str, body: bytes) -> set[str]:
    """Every href on the page, absolute — jcms records hide theirs in a CDATA datastore."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        text = body.decode("gbk")
    return {urljoin(url, h) for h in re.findall(r'href="([^"]+)"', text)}


def http_date(value: str) -> dt.datetime:
    return parsedate_to_datetime(value)


def summary(web: SimulatedWeb, revisions: list[Revision]) -> str:
    """A digest of what the revisions did, bytes of every changed page included."""
    out = []
    for r in revisions:
        out.append(
            [
                r.number,
                r.at.isoformat(),
                [repr(e) + repr(e.stats) for e in r.edited],
                [repr(e) + repr(e.stats) for e in r.added],
                r.lists,
                r.changed,
                [hashlib.sha1(page_of(web, u).body).hexdigest() for u in r.changed],
            ]
        )
    return hashlib.sha256(json.dumps(out, ensure_ascii=False).encode()).hexdigest()


# ----------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def revised() -> Iterator[tuple[SimulatedWeb, Snapshot, Revision]]:
    """The test web, served; snapshot taken; then revised once while serving."""
    web = build_test_web().start()
    try:
        before = snapshot(web)
        yield web, before, web.revise()
    finally:
        web.stop()


# ----------------------------------------------------------------------------- shape
def test_default_revision_edits_and_adds_over_several_portals(revised):
    web, _, rev = revised
    assert rev.number == 1 and web.revisions == [rev]
    assert len(rev.edited) == 3 and len(rev.added) == 3
    assert len({urlsplit(e.url).hostname for e in rev.edited}) >= 2
    assert len({urlsplit(e.url).hostname for e in rev.added}) >= 2
    assert [e.url for e in rev.edited] == FIRST_EDITED
    assert [e.title for e in rev.added] == FIRST_ADDED
    # the added reports are ground truth now; the edited ones keep theirs (stats included)
    assert web.expected_reports[-3:] == rev.added
    fresh = {e.url: e for e in build_test_web().expected_reports}
    for e in rev.edited:
        assert fresh[e.url] == e and fresh[e.url].stats == e.stats
    for e in rev.added:
        assert e.year == 2023 and e.published == rev.at.date() and e.agency == "财政局"
        assert e.url not in fresh


def test_only_edited_added_and_their_list_pages_change(revised):
    web, before, rev = revised
    after = snapshot(web)
    edited = {e.url for e in rev.edited}
    added = {e.url for e in rev.added}
    assert changed(before, after) == edited | added | FIRST_LISTS == set(rev.changed)
    assert set(rev.lists) == FIRST_LISTS
    assert added.isdisjoint(before) and edited <= set(before)
    assert len(after) == len(before) + len(added)  # no page disappeared, none besides reports
    # every re-rendered list page links an added report, or is a later page of a list whose
    # first page does (its items shifted by one)
    linking = {u for u in rev.lists if hrefs(u, page_of(web, u).body) & added}
    for u in set(rev.lists) - linking:
        assert re.search(r"(index_\d+\.html|list\.asp\?page=\d+)$", u), u
        assert any(f.rsplit("/", 1)[0] == u.rsplit("/", 1)[0] for f in linking), u


def test_changed_pages_get_new_validators(revised):
    web, before, rev = revised
    for url in [e.url for e in rev.edited] + rev.lists:
        old_status, old_body, old_etag, old_lm = before[url]
        new = page_of(web, url)
        assert new.body != old_body and new.etag != old_etag, url
        new_lm = new.last_modified_http or ""
        assert http_date(new_lm) >= http_date(old_lm or ""), url
    added = {e.url for e in rev.added}
    firsts = [u for u in rev.lists if hrefs(u, page_of(web, u).body) & added]
    assert len(firsts) == 5  # TRS and plain first pages under two URLs each, the jcms column
    for url in [e.url for e in rev.edited] + firsts:
        # edited reports and the pages showing a new report: strictly newer
        new_lm = page_of(web, url).last_modified_http or ""
        assert http_date(new_lm) > http_date(before[url][3] or ""), url


def test_edited_report_text_changes_visibly(revised):
    web, before, rev = revised
    for e in rev.edited:
        page = page_of(web, e.url)
        charset = "gbk" if "jingxian" in e.url else "utf-8"
        old, new = before[e.url][1].decode(charset), page.body.decode(charset)
        m = re.search(r"（2024年4月修订：“(\d+)条”更正为“(\d+)条”。）", new)
        assert m, e.url
        assert f"主动公开政府信息{m.group(1)}条" in old and f"主动公开政府信息{m.group(2)}条" in new
        assert "修订" not in old and m.group(1) != m.group(2)
        assert page.last_modified == dt.datetime(2024, 4, 10, 10, 0, tzinfo=dt.UTC)


def test_revised_reports_still_read_as_their_ground_truth(revised):
    """The edit changes a figure a reader sees, not what the page says it is."""
    web, before, rev = revised
    for e in rev.edited:
        page = page_of(web, e.url)
        old = analyse_page(before[e.url][1], e.url, page.content_type)
        new = analyse_page(page.body, e.url, page.content_type)
        assert new["fields"] == old["fields"] and new["flags"] == old["flags"], e.url
        assert new["stats"]["proactive_disclosures"] != old["stats"]["proactive_disclosures"]
    for e in rev.added:
        page = page_of(web, e.url)
        fields = analyse_page(page.body, e.url, page.content_type)["fields"]
        assert fields["title"] == e.title and fields["year"] == e.year
        assert fields["published"] == e.published.isoformat()
        assert (fields["region"], fields["agency"]) == (e.region, e.agency)


# ----------------------------------------------------------------------------- over HTTP
def test_unchanged_pages_answer_304_after_revise(revised):
    web, before, rev = revised
    unchanged = [u for u, v in before.items() if v[0] == 200 and u not in set(rev.changed)]
    assert len(unchanged) > 150
    for url in unchanged:
        _, _, etag, lm = before[url]
        status, headers, body = fetch(web, url, {"If-None-Match": etag})
        assert (status, body) == (304, b""), url
        assert headers["ETag"] == etag and headers["Last-Modified"] == lm, url
        status, _, _ = fetch(web, url, {"If-Modified-Since": lm or ""})
        assert status == 304, url


def test_edited_report_answers_200_with_new_body(revised):
    web, before, rev = revised
    for e in rev.edited:
        _, old_body, old_etag, old_lm = before[e.url]
        for cond in ({"If-None-Match": old_etag}, {"If-Modified-Since": old_lm or ""}):
            status, headers, body = fetch(web, e.url, cond)
            assert status == 200 and body == page_of(web, e.url).body != old_body, e.url
            assert headers["ETag"] != old_etag
            assert http_date(headers["Last-Modified"]) > http_date(old_lm or "")
        # and the new validators work for the next re-crawl
        status, _, _ = fetch(web, e.url, {"If-None-Match": headers["ETag"]})
        assert status == 304


def test_added_reports_are_linked_from_their_list_first_page(revised):
    web, before, rev = revised
    for e in rev.added:
        host = urlsplit(e.url).hostname
        first = next(u for u in rev.lists if urlsplit(u).hostname == host)
        status, _, body = fetch(web, first, {"If-None-Match": before[first][2]})
        assert status == 200 and e.url in hrefs(first, body), (first, e.url)
        status, headers, body = fetch(web, e.url)
        assert status == 200 and e.title in body.decode("gbk" if "jingxian" in host else "utf-8")
        assert headers["ETag"] and headers["Last-Modified"]


def test_jcms_data_proxy_serves_the_new_record(revised):
    web, _, rev = revised
    new = next(e for e in rev.added if "shizong" in e.url)
    url = "http://www.shizong.gov.cn/module/web/jpage/dataproxy.jsp?page=1&columnid=4521"
    status, headers, body = fetch(web, url)
    assert status == 200 and new.url in hrefs(url, body)
    assert http_date(headers["Last-Modified"]).date() == rev.at.date()


def test_every_html_page_has_both_validators(revised):
    web, _, _ = revised
    html_pages = [
        (u, v) for u, v in snapshot(web).items() if v[0] == 200 and b"<html" in v[1][:400]
    ]
    assert len(html_pages) > 150
    for url, (_, _, etag, lm) in html_pages:
        assert etag and lm, url
    # as served: home, section, column, list and report pages of each style, and a trap
    for url in [
        "http://www.cangyuan.gov.cn/",
        "http://www.cangyuan.gov.cn/zwgk/fdzdgknr/",
        "http://www.cangyuan.gov.cn/zwgk/zfxxgknb/index_1.html",
        "http://www.shizong.gov.cn/col/col4521/index.html",
        "http://www.jingxian.gov.cn/xxgk/index.html",
        "http://xxgk.lueyang.gov.cn/unit/xzf/ndbg/",
        "http://www.fuxin.gov.cn/zwgk/zfxxgknb/index.html",
        "http://www.cangyuan.gov.cn/calendar/?date=2023-01-01",
        FIRST_EDITED[0],
    ]:
        status, headers, _ = fetch(web, url)
        assert status == 200 and headers.get("ETag") and headers.get("Last-Modified"), url


# ----------------------------------------------------------------------------- repeat, params
def test_second_revision_makes_further_changes():
    web = build_test_web()
    before = snapshot(web)
    first = web.revise()
    middle = snapshot(web)
    second = web.revise()
    after = snapshot(web)
    assert second.number == 2 and second.at > first.at
    assert {e.url for e in first.edited}.isdisjoint(e.url for e in second.edited)
    assert {e.url for e in first.added}.isdisjoint(e.url for e in second.added)
    assert len({urlsplit(e.url).hostname for e in second.edited}) >= 2
    assert changed(before, middle) == set(first.changed)
    assert (
        changed(middle, after)
        == set(second.changed)
        == ({e.url for e in second.edited + second.added} | set(second.lists))
    )
    assert web.expected_reports[-6:] == first.added + second.added


def test_revise_counts_are_parameters():
    web = build_test_web()
    before = snapshot(web)
    nothing = web.revise(edit=0, add=0)
    assert (nothing.edited, nothing.added, nothing.changed) == ([], [], [])
    assert snapshot(web) == before
    rev = web.revise(edit=7, add=5)
    assert len(rev.edited) == 7 and len(rev.added) == 5
    assert len({e.url for e in rev.edited}) == 7 and len({e.url for e in rev.added}) == 5
    assert len({urlsplit(e.url).hostname for e in rev.edited}) == 5  # every portal with reports
    assert (
        changed(before, snapshot(web))
        == set(rev.changed)
        == ({e.url for e in rev.edited + rev.added} | set(rev.lists))
    )
    with pytest.raises(ValueError):
        web.revise(edit=-1)


def test_large_web_is_revisable_too():
    web = build_large_web(6, 10)
    before = snapshot(web)
    rev = web.revise()
    assert len(rev.edited) == 3 and len(rev.added) == 3
    assert len({urlsplit(e.url).hostname for e in rev.added}) == 3
    assert (
        changed(before, snapshot(web))
        == set(rev.changed)
        == ({e.url for e in rev.edited + rev.added} | set(rev.lists))
    )


# ----------------------------------------------------------------------------- determinism
def test_revisions_are_deterministic():
    webs = [build_test_web(), build_test_web()]
    for web in webs:
        web.revise()
        web.revise(edit=2, add=4)
    assert snapshot(webs[0]) == snapshot(webs[1])
    assert summary(webs[0], webs[0].revisions) == summary(webs[1], webs[1].revisions)


_DIGEST = """
from tests.test_simweb_revise import summary
from simweb import build_test_web
web = build_test_web()
web.revise()
web.revise(edit=2, add=4)
print(summary(web, web.revisions))
"""


def test_revisions_do_not_depend_on_hash_seed():
    web = build_test_web()
    web.revise()
    web.revise(edit=2, add=4)
    here = summary(web, web.revisions)
    for seed in ("0", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
        out = subprocess.run(
            [sys.executable, "-c", _DIGEST], env=env, capture_output=True, text=True, timeout=120
        )
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == here
