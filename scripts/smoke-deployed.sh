#!/usr/bin/env bash
# After `sam deploy`: the first-event path on the deployed stack, then cleanup.
#   scripts/smoke-deployed.sh STACK ORGANIZER_EMAIL   (the password is read from $EVENTLENS_SMOKE_PASSWORD)
# The organizer must be in the user pool's `admins` group (docs/deploy.md, "First event").
# Not run in CI (no account); tests/integration/test_smoke_offline.py runs the same steps offline.
set -euo pipefail
STACK="${1:?usage: scripts/smoke-deployed.sh STACK ORGANIZER_EMAIL}"
EMAIL="${2:?usage: scripts/smoke-deployed.sh STACK ORGANIZER_EMAIL}"
: "${EVENTLENS_SMOKE_PASSWORD:?set EVENTLENS_SMOKE_PASSWORD to the organizer's password}"
out() { aws cloudformation describe-stacks --stack-name "$STACK" \
          --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text; }
cd "$(dirname "$0")/.."
exec "${PYTHON:-.venv/bin/python}" scripts/smoke_deployed.py \
  --site "$(out SiteUrl)" --operator-function "$(out OperatorFunctionName)" \
  --username "$EMAIL" --password "$EVENTLENS_SMOKE_PASSWORD"
