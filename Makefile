# Quick start: `make run` (the whole flow on the local sandbox network) and `make test`.
# Both create .venv and install what they need on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint lock bench fuzz wheel-smoke clean

# Dependencies come from the lock file, pinned with hashes; `make lock` updates it.
$(STAMP): pyproject.toml requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

run: $(STAMP)
	MEDCOM_DATA_DIR="$(CURDIR)/.medcom" $(BIN)/medcom-adapter demo

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

# Re-resolve the lock files (requirements.lock: the service; requirements-dev.lock: plus the
# test tools) from pyproject.toml, with hashes, for CPython 3.11 on x86-64 Linux: the
# platform of CI, the image and the machines the service runs on.
LOCK_OPTIONS := --quiet --python-platform x86_64-manylinux_2_28 --python-version 3.11 \
	--generate-hashes --extra postgresql
lock:
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install --quiet uv
	.venv-lock/bin/uv pip compile $(LOCK_OPTIONS) -o requirements.lock pyproject.toml
	.venv-lock/bin/uv pip compile $(LOCK_OPTIONS) --extra dev -o requirements-dev.lock pyproject.toml

bench: $(STAMP)
	$(BIN)/python -m benchmarks

fuzz: $(STAMP)
	for target in check parse receipt answer acknowledgement referral-request km-request; do \
		$(BIN)/python -m tests.fuzz.atheris_run $$target -max_total_time=$${FUZZ_SECONDS:-300} \
			-artifact_prefix=out/fuzz/ || exit 1; \
	done

# The fault-injection campaign, long: SOAK_RUNS runs (kill rounds) for each of SOAK_WORKERS
# and SOAK_ENGINES (PostgreSQL when MEDCOM_TEST_POSTGRES_URL is set); see tests/workers/soak.py.
soak: $(STAMP)
	$(BIN)/python -m tests.workers.soak --runs $${SOAK_RUNS:-200} --workers $${SOAK_WORKERS:-1,3} \
		--engines $${SOAK_ENGINES:-sqlite,postgresql}

clean:
	rm -rf $(VENV) .venv-lock out .pytest_cache .mypy_cache .ruff_cache build *.egg-info
