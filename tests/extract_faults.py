"""An analyse pipeline whose worker hangs or dies on chosen pages (for test_bad_input)."""

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
