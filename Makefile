# On a fresh clone: `make demo` runs the main job, `make test` runs the suite. Both create .venv and install
# everything first (idempotent: the install re-runs only when pyproject.toml or constraints.txt change).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint docs clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test]"
	touch $(STAMP)

demo: setup
	$(BIN)/jcrnet verify --out out/demo

# Two pytest workers (pytest-xdist), each taking whole test files (their cached models and references stay in one
# process); TEST_JOBS=0 runs the suite in this process.
TEST_JOBS ?= 2
test: setup
	$(BIN)/python -m pytest $(if $(filter-out 0,$(TEST_JOBS)),-n $(TEST_JOBS) --dist loadfile)

lint: setup
	$(BIN)/ruff check .

docs: setup
	$(BIN)/jcrnet api-map --out docs/API_MAPPING.md --force
	$(BIN)/python -m jcrnet_kit.docs.regions

clean:
	rm -rf $(VENV) out .pytest_cache

# On a Linux machine with an NVIDIA GPU: both frameworks on the GPU, one JSON report (tools/gpu_check.sh --help).
.PHONY: gpu-check
gpu-check:
	tools/gpu_check.sh $(GPU_CHECK_ARGS)
