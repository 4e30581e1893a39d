# Everything goes through a project-local virtualenv, so a fresh machine with only
# Python 3.11+ needs nothing else: `make demo` and `make test` set it up themselves.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: setup provision demo test test-thorough sphinx-floor lint typecheck unit spec spec-check docs man bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

## System tools that some tests check outputs with (nft, iptables in a namespace,
## xmllint, firewalld's reader, chromium for the docs). Needs root and apt-get; without
## them those tests skip and say why. Tests themselves never install anything.
PROVISION_PACKAGES := nftables iptables libxml2-utils python3-firewall chromium zsh fish
provision:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  export DEBIAN_FRONTEND=noninteractive; \
	  { apt-get update -qq && apt-get install -y -qq --no-install-recommends \
	      $(PROVISION_PACKAGES) >/dev/null; } \
	  || echo "provision: could not install all of $(PROVISION_PACKAGES); their tests skip"; \
	else \
	  echo "provision: not root or no apt-get; tests that need $(PROVISION_PACKAGES) skip"; \
	fi

## The main job: what changed in the ports between two bundled releases.
demo: setup
	$(BIN)/portspec diff v1.8 v2.1

## The whole test suite: lint, types, spec freshness, unit + integration tests.
test: setup lint typecheck unit sphinx-floor

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

unit: setup
	HYPOTHESIS_PROFILE=quick $(BIN)/python -m pytest

## The Sphinx extension's tests on the oldest Sphinx pyproject.toml allows (own venv);
## the main suite runs them on the newest.
sphinx-floor: setup
	$(BIN)/python scripts/sphinx_matrix.py floor

## The same suite with the thorough hypothesis profile (1,000 examples a property).
test-thorough: setup lint typecheck
	HYPOTHESIS_PROFILE=thorough $(BIN)/python -m pytest

## Regenerate the bundled spec from ../shared/corpus (review the diff before committing).
spec: setup
	$(BIN)/python scripts/build_spec.py

spec-check: setup
	$(BIN)/python scripts/build_spec.py --check

docs: setup
	$(BIN)/sphinx-build -W --keep-going -b html docs docs/_build/html

## The man page, generated from the same argparse parser as --help.
man: setup
	mkdir -p docs/_build/man
	$(BIN)/python -m konvoy_portspec.cli.manpage -o docs/_build/man/portspec.1

bench: setup
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .venv-sphinx-floor .venv-sphinx-latest build dist docs/_build .pytest_cache .mypy_cache .ruff_cache
