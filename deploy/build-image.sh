#!/usr/bin/env bash
# Builds Neutrino's image from the root Dockerfile without a container daemon, then runs it:
#   1. makes a Debian base with debootstrap (a Java 17 runtime) and imports it into buildah (vfs storage),
#      then a build base on it (apt-get: a JDK 17 and Maven), unless they are there already;
#   2. builds the Dockerfile with buildah bud (chroot isolation) on those bases (the BUILD_IMAGE and
#      RUNTIME_IMAGE build arguments), the build stage reading the local Maven repository offline;
#   3. starts the image's entrypoint and command from its root filesystem mounted read-only, with a tmpfs
#      /tmp, as the image's user, on loopback, and checks /v2/health/live, /v2/health/ready, one inference
#      on `simple` and /metrics.
# Needs root (debootstrap, chroot, mounts); installs buildah and debootstrap with apt-get when missing.
#
#   sudo deploy/build-image.sh            # IMAGE=localhost/neutrino:dev by default
#
# Environment: IMAGE, DEBIAN_SUITE (bookworm), DEBIAN_MIRROR (http://deb.debian.org/debian),
# NEUTRINO_IMAGE_WORK (deploy/.work), MAVEN_FLAGS (-o; empty to let the build download).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="${NEUTRINO_IMAGE_WORK:-$ROOT/deploy/.work}"
SUITE="${DEBIAN_SUITE:-bookworm}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
IMAGE="${IMAGE:-localhost/neutrino:dev}"
MAVEN_FLAGS="${MAVEN_FLAGS--o}"
RUNTIME_BASE=localhost/neutrino-base-jre17
BUILD_BASE=localhost/neutrino-base-jdk17-maven
BUILDAH=(buildah --storage-driver vfs)

say() { echo "build-image: $*" >&2; }
die() { say "$*"; exit 1; }

[[ "$(id -u)" -eq 0 ]] || die "needs root: debootstrap, buildah's chroot isolation and the read-only mounts"
if ! command -v buildah >/dev/null || ! command -v debootstrap >/dev/null; then
  say "installing buildah and debootstrap (apt-get)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q buildah debootstrap >/dev/null
fi
mkdir -p "$WORK"
started=$SECONDS

# A Debian root filesystem with PACKAGES, imported into buildah as image NAME (kept for later runs).
base_image() {
  local name="$1" packages="$2" dir="$WORK/${1##*/}"
  if "${BUILDAH[@]}" inspect --type image "$name" >/dev/null 2>&1; then
    say "base $name is there"
    return
  fi
  say "debootstrap $SUITE with $packages into $dir"
  rm -rf "$dir" && mkdir -p "$dir"
  debootstrap --variant=minbase --include="$packages" "$SUITE" "$dir/rootfs" "$MIRROR" >"$dir/debootstrap.log" 2>&1 \
    || { tail -20 "$dir/debootstrap.log"; die "debootstrap failed (log: $dir/debootstrap.log)"; }
  rm -rf "$dir/rootfs/var/cache/apt/archives/"*.deb "$dir/rootfs/var/lib/apt/lists/"*
  tar -C "$dir/rootfs" -cf "$dir/rootfs.tar" .
  rm -rf "$dir/rootfs"
  printf 'FROM scratch\nADD rootfs.tar /\nENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nCMD ["bash"]\n' \
    >"$dir/Containerfile"
  "${BUILDAH[@]}" bud --isolation chroot -q -t "$name" -f "$dir/Containerfile" "$dir" >/dev/null
  rm -f "$dir/rootfs.tar"
}

base_image "$RUNTIME_BASE" openjdk-17-jre-headless
if ! "${BUILDAH[@]}" inspect --type image "$BUILD_BASE" >/dev/null 2>&1; then
  say "build base $BUILD_BASE: $RUNTIME_BASE with a JDK 17 and Maven (apt-get from $MIRROR)"
  mkdir -p "$WORK/build-base"
  printf 'FROM %s\nRUN echo "deb %s %s main" > /etc/apt/sources.list \\\n && apt-get update -q \\\n && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends openjdk-17-jdk-headless maven \\\n && rm -rf /var/lib/apt/lists/*\n' \
    "$RUNTIME_BASE" "$MIRROR" "$SUITE" >"$WORK/build-base/Containerfile"
  "${BUILDAH[@]}" bud --isolation chroot -q -t "$BUILD_BASE" -f "$WORK/build-base/Containerfile" "$WORK/build-base" >/dev/null
fi
say "bases ready after $((SECONDS - started)) s"

