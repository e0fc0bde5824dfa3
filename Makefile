# Switchboard — one entry point for every task. `make test` and `make run` work on a fresh clone
# where only Python 3.11+ and Node 18+ are installed: the virtual environment is made here.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# checkov has its own environment: it pins boto3 and packaging below what the dev extras need (pyproject's
# `checkov` extra holds the pin).
CHECKOV_VERSION := 3.3.30
CHECKOV := build/checkov/bin/checkov
PORT   ?= 3000
ROLE   ?= operator
TENANT ?= demo

.PHONY: help venv checkov test test-fast run token layer synth deploy bench clean chromium

help:
	@echo "make run    - the whole system on this machine (API on http://127.0.0.1:$(PORT))"
	@echo "make test   - unit, integration, infrastructure and end-to-end tests"
	@echo "make token  - a bearer token for the demo operator (ROLE=admin, TENANT=name, OPERATOR=<invited id>)"
	@echo "make synth  - the CloudFormation template (offline, no Docker, no credentials), cdk-nag, cfn-lint, checkov"
	@echo "make bench  - benchmarks, written to bench/results/latest.json and docs/performance.md"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

venv: $(STAMP)

$(CHECKOV):
	$(PYTHON) -m venv build/checkov
	build/checkov/bin/pip install --quiet "checkov==$(CHECKOV_VERSION)"

checkov: $(CHECKOV)

# The Node tools (package.json): the CDK command line, and openapi-typescript for the generated TypeScript client.
NODE_STAMP := node_modules/.installed
$(NODE_STAMP): package.json package-lock.json
	npm install --no-audit --no-fund --silent
	touch $@

# Headless Chromium for the browser CORS test (tests/contract/test_cors_browser.py): Debian's package.
chromium:
	@test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

test: $(STAMP) $(CHECKOV) $(NODE_STAMP) chromium
	$(PY) -m pytest -n 2 --durations=10

test-fast: $(STAMP)
	$(PY) -m pytest -n 2 -m "not e2e and not infra and not contract"

run: $(STAMP)
	PORT=$(PORT) $(PY) -m infra.local

token: $(STAMP)
	@$(PY) -m infra.local.token --role $(ROLE) --tenant $(TENANT) $(if $(OPERATOR),--invited $(OPERATOR) --port $(PORT))

layer: $(STAMP)
	$(PY) -m infra.cdk.layer

node_modules/.bin/cdk: $(NODE_STAMP)
	touch $@

synth: layer node_modules/.bin/cdk $(CHECKOV)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" node_modules/.bin/cdk synth --quiet
	$(VENV)/bin/cfn-lint cdk.out/Switchboard.template.json cdk.out/*.nested.template.json
	$(CHECKOV) --config-file .checkov.yaml $(foreach t,cdk.out/Switchboard.template.json $(wildcard cdk.out/*.nested.template.json),-f $(t))
	@echo "template: cdk.out/Switchboard.template.json and its nested stack (alarms; cdk-nag AwsSolutions: no unsuppressed error, cfn-lint: clean, checkov: no failed check but the skips of .checkov.yaml)"

deploy: layer node_modules/.bin/cdk
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" node_modules/.bin/cdk deploy

bench: $(STAMP)
	$(PY) -m pip install -q -e '.[dev,bench]'
	$(PY) -m bench

clean:
	rm -rf $(VENV) build cdk.out node_modules .pytest_cache
