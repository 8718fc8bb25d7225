"""Analyse pipelines whose worker hangs or dies on chosen pages (for test_bad_input), or is slow
on every page (for the time limit's tests)."""

from __future__ import annotations

import os
import time

from govcrawl.analysis.result import Analysis
from govcrawl.analysis.worker import AnalysisTask, analyse
from pipelines.extract import ExtractPipeline


def faulty_analyse(task: AnalysisTask) -> Analysis | None:
    if task.url.endswith("/ok.html"):
        time.sleep(60)  # a page that hangs the extractor
    if task.url.endswith("/broken.html"):
        os._exit(1)  # a page that kills its worker (as an out-of-memory kill would)
    return analyse(task)


class FaultyExtractPipeline(ExtractPipeline):
    analyse_function = staticmethod(faulty_analyse)


def slow_analyse(task: AnalysisTask) -> Analysis | None:
    time.sleep(0.6)  # a big scanned PDF: slow, but well inside its time limit
    return Analysis(title=task.listed_title, text="正文", year=2018)


class SlowExtractPipeline(ExtractPipeline):
    analyse_function = staticmethod(slow_analyse)
