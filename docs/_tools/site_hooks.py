"""MkDocs hooks of the documentation site: repository files outside ``docs/`` that the pages link to.

The pages are written to be read on the repository as well as on the site, so they link to files beside
``docs/`` with relative paths (``../examples/article_program.py``,
``../benchmarks/results/simulation/literature-tfidf/report.md``). MkDocs only knows files inside ``docs/``. These
hooks add the repository files listed in :data:`REPOSITORY_FILES` to the site under ``files/`` (Markdown files
become pages, others are copied; a Python file also gets a page that shows it) and rewrite the links that point at
them. A link to any other file outside ``docs/`` is left as it is, so MkDocs still reports it and
``mkdocs build --strict`` fails.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from mkdocs.structure.files import File, Files

# repository files (glob patterns relative to the repository root) published on the site under files/
REPOSITORY_FILES = (
    "examples/article_program.py",
    "benchmarks/results/simulation/*/report.md",
    "benchmarks/results/simulation/*/curves/*.png",
)
PREFIX = "files"

# a Markdown link or image target: ](target) or ](target "title")
_LINK = re.compile(r"(\]\()([^)\s]+)((?:\s+\"[^\"]*\")?\))")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def _repository(config) -> Path:
    return Path(config["config_file_path"]).resolve().parent


def _published(config) -> set[str]:
    root = _repository(config)
    found = set()
    for pattern in REPOSITORY_FILES:
        found.update(path.relative_to(root).as_posix() for path in root.glob(pattern) if path.is_file())
    return found


def _source_page(relative: str, source: str) -> str:
    """A page that shows a Python file of the repository, with a link to the file itself."""
    name = posixpath.basename(relative)
    fence = "````" if "```" in source else "```"
    return (
        f"# {relative}\n\n[Download {name}]({name}) (the file of the repository, shown as it is).\n\n"
        f"{fence}python\n{source.rstrip()}\n{fence}\n"
    )


def on_files(files: Files, config) -> Files:
    """Add the published repository files to the site, under ``files/``."""
    root = _repository(config)
    for relative in sorted(_published(config)):
        files.append(File.generated(config, f"{PREFIX}/{relative}", abs_src_path=str(root / relative)))
        if relative.endswith(".py"):
            page = _source_page(relative, (root / relative).read_text(encoding="utf-8"))
            files.append(File.generated(config, f"{PREFIX}/{relative[:-3]}.md", content=page))
    return files


def on_page_markdown(markdown: str, page, config, files: Files) -> str:
    """Point relative links that leave ``docs/`` at the published copies of their targets."""
    root = _repository(config)
    docs = Path(config["docs_dir"]).resolve().relative_to(root).as_posix()
    published = _published(config)
    if page.file.src_uri.startswith(f"{PREFIX}/"):
        return markdown  # a published file: its links stay inside its own folder
    page_folder = posixpath.dirname(f"{docs}/{page.file.src_uri}")

    def rewrite(match: re.Match) -> str:
        target = match.group(2)
        if target.startswith(("#", "/")) or _SCHEME.match(target):
            return match.group(0)
        path, _, anchor = target.partition("#")
        resolved = posixpath.normpath(posixpath.join(page_folder, path))
        if resolved.startswith(f"{docs}/") or resolved not in published:
            return match.group(0)
        if resolved.endswith(".py"):
            resolved = resolved[:-3] + ".md"  # the page that shows the program
        new = posixpath.relpath(f"{docs}/{PREFIX}/{resolved}", page_folder) + (f"#{anchor}" if anchor else "")
        return f"{match.group(1)}{new}{match.group(3)}"

    return _LINK.sub(rewrite, markdown)
