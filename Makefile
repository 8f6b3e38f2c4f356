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

.PHONY: run test bench train demo-data clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
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

run: train

demo-data: $(DEMO_DIR)/events.csv

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) $(DEMO_DIR) build *.egg-info
