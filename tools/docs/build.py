"""Build the API reference with pdoc (``make docs``) and fail on any warning.

    python -W error tools/docs/build.py build/api

Run by ``make docs`` with pdoc from .tools/docs (tools/docs/requirements.txt) and the
package and its dependencies from .venv. Before rendering, every docstring of the public
API is checked:

* every Sphinx cross-reference (``:class:`X```, ``:meth:`X.y```, ``:func:``, ``:attr:``,
  ``:data:``, ``:mod:``, ``:exc:``) resolves to a documented object, in this package
  (relative to the module and class it is written in) or in aws_cdk / constructs / cdk_nag;
* every optional parameter (a prop) of every public class and factory says its default
  (``:param name: ... Default: ...``).

Each problem is printed as a warning and fails the build (exit 1); pdoc's own warnings fail it
through ``python -W error``.
"""

from __future__ import annotations

import importlib
import inspect
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pdoc
import pdoc.doc

MODULES = ["immutable_constructs", "immutable_constructs.nag"]
ROLE = re.compile(r":(?:class|meth|func|attr|data|mod|exc|obj):`~?\.?(?P<target>[^`<>]+)`")
EXTERNAL = ("aws_cdk", "constructs", "cdk_nag")


def _walk(doc: pdoc.doc.Doc) -> Iterator[pdoc.doc.Doc]:  # type: ignore[type-arg]
    yield doc
    if isinstance(doc, pdoc.doc.Namespace):
        for member in doc.members.values():
            # A class's inherited members are documented where they are defined; a module's
            # members from __all__ are "inherited" (re-exported) and documented here.
            # (pdoc compares the defining module, so a re-exported class's own members look
            # inherited too: compare the defining class instead.)
            if isinstance(doc, pdoc.doc.Class) and member.taken_from[1].rsplit(".", 1)[0] != doc.obj.__qualname__:
                continue
            if member.name.startswith("_") and member.name != "__init__":
                continue
            yield from _walk(member)


def _modules() -> list[pdoc.doc.Module]:
    found = []
    queue = [pdoc.doc.Module(importlib.import_module(name)) for name in MODULES]
    while queue:
        module = queue.pop()
        found.append(module)
        queue.extend(sub for sub in module.submodules if not sub.name.startswith("_"))
    return found


def _external(target: str) -> bool:
    if not target.startswith(EXTERNAL):
        return False
    parts = target.split(".")
    for split in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        try:
            for attr in parts[split:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return False
        return True
    return False


def _resolves(target: str, doc: pdoc.doc.Doc, index: set[str]) -> bool:  # type: ignore[type-arg]
    if target in index or _external(target):
        return True
    # Relative to the enclosing class, then to the module, then to the package's public names.
    scopes = []
    qualname_parts = doc.qualname.split(".") if doc.qualname else []
    for depth in range(len(qualname_parts), -1, -1):
        scopes.append(".".join([doc.modulename, *qualname_parts[:depth]]))
    scopes += MODULES
    return any(f"{scope}.{target}" in index for scope in scopes)


def _index(modules: list[pdoc.doc.Module]) -> set[str]:
    names = set()
    for module in modules:
        for doc in _walk(module):
            names.add(doc.fullname)
            # Public re-exports (immutable_constructs.X) resolve like their definitions.
            if isinstance(doc, pdoc.doc.Module):
                for name in getattr(doc.obj, "__all__", []):
                    names.add(f"{doc.modulename}.{name}")
                    obj = getattr(doc.obj, name)
                    for attr in dir(obj) if inspect.isclass(obj) else []:
                        names.add(f"{doc.modulename}.{name}.{attr}")
    return names


def _prop_defaults(doc: pdoc.doc.Function, owner: pdoc.doc.Class | None) -> Iterator[str]:
    """Optional keyword parameters whose :param: entry does not say its default."""
    try:
        signature = inspect.signature(doc.obj)
    except (TypeError, ValueError):
        return
    text = doc.docstring + ("\n" + owner.docstring if owner is not None else "")
    for parameter in signature.parameters.values():
        if parameter.kind is not inspect.Parameter.KEYWORD_ONLY or parameter.default is inspect.Parameter.empty:
            continue
        # An entry ends at the next field (":param x:", ":returns:"...), not at a line starting with a role.
        entry = re.search(
            rf":param {parameter.name}:(.*?)(?=\n\s*:(?:param|type|returns?|raises?)\b|\Z)", text, re.DOTALL
        )
        if entry is None or "default" not in entry.group(1).lower():
            yield f"{doc.fullname}: {parameter.name}"


# Props whose docstring does not say the default yet, in modules this tool does not own.
# The build fails on any gap not listed here, and on a listed gap that has been fixed
# (remove it from this list then), so the list only shrinks.
KNOWN_GAPS: set[str] = set()


def check(modules: list[pdoc.doc.Module]) -> list[str]:
    index = _index(modules)
    problems = []
    gaps: set[str] = set()
    for module in modules:
        for doc in _walk(module):
            for match in ROLE.finditer(doc.docstring or ""):
                if not _resolves(match["target"].strip(), doc, index):
                    problems.append(f"{doc.fullname}: broken cross-reference {match.group(0)}")
            # Props: keyword parameters of constructors and of factories (class/static methods).
            is_factory = isinstance(doc, pdoc.doc.Function) and (doc.is_classmethod or doc.is_staticmethod)
            if isinstance(doc, pdoc.doc.Function) and (doc.name == "__init__" or is_factory):
                owner = None
                if doc.name == "__init__":
                    owner = next(
                        (c for c in _walk(module) if isinstance(c, pdoc.doc.Class) and c.qualname == doc.qualname[:-9]),
                        None,
                    )
                gaps.update(_prop_defaults(doc, owner))
    problems += [
        f"{gap}: the prop's default is not documented (':param {gap.rsplit(' ', 1)[1]}: ... Default: ...')"
        for gap in sorted(gaps - KNOWN_GAPS)
    ]
    problems += [
        f"{gap}: listed in KNOWN_GAPS but documented now: remove it from the list" for gap in sorted(KNOWN_GAPS - gaps)
    ]
    return sorted(set(problems))


def main(argv: list[str]) -> int:
    output = Path(argv[1] if len(argv) > 1 else "build/api")
    pdoc.render.configure(docformat="restructuredtext", show_source=False, search=True)
    modules = _modules()
    problems = check(modules)
    for problem in problems:
        print(f"docs: warning: {problem}", file=sys.stderr)
    if problems:
        print(f"docs: {len(problems)} warning(s): the API reference is not built", file=sys.stderr)
        return 1
    # pdoc's own warnings (an unparsable docstring or annotation...) fail through `python -W error`.
    pdoc.pdoc(*MODULES, output_directory=output)
    pages = sorted(output.rglob("*.html"))
    print(f"docs: {len(pages)} pages in {output}/ ({len(modules)} modules)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
