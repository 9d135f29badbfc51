#!/usr/bin/env bash
# Idempotent machine setup for meshd: Docker Engine, busybox, the local test images
# (busybox, and PostgreSQL 15 from this machine's Debian packages), Debian's Chromium for
# the dashboard's browser test, Debian's pebble (an ACME CA) for the certificate tests, the
# benchmarks' peers (Debian's haproxy, caddy and wrk), and the project's npm dependencies. Safe to run again;
# does only what is missing.
set -euo pipefail

IMAGE="meshd/busybox:latest"
# Bump when the image's contents change: setup rebuilds an image with another version.
IMAGE_VERSION="2"
# Postgres for the tests of discovery, secrets and volumes. Bump when postgres_rootfs or
# the import changes; the label also carries the Debian package version and the
# entrypoint's hash, so a package upgrade or an edited entrypoint rebuilds it by itself.
PG_IMAGE="meshd/postgres:15"
PG_IMAGE_VERSION="2"
PG_HOME="/usr/lib/postgresql/15"
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

# The dashboard's browser test drives this Chromium through playwright-core (never a
# browser download of its own).
ensure_browser() {
  if [ -x /usr/bin/chromium ]; then return; fi
  apt_install --no-install-recommends chromium
}

# A real ACME CA for the certificate tests (Debian's pebble; the tests make its listener's
# certificate themselves: the package ships none).
ensure_pebble() {
  if command -v pebble >/dev/null 2>&1; then return; fi
  apt_install --no-install-recommends pebble
}

# What the benchmarks measure meshd against (bench/mesh.ts: HAProxy; bench/ingress.ts: Caddy),
# and their load generator. Each bench runs its peer itself: on a machine with systemd the
# package's own caddy.service (which would hold port 80, meshd's default ingress port) is
# stopped and disabled.
ensure_bench_peers() {
  local missing=()
  command -v haproxy >/dev/null 2>&1 || missing+=(haproxy)
  command -v caddy >/dev/null 2>&1 || missing+=(caddy)
  command -v wrk >/dev/null 2>&1 || missing+=(wrk)
  if [ "${#missing[@]}" -eq 0 ]; then return; fi
  apt_install --no-install-recommends "${missing[@]}"
  if [ -d /run/systemd/system ] && [[ " ${missing[*]} " == *" caddy "* ]]; then
    as_root systemctl disable --now caddy.service >/dev/null 2>&1 || true
  fi
}

engine_answers() { timeout 5 docker info >/dev/null 2>&1; }

ensure_packages() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  [ -x /bin/busybox ] || missing+=(busybox-static)
  command -v iptables >/dev/null 2>&1 || missing+=(iptables)
  if [ "${#missing[@]}" -gt 0 ]; then apt_install "${missing[@]}"; fi
  # promtool, which the metrics tests check GET /metrics with (the daemon never runs it);
  # only the package itself: its recommends (node exporters) are not wanted here.
  command -v promtool >/dev/null 2>&1 || apt_install --no-install-recommends prometheus
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
    # Its own session: the engine outlives the shell (and the process group) that started it.
    as_root bash -c 'setsid nohup dockerd >/var/log/meshd-dockerd.log 2>&1 < /dev/null &'
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

# dpkg-query, not `dpkg -l`: a removed package keeps a line ("rc") there and exits 0.
deb_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

ensure_postgres_packages() {
  local missing=() pkg
  for pkg in postgresql-15 postgresql-client-15; do deb_installed "$pkg" || missing+=("$pkg"); done
  if [ "${#missing[@]}" -eq 0 ] && [ -x "$PG_HOME/bin/postgres" ] && [ -x "$PG_HOME/bin/psql" ]; then return; fi
  # Only the files are wanted: no cluster (and no server) on this machine itself.
  if [ ! -e /etc/postgresql-common/createcluster.conf ]; then
    as_root mkdir -p /etc/postgresql-common
    echo 'create_main_cluster = false' | as_root tee /etc/postgresql-common/createcluster.conf >/dev/null
  fi
  apt_install --no-install-recommends --reinstall postgresql-15 postgresql-client-15
}

postgres_image_label() {
  printf '%s/%s/%s' "$PG_IMAGE_VERSION" "$(dpkg-query -W -f='${Version}' postgresql-15)" \
    "$(sha256sum "$here/scripts/images/meshd-postgres" | cut -c1-12)"
}

