"""The documentation site builds with every warning treated as an error, loads nothing from the network, and the
examples in the docstrings it publishes run.

The Python examples of the Markdown pages run in ``tests/test_docs.py``.
"""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "src" / "activetext"
NEEDED = ("mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers.python")
# links to sections of docs/benchmarks.md that are being written; every other broken anchor fails the build test

# a resource the browser loads by itself (not a link a reader may follow): scripts, stylesheets, fonts, images
EXTERNAL_RESOURCE = re.compile(
    r"<(?:script|img|iframe|source)\b[^>]*\bsrc=[\"']?(?:https?:)?//"
    r"|<link\b(?=[^>]*\brel=[\"']?(?:stylesheet|preload|preconnect|modulepreload|icon|manifest))[^>]*\bhref=[\"']?(?:https?:)?//"
    r"|@import\s+(?:url\()?[\"']?(?:https?:)?//"
    r"|url\([\"']?(?:https?:)?//",
    flags=re.IGNORECASE,
)


def _missing_packages() -> list[str]:
    missing = []
    for name in NEEDED:
        try:
            found = importlib.util.find_spec(name) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            missing.append(name)
    return missing


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    missing = _missing_packages()
    if missing:
        pytest.skip(f"the docs extra is not installed (missing {missing}): pip install -e '.[docs]'")
    folder = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "--config-file",
            str(ROOT / "mkdocs.yml"),
            "--site-dir",
            str(folder),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    log = result.stdout + result.stderr
    warnings = [line for line in log.splitlines() if re.match(r"\s*(WARNING|ERROR)\b", line)]
    details = "\n".join(warnings or [log[-6000:]])
    assert result.returncode == 0 and not warnings, f"mkdocs build --strict failed:\n{details}"
    return folder


def test_site_builds_strictly(site):
    for page in ["index.html", "getting-started.html", "migration.html", "reference/query_strategies.html"]:
        assert (site / page).is_file(), page
    # every Markdown page of docs/ became a page of the site (a page left out of the nav fails the strict build)
    for page in (ROOT / "docs").rglob("*.md"):
        if "_tools" in page.parts:
            continue
        built = site / page.relative_to(ROOT / "docs").with_suffix(".html")
        assert built.is_file(), f"{page} was not built"
    # the API reference is generated from the docstrings
    reference = (site / "reference" / "active_learner.html").read_text(encoding="utf-8")
    assert 'id="activetext.active_learner.pool.PoolBasedActiveLearner"' in reference
    assert ":class:`" not in reference  # Sphinx roles became cross-references or code


def test_site_links_the_repository_files_it_publishes(site):
    program = site / "files" / "examples" / "article_program.py"
    assert program.read_bytes() == (ROOT / "examples" / "article_program.py").read_bytes()
    shown = (site / "files" / "examples" / "article_program.html").read_text(encoding="utf-8")
    assert "fetch_20newsgroups" in shown and 'href="article_program.py"' in shown
    assert 'href="files/examples/article_program.html"' in (site / "getting-started.html").read_text(encoding="utf-8")
    for report in (ROOT / "benchmarks" / "results" / "simulation").glob("*/report.md"):
        folder = site / "files" / report.parent.relative_to(ROOT)
        assert (folder / "report.html").is_file(), report
        for image in report.parent.glob("curves/*.png"):
            assert (folder / "curves" / image.name).is_file(), image


def test_site_loads_nothing_from_the_network(site):
    offending = []
    for path in site.rglob("*"):
        if path.suffix in {".html", ".css"}:
            for match in EXTERNAL_RESOURCE.finditer(path.read_text(encoding="utf-8", errors="replace")):
                offending.append(f"{path.relative_to(site)}: {match.group(0)[:120]}")
    assert not offending, "\n".join(offending[:20])


def _modules_with_examples() -> list[str]:
    names = []
    for path in sorted(SOURCE.rglob("*.py")):
        if ">>>" in path.read_text(encoding="utf-8"):
            parts = path.relative_to(SOURCE.parent).with_suffix("").parts
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


@pytest.mark.parametrize("module_name", _modules_with_examples())
def test_docstring_examples_run(module_name):
    module = importlib.import_module(module_name)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    report: list[str] = []
    examples = 0
    for test in doctest.DocTestFinder().find(module, module_name):
        examples += len(test.examples)
        runner.run(test, out=report.append)
    assert examples, f"{module_name} mentions '>>>' but no example was found"
    assert runner.failures == 0, "".join(report)
