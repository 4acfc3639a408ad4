# Two commands do everything on a fresh machine with Python 3.11 and make:
#   make demo   install what is missing, run the pipeline on the sample data, draft the 2020H1, 2020H2 and
#               2020FY reports
#   make test   the whole test suite (make test-fast: the unit tests only)
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := $(CURDIR)/.venv
BIN    := $(VENV)/bin

DATA_DIR  ?= $(CURDIR)/include/data
WAREHOUSE ?= $(CURDIR)/build/warehouse.duckdb
FROM ?= 2019-01
TO   ?= 2020-12
SOURCES ?=

export AIRFLOW_HOME := $(CURDIR)/.airflow
export AIRFLOW__CORE__DAGS_FOLDER := $(CURDIR)/dags
export AIRFLOW__CORE__PLUGINS_FOLDER := $(CURDIR)/plugins
export AIRFLOW__CORE__LOAD_EXAMPLES := False
export AIRFLOW__LOGGING__LOGGING_LEVEL ?= ERROR
export GX_ANALYTICS_ENABLED := false
# Library deprecation chatter would bury the run summaries.
export PYTHONWARNINGS ?= ignore
# The one command line (src/town_industry/cli/main.py), installed into the virtualenv by `make install`.
CLI := $(BIN)/town-industry

.PHONY: demo run rebuild report pdf explain summary test test-fast test-e2e sql install fonts airflow-home airflow airflow-stop backfill airflow-cli compose compose-env suites docs new-source sample-data bench lock clean

# The demo pseudonymises the sample ID numbers with a fixed, public key. Real runs need a secret key:
# the Airflow variable person_id_hmac_key or the environment variable PERSON_ID_HMAC_KEY.
DEMO_KEY := demo-key-NOT-SECRET-do-not-use-for-real-data

demo: airflow-home
	@echo "!!! make demo pseudonymises ID numbers with a FIXED DEMO KEY ($(DEMO_KEY))."
	@echo "!!! Never load real personal data this way: set a secret person_id_hmac_key instead."
	PERSON_ID_HMAC_KEY=$(DEMO_KEY) $(MAKE) --no-print-directory run FROM=2019-01 TO=2020-12 SOURCES= \
		DATA_DIR=$(CURDIR)/include/data WAREHOUSE=$(CURDIR)/build/warehouse.duckdb
	$(CLI) summary --warehouse $(CURDIR)/build/warehouse.duckdb
	@$(MAKE) --no-print-directory report PERIOD="2020H1 2020H2 2020FY" WAREHOUSE=$(CURDIR)/build/warehouse.duckdb

run: airflow-home
	$(CLI) run --from $(FROM) --to $(TO) --data-dir $(DATA_DIR) --warehouse $(WAREHOUSE) --sources "$(SOURCES)"

PERIOD ?= 2020H1
report: install       ## (re)draft report periods from the KPI mart into reports/<period>/: PERIOD="2020H1 2020FY"
	$(CLI) report --period $(PERIOD) --warehouse $(WAREHOUSE)

pdf: install          ## the period's Word draft as PDF (LibreOffice; installed where missing): make pdf PERIOD=2020H1
	$(CLI) pdf --period $(PERIOD)

KPI ?= taxable_sales_yoy_pct
explain: install      ## why a growth rate moved: make explain KPI=taxable_sales_yoy_pct PERIOD=2020H1
	$(CLI) explain --kpi $(KPI) --period $(PERIOD) --warehouse $(WAREHOUSE)

summary: install      ## what the warehouse holds (tables, files by source and status, warnings)
	$(CLI) summary --warehouse $(WAREHOUSE)

