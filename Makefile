# The two set-up commands of the README: `make demo` and `make test`. Both create .venv as needed.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
# Re-install when pyproject.toml changes.
STAMP  := $(VENV)/.installed-$(shell sha256sum pyproject.toml 2>/dev/null | cut -c1-16)

# The consumer package models/ (torch) installs only for `make test`, so `make demo` needs no torch.
MODELS_STAMP := $(VENV)/.models-$(shell cat pyproject.toml models/pyproject.toml 2>/dev/null | sha256sum | cut -c1-16)

.PHONY: demo test lint venv clean-venv

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[render,dev]"
	@rm -f $(VENV)/.installed-*
	@touch $@

# Render the quickstart dataset (built-in head, no download) and a contact sheet of it.
demo: $(STAMP)
	$(BIN)/facesynth validate recipes/*.yaml
	$(BIN)/facesynth render recipes/quickstart.yaml --out out/quickstart
	$(BIN)/facesynth verify out/quickstart
	$(BIN)/facesynth stats out/quickstart --out out/quickstart-report
	@echo "demo: dataset in out/quickstart, report and contact sheet in out/quickstart-report"

# Every test: lint, the whole pytest suite (real Blender renders, real ICT files from ../shared),
# and the documentation site built with --strict (broken links or missing pages fail).
test: $(STAMP) $(MODELS_STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -p no:cacheprovider
	cd models && ../$(BIN)/python -m pytest -q -p no:cacheprovider
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

$(MODELS_STAMP): $(STAMP) models/pyproject.toml
	$(BIN)/python -m pip install --quiet -e "./models[test]" "torch==2.13.0"
	@rm -f $(VENV)/.models-*
	@touch $@

clean-venv:
	rm -rf $(VENV)
