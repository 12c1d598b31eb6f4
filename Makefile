# One command each: `make test` runs the whole test suite, `make demo` the demo server.
# Both create .venv on first use and reuse it afterwards. `make test-lowest` runs the
# tests again on the lowest versions pyproject.toml declares (in .venv-lowest).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEV_STAMP := $(VENV)/.dev-installed

.PHONY: test lint typecheck imports pytest test-lowest test-django-newest bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25.1"

# Everything the tests need, from this project's own files (extras + the dev group).
$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e . --group dev
	touch $@

test: lint typecheck imports pytest

lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests benchmarks examples docs/conf.py .ci/package_check.py .ci/lowest-pins.py scripts
	$(BIN)/ruff format --check src tests benchmarks examples docs/conf.py .ci/package_check.py .ci/lowest-pins.py scripts

typecheck: $(DEV_STAMP)
	$(BIN)/mypy

imports: $(DEV_STAMP)
	$(BIN)/lint-imports

# In parallel (pytest-xdist), one worker per core and one more: many tests wait on a
# database, a server or their threads, and on 2 cores 3 workers ran the suite in 178 s
# against 232 s with 2 and 200 s with 4. Then the example Django shop's suite (its own
# project and pytest configuration), in parallel too. TEST_WORKERS=0 runs them in one process.
TEST_WORKERS ?= $(shell $(PYTHON) -c "import os; print((os.cpu_count() or 1) + 1)")
XDIST := -n $(TEST_WORKERS)

pytest: $(DEV_STAMP)
	$(BIN)/pytest $(XDIST) $(PYTEST_ARGS)
	cd examples/django_shop && $(abspath $(BIN))/pytest $(XDIST) $(PYTEST_ARGS)

# The lowest declared versions: every floor of the core dependencies and of every extra
# installed exactly (.ci/lowest-pins.py derives them from pyproject.toml; the dev tools
# are the newest that fit), then the whole test suite.
LOWEST_VENV ?= .venv-lowest
LOWEST_STAMP := $(LOWEST_VENV)/.lowest-installed

$(LOWEST_STAMP): pyproject.toml .ci/lowest-pins.py
	rm -rf $(LOWEST_VENV)
	$(PYTHON) -m venv $(LOWEST_VENV)
	$(LOWEST_VENV)/bin/python -m pip install --quiet --upgrade "pip>=25.1"
	$(PYTHON) .ci/lowest-pins.py > $(LOWEST_VENV)/constraints.txt
	$(LOWEST_VENV)/bin/python -m pip install --quiet -c $(LOWEST_VENV)/constraints.txt \
		-e ".[$$($(PYTHON) .ci/lowest-pins.py --extras)]" --group dev
	touch $@

test-lowest: $(LOWEST_STAMP)
	@echo "Lowest declared versions:" && cat $(LOWEST_VENV)/constraints.txt
	$(LOWEST_VENV)/bin/pytest $(XDIST) $(PYTEST_ARGS)
	cd examples/django_shop && $(abspath $(LOWEST_VENV))/bin/pytest $(XDIST) $(PYTEST_ARGS)

# Django's newest release needs a newer Python than Django 5.2 LTS does: the example
# shop's suite again, on NEWEST_PYTHON (3.12 or newer) with the newest Django there is.
NEWEST_PYTHON ?= python3.13
DJANGO_VENV ?= .venv-django

test-django-newest:
	rm -rf $(DJANGO_VENV)
	$(NEWEST_PYTHON) -m venv $(DJANGO_VENV)
	$(DJANGO_VENV)/bin/python -m pip install --quiet --upgrade "pip>=25.1"
	$(DJANGO_VENV)/bin/python -m pip install --quiet --upgrade -e . --group dev
	@$(DJANGO_VENV)/bin/python -c "import django, sys; print('Django', django.get_version(), 'on Python', sys.version.split()[0])"
	cd examples/django_shop && $(abspath $(DJANGO_VENV))/bin/pytest $(XDIST) $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) $(LOWEST_VENV) $(DJANGO_VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis

# `make bench`: the benchmark suite (docs/performance.md). Informational: it prints every
# figure, with its target or against the peers measured in the same run, then each figure
# against the previous release's (benchmarks/baseline.json), flagging a regression of more
# than 10 %; it fails only when a benchmark cannot run (BENCH_ARGS="--fail-on-regression"
# fails on a regression too). BENCH_ARGS passes options on, e.g. BENCH_ARGS="--only 4,5".
BENCH_STAMP := $(VENV)/.bench-installed

$(BENCH_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e . --group dev --group bench
	touch $@

bench: $(BENCH_STAMP)
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

# The demo server with the extras its options need (web, SQLAlchemy, PostgreSQL for
# `--database postgresql://...`, Redis for `--redis`), installed once (again when
# pyproject.toml changes). `make demo DEMO_ARGS="--port 9000"` passes options on.
DEMO_STAMP := $(VENV)/.demo-installed

.PHONY: demo
demo: $(DEMO_STAMP)
	$(BIN)/guest-orders serve $(DEMO_ARGS)

$(DEMO_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[web,sqlalchemy,postgresql,redis]'
	touch $@

# `make docs`: the documentation site in docs/_build/html, built strictly: any warning
# (a broken link or anchor, a docstring that is not valid reST) fails it. docs/conf.py
# writes the API reference pages first.
DOCS_STAMP := $(VENV)/.docs-installed

.PHONY: docs
docs: $(DOCS_STAMP)
	$(BIN)/sphinx-build -W --keep-going -q -E -b html docs docs/_build/html

$(DOCS_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e . --group docs
	touch $@

# `make package-check`: build the sdist and the wheel, `twine check` them, install them in
# fresh virtual environments (no extras, then each extra alone) and use them as a user
# would (docs/contributing.md).
RELEASE_STAMP := $(VENV)/.release-installed

.PHONY: package-check
package-check: $(RELEASE_STAMP)
	$(BIN)/python .ci/package_check.py

$(RELEASE_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --group release
	touch $@

# `make messages`: extract the messages from the source and update and compile every
# catalog under src/guest_orders/locale (scripts/messages.py; docs/contributing.md).
.PHONY: messages
messages: $(DEV_STAMP)
	$(BIN)/python scripts/messages.py