say "buildah bud $IMAGE from $ROOT/Dockerfile"
build_started=$SECONDS
mkdir -p "$HOME/.m2"
"${BUILDAH[@]}" bud --isolation chroot --layers=false \
  --build-arg BUILD_IMAGE="$BUILD_BASE" --build-arg RUNTIME_IMAGE="$RUNTIME_BASE" \
  --build-arg MAVEN_FLAGS="$MAVEN_FLAGS" \
  --volume "$HOME/.m2:/root/.m2" \
  -t "$IMAGE" -f "$ROOT/Dockerfile" "$ROOT"
say "image built in $((SECONDS - build_started)) s"

# Run it: the image's root filesystem read-only, a tmpfs /tmp, /proc and /dev for the JVM.
ctr="$("${BUILDAH[@]}" from "$IMAGE")"
mnt="$("${BUILDAH[@]}" mount "$ctr")"
ro="$WORK/run-root"
log="$WORK/gateway.log"
pid=""
cleanup() {
  [[ -n "$pid" ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  for m in "$ro/tmp" "$ro/proc" "$ro/dev" "$ro"; do
    mountpoint -q "$m" 2>/dev/null && umount "$m" || true
  done
  "${BUILDAH[@]}" umount "$ctr" >/dev/null 2>&1 || true
  "${BUILDAH[@]}" rm "$ctr" >/dev/null 2>&1 || true
}
trap cleanup EXIT
mkdir -p "$ro"
mount --bind "$mnt" "$ro"
mount -o remount,bind,ro "$ro"
mount -t tmpfs -o size=512m,mode=1777 tmpfs "$ro/tmp"
mount -t proc proc "$ro/proc"
mount --bind /dev "$ro/dev"
if touch "$ro/opt/neutrino/probe" 2>/dev/null; then die "the root filesystem is not read-only"; fi

config() { "${BUILDAH[@]}" inspect --type image --format "$1" "$IMAGE"; }
read -r -a entrypoint <<<"$(config '{{range .OCIv1.Config.Entrypoint}}{{.}} {{end}}')"
read -r -a cmd <<<"$(config '{{range .OCIv1.Config.Cmd}}{{.}} {{end}}')"
read -r -a env <<<"$(config '{{range .OCIv1.Config.Env}}{{.}} {{end}}')"
user="$(config '{{.OCIv1.Config.User}}')"
[[ -n "$user" && "${user%%:*}" != 0 && "${user%%:*}" != root ]] || die "the image runs as root ($user)"
say "running ${entrypoint[*]} ${cmd[*]} as $user (root read-only, /tmp tmpfs, loopback, free ports)"
timeout 300 chroot --userspec="$user" "$ro" env -i "${env[@]}" "${entrypoint[@]}" "${cmd[@]}" \
  --host=127.0.0.1 --http-port=0 --grpc-port=0 --metrics-port=0 >"$log" 2>&1 &
pid=$!

listening=""
for _ in $(seq 1 300); do
  listening="$(grep -o 'neutrino listening http=[^ ]* grpc=[^ ]* metrics=[^ ]*' "$log" || true)"
  [[ -n "$listening" ]] && break
  kill -0 "$pid" 2>/dev/null || { tail -30 "$log"; die "the gateway exited before listening"; }
  sleep 0.5
done
[[ -n "$listening" ]] || { tail -30 "$log"; die "the gateway did not listen within 150 s"; }
http="$(sed 's/.*http=\([^ ]*\).*/\1/' <<<"$listening")"
metrics="$(sed 's/.*metrics=\([^ ]*\).*/\1/' <<<"$listening")"
say "$listening"

code="$(curl -s -o /dev/null -w '%{http_code}' "http://$http/v2/health/live")"
[[ "$code" == 200 ]] || die "live answered $code"
for _ in $(seq 1 240); do
  code="$(curl -s -o /dev/null -w '%{http_code}' "http://$http/v2/health/ready")"
  [[ "$code" == 200 ]] && break
  sleep 0.5
done
[[ "$code" == 200 ]] || { tail -30 "$log"; die "ready answered $code"; }
answer="$(curl -fsS "http://$http/v2/models/simple/infer" -H 'Content-Type: application/json' -d '{"inputs": [
  {"name": "INPUT0", "shape": [1, 16], "datatype": "INT32", "data": [0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15]},
  {"name": "INPUT1", "shape": [1, 16], "datatype": "INT32", "data": [1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]}]}')"
tr -d ' \n' <<<"$answer" | grep -q '"data":\[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16\]' \
  || die "unexpected inference answer: $answer"
curl -fsS "http://$metrics/metrics" | grep -q '^neutrino_requests_total{model="simple"' \
  || die "/metrics does not count the inference"
say "live 200, ready 200, simple answered 1..16, /metrics counts it"
kill -TERM "$pid"
wait "$pid" && rc=0 || rc=$?
pid=""
[[ "$rc" == 0 ]] || { tail -20 "$log"; die "the gateway exited $rc after SIGTERM (a drain should exit 0)"; }
say "SIGTERM drained it, exit 0; image $IMAGE OK in $((SECONDS - started)) s"
