#!/usr/bin/env bash
# The ML container image (faces, analyze, selfie match) without Docker: buildah makes an image from
# scratch, functions/face_embed/rootfs.sh fills its file system from Debian's packages and PyPI's
# wheels (the Dockerfile's first stage runs the same script), and the Dockerfile's final stage is
# repeated here with buildah. No Docker daemon, no base image, no container registry, no container
# run to build it.
#
#   bash scripts/build-face-image.sh [--arch amd64|arm64] [--face-model sface|buffalo_l]
#        [--buffalo-l-url URL_OR_FILE] [--buffalo-l-sha256 HEX] [--out DIR] [--archive]
#   bash scripts/build-face-image.sh lock      # re-pin requirements*.txt from uv.lock
#
# The image is localhost/eventlens-face:<model>-<arch> in DIR/containers, a private store (DIR:
# build/face-image, gitignored) that buildah and podman read with --root DIR/containers --runroot
# DIR/run --storage-driver overlay (tests/infra/test_face_image.py runs it so); `buildah push` sends
# it to ECR from there. --archive also writes DIR/eventlens-face-<model>-<arch>.oci.tar.
# --arch defaults to this machine's; Lambda runs arm64 (template.yaml), which an x86 machine builds
# too. buffalo_l's source and checksum default to template.yaml's DockerBuildArgs.
set -euo pipefail
cd "$(dirname "$0")/.."

face=functions/face_embed
UV=${UV:-$(command -v .venv/bin/uv uv | head -n1 || true)}
export UV

lock() {
	local constraints=build/face-image/uv-lock-constraints.txt
	local overrides=build/face-image/uv-lock-overrides.txt
	mkdir -p build/face-image
	# The versions the test suite runs with are the versions the image ships.
	"$UV" export --quiet --frozen --no-hashes --no-emit-project --no-dev --no-header \
		--format requirements-txt -o "$constraints"
	# As pyproject's [tool.uv] overrides: the GUI OpenCV would shadow the headless one's cv2.
	echo "opencv-python; sys_platform == 'never'" >"$overrides"
	local name excluded arm
	for name in requirements requirements-buffalo; do
		# imagehash needs neither for dHash (the layers install it --no-deps for the same reason).
		excluded=(--no-emit-package pywavelets)
		if [[ $name == requirements ]]; then excluded+=(--no-emit-package scipy); fi
		for platform in x86_64-manylinux_2_36 aarch64-manylinux_2_36; do
			"$UV" pip compile --quiet --python-version 3.11 --python-platform "$platform" \
				--generate-hashes --custom-compile-command "bash scripts/build-face-image.sh lock" \
				-c "$constraints" --override "$overrides" "${excluded[@]}" \
				"$face/$name.in" -o "build/face-image/$name-$platform.txt"
		done
		arm=build/face-image/$name-aarch64-manylinux_2_36.txt
		if ! cmp -s "build/face-image/$name-x86_64-manylinux_2_36.txt" "$arm"; then
			echo "build-face-image: $name.in resolves differently for amd64 and arm64:" >&2
			diff "build/face-image/$name-x86_64-manylinux_2_36.txt" "$arm" >&2 || true
			exit 1
		fi
		mv "$arm" "$face/$name.txt"
		echo "build-face-image: $face/$name.txt ($(grep -c '^[a-z0-9].*==' "$face/$name.txt") packages)"
	done
}

if [[ ${1:-} == lock ]]; then
	lock
	exit 0
fi

arch=$(dpkg --print-architecture)
face_model=sface
# The template's pins (every image function carries the same, tests/infra/test_hardening.py).
template_arg() { sed -n "s/^ *$1: *//p" template.yaml | head -n1; }
buffalo_url=$(template_arg BUFFALO_L_URL)
buffalo_sha256=$(template_arg BUFFALO_L_SHA256)
out=build/face-image
write_archive=
while [[ $# -gt 0 ]]; do
	case $1 in
	--arch) arch=$2 ;;
	--face-model) face_model=$2 ;;
	--buffalo-l-url) buffalo_url=$2 ;;
	--buffalo-l-sha256) buffalo_sha256=$2 ;;
	--out) out=$2 ;;
	--archive)
		write_archive=1
		shift
		continue
		;;
	*) sed -n '8,10p' "$0" >&2 && exit 2 ;;
	esac
	shift 2
