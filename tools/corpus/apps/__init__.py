"""The corpus's apps: one module per app, each with ``ORIGIN`` and ``build(app)``.

Two kinds (issue 22): apps that instantiate construct libraries other authors publish on
PyPI (pinned in tools/corpus/requirements.txt), and apps written here that reproduce the
documented pattern of a public example, whose repository, path and commit ``ORIGIN`` names.
No public repository's code is copied: each pattern is rebuilt from what the example deploys.
"""
