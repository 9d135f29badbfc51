#!/usr/bin/env bash
# Idempotent machine setup for meshd: Docker Engine, busybox, the local test image,
# and the project's npm dependencies. Safe to run again; does only what is missing.
set -euo pipefail

IMAGE="meshd/busybox:latest"
# Bump when the image's contents change: setup rebuilds an image with another version.
IMAGE_VERSION="2"
here="$(cd "$(dirname "$0")/.." && pwd)"
say() { printf '[setup] %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_updated=0
apt_install() {
  if [ "$apt_updated" -eq 0 ]; then
    say "apt-get update"
    as_root apt-get update -qq >/dev/null
    apt_updated=1
  fi
  say "installing $*"
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

engine_answers() { timeout 5 docker info >/dev/null 2>&1; }

ensure_packages() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  [ -x /bin/busybox ] || missing+=(busybox-static)
  command -v iptables >/dev/null 2>&1 || missing+=(iptables)
  if [ "${#missing[@]}" -gt 0 ]; then apt_install "${missing[@]}"; fi
}

ensure_engine() {
  if engine_answers; then return; fi
  # A killed dockerd leaves its pid file behind and a new one then refuses to start.
  if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
    say "removing stale /var/run/docker.pid"
    as_root rm -f /var/run/docker.pid
  fi
  if ! pgrep -x dockerd >/dev/null 2>&1; then
    say "starting dockerd (log: /var/log/meshd-dockerd.log)"
    as_root rm -f /var/run/docker.pid /var/run/docker/containerd/containerd.pid 2>/dev/null || true
    as_root bash -c 'nohup dockerd >/var/log/meshd-dockerd.log 2>&1 &'
  fi
  for _ in $(seq 1 60); do
    if engine_answers; then say "docker engine is up"; return; fi
    sleep 0.5
  done
  say "docker engine did not answer after 30 s; see /var/log/meshd-dockerd.log"
  tail -20 /var/log/meshd-dockerd.log >&2 || true
  exit 1
}

ensure_image() {
  local have
  have="$(docker image inspect -f '{{ index .Config.Labels "meshd.busybox" }}' "$IMAGE" 2>/dev/null || true)"
  if [ "$have" = "$IMAGE_VERSION" ]; then return; fi
  say "building $IMAGE from /bin/busybox"
  local root
  root="$(mktemp -d)"
  mkdir -p "$root/bin" "$root/tmp" "$root/www" "$root/etc"
  cp /bin/busybox "$root/bin/busybox"
  for applet in sh httpd nc sleep cat echo ls wget true false env printf rm touch test mkdir kill ps head dd yes; do
    ln -sf busybox "$root/bin/$applet"
  done
  echo "hello from meshd" >"$root/www/index.html"
  echo "root:x:0:0:root:/:/bin/sh" >"$root/etc/passwd"
  tar -C "$root" -cf - . | docker import \
    -c 'ENV PATH=/bin' -c 'WORKDIR /' -c "LABEL meshd.busybox=$IMAGE_VERSION" -c 'CMD ["/bin/sh"]' - "$IMAGE" >/dev/null
  rm -rf "$root"
}

ensure_node_modules() {
  if [ ! -x "$here/node_modules/.bin/node" ] || [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
    say "npm ci"
    (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

ensure_packages
ensure_engine
ensure_image
if [ "${1:-}" != "--no-npm" ]; then
  ensure_node_modules
  say "building dist/meshd.mjs"
  (cd "$here" && PATH="$here/node_modules/.bin:$PATH" node scripts/build.ts)
fi
say "ready"
