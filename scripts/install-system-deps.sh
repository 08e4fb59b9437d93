#!/usr/bin/env bash
# System packages the test suite needs: Debian's Chromium for the end-to-end browser tests, Node.js
# to run the CloudFront Functions' code (tests/infra/test_page_routes.py), and what builds and runs
# the ML container image without a Docker daemon (tests/infra/test_face_image.py): mmdebstrap for
# its root file system, buildah to make the image, podman with runc to run it (crun, podman's
# first choice, cannot start containers on hosts like CI's). Idempotent: apt-get install again.
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core nodejs \
	mmdebstrap buildah podman runc >/dev/null
