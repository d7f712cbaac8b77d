# The two commands of the README: `make demo` (set up + run the main job end to end) and
# `make test` (set up + the whole test suite). Everything else here serves those two.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_DIR ?= demo-out
# A normal (non-editable) install: it is what users get, and it is what lets the plain
# Snakemake CLI find the Dask executor plugin. The stamp reinstalls after any source change.
SOURCES := pyproject.toml $(shell git ls-files gateway jobs kernels reference workflows snakemake_executor_plugin_dask 2>/dev/null)

.PHONY: setup test-tools demo test test-fast lint-workflows benchmark clean

setup: $(VENV)/.installed

$(VENV)/.installed: $(SOURCES)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet '.[dev]'
	touch $@

# The main job as a company meets it: `lsdih up` (gateway, worker, Dask), a tenant and key,
# simulated reads uploaded over HTTP, fastq-qc, results downloaded, the report's path.
demo: setup
	$(BIN)/lsdih demo --outdir $(DEMO_DIR) --samples 4 --reads 50000 --seed 7

# Debian's tools that tests use as oracles and benchmarks as peers (wrk: the load of the
# gateway benchmark); the product never calls them. Installed only where missing, so a
# machine without root still runs the rest.
PEER_TOOLS := fastp cutadapt seqtk seqkit redis-server minimap2 samtools bcftools wrk
test-tools:
	@missing="$(strip $(foreach t,$(PEER_TOOLS),$(if $(shell command -v $(t)),,$(t))))"; \
	if [ -n "$$missing" ]; then \
		echo "installing peer tools:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

test: setup
	$(BIN)/python -m pytest

test-fast: setup
	$(BIN)/python -m pytest -m "not slow"

lint-workflows: setup
	$(BIN)/lsdih workflows lint

benchmark: setup
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) $(DEMO_DIR) build *.egg-info .pytest_cache