done

for tool in buildah mmdebstrap; do
	if ! command -v "$tool" >/dev/null; then
		echo "build-face-image: $tool is missing; bash scripts/install-system-deps.sh installs it" >&2
		exit 2
	fi
done
if [[ $(id -u) -ne 0 ]]; then
	echo "build-face-image: run as root (the image's files belong to root; rootless buildah needs subuids)" >&2
	exit 2
fi

tag=$face_model-$arch
image=localhost/eventlens-face:$tag
mkdir -p "$out"
out=$(cd "$out" && pwd)
archive=$out/eventlens-face-$tag.oci.tar
started=$SECONDS
# A private store: nothing shared with other images, and rm -rf DIR forgets all of it. overlay lets
# podman start a container without copying the image; vfs (FACE_IMAGE_STORAGE_DRIVER=vfs) works
# where overlay cannot mount (inside some containers), at a copy of the image per container.
buildah=(buildah --root "$out/containers" --runroot "$out/run"
	--storage-driver "${FACE_IMAGE_STORAGE_DRIVER:-overlay}")

# The Dockerfile, step by step: its first stage's rootfs.sh straight into the new image's file
# system, then its final stage (tests/infra/test_face_image.py compares the two configs).
ctr=$("${buildah[@]}" from --arch "$arch" --os linux scratch)
trap '"${buildah[@]}" rm "$ctr" >/dev/null 2>&1 || true' EXIT
rootfs=$("${buildah[@]}" mount "$ctr")
bash "$face/rootfs.sh" --arch "$arch" --face-model "$face_model" \
	--buffalo-l-url "$buffalo_url" --buffalo-l-sha256 "$buffalo_sha256" "$rootfs"
"${buildah[@]}" umount "$ctr" >/dev/null
assembled=$SECONDS
"${buildah[@]}" copy --quiet "$ctr" "$face/app.py" /var/task/app.py
"${buildah[@]}" copy --quiet "$ctr" functions/api_match/app.py /var/task/api_match.py
# PATH: what docker build gives a FROM scratch image.
"${buildah[@]}" config \
	--env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	--env LAMBDA_TASK_ROOT=/var/task \
	--env EVENTLENS_FACE_MODEL="$face_model" \
	--env EVENTLENS_BUFFALO_DIR=/opt/models/buffalo_l \
	--env EVENTLENS_HOME=/tmp/eventlens \
	--env ORT_DISABLE_TELEMETRY=1 \
	--env SSL_CERT_FILE=/usr/local/lib/python3.11/dist-packages/certifi/cacert.pem \
	--workingdir /var/task \
	--entrypoint '["/usr/bin/python3.11", "-m", "awslambdaric"]' \
	--cmd '["app.lambda_handler"]' \
	--label eventlens.face-model="$face_model" \
	"$ctr"
"${buildah[@]}" commit --quiet --rm "$ctr" "$image" >/dev/null
trap - EXIT
committed=$SECONDS
size=$("${buildah[@]}" images --format '{{.Size}}' "$image")
echo "build-face-image: $image in $out/containers, $size (rootfs $((assembled - started)) s," \
	"commit $((committed - assembled)) s)"
if [[ -n $write_archive ]]; then
	rm -f "$archive"
	"${buildah[@]}" push --quiet "$image" "oci-archive:$archive:eventlens-face:$tag"
	echo "build-face-image: $archive ($(du -m "$archive" | cut -f1) MB, $((SECONDS - committed)) s)"
fi
