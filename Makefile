# Vitrine — the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Data for `make run`: leave EVENTS empty to generate and use the demo store.
EVENTS  ?=
CATALOG ?=
PRESET  ?=
DEMO_DIR   ?= data/demo
MODELS_DIR ?= models
PORT       ?= 8000
# The admin token of the console and the write endpoints: generated once for `make run`, or set
# VITRINE_ADMIN_TOKEN yourself.
ADMIN_TOKEN_FILE := data/admin_token

.PHONY: run test browser postgres bench train demo-data screenshots clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,spark]'
	touch $(STAMP)

$(DEMO_DIR)/events.csv: | $(STAMP)
	$(BIN)/vitrine demo-data --out $(DEMO_DIR)

ifeq ($(strip $(EVENTS)),)
train: $(DEMO_DIR)/events.csv
	$(BIN)/vitrine train --events $(DEMO_DIR)/events.csv --catalog $(DEMO_DIR)/catalog.csv --models-dir $(MODELS_DIR)
else
train: $(STAMP)
	$(BIN)/vitrine train --events $(EVENTS) $(if $(CATALOG),--catalog $(CATALOG)) $(if $(PRESET),--preset $(PRESET)) --models-dir $(MODELS_DIR)
endif

$(ADMIN_TOKEN_FILE):
	mkdir -p $(dir $@)
	umask 077 && $(PYTHON) -c "import secrets; print(secrets.token_urlsafe(24))" > $@

run: train $(ADMIN_TOKEN_FILE)
	@echo
	@echo "Serving the model in $(MODELS_DIR)/ on http://localhost:$(PORT) (Ctrl-C stops it). Try:"
	@echo "  curl -s 'http://localhost:$(PORT)/v1/users/u00001/recommendations?n=5'"
	@echo "  curl -s 'http://localhost:$(PORT)/v1/items/p00001/related?n=5&placement=product'"
	@echo "  curl -s 'http://localhost:$(PORT)/v1/popular?n=5&trending=true'"
	@echo "  curl -s -X POST http://localhost:$(PORT)/v1/recommendations -H 'Content-Type: application/json' -d '{\"session\": [{\"item_id\": \"p00001\", \"event\": \"view\"}], \"n\": 5}'"
	@echo "  curl -s -X POST http://localhost:$(PORT)/v1/cart/complements -H 'Content-Type: application/json' -d '{\"items\": [\"p00001\"], \"n\": 5}'"
	@echo "  curl -s -X POST http://localhost:$(PORT)/v1/events -H 'Content-Type: application/json' -d '{\"type\": \"view\", \"item_id\": \"p00001\", \"visitor_id\": \"me\"}'"
	@echo "  curl -s 'http://localhost:$(PORT)/v1/visitors/me/recommendations?n=5'"
	@echo "  API docs: http://localhost:$(PORT)/docs"
	@echo "  Demo store with the widget: http://localhost:$(PORT)/demo/store"
	@echo "  Console: http://localhost:$(PORT)/console (admin token: $${VITRINE_ADMIN_TOKEN:-$$(cat $(ADMIN_TOKEN_FILE))})"
	@echo
	VITRINE_ADMIN_TOKEN=$${VITRINE_ADMIN_TOKEN:-$$(cat $(ADMIN_TOKEN_FILE))} $(BIN)/vitrine serve --models-dir $(MODELS_DIR) --host 127.0.0.1 --port $(PORT)

demo-data: $(DEMO_DIR)/events.csv

test: $(STAMP) browser postgres
	$(BIN)/python -m pytest

# The browser tests (tests/browser) drive Debian's headless Chromium through its ChromeDriver;
# install both when missing (CI is a fresh machine where we are root).
browser:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y chromium chromium-driver; \
	fi

# The store tests run on PostgreSQL too: tests/databases.py starts a throwaway server from the
# installed binaries (initdb, pg_ctl); install Debian's server package when they are missing.
postgres:
	@if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y postgresql; \
	fi

bench: $(STAMP)
	$(BIN)/python -m bench.run

# Refresh the README's screenshots from the last test run.
screenshots:
	cp build/screenshots/*.png docs/screenshots/

clean:
	rm -rf $(VENV) $(DEMO_DIR) build *.egg-info