# The end-to-end set (the make airflow stack, mostly waiting on its scheduler) runs beside the rest, in a
# pytest session of its own: the suite takes the time of the longer of the two, not their sum (tests marked
# beside_e2e join it, to even the two out). The sessions share nothing they write: the e2e set gets a copy
# of the SQLite Airflow home whose airflow.cfg names the copy (a verbatim copy kept the original's log
# folder, so its sample run overwrote the other session's run logs), a --basetemp of its own and free
# ports; apt-get runs one at a time (deploy/packages.py).
# Its output is printed after the rest's and kept in .airflow/e2e/pytest.log; either failing fails make test.
E2E_HOME := $(AIRFLOW_HOME)/e2e
test: airflow-home     ## everything: unit tests, the DAG runs (dag.test), the make airflow stack end to end
	@rm -rf $(E2E_HOME) && mkdir -p $(E2E_HOME) && cp $(AIRFLOW_HOME)/airflow.db $(E2E_HOME)/
	@sed 's|$(AIRFLOW_HOME)/|$(E2E_HOME)/|g' $(AIRFLOW_HOME)/airflow.cfg > $(E2E_HOME)/airflow.cfg
	@tmp=$$(mktemp -d); \
	AIRFLOW_HOME=$(E2E_HOME) $(BIN)/python -m pytest -m "e2e or beside_e2e" --basetemp=$$tmp/basetemp > $(E2E_HOME)/pytest.log 2>&1 & e2e=$$!; \
	echo "make test: the end-to-end set (pytest -m \"e2e or beside_e2e\") runs beside the rest; its output follows theirs."; \
	$(BIN)/python -m pytest -m "not e2e and not beside_e2e"; rest=$$?; \
	echo "make test: waiting for the end-to-end set ($(E2E_HOME)/pytest.log)"; \
	wait $$e2e; e2e=$$?; rm -rf $$tmp; \
	echo "==================== the end-to-end set (pytest -m \"e2e or beside_e2e\"), run beside the rest ===================="; \
	cat $(E2E_HOME)/pytest.log; \
	echo "make test: the rest exited $$rest, the end-to-end set $$e2e"; \
	test $$rest -eq 0 -a $$e2e -eq 0

test-fast: airflow-home ## the unit tests only (no DAG runs, no scheduler): seconds, for the edit-test loop
	$(BIN)/python -m pytest -m "not integration and not e2e"

test-e2e: airflow-home ## the slow set alone: the make airflow stack (PostgreSQL, scheduler) backfilling the sample data
	$(BIN)/python -m pytest -m e2e -s

Q ?=
sql: install           ## SQL on the published warehouse (read-only): make sql, or make sql Q="FROM meta.current_files"
	$(CLI) sql --warehouse $(WAREHOUSE) $(if $(Q),"$(Q)")

install: $(VENV)/.installed
$(VENV)/.installed: requirements.txt constraints.txt pyproject.toml | $(VENV)/.fonts
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -c constraints.txt
	# the project itself (src/town_industry), editable: its dependencies are the pinned ones above
	$(BIN)/python -m pip install --quiet --no-build-isolation --no-deps -e .
	touch $@

# The report's charts and Word draft are in Chinese: without a font with Chinese glyphs they show boxes.
fonts: $(VENV)/.fonts
$(VENV)/.fonts:
	@if [ -z "$$(fc-list :lang=zh 2>/dev/null)" ]; then \
		apt="env DEBIAN_FRONTEND=noninteractive apt-get"; \
		[ "$$(id -u)" -eq 0 ] || apt="sudo $$apt"; \
		$$apt install -y --no-install-recommends fonts-wqy-microhei \
		|| { $$apt update && $$apt install -y --no-install-recommends fonts-wqy-microhei; }; \
	fi
	mkdir -p $(VENV) && touch $@

# Airflow's home lives inside the project: SQLite metadata, no examples, the writer pool.
airflow-home: $(AIRFLOW_HOME)/.ready
$(AIRFLOW_HOME)/.ready: $(VENV)/.installed
	mkdir -p $(AIRFLOW_HOME)
	$(BIN)/airflow db migrate > $(AIRFLOW_HOME)/migrate.log 2>&1 || (cat $(AIRFLOW_HOME)/migrate.log; exit 1)
	$(BIN)/airflow pools set duckdb_writer 1 "DuckDB allows one writer: every task that writes the warehouse" > /dev/null
	touch $@

