"""Loaded by every Python process of a test's scrapyd (it is on their PYTHONPATH).

With ``GOVCRAWL_NETGUARD_LOG`` set, installs tests/netguard.py's audit hook (non-loopback network
attempts are refused and logged there) and, at exit, appends to ``GOVCRAWL_MODULES_LOG`` one JSON
line: the process's command line and the files govcrawl, pipelines and archive were imported from.
"""

from __future__ import annotations

import atexit
import importlib.util
import json
import os
import sys
from pathlib import Path

PACKAGES = ("govcrawl", "govcrawl.settings", "pipelines", "archive")


def _record_modules(path: str) -> None:
    files = {name: getattr(sys.modules.get(name), "__file__", None) for name in PACKAGES}
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"pid": os.getpid(), "argv": sys.orig_argv, "modules": files,
                             "settings_module": os.environ.get("SCRAPY_SETTINGS_MODULE")}) + "\n")


def _install() -> None:
    log = os.environ.get("GOVCRAWL_NETGUARD_LOG")
    if not log:
        return
    spec = importlib.util.spec_from_file_location(
        "_govcrawl_netguard", Path(__file__).resolve().parent.parent / "netguard.py")
    assert spec and spec.loader
    netguard = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(netguard)
    netguard.install(log)
    if modules_log := os.environ.get("GOVCRAWL_MODULES_LOG"):
        atexit.register(_record_modules, modules_log)


_install()
