#!/usr/bin/env bash
# Installs what building, running and testing souk needs on Debian 12:
# Debian packages via apt-get (only the missing ones) and the test suite's
# npm packages via npm ci. Safe to run again; prints nothing when all is there.
# With the argument coverage it also installs gcovr (make coverage).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  make gcc clang libclang-rt-14-dev pkg-config
  libh2o-evloop-dev libssl-dev zlib1g-dev libjansson-dev libsqlite3-dev libsodium-dev libcmocka-dev
  liboath-dev libcurl4-openssl-dev libpq-dev postgresql libhiredis-dev redis-server libqrencode-dev
  libstemmer-dev libutf8proc-dev libroaring-dev libopenblas-dev liblapacke-dev
  libvips-dev libvips-tools
  chromium
  sqlite3 curl jq wrk nginx-light
  prometheus # for promtool: tests/api/metrics_promtool.test.js checks /metrics with it
)
# `scripts/deps.sh coverage` (make coverage): gcovr too, which nothing else needs
[ "${1:-}" = coverage ] && packages+=(gcovr)
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  # nginx-light's post-install may try to start nginx on port 80; a failure there is harmless here
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || {
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  }
  # we start our own nginx (bench) on loopback ports; never leave the distribution's one running
  if pgrep -x nginx >/dev/null 2>&1 && [ -f /run/nginx.pid ]; then $sudo nginx -s stop 2>/dev/null || true; fi
  # nor the distribution's Prometheus server: only its promtool is used
  if [ -f /run/prometheus/prometheus.pid ] && pgrep -x prometheus >/dev/null 2>&1; then
    $sudo kill "$(cat /run/prometheus/prometheus.pid)" 2>/dev/null || true
  fi
  # nor the distribution's Redis: the tests start private ones on loopback ports (scripts/redis-test.sh)
  if [ -f /run/redis/redis-server.pid ] && pgrep -x redis-server >/dev/null 2>&1; then
    $sudo kill "$(cat /run/redis/redis-server.pid)" 2>/dev/null || true
  fi
fi

# npm ci empties node_modules first: through a symlink (a worktree sharing another checkout's
# packages) it would empty the other checkout's. Such a link is left alone.
npm_ci_in() {
  local dir=$1
  if [ -L "$dir/node_modules" ]; then
    echo "deps: $dir/node_modules is a symlink; not reinstalling through it" >&2
    return 0
  fi
  echo "deps: npm ci in $dir/"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
}

# npm packages the build bundles into the dashboards (esbuild, preact, htm, uPlot)
if [ ! -d web/admin/node_modules ] || [ web/admin/package-lock.json -nt web/admin/node_modules/.package-lock.json ]; then
  npm_ci_in web/admin
fi

# npm packages of the test suite (ajv for OpenAPI validation)
if [ ! -d tests/node_modules ] || [ tests/package-lock.json -nt tests/node_modules/.package-lock.json ]; then
  npm_ci_in tests
fi
