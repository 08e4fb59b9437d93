#!/usr/bin/env bash
# The ML image's root file system, from Debian's packages and PyPI's wheels only: no base image and
# no container registry. Debian's python3.11 and the shared libraries it needs are unpacked (not
# installed: no maintainer script runs, so an x86 machine assembles the arm64 image as well), the
# pinned wheels go where Debian's Python finds them, then the eventlens package, the weights of
# buffalo_l when asked for, and bytecode for all of it (Lambda's file system is read-only).
#
# Both builds of the image run this: scripts/build-face-image.sh (buildah, no Docker daemon) and the
# Dockerfile's first stage (sam build with Docker). Each then adds the handlers and the same config.
#
#   bash functions/face_embed/rootfs.sh [--arch amd64|arm64] [--face-model sface|buffalo_l]
#        [--buffalo-l-url URL_OR_FILE --buffalo-l-sha256 HEX] ROOTFS
#
# Needs: mmdebstrap, uv (UV=/path/to/uv, else on PATH or in .venv) and a python3.11 (BUILD_PYTHON, else
# on PATH or .venv's) for the bytecode. Run as root (the files belong to root in the image).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root_dir=$(cd "$here/../.." && pwd)

arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)
face_model=sface
buffalo_url=""
buffalo_sha256=""
while [[ $# -gt 1 ]]; do
	case $1 in
	--arch) arch=$2 ;;
	--face-model) face_model=$2 ;;
	--buffalo-l-url) buffalo_url=$2 ;;
	--buffalo-l-sha256) buffalo_sha256=$2 ;;
	*) break ;;
	esac
	shift 2
done
if [[ $# -ne 1 ]]; then
	sed -n '12,13p' "$0" >&2
	exit 2
fi
rootfs=$1

DEBIAN_RELEASE=bookworm
PYTHON=python3.11 # bookworm's; the locks are resolved for it
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
# python3.11 brings libc, OpenSSL, zlib, libffi, tzdata...; the wheels' C++ code needs libstdc++.
DEBIAN_PACKAGES=python3.11,libstdc++6
SITE=usr/local/lib/$PYTHON/dist-packages # on Debian's sys.path, before /usr/lib/python3/dist-packages
TASK_ROOT=var/task

case $arch in
amd64) wheel_platform=x86_64-manylinux_2_36 ;; # bookworm's glibc is 2.36
arm64) wheel_platform=aarch64-manylinux_2_36 ;;
*) echo "rootfs: --arch amd64 or arm64, not $arch" >&2 && exit 2 ;;
esac
case $face_model in
sface) lock=$here/requirements.txt ;;
buffalo_l)
	lock=$here/requirements-buffalo.txt
	if [[ -z $buffalo_url || -z $buffalo_sha256 ]]; then
		echo "rootfs: --face-model buffalo_l needs --buffalo-l-url and --buffalo-l-sha256 (the weights' checksum)" >&2
		exit 2
	fi
	;;
*) echo "rootfs: --face-model sface or buffalo_l, not $face_model" >&2 && exit 2 ;;
esac

uv=${UV:-$(command -v uv || echo "$root_dir/.venv/bin/uv")}
for tool in mmdebstrap "$uv"; do
	if ! command -v "$tool" >/dev/null; then
		echo "rootfs: $tool not found (bash scripts/install-system-deps.sh installs mmdebstrap; make install, uv)" >&2
		exit 2
	fi
done
if [[ -e $rootfs ]] && [[ -n $(ls -A "$rootfs") ]]; then
	echo "rootfs: $rootfs is not empty" >&2
	exit 2
fi

step() { echo "rootfs: $* ($SECONDS s)"; }

step "Debian $DEBIAN_RELEASE $arch: $DEBIAN_PACKAGES"
# extract: unpack the packages and their dependencies, run nothing inside (no chroot, no QEMU).
mmdebstrap --quiet --mode=root --variant=extract --arch="$arch" --include="$DEBIAN_PACKAGES" \
	--setup-hook='mkdir -p "$1/proc" "$1/sys"' \
	"$DEBIAN_RELEASE" "$rootfs" "$DEBIAN_MIRROR"
# What maintainer scripts would have made, and only that: the python3 name, a writable /tmp.
ln -sf "$PYTHON" "$rootfs/usr/bin/python3"
mkdir -p "$rootfs/$TASK_ROOT" "$rootfs/$SITE" "$rootfs/tmp" "$rootfs/opt"
chmod 1777 "$rootfs/tmp"
printf 'root:x:0:0:root:/root:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"

if [[ $face_model == buffalo_l ]]; then # first: weights without their pinned checksum stop the build
	step "buffalo_l weights"
	python3 "$here/fetch_weights.py" "$buffalo_url" "$buffalo_sha256" "$rootfs/opt/models/buffalo_l"
fi

step "wheels from $(basename "$lock") for $wheel_platform"
# --require-hashes --no-deps: exactly the lock's files, nothing resolved at build time.
"$uv" pip install --quiet --target "$rootfs/$SITE" --python-version "${PYTHON#python}" \
	--python-platform "$wheel_platform" --only-binary :all: --no-deps --require-hashes \
	--link-mode copy --no-compile -r "$lock"
rm -rf "$rootfs/$SITE/bin" # console scripts of the target's packages, with this machine's shebang

step "eventlens package"
cp -R "$root_dir/layers/core/eventlens" "$rootfs/$TASK_ROOT/eventlens"
find "$rootfs/$TASK_ROOT" -name __pycache__ -type d -prune -exec rm -rf {} +
chmod -R a+rX "$rootfs/$TASK_ROOT" "$rootfs/$SITE" # Lambda runs the image as an unprivileged user

step "trim"
rm -rf "$rootfs"/usr/share/{doc,man,info,locale,lintian,bug} "$rootfs"/var/cache/* "$rootfs"/var/lib/apt \
	"$rootfs"/var/log/*
find "$rootfs" -name __pycache__ -type d -prune -exec rm -rf {} +

step "bytecode"
# Unchecked-hash .pyc: a read-only image cannot cache what it compiles, and its mtimes may change.
# Debian's postinst would compile the standard library; nothing ran, so it is compiled here too, by a
# CPython 3.11 of this machine (one bytecode format for every 3.11.x), paths rewritten to the image's.
build_python=""
for candidate in ${BUILD_PYTHON:-} python3.11 "$root_dir/.venv/bin/python" python3; do
	if "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' >/dev/null 2>&1; then
		build_python=$candidate
		break
	fi
done
if [[ -z $build_python ]]; then
	echo "rootfs: a python3.11 is needed here to compile the image's bytecode (BUILD_PYTHON=...)" >&2
	exit 2
fi
"$build_python" -m compileall -q -j 0 --invalidation-mode unchecked-hash -s "$rootfs" -p / \
	"$rootfs/usr/lib/$PYTHON" "$rootfs/$SITE" "$rootfs/$TASK_ROOT" >/dev/null
step "done: $(du -sh "$rootfs" | cut -f1) in $rootfs"
