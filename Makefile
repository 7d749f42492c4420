# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DATA_DIR ?= .
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test test-fast lint typecheck bench example-db clean check-python upgrade postgresql validators samples caddy peer

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "quick_publisher needs Python 3.11 or newer; set PYTHON=python3.x")'

$(VENV)/.runtime: requirements.txt | check-python
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt $(VENV)/.runtime
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# The site and its consumer together, in development mode: each mail is
# saved under $(DATA_DIR)/mail/ (one line says where), requests and routine
# consumer news are not logged (LOG_LEVEL=INFO brings them back), warnings
# and errors are. The first start copies the demo database; while the site
# has no superuser, an Owner is made and its password printed once. Ctrl-C
# stops both.
run: $(VENV)/.runtime
	@set -e; export DJANGO_DEBUG=$${DJANGO_DEBUG:-1} DATA_DIR="$(DATA_DIR)" LOG_LEVEL=$${LOG_LEVEL:-WARNING}; \
	mkdir -p "$(DATA_DIR)"; \
	if [ ! -f "$(DATA_DIR)/db.sqlite3" ]; then \
		cp db.sqlite3.example "$(DATA_DIR)/db.sqlite3"; \
		echo "Started from the demo database: $(DATA_DIR)/db.sqlite3"; \
	fi; \
	$(PY) manage.py migrate --no-input -v 0; \
	if [ "$$DJANGO_DEBUG" = 1 ]; then $(PY) manage.py owner_create owner@example.com; fi; \
	echo "Mail is saved in $(DATA_DIR)/mail/; Ctrl-C stops the site and its consumer."; \
	$(PY) manage.py run_huey & huey=$$!; \
	trap 'kill $$huey 2>/dev/null; wait $$huey 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver $${BIND:-127.0.0.1:8000}

# The whole suite on both engines at once: SQLite (the default) in the
# foreground, and PostgreSQL (a throwaway server harness/postgres.py starts on
# loopback) beside it, its output in $(PG_LOG) and its summary printed last.
# The PostgreSQL pass's multi-consumer fault tests (four minutes of waiting
# out heartbeats and scheduled minutes) run as a third process on a server of
# their own, and the pages in a browser (SQLite) as a fourth: most of the
# suite waits on real processes, so the two cores are shared four ways. What
# does not depend on the engine (browser pages, validators, the README's
# deploy) runs in the SQLite passes only.
PG_LOG := test-artifacts/pytest-postgresql.log
FLEET_LOG := test-artifacts/pytest-postgresql-consumers.log
BROWSER_LOG := test-artifacts/pytest-browser.log
FLEET := tests/stack/test_consumers.py
test: lint typecheck postgresql caddy validators samples peer
	@mkdir -p test-artifacts; \
	echo "The PostgreSQL and browser passes run beside this one; their output: $(PG_LOG), $(FLEET_LOG), $(BROWSER_LOG)"; \
	$(PY) -m harness.postgres -- $(PY) -m pytest -p no:cacheprovider --ignore=$(FLEET) $(PYTEST_ARGS) >$(PG_LOG) 2>&1 & pg=$$!; \
	$(PY) -m harness.postgres -- $(PY) -m pytest -p no:cacheprovider $(FLEET) $(PYTEST_ARGS) >$(FLEET_LOG) 2>&1 & fleet=$$!; \
	$(PY) -m pytest -p no:cacheprovider -m browser $(PYTEST_ARGS) >$(BROWSER_LOG) 2>&1 & pages=$$!; \
	trap 'kill $$pg $$fleet $$pages 2>/dev/null' INT TERM; \
	$(PY) -m pytest --ignore=$(FLEET) -m "not browser" $(PYTEST_ARGS); sqlite=$$?; \
	wait $$pages; browser=$$?; wait $$pg; postgres=$$?; wait $$fleet; consumers=$$?; \
	[ $$consumers = 5 ] && consumers=0; [ $$browser = 5 ] && browser=0; \
	echo "=== Pages in a browser, and the same suite on PostgreSQL (full output: $(BROWSER_LOG), $(PG_LOG), $(FLEET_LOG)) ==="; \
	grep -hE '^(FAILED|ERROR) ' $(BROWSER_LOG) $(PG_LOG) $(FLEET_LOG) || true; \
	tail -n 1 $(BROWSER_LOG); tail -n 1 $(PG_LOG); tail -n 1 $(FLEET_LOG); \
	exit $$(( sqlite || browser || postgres || consumers ))

# Debian's PostgreSQL server for the suite's second pass (it starts its own
# throwaway cluster; the package's service is not used).
postgresql:
	@ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || \
		{ echo "Installing Debian's postgresql for the PostgreSQL pass of the suite"; $(SUDO) apt-get update -qq && \
		  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq postgresql >/dev/null; }

# Debian's Caddy, for the test of the deploy's picture serving (tests/stack/test_caddy.py).
caddy:
	@command -v caddy >/dev/null 2>&1 || \
		{ echo "Installing Debian's caddy for the test of deploy/Caddyfile"; $(SUDO) apt-get update -qq && \
		  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq caddy >/dev/null; }

