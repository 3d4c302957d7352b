# WinterAction: two commands on a fresh machine with only Python.
#   make run    set up, migrate, load the demo county if the database is empty, serve on 127.0.0.1:$(PORT)
#               with a Celery worker and its beat beside it (reminders)
#   make test        set up and run the whole suite (SQLite unless DATABASE_URL is set), in parallel:
#                    pytest-xdist -n auto, one process per core, each with its own test database
#   make test-fast   the same without the tests marked slow (-m "not slow": schemathesis, browser,
#                    the Celery worker end to end, scale, load_demo, large-campaign query counts)
#   Both pass PYTEST_ARGS on: PYTEST_ARGS="-n0 tests/api" runs part of the suite in one process.
# With DATABASE_URL and REDIS_URL set, both use PostgreSQL and Redis.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
# A local run and the test suite run with DEBUG on (a generated SECRET_KEY is kept in var/).
export DEBUG ?= 1

.PHONY: run test test-fast install lint check messages screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	touch $@

install: $(VENV)/.installed

# Reminders run too: a Celery worker with the beat embedded (the daily scan, the outbox sweeper) starts
# beside the server and stops with it (Ctrl-C, or SIGTERM to the process group). Without REDIS_URL
# both use kombu's filesystem transport under var/broker (CELERY_EMBEDDED=1) and share the SQLite file
# in WAL mode; with REDIS_URL they use Redis. The worker's log is var/celery-worker.log.
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo --if-empty
	@echo ""
	@echo "  WinterAction 冬季行动督办: http://127.0.0.1:$(PORT)/"
	@$(BIN)/python manage.py demo_accounts
	@echo "  Reminders: a Celery worker with its beat; log in var/celery-worker.log"
	@echo ""
	@export CELERY_EMBEDDED=1; \
	$(BIN)/celery -A winteraction worker -B --pool=solo --without-mingle --without-gossip \
	  --loglevel=INFO >var/celery-worker.log 2>&1 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; \
	trap 'exit 130' INT; trap 'exit 143' TERM; \
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# -n auto first, so that an -n in PYTEST_ARGS (-n0: one process, e.g. for a debugger) wins. worksteal: a
# process that runs out of tests takes some from another; the slowest tests (live_server, a Celery
# worker) come last, since pytest-django runs the transactional ones after the others.
XDIST := -n auto --dist worksteal

test: install
	$(BIN)/python -m pytest $(XDIST) $(PYTEST_ARGS)

test-fast: install
	$(BIN)/python -m pytest $(XDIST) -m "not slow" $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

check: install
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run

# Needs GNU gettext (apt-get install gettext); the compiled .mo files are committed.
messages: install
	$(BIN)/python manage.py makemessages -l en --no-obsolete --ignore '$(VENV)/*' --ignore 'var/*'
	$(BIN)/python manage.py compilemessages -l en --ignore '$(VENV)/*'

# The browser journeys save screenshots under var/screenshots; the README shows the copies in docs/.
screenshots: install
	$(BIN)/python -m pytest -q tests/browser -p no:cacheprovider
	mkdir -p docs/screenshots
	cp var/screenshots/*.png docs/screenshots/

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
