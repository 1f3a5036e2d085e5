# Two entry points on a fresh clone (see README):
#   make run   - relman's main job, `relman demo`, in its own virtual environment (.venv)
#   make test  - the full check suite, in its own virtual environment (.venv-test)
PYTHON ?= python3
RUN_VENV := .venv
TEST_VENV := .venv-test
REPO ?=
DEMO_WORKSPACE ?= relman-demo

.PHONY: run test check clean

$(RUN_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(RUN_VENV)
	$(RUN_VENV)/bin/pip install --quiet --upgrade pip
	$(RUN_VENV)/bin/pip install --quiet -e '.[demo]'
	touch $@

$(TEST_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(TEST_VENV)
	$(TEST_VENV)/bin/pip install --quiet --upgrade pip
	$(TEST_VENV)/bin/pip install --quiet -e '.[dev]'
	touch $@

# The J-003 plan end to end on this machine (a fresh ./relman-demo workspace each time);
# `make run REPO=path` instead shows the next version and release notes of a repository.
run: $(RUN_VENV)/.installed
ifeq ($(strip $(REPO)),)
	$(RUN_VENV)/bin/relman demo --fresh --workspace $(DEMO_WORKSPACE)
else
	$(RUN_VENV)/bin/relman -C $(REPO) version next --allow-noop
	$(RUN_VENV)/bin/relman -C $(REPO) notes
endif

test: $(TEST_VENV)/.installed
	PATH="$(CURDIR)/$(TEST_VENV)/bin:$$PATH" scripts/check

clean:
	rm -rf $(RUN_VENV) $(TEST_VENV) .mypy_cache .ruff_cache .pytest_cache
