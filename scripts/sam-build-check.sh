#!/usr/bin/env bash
# `sam build` of every zip function and layer, the way a deploy without Docker builds them: the image
# functions name an image already pushed to ECR (infra/prebuilt_image.py writes that template, with a
# placeholder URI here), so sam skips their Docker build; then tests/infra/test_sam_build.py checks
# what it built. That test module calls this
# script with --build-only when no build is given, so `make test` (pytest) covers it.
#
#   bash scripts/sam-build-check.sh [--build-only] [BUILD_DIR]    # default: a temporary directory
#
# SAM CLI lives in its own cached venv (.sam/venv, rebuilt when the pinned version changes), on
# Python 3.12, the functions' runtime: `sam build` refuses to build python3.12 code without it.
# Found on PATH, through pyenv, or from SAM_PYTHON=/path/to/python3.12.
set -euo pipefail
cd "$(dirname "$0")/.."

SAM_CLI_VERSION=1.170.0
SAM_VENV=${SAM_VENV:-.sam/venv}
started=$SECONDS
build_only=
if [[ ${1:-} == --build-only ]]; then
	build_only=1
	shift
fi

is_python312() { "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' >/dev/null 2>&1; }

find_python312() {
	local candidates=()
	if [[ -n ${SAM_PYTHON:-} ]]; then
		candidates=("$SAM_PYTHON")
	else
		candidates+=(python3.12)
		if command -v pyenv >/dev/null; then
			candidates+=("$(pyenv prefix 3.12 2>/dev/null | cut -d: -f1)/bin/python3.12")
		fi
		# pyenv's shim answers only for the selected version; the interpreters themselves always do.
		candidates+=("${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.12*/bin/python3.12)
		candidates+=(/usr/local/bin/python3.12 /usr/bin/python3.12)
		if command -v uv >/dev/null; then candidates+=("$(uv python find --no-project 3.12 2>/dev/null)"); fi
	fi
	local c
	for c in "${candidates[@]}"; do
		if [[ -n $c ]] && is_python312 "$c"; then
			"$c" -c 'import sys; print(sys.executable)'
			return
		fi
	done
	return 1
}

if ! python=$(find_python312); then
	echo "sam-build-check: no Python 3.12 found (tried ${SAM_PYTHON:-python3.12 on PATH, pyenv, /usr}). sam build" >&2
	echo "  needs the functions' runtime: install it (pyenv install 3.12, apt-get install python3.12)" >&2
	echo "  or point SAM_PYTHON at a python3.12." >&2
	exit 2
fi
if [[ ! -x .venv/bin/python ]]; then
	echo "sam-build-check: .venv is missing; run make install first (the checks run in it)." >&2
	exit 2
fi

stamp="$SAM_VENV/.eventlens-sam"
want="aws-sam-cli==$SAM_CLI_VERSION on $("$python" -c 'import sys; print(sys.version.split()[0])') ($python)"
if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
	echo "sam-build-check: installing $want into $SAM_VENV"
	rm -rf "$SAM_VENV"
	uv=$(command -v .venv/bin/uv uv | head -n1 || true)
	if [[ -n $uv ]]; then
		# --seed: the layers' Makefile runs `python3 -m pip install --platform ...` inside this venv.
		"$uv" venv --quiet --seed --python "$python" "$SAM_VENV"
		"$uv" pip install --quiet --python "$SAM_VENV/bin/python" "aws-sam-cli==$SAM_CLI_VERSION"
	else
		"$python" -m venv "$SAM_VENV"
		"$SAM_VENV/bin/pip" install --quiet --disable-pip-version-check "aws-sam-cli==$SAM_CLI_VERSION"
	fi
	echo "$want" >"$stamp"
fi
installed=$SECONDS

# The image functions name a pushed image (a placeholder: nothing is pulled at build time).
PLACEHOLDER_IMAGE=123456789012.dkr.ecr.us-east-1.amazonaws.com/eventlens:face-sface-arm64
.venv/bin/python infra/prebuilt_image.py "$PLACEHOLDER_IMAGE" >/dev/null

build_dir=${1:-}
if [[ -z $build_dir ]]; then
	build_dir=$(mktemp -d "${TMPDIR:-/tmp}/eventlens-sam-build.XXXXXX")
	trap 'rm -rf "$build_dir"' EXIT
fi

echo "sam-build-check: sam build --template-file template.prebuilt-image.json -> $build_dir"
# The venv first on PATH: its python3.12 is the runtime sam looks for, its pip builds the layers.
# --no-cached overrides samconfig.toml: CI proves a clean build, not a cache hit.
PATH="$PWD/$SAM_VENV/bin:$PATH" SAM_CLI_TELEMETRY=0 "$SAM_VENV/bin/sam" build \
	--template-file template.prebuilt-image.json --build-dir "$build_dir" --no-cached --parallel \
	>"$build_dir.log" 2>&1 || {
	cat "$build_dir.log" >&2
	rm -f "$build_dir.log"
	echo "sam-build-check: sam build failed" >&2
	exit 1
}
rm -f "$build_dir.log"
built=$SECONDS
if [[ -n $build_only ]]; then
	echo "sam-build-check: built in $build_dir (venv $((installed - started)) s, sam build $((built - installed)) s)"
	exit 0
fi

EVENTLENS_SAM_BUILD_DIR="$build_dir" .venv/bin/python -m pytest -q -p no:cacheprovider \
	tests/infra/test_sam_build.py
echo "sam-build-check: ok (venv $((installed - started)) s, sam build $((built - installed)) s," \
	"checks $((SECONDS - built)) s)"
