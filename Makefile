# The two set-up commands of the README: `make demo` and `make test`. Both create .venv as needed.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
# Re-install when pyproject.toml changes.
STAMP  := $(VENV)/.installed-$(shell sha256sum pyproject.toml 2>/dev/null | cut -c1-16)

# The consumer package models/ (torch) installs only for `make test`, so `make demo` needs no torch.
MODELS_STAMP := $(VENV)/.models-$(shell cat pyproject.toml models/pyproject.toml 2>/dev/null | sha256sum | cut -c1-16)

# A second environment for the readers: today's ML stack (Python 3.12, numpy 2), no bpy. The
# reader, export and verify tests run there too, so `pip install facesynth` keeps working for them.
# python3.12 on PATH, else one installed by pyenv (whose shim fails while another version is global).
PYTHON_NP2 ?= $(firstword $(shell python3.12 -c 'import sys; print(sys.executable)' 2>/dev/null) \
                        $(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3.12) python3.12)
VENV_NP2   := .venv-np2
STAMP_NP2  := $(VENV_NP2)/.installed-$(shell sha256sum pyproject.toml 2>/dev/null | cut -c1-16)
NP2_TESTS  := tests/test_io_dataset.py tests/test_io_reader_strict.py tests/test_io_verify.py \
              tests/test_io_codecs.py tests/test_io_png16.py tests/test_io_store.py tests/test_atomic.py \
              tests/test_io_compare.py tests/test_readers_install.py

.PHONY: demo test lint venv venv-np2 clean-venv bench bench-quick

venv: $(STAMP)

venv-np2: $(STAMP_NP2)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[render,farm,dev]"
	@rm -f $(VENV)/.installed-*
	@touch $@

$(STAMP_NP2): pyproject.toml
	@test -x $(VENV_NP2)/bin/python || $(PYTHON_NP2) -m venv $(VENV_NP2)
	$(VENV_NP2)/bin/python -m pip install --quiet -e ".[test]" "numpy>=2"
	@rm -f $(VENV_NP2)/.installed-*
	@touch $@

# Render the quickstart dataset (built-in head, no download) and a contact sheet of it.
demo: $(STAMP)
	$(BIN)/facesynth validate recipes/*.yaml
	$(BIN)/facesynth render recipes/quickstart.yaml --out out/quickstart
	$(BIN)/facesynth verify out/quickstart
	$(BIN)/facesynth stats out/quickstart --out out/quickstart-report
	@echo "demo: dataset in out/quickstart, report and contact sheet in out/quickstart-report"

# Every test: lint, the whole pytest suite (real Blender renders, real ICT files from ../shared),
# the reader/export/verify tests again under numpy 2 without bpy, the models package's tests, and the
# documentation site built with --strict (broken links or missing pages fail).
test: $(STAMP) $(STAMP_NP2) $(MODELS_STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -p no:cacheprovider
	$(VENV_NP2)/bin/python -m pytest -q -p no:cacheprovider $(NP2_TESTS)
	cd models && ../$(BIN)/python -m pytest -q -p no:cacheprovider
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

$(MODELS_STAMP): $(STAMP) models/pyproject.toml
	$(BIN)/python -m pip install --quiet -e "./models[test]" "torch==2.13.0"
	@rm -f $(VENV)/.models-*
	@touch $@

# The performance suite (bench/runner.py): appends dated rows to bench/RESULTS.md.
bench: $(STAMP)
	$(BIN)/python -m bench

bench-quick: $(STAMP)
	$(BIN)/python -m bench --quick

clean-venv:
	rm -rf $(VENV) $(VENV_NP2)
