# EventLens — `make demo` serves the demo gallery, `make test` runs every test.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
PORT ?= 8000
# Two workers (pytest-xdist): the suite stays under 20 minutes on a 2-core machine.
PYTEST_ARGS ?= -n 2

.PHONY: install demo serve test lint typecheck system-deps sam-build rds-ca bench clean

$(UV):
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check "uv>=0.5,<1"

# The locked environment (uv.lock); --inexact keeps uv itself in the venv.
install: $(UV)
	$(UV) sync --frozen --extra dev --inexact --quiet

demo: install
	$(VENV)/bin/eventlens demo --port $(PORT)

serve: install
	$(VENV)/bin/eventlens serve --port $(PORT)

# Debian's Chromium for the browser tests (the only system package the tests need).
system-deps:
	@command -v chromium >/dev/null || bash scripts/install-system-deps.sh

# checkov: template.yaml's security checks. Every finding left is skipped in its resource's Metadata
# with the reason (docs/security.md "Deployment hardening"). It runs in its own uvx environment:
# its pins (boto3, networkx, packaging) conflict with ours. BC_SKIP_MAPPING and --skip-download
# keep it off Prisma Cloud's API; only the package index is needed.
CHECKOV := checkov==3.3.30

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	BC_SKIP_MAPPING=TRUE $(VENV)/bin/uvx --python $(PY) --from "$(CHECKOV)" checkov --quiet --compact \
		--skip-download --framework cloudformation --file template.yaml

typecheck: install
	$(VENV)/bin/mypy

# `sam build` of every zip function and layer (not the Docker image), checked: needs Python 3.12.
sam-build: install
	bash scripts/sam-build-check.sh

# The CA bundle an Aurora cluster endpoint's certificate chains to (eventlens.db.RDS_CA_BUNDLE): no
# package ships it, so a deploy fetches it from AWS's trust store first; the functions verify the
# cluster against it (verify-full). Every certificate in it must be an Amazon RDS CA.
RDS_CA_URL := https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem
RDS_CA := layers/core/eventlens/db/rds-global-bundle.pem

rds-ca:
	curl -fsSL --proto =https $(RDS_CA_URL) -o $(RDS_CA).tmp
	@awk '/BEGIN CERT/{n++} END{exit n<1}' $(RDS_CA).tmp
	@! openssl crl2pkcs7 -nocrl -certfile $(RDS_CA).tmp | openssl pkcs7 -print_certs -noout \
		| grep '^subject' | grep -v 'Amazon RDS' || { echo "not an RDS CA bundle" >&2; exit 1; }
	mv $(RDS_CA).tmp $(RDS_CA)

# pytest includes tests/infra/test_sam_build.py, which runs `sam build` (scripts/sam-build-check.sh).
test: install system-deps lint typecheck
	$(VENV)/bin/pytest $(PYTEST_ARGS)

bench: install
	$(PY) benchmarks/pipeline.py
	$(PY) benchmarks/search.py

clean:
	rm -rf $(VENV) .eventlens .pytest_cache .mypy_cache .ruff_cache .sam
