"""The one place that builds links to the project's documentation.

Every link a user sees (findings, SARIF ``helpUri``, the README, the package metadata)
is absolute and names the release it belongs to, so it works from PyPI, from a wheel and
from GitHub code scanning alike, and never points at a newer rule than the one that fired.
"""

from __future__ import annotations

from ._version import __version__

__all__ = ["DOCUMENTATION", "ISSUES", "REPOSITORY", "doc_url", "tag"]

#: The project's source repository (also ``project_urls`` in setup.py, from .projenrc.py).
REPOSITORY = "https://github.com/immutable-constructs/immutable-constructs"
ISSUES = f"{REPOSITORY}/issues"
#: The documentation of this release: the docs folder at the release's git tag.
DOCUMENTATION = f"{REPOSITORY}/tree/v{__version__}/docs"


def tag(version: str = __version__) -> str:
    """The git tag of a release (``v0.1.0``)."""
    return f"v{version}"


def doc_url(path: str, anchor: str = "", *, version: str = __version__) -> str:
    """The absolute, versioned URL of a file in the repository (``docs/rules.md``) and a heading in it.

    >>> doc_url("docs/rules.md", "imm-ssh1", version="0.1.0")
    'https://github.com/immutable-constructs/immutable-constructs/blob/v0.1.0/docs/rules.md#imm-ssh1'
    """
    url = f"{REPOSITORY}/blob/{tag(version)}/{path.lstrip('/')}"
    return f"{url}#{anchor}" if anchor else url
