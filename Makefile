# Quick start: `make run` (the whole flow on the local sandbox network) and `make test`.
# Both create .venv and install what they need on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint bench fuzz wheel-smoke clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/medcom-adapter demo

test: $(STAMP)
	$(BIN)/pytest
	$(BIN)/ruff check .
	$(BIN)/mypy

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

# the built wheel installed in a fresh venv outside the checkout: validate, show, demo, serve
wheel-smoke:
	.ci/wheel-smoke

bench: $(STAMP)
	$(BIN)/python -m benchmarks

fuzz: $(STAMP)
	for target in check parse receipt answer acknowledgement referral-request km-request; do \
		$(BIN)/python -m tests.fuzz.atheris_run $$target -max_total_time=$${FUZZ_SECONDS:-300} \
			-artifact_prefix=out/fuzz/ || exit 1; \
	done

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache build *.egg-info
