# zimao — `make run` starts the demo zone, `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
LOCK = requirements.lock
STAMP = $(VENV)/.installed-$(shell cat pyproject.toml $(LOCK) | sha1sum | cut -c1-12)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install demo bench messages clean lint format lock

# Installs exactly what requirements.lock pins (hashes checked), then zimao itself without deps.
$(STAMP): pyproject.toml $(LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
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
	$(BIN)/python bench/scale.py

# Style and common bugs (ruff), in seconds; CI runs it before the tests.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Refresh requirements.lock from pyproject.toml (every platform's hashes, Python 3.11+).
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra test --extra bench --generate-hashes --universal \
		--python-version 3.11 --quiet -o $(LOCK)

# Gather translatable text into each app's locale (or src/zimao/locale) and compile it.
messages: $(STAMP)
	cd src/zimao && ZIMAO_DATA_DIR=$(CURDIR)/var ../../$(BIN)/zimao makemessages -l zh_Hans --no-obsolete -i "tests/*" \
		&& ZIMAO_DATA_DIR=$(CURDIR)/var ../../$(BIN)/zimao compilemessages

clean:
	rm -rf $(VENV) var .pytest_cache