# The Nu Html Checker (the W3C's validator, as the vnu-jar package its
# authors publish on npm; pinned) and the Java runtime it runs on, for
# tests/stack/test_validators.py.
VNU_VERSION := 26.9.27
VNU_JAR := $(VENV)/validators/node_modules/vnu-jar/build/dist/vnu.jar
validators: $(VENV)/.validators-$(VNU_VERSION)
$(VENV)/.validators-$(VNU_VERSION): | $(VENV)/.runtime
	@command -v java >/dev/null 2>&1 || \
		{ echo "Installing Debian's Java runtime for the Nu Html Checker"; $(SUDO) apt-get update -qq && \
		  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq default-jre-headless >/dev/null; }
	@command -v npm >/dev/null 2>&1 || \
		{ echo "Installing Debian's npm to fetch the Nu Html Checker"; $(SUDO) apt-get update -qq && \
		  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq npm >/dev/null; }
	npm install --loglevel=error --ignore-scripts --no-audit --no-fund --prefix $(VENV)/validators vnu-jar@$(VNU_VERSION)
	@test -f $(VNU_JAR)
	touch $@

# Real exports this project did not write, for the importer's tests
# (tests/blog/importers/): the WordPress export and the Atom and RSS feeds of
# Pelican's own test suite, unpacked from its wheel on PyPI (pinned; nothing
# is installed).
PELICAN_VERSION := 4.11.0
SAMPLES := $(VENV)/samples/pelican-$(PELICAN_VERSION)
samples: $(SAMPLES)/.unpacked
$(SAMPLES)/.unpacked: | $(VENV)/.runtime
	$(PY) -m pip download --quiet --disable-pip-version-check --no-deps --only-binary :all: -d $(SAMPLES) pelican==$(PELICAN_VERSION)
	$(PY) -c 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); \
		[z.extract(n, sys.argv[2]) for n in z.namelist() if n.startswith("pelican/tests/") and n.endswith((".xml", ".md"))]' \
		$(SAMPLES)/pelican-$(PELICAN_VERSION)-py3-none-any.whl $(SAMPLES)
	touch $@

# The fediverse peer the interoperability tests follow authors from
# (harness/fediverse/): bovine, a maintained ActivityPub library, in a
# virtualenv of its own, since it pins an older cryptography than the site.
peer: $(VENV)/peer/.installed
$(VENV)/peer/.installed: harness/fediverse/requirements.txt | $(VENV)/.runtime
	$(PYTHON) -m venv $(VENV)/peer
	$(VENV)/peer/bin/python -m pip install --quiet --disable-pip-version-check -r harness/fediverse/requirements.txt
	touch $@

# The rule set is chosen in pyproject.toml; CI fails on a lint error.
lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Types of the product's code (pyproject.toml says what is checked and why).
typecheck: $(VENV)/.dev
	DATA_DIR=$$(mktemp -d) $(VENV)/bin/mypy

# Unit tests only: no real processes (DATABASE_URL=postgres://... for PostgreSQL).
test-fast: $(VENV)/.dev
	$(PY) -m pytest -m "not integration"

# Rebuild the demo database from the current migrations.
example-db: $(VENV)/.runtime
	@set -e; tmp=$$(mktemp -d); \
	DJANGO_DEBUG=1 DATA_DIR=$$tmp $(PY) manage.py migrate --no-input -v0; \
	DJANGO_DEBUG=1 DATA_DIR=$$tmp $(PY) manage.py seed_demo; \
	$(PY) -c "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute('pragma journal_mode=delete'); c.execute('vacuum'); c.close()" $$tmp/db.sqlite3; \
	cp $$tmp/db.sqlite3 db.sqlite3.example; rm -rf $$tmp; \
	echo "Wrote db.sqlite3.example"

# Upgrade a site installed by the README's deploy block, in its folder, as the
# user who installed it. The running site serves the old code against the
# migrated database until the restart (so every migration must suit both; see
# the README's Upgrading), and the restart queues connections on the socket
# unit instead of refusing them.
ETC ?= /etc/quick_publisher
SERVICE_USER ?= quick_publisher
upgrade:
	sudo git pull --ff-only --quiet
	sudo $(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	sudo sh -c "set -a; . '$(ETC)/env'; $(PY) manage.py collectstatic --no-input -v0"
	sudo -u $(SERVICE_USER) sh -c "set -a; . '$(ETC)/env'; $(PY) manage.py migrate --no-input"
	sudo systemctl restart quick_publisher-web quick_publisher-consumer
	@echo "Upgraded to $$(git log -1 --format='%h %s')"

clean:
	rm -rf $(VENV) staticfiles .pytest_cache

$(VENV)/.bench: requirements-bench.txt $(VENV)/.dev
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-bench.txt
	touch $@

# Huey/SQLite side by side with Celery/Redis; writes docs/benchmarks.md. Needs
# redis-server and wrk from Debian's packages and installs them when missing.
bench: $(VENV)/.bench postgresql
	@command -v redis-server >/dev/null && command -v wrk >/dev/null || \
		{ echo "Installing redis-server and wrk"; $(SUDO) apt-get update -qq && \
		  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq redis-server wrk >/dev/null; }
	$(PY) -m bench.run
