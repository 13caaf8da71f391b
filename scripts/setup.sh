#!/usr/bin/env bash
# Make this machine ready, installing only what is missing. Idempotent and
# quick when everything is there; run by `npm start` (npm packages only)
# and `npm test` (everything the tests drive for real), and so by .ci/run.
#   scripts/setup.sh          npm packages + system packages + a Redis server
#   scripts/setup.sh --npm    npm packages only (the demo needs nothing else)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -f node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages (npm ci)"
  npm ci --no-audit --no-fund >/dev/null
fi
[ "${1:-}" = "--npm" ] && exit 0

redis_answers() {
  (exec 3<>/dev/tcp/127.0.0.1/6379 && printf 'PING\r\n' >&3 && timeout 2 head -c 5 <&3 | grep -q PONG) 2>/dev/null
}

# Debian packages the tests drive for real: Redis (single and Cluster),
# PostgreSQL (the PostgreSQL store), Chromium, Firefox ESR and WebKitGTK under
# Xvfb (every cookie flow), nginx and caddy (forward-auth), Debian's Python with
# Flask, Django, PyJWT, Authlib and cryptography (PyJWT needs it for EdDSA;
# python3-jwt only recommends it), venv and setuptools to install ./python.
packages=()
command -v redis-server >/dev/null || packages+=(redis-server)
command -v redis-cli >/dev/null || packages+=(redis-tools)
command -v pg_ctlcluster >/dev/null || packages+=(postgresql)
[ -x /usr/bin/chromium ] || packages+=(chromium)
[ -x /usr/bin/firefox-esr ] || packages+=(firefox-esr)
command -v WebKitWebDriver >/dev/null || packages+=(webkit2gtk-driver)
command -v Xvfb >/dev/null || packages+=(xvfb)
[ -x /usr/sbin/nginx ] || packages+=(nginx-light)
command -v caddy >/dev/null || packages+=(caddy)
py() { /usr/bin/python3 -c "import $1" 2>/dev/null; }
py flask || packages+=(python3-flask)
py django || packages+=(python3-django)
py jwt || packages+=(python3-jwt)
py authlib || packages+=(python3-authlib)
py cryptography || packages+=(python3-cryptography)
py setuptools || packages+=(python3-setuptools)
py wheel || packages+=(python3-wheel) # setuptools 66 builds `pip install --no-build-isolation ./python` with it
py ensurepip || packages+=(python3-venv)
py requests || packages+=(python3-requests)
if [ ${#packages[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "setup: the tests need these Debian packages: ${packages[*]}" >&2
    echo "setup: install them (sudo apt-get install -y ${packages[*]}) and run again" >&2
    exit 1
  fi
  echo "setup: installing ${packages[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi

if ! redis_answers; then
  echo "setup: starting redis-server on 127.0.0.1:6379"
  dir=$(mktemp -d)
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no --dir "$dir" --logfile "$dir/redis.log"
  for _ in $(seq 1 50); do redis_answers && break; sleep 0.1; done
  redis_answers || { echo "setup: redis-server did not answer on 127.0.0.1:6379" >&2; exit 1; }
fi

# PostgreSQL, a three-master Redis Cluster: started by their own script.
if [ -f scripts/start-services.sh ]; then bash scripts/start-services.sh; fi
