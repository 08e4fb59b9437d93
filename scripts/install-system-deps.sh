#!/usr/bin/env bash
# System packages the test suite needs: Debian's Chromium for the end-to-end browser tests, and
# Node.js to run the CloudFront Functions' code (tests/infra/test_page_routes.py).
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core nodejs >/dev/null
