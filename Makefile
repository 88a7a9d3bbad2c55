# `make run` and `make test` set everything up on a fresh machine; see README.md.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
RUN_STAMP := $(VENV)/.run-installed
DEV_STAMP := $(VENV)/.dev-installed
CHROMIUM := /usr/bin/chromium

.PHONY: run test lint bench faults chromium lock clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# The app alone: its direct pins, resolved against the lock so it gets the same versions as the tests.
$(RUN_STAMP): requirements.txt requirements.lock | $(PY)
	$(PY) -m pip install -q -r requirements.txt -c requirements.lock
	touch $@

# Everything the tests, lint and benchmarks use: the whole locked set, nothing resolved afresh.
$(DEV_STAMP): requirements.lock | $(PY)
	$(PY) -m pip install -q -r requirements.lock
	touch $@ $(RUN_STAMP)

# Browser tests drive Debian's Chromium; no browser is ever downloaded.
chromium:
	@test -x $(CHROMIUM) || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; }

run: $(RUN_STAMP)
	$(PY) -m dashboard.serve

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# Everything but the browser on four workers (most tests wait on a simulated exchange, so two cores carry four),
# then the browser tests on two workers, a module each (each module has its own server): typing into Streamlit's
# data grid is timing-sensitive, and running beside the CPU-bound tests makes it miss keys.
# Types are checked beside the first tests: on a clean clone mypy has no cache.
test: $(DEV_STAMP) chromium
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	@$(VENV)/bin/mypy > $(VENV)/mypy.out 2>&1 & types=$$!; \
	  $(PY) -m pytest -q -n 4 --dist load -m "not browser"; tests=$$?; \
	  wait $$types; typed=$$?; echo "mypy:"; cat $(VENV)/mypy.out; \
	  test $$tests -eq 0 && test $$typed -eq 0
	$(PY) -m pytest -q -n 2 --dist loadfile -m browser

bench: $(DEV_STAMP)
	$(PY) -m benchmarks

faults: $(DEV_STAMP)
	$(PY) -m benchmarks.faults

# After changing requirements*.txt: pin the whole set again.
lock: | $(PY)
	$(PY) -m pip install -q pip-tools
	$(VENV)/bin/pip-compile -q --strip-extras --no-emit-index-url --no-emit-find-links --no-header \
	  --annotation-style=line -o requirements.lock requirements-dev.txt

clean:
	rm -rf $(VENV) data logs .pytest_cache
