# `make run` and `make test` set everything up on a fresh machine; see README.md.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
RUN_STAMP := $(VENV)/.run-installed
DEV_STAMP := $(VENV)/.dev-installed
CHROMIUM := /usr/bin/chromium

.PHONY: run test bench faults chromium clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(RUN_STAMP): requirements.txt | $(PY)
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@ $(RUN_STAMP)

# Browser tests drive Debian's Chromium; no browser is ever downloaded.
chromium:
	@test -x $(CHROMIUM) || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; }

run: $(RUN_STAMP)
	$(PY) -m streamlit run app.py

test: $(DEV_STAMP) chromium
	$(PY) -m pytest -q

bench: $(DEV_STAMP)
	$(PY) -m benchmarks

faults: $(DEV_STAMP)
	$(PY) -m benchmarks.faults

clean:
	rm -rf $(VENV) data logs .pytest_cache
