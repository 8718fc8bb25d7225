"""Layering of the packages: the product (govcrawl, archive, pipelines) does not depend on the
simulated web (simweb), which is test infrastructure; only ``govcrawl demo`` uses it, lazily."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("govcrawl", "archive", "pipelines")
# The one place allowed to import simweb: the demo command, inside its function body.
ALLOWED = {(Path("govcrawl/cli.py"), "cmd_demo")}


def _is_simweb(module: str | None) -> bool:
    return module is not None and "simweb" in module.split(".")


def _simweb_imports(tree: ast.AST) -> list[tuple[int, str | None]]:
    """(line, enclosing top-level function or None) of every import of simweb in the tree."""
    found: list[tuple[int, str | None]] = []

    def visit(node: ast.AST, function: str | None) -> None:
        if isinstance(node, ast.Import):
            found.extend((node.lineno, function) for a in node.names if _is_simweb(a.name))
        elif isinstance(node, ast.ImportFrom):
            if _is_simweb(node.module) or (
                node.level and any(_is_simweb(a.name) for a in node.names)
            ):
                found.append((node.lineno, function))
        elif isinstance(node, ast.Call):
            # importlib.import_module("simweb...") / __import__("simweb...")
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            if name in ("import_module", "__import__") and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and _is_simweb(arg.value):
                    found.append((node.lineno, function))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and function is None:
            function = node.name
        for child in ast.iter_child_nodes(node):
            visit(child, function)

    visit(tree, None)
    return found


def test_govcrawl_does_not_import_simweb() -> None:
    modules = sorted(p for package in PRODUCT for p in (ROOT / package).rglob("*.py"))
    assert len(modules) > 20, modules  # the walk found the packages
    offenders = []
    allowed_seen = 0
    for path in modules:
        rel = path.relative_to(ROOT)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(rel))
        for line, function in _simweb_imports(tree):
            if (rel, function) in ALLOWED:
                allowed_seen += 1
            else:
                offenders.append(f"{rel}:{line}" + (f" (in {function})" if function else ""))
    assert not offenders, "product modules importing the simulated web: " + ", ".join(offenders)
    assert allowed_seen >= 1  # the check sees the demo's import (a rename would blind it)
    assert not list((ROOT / "govcrawl").glob("simweb/*.py"))  # not back inside the product


def test_demo_without_simweb_is_one_line_error(tmp_path: Path) -> None:
    code = ("import sys\n"
            "sys.modules['simweb'] = None  # as if simweb were not installed\n"
            "from govcrawl.cli import main\n"
            "sys.exit(main(['demo']))\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("govcrawl: error: the demo needs the simulated web"), proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert not (tmp_path / "data").exists()


# -- the import rule between layers: pure core ← archive ← Scrapy components ← CLI --------------
# A module may import modules of its own layer and of the layers before it, never after. The
# pure core also imports neither Scrapy nor SQLAlchemy; the archive layer not Scrapy.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("core", ("govcrawl.discovery", "govcrawl.report", "govcrawl.documents", "govcrawl.text",
              "govcrawl.analysis", "govcrawl.encoding", "govcrawl.antibot", "govcrawl.wayback",
              "govcrawl.sites", "govcrawl.problems", "govcrawl")),
    ("archive", ("archive", "govcrawl.reparse")),
    ("scrapy", ("govcrawl.settings", "govcrawl.config", "govcrawl.items", "govcrawl.meta",
                "govcrawl.middlewares", "govcrawl.browser", "govcrawl.fingerprint",
                "govcrawl.extensions", "govcrawl.spiders", "govcrawl.crawl", "pipelines")),
    ("cli", ("govcrawl.cli", "govcrawl.__main__")),
)
FORBIDDEN_LIBRARIES = {"core": ("scrapy", "twisted", "sqlalchemy"), "archive": ("scrapy", "twisted")}


def _layer(module: str) -> int | None:
    # The longest matching prefix decides ("govcrawl" alone is the package's empty __init__).
    best: tuple[int, int] | None = None
    for index, (_, prefixes) in enumerate(LAYERS):
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and (best is None or len(p) > best[0]):
                best = (len(p), index)
    return best[1] if best else None


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported(tree: ast.AST, module: str, is_package: bool) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, a.name) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            found.append((node.lineno, name))
            # ``from govcrawl import settings``: the names may be modules themselves.
            found.extend((node.lineno, f"{name}.{a.name}") for a in node.names)
    return found


def layer_violations() -> list[str]:
    violations = []
    for top in PRODUCT:
        for path in sorted((ROOT / top).rglob("*.py")):
            module = _module_name(path)
            own = _layer(module)
            assert own is not None, f"{module} belongs to no layer: add it to LAYERS"
            own_name = LAYERS[own][0]
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for line, name in _imported(tree, module, path.name == "__init__.py"):
                other = _layer(name)
                where = f"{path.relative_to(ROOT)}:{line}"
                if other is not None and other > own:
                    violations.append(f"{where}: {own_name} module imports {name} "
                                      f"({LAYERS[other][0]} layer)")
                for library in FORBIDDEN_LIBRARIES.get(own_name, ()):
                    if name == library or name.startswith(library + "."):
                        violations.append(f"{where}: {own_name} module imports {name}")
    return violations


def test_each_layer_imports_only_itself_and_the_layers_below() -> None:
    assert layer_violations() == []


def test_the_layer_check_sees_a_violation() -> None:
    # The checker itself: an archive module importing the spider would be caught.
    tree = ast.parse("from govcrawl.spiders.annual_reports import AnnualReportsSpider\n")
    names = [name for _, name in _imported(tree, "archive.x", False)]
    assert _layer(names[0]) is not None and _layer(names[0]) > _layer("archive.x")  # type: ignore[operator]
