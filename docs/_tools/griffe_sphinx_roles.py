"""A griffe extension for the API reference: Sphinx roles in docstrings become cross-references.

activetext's docstrings are numpydoc and name other objects with Sphinx roles
(``:class:`~activetext.data.TextDataset```, ``:func:`simulate_stream```). mkdocstrings renders Markdown, where a
role would show as raw text. This extension rewrites every role, once the package is loaded:

- a target that names an object of the package (fully, or relative to the docstring's class, module or parent
  packages, or by a name unique in the package) becomes an optional cross-reference: a link where the object is
  documented on the site, plain code where it is not, and never a warning;
- any other target (numpy, scikit-learn, ...) becomes plain code.

A leading ``~`` shows only the last component, as in Sphinx. An RST literal-block marker (a paragraph ending in
``::`` before an indented block) becomes a single colon; the indented block is already a code block in Markdown.
"""

from __future__ import annotations

import html
import re
from collections import defaultdict
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(class|func|meth|mod|attr|data|exc|obj|const):`([^`]+)`")
_LITERAL_MARKER = re.compile(r"(\S)::(\n[ \t]*\n)")


class SphinxRoles(griffe.Extension):
    """Turn Sphinx roles into optional cross-references (see the module docstring)."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        self._pkg = pkg
        self._paths: set[str] = set()
        self._by_suffix: dict[str, set[str]] = defaultdict(set)
        self._index(pkg)
        self._rewrite(pkg, set())

    # every object path of the package, and each dotted suffix of it (for names given without their module)
    def _index(self, obj: griffe.Object) -> None:
        self._paths.add(obj.path)
        parts = obj.path.split(".")
        for start in range(1, len(parts)):
            self._by_suffix[".".join(parts[start:])].add(obj.path)
        for member in obj.members.values():
            if not member.is_alias:
                self._index(member)

    def _exists(self, path: str) -> str | None:
        if path in self._paths:
            return path
        root, _, rest = path.partition(".")
        if root != self._pkg.name or not rest:
            return None
        try:
            found = self._pkg[rest]
        except Exception:  # unknown names and unresolvable aliases alike
            return None
        try:
            return found.final_target.path if found.is_alias else found.path
        except Exception:  # an alias whose target is outside the package
            return None

    def _resolve(self, target: str, scope: griffe.Object) -> str | None:
        target = target.lstrip(".")
        if target.startswith(f"{self._pkg.name}."):
            return self._exists(target)
        holder: griffe.Object | None = scope
        while holder is not None:  # the docstring's own object, its class, its module, its parent packages
            found = self._exists(f"{holder.path}.{target}")
            if found:
                return found
            holder = holder.parent
        candidates = self._by_suffix.get(target, set())
        return next(iter(candidates)) if len(candidates) == 1 else None

    def _convert(self, text: str, scope: griffe.Object) -> str:
        def role(match: re.Match) -> str:
            written = match.group(2).strip()
            title, _, explicit = written.partition("<")  # :class:`title <target>`
            if explicit:
                target, shown = explicit.rstrip(">").strip(), title.strip()
            else:
                short = written.startswith("~")
                target = written.lstrip("~")
                shown = target.rsplit(".", 1)[-1] if short else target
            resolved = self._resolve(target, scope)
            if resolved is None:
                return f"`{shown}`"
            return f'<autoref identifier="{html.escape(resolved)}" optional><code>{html.escape(shown)}</code></autoref>'

        return _LITERAL_MARKER.sub(r"\1:\2", _ROLE.sub(role, text))

    def _rewrite(self, obj: griffe.Object, seen: set[str]) -> None:
        if obj.path in seen:
            return
        seen.add(obj.path)
        if obj.docstring is not None:
            obj.docstring.value = self._convert(obj.docstring.value, obj)
        for member in obj.members.values():
            if not member.is_alias:
                self._rewrite(member, seen)
