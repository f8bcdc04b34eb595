# Two commands for a newcomer: `make demo` and `make test`. Both create .venv themselves.
# .venv gets exactly the versions in constraints.txt (the set the suite last passed with);
# `make lock` refreshes that set and keeps it only if the whole suite passes on it.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EXTRAS := test,docs
LOCK_VENV := .lock-venv

.PHONY: setup demo test bench bench-env docs lock dist clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade -c constraints.txt pip setuptools
	$(BIN)/python -m pip install --quiet --no-build-isolation -c constraints.txt -e '.[$(EXTRAS)]'
	touch $(STAMP)

demo: setup
	$(BIN)/fluxtrap demo

test: setup
	$(BIN)/python -m pytest -q -n 2 --durations=25

docs: setup
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

bench: setup
	for f in bench/bench_*.py; do $(BIN)/python $$f || exit 1; done

# The optimizer benchmark's peers (BayBE, Optuna), kept out of fluxtrap's dependencies: their own
# venv with fluxtrap pinned by constraints.txt and the peers pinned by bench/requirements.txt.
BENCH_VENV := .venv-bench
bench-env: $(BENCH_VENV)/.installed

$(BENCH_VENV)/.installed: pyproject.toml constraints.txt bench/requirements.txt
	test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet -c constraints.txt -e . -r bench/requirements.txt
	touch $@

# Resolve the newest versions pyproject.toml allows in a fresh venv, run the suite there, and only
# if it passes write them to constraints.txt (torch's local "+cpu" label dropped: pyproject pins it).
lock:
	rm -rf $(LOCK_VENV)
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet --upgrade pip setuptools
	$(LOCK_VENV)/bin/python -m pip install --quiet --no-build-isolation -e '.[$(EXTRAS)]'
	$(LOCK_VENV)/bin/python -m pytest -q -n 2 -p no:cacheprovider
	{ echo "# make lock: the versions the suite passed with (pip freeze of a fresh venv)"; \
	  $(LOCK_VENV)/bin/python -m pip freeze --all --exclude-editable | sed 's/^torch==\(.*\)+cpu$$/torch==\1/'; \
	} > constraints.txt
	rm -rf $(LOCK_VENV)

dist: setup
	rm -rf dist
	$(BIN)/python -m build --no-isolation --outdir dist .

clean:
	rm -rf $(VENV) $(LOCK_VENV) $(BENCH_VENV) dist site demo-report fluxtrap-demo.db
