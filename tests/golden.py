"""Score the full report analysis against the golden set (tests/fixtures/golden/figures.json).

Each real seed and sample is rendered into a report page in several portal markups and run
through ``analyse_page`` — the function the crawl's extraction workers and ``reparse`` run — so
the score covers extraction, normalisation, table parsing, text figures and the checks together.
Used by tests/test_golden_figures.py and benchmarks/golden.py."""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govcrawl.report.analyse import STAT_KEYS, analyse_page

ROOT = Path(__file__).resolve().parent.parent
GOLDEN_FILE = ROOT / "tests" / "fixtures" / "golden" / "figures.json"
NAV = "".join(f'<li><a href="/col{i}/">栏目{i}</a></li>' for i in range(1, 9))


@dataclass(frozen=True)
class GoldenDocument:
    id: str
    name: str
    source: str
    kind: str  # "text": lines as published; "html": the report's own markup
    title: str
    year: int
    format: str
    stats: dict[str, int | float | None]
    flags: list[str]

    def body_html(self) -> str:
        raw = (ROOT / self.source).read_text(encoding="utf-8")
        if self.kind == "html":
            return raw
        return "\n".join(f"<p>{html.escape(line.strip())}</p>"
                         for line in raw.splitlines() if line.strip())


def load_golden(path: Path = GOLDEN_FILE) -> list[GoldenDocument]:
    data = json.loads(path.read_text(encoding="utf-8"))
    fields = GoldenDocument.__dataclass_fields__
    documents = [GoldenDocument(**{k: v for k, v in d.items() if k in fields})
                 for d in data["documents"]]
    for doc in documents:
        assert set(doc.stats) == set(STAT_KEYS), (doc.id, set(STAT_KEYS) ^ set(doc.stats))
    return documents


def _plain(title: str, body: str) -> str:
    # No container a CMS would name: trafilatura reads the whole page.
    return (f"<div class='top'><ul>{NAV}</ul></div><div class='main'><h1>{title}</h1>"
            f"<div>发布时间：2020-01-31</div><div>{body}</div></div><div class='foot'>版权所有</div>")


def _trs(title: str, body: str) -> str:
    return (f"<div class='nav'><ul>{NAV}</ul></div><div class='article'><h2>{title}</h2>"
            f"<div class='info'>发布日期：2020-01-31 来源：政府办</div>"
            f"<div class='TRS_Editor' id='zoom'>{body}</div></div><div class='foot'>版权所有</div>")


def _layout(title: str, body: str) -> str:
    # The whole page in one layout table, as older portals still publish.
    return (f"<table width='1000'><tr><td><ul>{NAV}</ul></td></tr><tr><td class='title'>{title}"
            f"</td></tr><tr><td class='content'>{body}</td></tr><tr><td>版权所有</td></tr></table>")


WRAPPERS: dict[str, Callable[[str, str], str]] = {"plain": _plain, "trs": _trs, "layout": _layout}


def render_page(doc: GoldenDocument, wrapper: str) -> bytes:
    inner = WRAPPERS[wrapper](html.escape(doc.title), doc.body_html())
    page = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(doc.title)}"
            f"</title></head><body>{inner}</body></html>")
    return page.encode("utf-8")


def _flag_matches(expected: str, flag: str) -> bool:
    return flag == expected or flag.startswith(expected + ":")


def _rule(flag: str) -> str:
    return flag.split(":", 1)[0].split("[", 1)[0]


# Flags that claim something is wrong with the figures (the rest record repairs, e.g. mojibake).
_FIGURE_FLAG_PREFIXES = ("t2_", "t3_", "t4_", "no_")


@dataclass
class DocumentScore:
    id: str
    wrapper: str
    stated: int = 0
    exact: int = 0
    wrong: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # key: (golden, got)
    invented: dict[str, Any] = field(default_factory=dict)  # stated nowhere, yet a value
    missing_flags: list[str] = field(default_factory=list)
    unexpected_flags: list[str] = field(default_factory=list)
    format_got: str | None = None
    year_got: int | None = None
    format_ok: bool = True

    def problems(self) -> list[str]:
        out = [f"{k}: golden {w!r}, got {g!r}" for k, (w, g) in self.wrong.items()]
        out += [f"{k}: not stated, got {v!r}" for k, v in self.invented.items()]
        out += [f"flag missing: {f}" for f in self.missing_flags]
        out += [f"flag unexpected: {f}" for f in self.unexpected_flags]
        if not self.format_ok:
            out.append(f"format/year: got {self.format_got}/{self.year_got}")
        return out


def score_document(doc: GoldenDocument, wrapper: str) -> DocumentScore:
    record = analyse_page(render_page(doc, wrapper), f"http://www.example.gov.cn/{doc.id}.html")
    stats, flags = record["stats"], record["flags"]
    score = DocumentScore(doc.id, wrapper, format_got=record["format"],
                          year_got=record["fields"].get("year"))
    for key, want in doc.stats.items():
        got = stats.get(key)
        if want is None:
            if got is not None:
                score.invented[key] = got
            continue
        score.stated += 1
        if got == want:
            score.exact += 1
        else:
            score.wrong[key] = (want, got)
    score.missing_flags = [e for e in doc.flags if not any(_flag_matches(e, f) for f in flags)]
    expected_rules = {_rule(e) for e in doc.flags}
    score.unexpected_flags = [f for f in flags if f.startswith(_FIGURE_FLAG_PREFIXES)
                              and _rule(f) not in expected_rules]
    score.format_ok = record["format"] == doc.format and score.year_got == doc.year
    return score


@dataclass
class Summary:
    stated: int
    exact: int
    invented: int
    missing_flags: int
    unexpected_flags: int
    format_errors: int

    @property
    def exact_share(self) -> float:
        return self.exact / self.stated if self.stated else 0.0


def summarise(scores: Iterable[DocumentScore]) -> Summary:
    scores = list(scores)
    return Summary(
        stated=sum(s.stated for s in scores),
        exact=sum(s.exact for s in scores),
        invented=sum(len(s.invented) for s in scores),
        missing_flags=sum(len(s.missing_flags) for s in scores),
        unexpected_flags=sum(len(s.unexpected_flags) for s in scores),
        format_errors=sum(not s.format_ok for s in scores),
    )
