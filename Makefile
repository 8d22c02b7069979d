# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export KOMPETENSLYFT_INSTANCE_PATH ?= instance

.PHONY: run test lint translations messages migrate clean lock bench

# docker/lrs: the backend of the LRS compose ships, which the forwarding tests' LRS runs too.
$(STAMP): pyproject.toml constraints.txt docker/lrs/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]' -e ./docker/lrs
	touch $(STAMP)

translations: $(STAMP)
	$(BIN)/pybabel -q compile -d lti_tool/translations -D messages

# After changing user-facing text: extract it and merge it into the Swedish catalogue.
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
		--project=Kompetenslyft -o lti_tool/translations/messages.pot lti_tool lti templates
	$(BIN)/pybabel update -w 100 -i lti_tool/translations/messages.pot \
		-d lti_tool/translations -D messages

migrate: $(STAMP)
	KOMPETENSLYFT_MODE=development $(BIN)/kompetenslyft db upgrade

run: translations migrate
	KOMPETENSLYFT_MODE=development $(BIN)/kompetenslyft serve --host 127.0.0.1 --port 5000

# Two workers (pytest-xdist), one per core; each has its own databases, tool server and Chromium.
TEST_WORKERS ?= 2
test: translations node-deps
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

# axe-core for the browser accessibility tests, pinned by package-lock.json (no browser download:
# Chromium comes from Debian). Reinstalled when it is missing or the lock file changed.
NODE_STAMP := node_modules/.installed
.PHONY: node-deps
node-deps:
	@if [ ! -f node_modules/axe-core/axe.min.js ] || [ ! -f $(NODE_STAMP) ] \
		|| [ package-lock.json -nt $(NODE_STAMP) ]; then \
		npm ci --no-audit --no-fund && touch $(NODE_STAMP); \
	fi

# The design system (Digdir's Designsystemet, MIT): its built CSS, default theme and licence
# copied from the npm package pinned in package-lock.json into the tool's static files, so
# the pages never load anything from a CDN. tests/lti_tool/test_design_system.py checks the
# copies are byte-identical to the installed package.
DS_PACKAGE := node_modules/@digdir/designsystemet-css
DS_VENDOR := lti_tool/static/vendor/designsystemet
.PHONY: vendor-design
vendor-design: node-deps
	mkdir -p $(DS_VENDOR)
	cp $(DS_PACKAGE)/dist/src/index.css $(DS_VENDOR)/designsystemet.css
	cp $(DS_PACKAGE)/dist/theme/designsystemet.css $(DS_VENDOR)/theme.css
	cp $(DS_PACKAGE)/LICENSE $(DS_VENDOR)/LICENSE
	node -p "require('./$(DS_PACKAGE)/package.json').version" > $(DS_VENDOR)/VERSION

# The images built (on a Debian bookworm base made from Debian's packages) and run with podman
# as docker/compose.yaml runs them, against the local PostgreSQL (tests/deploy/built_image.py
# says what it checks). Needs podman, runc and debootstrap (.ci/run installs them) and root.
.PHONY: image-test
image-test: translations
	$(BIN)/python -m tests.deploy.built_image

# The benchmarks (bench/): gunicorn and PostgreSQL as in production; prints one table and
# writes bench/out/latest.md and latest.json. Not a test: a missed target is reported.
bench: translations
	$(BIN)/python -m bench $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Re-pin the tested dependency set after changing pyproject.toml.
lock: $(STAMP)
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^-e' > constraints.txt

clean:
	rm -rf $(VENV) instance .pytest_cache