# A local Airflow stack fit for the real scheduler, in .airflow/server (the SQLite home above stays for
# make run / make test): docker-compose.yml's topology on one machine (src/town_industry/deploy/topology.py):
# PostgreSQL metadata DB, Redis, CeleryExecutor, api-server, scheduler, dag-processor, triggerer and two
# Celery workers (queue default: validation; queue warehouse: the one writer of DuckDB). Runs in the foreground and prints the UI address and the admin password; Ctrl-C or
# `make airflow-stop` (from another terminal) stops everything. On the sample data the demo key is used
# unless PERSON_ID_HMAC_KEY is set; other data needs the key (or the Airflow variable person_id_hmac_key).
PORT ?= 8080
PG_PORT ?= 5433
airflow: install
	@if [ -z "$$PERSON_ID_HMAC_KEY" ] && [ "$(realpath $(DATA_DIR))" = "$(realpath $(CURDIR)/include/data)" ]; then \
		echo "!!! make airflow pseudonymises ID numbers with a FIXED DEMO KEY ($(DEMO_KEY))."; \
		echo "!!! Never load real personal data this way: set a secret person_id_hmac_key instead."; \
		export PERSON_ID_HMAC_KEY="$(DEMO_KEY)"; \
	elif [ -z "$$PERSON_ID_HMAC_KEY" ]; then \
		echo "Note: no PERSON_ID_HMAC_KEY: set the Airflow variable person_id_hmac_key before loading ID numbers."; \
	fi; \
	DATA_DIR=$(abspath $(DATA_DIR)) WAREHOUSE=$(abspath $(WAREHOUSE)) \
		exec $(CLI) airflow start --port $(PORT) --pg-port $(PG_PORT)

airflow-stop: install
	$(CLI) airflow stop

backfill: install      ## on the running make airflow stack: switch the DAGs on, backfill FROM..TO of every source (or SOURCES=)
	$(CLI) airflow backfill --from $(FROM) --to $(TO) --sources "$(SOURCES)"

compose: install        ## regenerate docker-compose.yml from src/town_industry/deploy/topology.py
	$(CLI) compose

compose-env: install    ## write .env (git-ignored) with a random value for every secret of docker-compose.yml
	$(CLI) compose-env

ARGS ?= dags list
airflow-cli: install   ## the airflow command line against the running make airflow stack: make airflow-cli ARGS="dags list"
	$(CLI) airflow cli $(ARGS)

LEDGER ?=
rebuild: airflow-home ## rebuild the warehouse from the archive into build/rebuild/ and compare fingerprints (LEDGER=a backup)
	$(CLI) rebuild --warehouse $(WAREHOUSE) $(if $(LEDGER),--ledger $(LEDGER))

suites: install       ## regenerate expectations/suites/*.json from include/sources/*.yml
	$(CLI) suites

docs: install         ## regenerate the generated pages of docs/ (KPI catalogue, rules, sources, data dictionary) from the declarations
	$(CLI) docs

NAME ?=
new-source: install   ## scaffold a new source (declaration, SQL, sample month, test, suite): make new-source NAME=land_transfers
	$(CLI) new-source "$(NAME)"

sample-data: install  ## regenerate include/data/ (deterministic; the tool is tools/sample_data)
	cd $(CURDIR) && $(BIN)/python -m tools.sample_data

# National-scale figures (tools/bench): synthetic months of up to 1,000,000 enterprises through the ingest,
# against DuckDB's own read_csv (the floor) and pandas + GX + to_sql (the usual way); the KPI mart over
# 60 months; Airflow's overhead. Prints a table and writes build/bench/<UTC time>.json and latest.json.
# About 15 minutes (the first run also builds cached warehouses under build/bench/cache/). Not part of
# make test (tests/test_bench.py runs it at tiny sizes). make bench SIZES=50000,500000 RUNS=1 BENCH_ARGS=--quick
SIZES ?=
RUNS ?=
BENCH_ARGS ?=
bench: install        ## national-scale benchmark: ingest vs floor and peer, KPI mart, Airflow overhead
	cd $(CURDIR) && $(BIN)/python -m tools.bench $(if $(SIZES),--sizes $(SIZES)) $(if $(RUNS),--runs $(RUNS)) $(BENCH_ARGS)

lock: install         ## re-pin every dependency after changing requirements.txt
	$(BIN)/python -m pip freeze --all --exclude-editable | grep -v "^pip==" > constraints.txt

clean:
	-test -x $(CLI) && $(CLI) airflow stop
	rm -rf build reports $(AIRFLOW_HOME)
