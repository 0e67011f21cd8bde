# Everything runs from .venv, created on first use from the hashed lock file.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.8
STAMP := $(VENV)/.installed

.PHONY: demo test test-later lint lock bench bench-province up down backup clean sample pictures ui-pictures

demo: $(STAMP)  ## run the monthly report on the bundled sample workbook
	$(BIN)/cchc report --period 2026-05 --as-of 2026-06-05

test: $(STAMP)  ## lint, type-check and run the whole test suite
	$(BIN)/ruff check flows tasks tests data benchmarks templates docs deploy
	$(BIN)/ruff format --check flows tasks tests data benchmarks templates docs deploy
	$(BIN)/mypy flows tasks benchmarks
	$(BIN)/pytest $(PYTEST_PROCESSES) --durations=10

# Two processes: most tests wait on a server (Prefect, SMTP, Sheets, LibreOffice), not the CPU;
# on the 2-core build machine the suite takes about a quarter less time than in one process.
PYTEST_PROCESSES := -n 2

# No test may depend on the day it runs: the tests that read the clock (flows, CLI, deployments,
# e-mail, alerts) again with the clock moved into 2027 by libfaketime (Debian: apt install faketime).
# libfaketime 0.9.10: with FAKETIME_DONT_FAKE_MONOTONIC=1, Python's time.sleep fails with EINVAL,
# so the monotonic clock is left faked too (it still advances).
LATER := @2027-03-20 09:00:00
test-later: $(STAMP)  ## the date-sensitive tests again, the clock moved to $(LATER)
	faketime -f '$(LATER)' $(BIN)/pytest $(PYTEST_PROCESSES) -q -p no:cacheprovider tests/test_flows.py \
		tests/test_flows_outside.py tests/test_cli_startup.py tests/test_deploy.py tests/test_mail.py \
		tests/test_posted.py tests/test_alerts.py tests/test_watchdog.py

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
	  echo "Cần Python 3.11+ có venv / Python 3.11+ with venv is needed" \
	       "(Debian/Ubuntu: sudo apt install python3 python3-venv)." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip sync --quiet --python $(BIN)/python --require-hashes requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

bench: $(STAMP)  ## performance figures against their targets (docs/performance.md)
	$(BIN)/python -m benchmarks.run; status=$$?; $(MAKE) bench-province || status=1; exit $$status

bench-province: $(STAMP)  ## 130 agencies' monthly reports on 1 and 2 workers, peak Sheets reads
	$(BIN)/python -m benchmarks.province_bench

up: $(STAMP)  ## start the Prefect server and a worker, deploy every schedule, print the UI address
	bash deploy/up.sh

down:  ## stop what `make up` started
	bash deploy/down.sh

backup: $(STAMP)  ## one owner-only archive of .env, config, templates, prefect.db and var/ state
	$(BIN)/python deploy/backup.py $(CCHC_BACKUP_DIR)

lock: $(STAMP)  ## refresh requirements.lock from pyproject.toml (names, versions and hashes only)
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 -o requirements.lock

sample: $(STAMP)  ## regenerate the bundled sample workbook
	$(BIN)/python data/sample/make_sample.py

pictures: $(STAMP)  ## re-render the report pictures in docs/ from the sample (LibreOffice, poppler)
	$(BIN)/python docs/pictures.py

ui-pictures: $(STAMP)  ## re-take the Prefect UI screenshots in docs/ (needs chromium; not in CI)
	$(BIN)/python docs/ui_screenshot.py

.PHONY: reliability
reliability: $(STAMP)  ## bad-input, fault and secret tests; regenerates docs/reliability.md
	rm -f var/reliability.jsonl
	CCHC_RELIABILITY_OUT=$(CURDIR)/var/reliability.jsonl $(BIN)/python -m pytest -q -p tests.reliability \
		tests/test_bad_input.py tests/test_faults.py tests/test_secrets.py
	$(BIN)/python -m tests.reliability var/reliability.jsonl docs/reliability.md

clean:
	rm -rf $(VENV) var

# --- The province (docs/province.md) ----------------------------------------------------------
.PHONY: test-slow province-demo
test-slow: $(STAMP)  ## the minutes-long tests: 130 agencies' reports at Google's real Sheets quota
	$(BIN)/pytest -q -m slow --durations=5

PROVINCE_DEMO := var/tinh-mau
province-demo: $(STAMP)  ## 5 agencies' reports and the province roll-up, from sample workbooks
	rm -rf $(PROVINCE_DEMO)
	$(BIN)/python -m benchmarks.province --agencies 5 --out $(PROVINCE_DEMO)
	$(BIN)/cchc report-agencies --period 2026-05 --as-of 2026-06-05 --agencies $(PROVINCE_DEMO)/agencies.yaml
	$(BIN)/cchc rollup --period 2026-05 --as-of 2026-06-10 --agencies $(PROVINCE_DEMO)/agencies.yaml
