# EHPS reporting workspace. `make report` builds the latest quarter's pack (and the SCS performance
# dashboard for the statutory returns' latest month); `make test` tests.
# Both create the virtual environment (.venv) when it is missing, install from PyPI,
# and reuse it on later runs. `make help` lists every target.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PERIOD ?= latest
DATA   ?= data

# Debian packages the workspace needs at run time (WeasyPrint's Pango, fonts) and for tests.
DEB_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core fonts-liberation2 poppler-utils \
                chromium

.PHONY: help report test lint lab clean clean-data system-deps venv synth indicators bench bench-indicators bench-build bench-backfill

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,lab]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (EHPS workspace)" >/dev/null
	@touch $(STAMP)

venv: $(STAMP)  ## create or update the virtual environment

system-deps:  ## install the Debian packages WeasyPrint and the tests need (needs root)
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ]; then echo "Installing Debian packages: $$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "Missing Debian packages (install them as root): $$missing"; fi; \
	fi

$(DATA)/processed/_manifest.json: $(STAMP) ehps_lib/data/synth.py ehps_lib/config.yml ehps_lib/data/contract.py ehps_lib/data/ingest.py
	$(BIN)/ehps synth

# The synthetic statutory returns (CIN census, SSDA903, supplement) the SCS dashboard is built from.
RETURNS_SOURCES := ehps_lib/data/returns/synth.py ehps_lib/data/returns/contract.py ehps_lib/data/returns/ingest.py \
                   ehps_lib/data/returns/rules.py ehps_lib/data/returns/xml.py ehps_lib/data/returns/schedule.py
$(DATA)/returns/processed/_manifest.json: $(STAMP) $(RETURNS_SOURCES)
	$(BIN)/ehps synth-returns

synth: $(STAMP)  ## regenerate the synthetic extract and returns and ingest them, with the calibration reports
	$(BIN)/ehps synth --report
	$(BIN)/ehps synth-returns --report

indicators: $(DATA)/processed/_manifest.json  ## compute the indicator results for PERIOD
	$(BIN)/ehps indicators --period "$(PERIOD)"

report: system-deps $(DATA)/processed/_manifest.json $(DATA)/returns/processed/_manifest.json  ## build the latest pack (quarter and its latest monthly edition; SCS dashboard: month) into site/
	$(BIN)/ehps build --period "$(PERIOD)"
	@echo "Open site/index.html (officers' internal papers: internal/)"

node_modules/axe-core/axe.min.js: package.json
	npm install --no-audit --no-fund --loglevel=error
	@touch $@

test: system-deps $(STAMP) node_modules/axe-core/axe.min.js  ## run every test: unit, doctest, notebooks, browser, end to end
	$(BIN)/python -m pytest

lint: $(STAMP)  ## ruff over the library, tests and notebooks
	$(BIN)/ruff check ehps_lib tests notebooks

bench: bench-indicators bench-build bench-backfill  ## run every benchmark in bench/

bench-indicators: $(STAMP)  ## time the indicator engine (13 areas x 36 months, five-year extract)
	$(BIN)/python bench/bench_indicators.py

bench-build: system-deps $(STAMP)  ## time ehps build against papermill + nbconvert + weasyprint, then rebuilds
	$(BIN)/python bench/bench_build.py

bench-backfill: system-deps $(STAMP)  ## time 12 quarters + 12 monthly editions built into one site
	$(BIN)/python bench/bench_backfill.py

LAB_PORT ?= 8888
LAB_ARGS ?=
lab: $(STAMP)  ## start JupyterLab with the workspace kernel (LAB_PORT=8890, LAB_ARGS="--no-browser --ip=0.0.0.0")
	@echo "Start with notebooks/explore/getting_started.ipynb; papers are templates in notebooks/."
	$(BIN)/jupyter lab --notebook-dir=. --port=$(LAB_PORT) $(LAB_ARGS)

clean:  ## remove generated reports, the site and the internal papers (keeps data and the venv)
	rm -rf reports/*/ site _site .quarto internal

clean-data:  ## remove generated data (processed extract, results, quarantine)
	rm -rf $(DATA)/processed $(DATA)/results $(DATA)/quarantine $(DATA)/extract $(DATA)/returns
