# Every target creates .venv and installs what it needs (re-installing when pyproject.toml changes).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint demo bench clean app-fonts
FONTS := app/fonts/MobileIdSans-Regular.otf

$(STAMP): pyproject.toml setup.py specs/cbor/_strict.c specs/jose/_b64url.c specs/qr/_base45.c specs/sdjwt/_walk.c \
		specs/jose/_json.h specs/sdjwt/_disclose.h specs/sdjwt/_tree.h specs/sdjwt/_checks.h specs/sdjwt/_vc.h \
		specs/qr/_scan.c specs/qr/_b45.h specs/qr/_envelope.h specs/qr/_objects.h \
		specs/mdoc/_fast.c 		specs/mdoc/_message.h specs/mdoc/_value.h specs/mdoc/_mso.h specs/mdoc/_document.h
	bash scripts/system-deps.sh --build
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[issuer,verifier,app,dev]'
	touch $(STAMP)

ACTIVATE_HINT = @echo 'For the README'"'"'s `mobileid ...` commands$(1): . $(VENV)/bin/activate'

run: $(STAMP)  ## the issuer service on SQLite with the clerk console
	$(call ACTIVATE_HINT, in another shell)
	$(BIN)/mobileid issuer serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy --strict specs verifier wallet issuer mobileid app fuzz

test: lint
	bash scripts/system-deps.sh
	bash scripts/node-deps.sh interop/oid4vci  # the OpenID4VCI interop wallet (tests/issuer/test_interop_oid4vci.py)
	bash scripts/node-deps.sh interop/oid4vp
	$(MAKE) app-fonts
	. scripts/postgres-env.sh && $(BIN)/python -m pytest

app-fonts: $(FONTS)  ## the app's four-language font subset (app/README.md), built once from fonts-noto-cjk
$(FONTS): $(STAMP) scripts/app_fonts.py
	$(BIN)/python scripts/app_fonts.py

demo: $(STAMP)
	$(BIN)/mobileid demo --out demo-out
	$(call ACTIVATE_HINT, in this shell)

bench: $(STAMP)
	$(BIN)/python benchmarks/verify.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
