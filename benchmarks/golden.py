"""Research-data accuracy on the golden set: the real seeds and samples, every key figure written
from the documents (tests/fixtures/golden/figures.json), through the whole analysis
(``analyse_page``) in three portal markups; plus the analysis cost per report.

    python benchmarks/golden.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from govcrawl.report.analyse import analyse_page  # noqa: E402
from govcrawl.report.extract import extract_report  # noqa: E402
from tests.golden import WRAPPERS, load_golden, render_page, score_document, summarise  # noqa: E402


def _cpu_ms(fn, pages: list[bytes], rounds: int = 5) -> float:
    start = time.process_time()
    for _ in range(rounds):
        for page in pages:
            fn(page, "http://www.example.gov.cn/r.html")
    return (time.process_time() - start) * 1000 / (rounds * len(pages))


def main() -> None:
    documents = load_golden()
    print(f"golden set: {len(documents)} documents "
          f"({sum(v is not None for d in documents for v in d.stats.values())} stated figures, "
          f"{sum(v is None for d in documents for v in d.stats.values())} unstated)")
    print(f"{'markup':8} {'exact':>10} {'share':>7} {'invented':>9} {'flags missed':>13} "
          f"{'false flags':>12} {'format/year wrong':>18}")
    for wrapper in WRAPPERS:
        scores = [score_document(doc, wrapper) for doc in documents]
        s = summarise(scores)
        print(f"{wrapper:8} {s.exact:>4} / {s.stated:<3} {s.exact_share:>7.1%} {s.invented:>9} "
              f"{s.missing_flags:>13} {s.unexpected_flags:>12} {s.format_errors:>18}")
        for score in scores:
            for problem in score.problems():
                print(f"    {score.id}: {problem}")
    pages = [render_page(doc, "trs") for doc in documents]
    full = _cpu_ms(analyse_page, pages)
    extract_only = _cpu_ms(extract_report, pages)
    print(f"CPU per report (trs markup): analysis {full:.1f} ms, of which extraction "
          f"{extract_only:.1f} ms; parsing figures, checks and normalisation add "
          f"{full / extract_only - 1:.0%} to extraction")


if __name__ == "__main__":
    main()
