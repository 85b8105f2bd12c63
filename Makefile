# One task runner. `make run` and `make test` work on a fresh machine with Python 3.11+.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8501
DB     ?= data/attendance.duckdb
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup browser run test test-fast lint format bench bench-quick sample clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

setup: $(VENV)/.installed

# Debian's packages: Chromium for the real-browser tests (never a browser download), Pango for
# WeasyPrint's PDFs, poppler-utils (pdftoppm, pdftotext) to open the PDFs in tests.
DEBIAN_PACKAGES := chromium fonts-dejavu-core libpango-1.0-0 libpangoft2-1.0-0 poppler-utils
browser:
	@dpkg -s $(DEBIAN_PACKAGES) >/dev/null 2>&1 || { \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(DEBIAN_PACKAGES) >/dev/null; }

run: setup
	ATTENDANCE_DB=$(DB) $(BIN)/python -m data load-sample --if-empty
	ATTENDANCE_DB=$(DB) $(BIN)/streamlit run app.py --server.port $(PORT) --server.headless true \
		--browser.gatherUsageStats false

test: setup browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -n 2 --dist loadgroup --durations=30

test-fast: setup
	$(BIN)/python -m pytest -n 2 --dist loadgroup -m "not browser"

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: setup
	$(BIN)/python -m benchmarks

# The growth series alone at 1 and 5 schools (a few minutes): their rows of docs/PERFORMANCE.md are replaced,
# 20 and 100 schools keep their last full run's figures (docs/growth.json says when each was measured).
bench-quick: setup
	$(BIN)/python -m benchmarks --quick --only bench_growth

sample: setup
	$(BIN)/python sample_data/generate.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
