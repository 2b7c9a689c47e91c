# Two commands do all the setup: `make demo` and `make test`. Installs are redone only when
# pyproject.toml changes (stamp files in .stamps/).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMPS := .stamps
PYTEST_ARGS ?=

.PHONY: demo test test-slow lava-env install lint clean

install: $(STAMPS)/venv

$(STAMPS)/venv: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "make: the main environment needs Python >= 3.11 (set PYTHON=...)")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@mkdir -p $(STAMPS) && touch $@

lava-env: $(STAMPS)/lava-env

$(STAMPS)/lava-env: pyproject.toml scripts/make_lava_env.sh
	bash scripts/make_lava_env.sh
	@mkdir -p $(STAMPS) && touch $@

demo: install
	$(BIN)/spikesim run shd-delays --compare-nodelay --eval-backends reference,numba

test: install lava-env
	$(BIN)/ruff check spikesim backends datasets hardware tests benchmarks scripts
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

test-slow: install lava-env
	$(BIN)/python -m pytest -m slow $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check spikesim backends datasets hardware tests benchmarks scripts

clean:
	rm -rf $(VENV) .venv-lava $(STAMPS) build dist *.egg-info
