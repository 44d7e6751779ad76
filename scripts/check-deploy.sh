#!/usr/bin/env bash
# Checks the files in deploy/: the nginx site with `nginx -t` (in a private prefix, with a
# throw-away self-signed certificate in place of the placeholders), the systemd units with
# `systemd-analyze verify` when it is there, and the Grafana dashboard as JSON.
# Prints what it checked; exits non-zero on the first failure. Usage: scripts/check-deploy.sh [SOUK_BIN]
set -euo pipefail
bin=$(realpath "${1:-$(dirname "$0")/../build/souk}")
cd "$(dirname "$0")/.."
[ -x "$bin" ] || { echo "check-deploy: $bin is not an executable souk (build it first)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

command -v nginx >/dev/null || { echo "check-deploy: nginx is not installed (scripts/deps.sh)" >&2; exit 1; }
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=shop.example.com \
  -keyout "$tmp/key.pem" -out "$tmp/cert.pem" >/dev/null 2>&1
mkdir -p "$tmp/logs"
sed -e "s|/etc/ssl/certs/shop.example.com.fullchain.pem|$tmp/cert.pem|" \
    -e "s|/etc/ssl/private/shop.example.com.key|$tmp/key.pem|" \
    -e "s|root /var/www/html;|root $tmp;|" deploy/nginx-souk.conf >"$tmp/site.conf"
if grep -vE '^[[:space:]]*#' "$tmp/site.conf" | grep -q 'CHANGE-ME'; then
  echo "check-deploy: a CHANGE-ME placeholder is left outside a comment" >&2
  exit 1
fi
cat >"$tmp/nginx.conf" <<CONF
pid $tmp/nginx.pid;
error_log $tmp/logs/error.log;
events {}
http {
    access_log $tmp/logs/access.log;
    include $tmp/site.conf;
}
CONF
nginx -t -q -p "$tmp" -c "$tmp/nginx.conf" -e "$tmp/logs/error.log"
echo "check-deploy: nginx -t: deploy/nginx-souk.conf ok"

if command -v systemd-analyze >/dev/null; then
  for unit in souk.service souk@.service; do
    sed "s|/usr/local/bin/souk|$bin|" "deploy/$unit" >"$tmp/$unit"
  done
  out=$(cd "$tmp" && systemd-analyze verify ./souk.service ./souk@.service 2>&1) || { echo "$out" >&2; exit 1; }
  [ -z "$out" ] || { echo "check-deploy: systemd-analyze verify complained:" >&2; echo "$out" >&2; exit 1; }
  echo "check-deploy: systemd-analyze verify: deploy/souk.service, deploy/souk@.service ok"
else
  echo "check-deploy: systemd-analyze not installed: units not verified"
fi

python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["panels"], "no panels"' deploy/grafana-souk.json
echo "check-deploy: deploy/grafana-souk.json is a dashboard"
