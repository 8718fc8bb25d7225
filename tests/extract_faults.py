"""An extraction pipeline whose worker hangs or dies on chosen pages (for test_bad_input)."""

from __future__ import annotations

import os
import time
from typing import Any

from pipelines.extract import ExtractPipeline, extract_page


def faulty_extract(body: bytes, url: str, *args: Any) -> dict[str, Any]:
    if url.endswith("/ok.html"):
        time.sleep(60)  # a page that hangs the extractor
    if url.endswith("/broken.html"):
        os._exit(1)  # a page that kills its worker (as an out-of-memory kill would)
    return extract_page(body, url, *args)


class FaultyExtractPipeline(ExtractPipeline):
    worker_function = staticmethod(faulty_extract)
