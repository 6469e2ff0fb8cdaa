# The two commands: `make lab` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEMO   := data/demo.duckdb
STAMP  := $(VENV)/.installed
# JupyterLab refuses to run as root unless told; root is common in containers.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: lab app test test-browser bench bench-browser bench-peers bench-forecast bench-forecast-model bench-flags bench-letters lint format setup demo clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	# strip notebook outputs on commit (git filter; a run notebook never dirties the repo)
	# ... and without the Python version JupyterLab writes on every save (metadata.language_info),
	# so opening, running and saving notebooks leaves `git status` clean and `git pull` works
	if [ -d .git ]; then $(BIN)/nbstripout --install --attributes .gitattributes && \
		git config filter.nbstripout.extrakeys "metadata.language_info"; fi
	touch $(STAMP)

# rebuilt when the generator or the models change (the old file is replaced, not loaded into)
$(DEMO): $(STAMP) dunning_analytics/ledger/demo.py $(wildcard dunning_analytics/ledger/sql/*.sql dunning_analytics/ledger/sql/*/*.sql)
	$(BIN)/dunning-analytics demo --ledger $(DEMO) --quiet --replace

demo: $(DEMO)

LEDGER ?= $(abspath $(DEMO))

# the kit's own JupyterLab settings (menus in DUNNING_LANG's language, no news pop-ups)
LAB_SETTINGS := $(abspath .jupyter/lab-settings)

# JupyterLab on the start page (notebooks/00_start.ipynb); `make lab LEDGER=mine.duckdb` for yours
lab: $(STAMP) $(DEMO)
	$(BIN)/python -m dunning_analytics.notebook.lab_settings $(LAB_SETTINGS)
	JUPYTERLAB_SETTINGS_DIR=$(LAB_SETTINGS) DUNNING_LEDGER=$(LEDGER) \
		$(BIN)/jupyter lab --notebook-dir=notebooks $(ROOT_FLAG) \
		--LabApp.default_url=/lab/tree/00_start.ipynb \
		--ContentsManager.pre_save_hook=dunning_analytics.notebook.lab_settings.saved_without_widgets

# The same views as a web app without code cells (Voila), opening on the start page
APP_PORT ?= 8866
app: $(STAMP) $(DEMO)
	@echo "The app: http://localhost:$(APP_PORT)/voila/render/00_start.ipynb"
	DUNNING_LEDGER=$(LEDGER) $(BIN)/voila notebooks --port=$(APP_PORT) --no-browser \
		--Voila.ip=127.0.0.1 & \
		sleep 3; $(BIN)/python -m webbrowser -t http://localhost:$(APP_PORT)/voila/render/00_start.ipynb; \
		wait

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: lint
	$(BIN)/python -m pytest -m "not browser"

# JupyterLab in headless Chromium (Debian's /usr/bin/chromium); screenshots in artifacts/
test-browser: $(STAMP)
	$(BIN)/python -m pytest -m browser -v -rs

# Scale benchmark (100k, 1M, 10M invoices; `make bench SIZE=1000000` for one size) -> BENCHMARKS.md
bench: $(STAMP)
	$(BIN)/python benchmarks/bench.py $(if $(SIZE),--sizes $(SIZE),)

# Ours against the peers as their experts write them: loaded and cold, all cores and one
# (100k and 1M; `make bench-peers SIZE=1000000` for one size) -> BENCHMARKS.md
bench-peers: $(STAMP)
	$(BIN)/python benchmarks/peers_bench.py $(if $(SIZE),--sizes $(SIZE),)

# The cash-in forecast's backtest on the demo ledger and the IBM sample -> BENCHMARKS.md
bench-forecast: $(STAMP)
	$(BIN)/python benchmarks/forecast_backtest.py

# The forecast's curve against a gradient-boosted model (scikit-learn) -> BENCHMARKS.md
bench-forecast-model: $(STAMP)
	$(BIN)/python benchmarks/forecast_model.py

# The deposit flags against each rule alone and simple rules (demo ledger) -> BENCHMARKS.md
bench-flags: $(STAMP)
	$(BIN)/python benchmarks/flags_backtest.py

# A week's letters with their PDFs: one browser session against a Chromium per letter -> BENCHMARKS.md
bench-letters: $(STAMP)
	$(BIN)/python benchmarks/letters_bench.py

# The explorers' update times in Chromium on a scale ledger (default 1M invoices): the
# browser timing tests on benchmarks/results/ledger-SIZE.duckdb -> artifacts/explorer_timings.json
bench-browser: $(STAMP)
	$(BIN)/python benchmarks/bench.py --browser $(or $(SIZE),1000000)

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache .ruff_cache
