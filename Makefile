# zimao — `make run` starts the demo zone, `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
STAMP = $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install demo bench messages clean lint

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,bench]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/zimao migrate --noinput
	$(BIN)/zimao demo
	$(BIN)/zimao serve --host $(HOST) --port $(PORT)

demo: $(STAMP)
	$(BIN)/zimao migrate --noinput
	$(BIN)/zimao demo

test: $(STAMP)
	$(BIN)/lint-imports --no-cache
	$(BIN)/pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python bench/run.py
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/permits.py
	$(BIN)/python bench/trade.py
	$(BIN)/python bench/load.py
	$(BIN)/python bench/dashboard.py
	$(BIN)/python bench/bonded.py

# Gather translatable text into each app's locale (or src/zimao/locale) and compile it.
messages: $(STAMP)
	cd src/zimao && ZIMAO_DATA_DIR=$(CURDIR)/var ../../$(BIN)/zimao makemessages -l zh_Hans --no-obsolete -i "tests/*" \
		&& ZIMAO_DATA_DIR=$(CURDIR)/var ../../$(BIN)/zimao compilemessages

clean:
	rm -rf $(VENV) var .pytest_cache