# Copies every shared library (and the loader) that ldd names for the given files into
# root at the same path. JIT (llvmjit.so, 130 MB of LLVM) is left out by the caller.
copy_shared_libraries() {
  local root="$1" lib
  shift
  if ldd "$@" 2>/dev/null | grep -q 'not found'; then say "ldd: a library is missing"; ldd "$@" | grep 'not found' >&2; exit 1; fi
  for lib in $(ldd "$@" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// && $2 ~ /^\(/ { print $1 }' | sort -u); do
    as_root cp -L --parents "$lib" "$root"
  done
}

# The root filesystem: postgres and psql with their libraries, the share files initdb
# reads, zoneinfo, the C.UTF-8 locale and `locale` (initdb lists the locales with it),
# busybox, users, and the entrypoint.
postgres_rootfs() {
  local root="$1" applet
  as_root tar -C / -cf - --exclude="${PG_HOME#/}/lib/bitcode" --exclude="${PG_HOME#/}/lib/llvmjit*" \
    --exclude=usr/share/postgresql/15/man --exclude=usr/share/zoneinfo/right --exclude=usr/share/zoneinfo/localtime \
    "${PG_HOME#/}" usr/share/postgresql/15 usr/share/zoneinfo usr/lib/locale/C.utf8 usr/bin/locale | as_root tar -C "$root" -xf -
  copy_shared_libraries "$root" "$PG_HOME"/bin/* $(ls "$PG_HOME"/lib/*.so | grep -v llvmjit) /usr/bin/locale
  as_root mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/run" "$root/root" "$root/usr/local/bin" \
    "$root/var/run/postgresql" "$root/var/lib/postgresql/data"
  as_root cp /bin/busybox "$root/bin/busybox"
  for applet in sh cat mkdir chown chmod sleep id env ls echo test [ printf rm su cp sed head od tr; do
    as_root ln -sf busybox "$root/bin/$applet"
  done
  as_root cp "$here/scripts/images/meshd-postgres" "$root/usr/local/bin/meshd-postgres"
  as_root chmod 755 "$root/usr/local/bin/meshd-postgres"
  printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'postgres:x:999:999:PostgreSQL:/var/lib/postgresql:/bin/sh' | as_root tee "$root/etc/passwd" >/dev/null
  printf '%s\n' 'root:x:0:' 'postgres:x:999:' | as_root tee "$root/etc/group" >/dev/null
  printf '%s\n' 'passwd: files' 'group: files' 'hosts: files dns' | as_root tee "$root/etc/nsswitch.conf" >/dev/null
  as_root chmod 1777 "$root/tmp"
  as_root chown -R 999:999 "$root/var/run/postgresql" "$root/var/lib/postgresql"
  as_root chmod 700 "$root/var/lib/postgresql/data"
}

ensure_postgres_image() {
  local want have root started started_template
  ensure_postgres_packages
  want="$(postgres_image_label)"
  have="$(docker image inspect -f '{{ index .Config.Labels "meshd.postgres" }}' "$PG_IMAGE" 2>/dev/null || true)"
  if [ "$have" = "$want" ]; then return; fi
  say "building $PG_IMAGE from $PG_HOME ($want)"
  started="$(date +%s%N)"
  root="$(mktemp -d)"
  trap "as_root rm -rf '$root'" EXIT
  postgres_rootfs "$root"
  as_root tar -C "$root" --numeric-owner -cf - . | docker import \
    -c "ENV PATH=$PG_HOME/bin:/usr/bin:/bin" -c 'ENV PGDATA=/var/lib/postgresql/data' -c 'ENV LANG=C.UTF-8' \
    -c 'USER postgres' -c 'WORKDIR /var/lib/postgresql' -c 'EXPOSE 5432' \
    -c "LABEL meshd.postgres=$want" -c 'ENTRYPOINT ["/usr/local/bin/meshd-postgres"]' -c 'CMD ["postgres"]' \
    - "$PG_IMAGE-base" >/dev/null
  as_root rm -rf "$root"
  trap - EXIT
  # A cluster initialised once, in the image, for first starts to copy (meshd-postgres).
  started_template="$(docker run -d --network none "$PG_IMAGE-base" template)"
  if [ "$(docker wait "$started_template")" != 0 ]; then docker logs "$started_template" >&2; docker rm -f "$started_template" >/dev/null; exit 1; fi
  docker commit -c 'CMD ["postgres"]' "$started_template" "$PG_IMAGE" >/dev/null
  docker rm -f "$started_template" >/dev/null
  docker rmi "$PG_IMAGE-base" >/dev/null
  say "built $PG_IMAGE in $(( ($(date +%s%N) - started) / 1000000 )) ms: $(docker image inspect -f '{{ .Size }}' "$PG_IMAGE" | awk '{ printf "%.1f MB", $1 / 1e6 }')"
}

ensure_node_modules() {
  if [ ! -x "$here/node_modules/.bin/node" ] || [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
    say "npm ci"
    (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

ensure_packages
ensure_browser
ensure_pebble
ensure_bench_peers
ensure_engine
ensure_image
ensure_postgres_image
if [ "${1:-}" != "--no-npm" ]; then
  ensure_node_modules
  say "building dist/meshd.mjs"
  (cd "$here" && PATH="$here/node_modules/.bin:$PATH" node scripts/build.ts)
fi
say "ready"
