#!/usr/bin/env bash
# Start the servers the store tests use, skipping whatever already answers.
# Idempotent; run by scripts/setup.sh (so by `npm test`), as root on a fresh
# Debian machine or as any user once the services run.
#   - PostgreSQL on 127.0.0.1:5432, user postgres with trust auth over TCP,
#     database "test" (the PostgreSQL store's contract suite);
#   - a three-master Redis Cluster on 127.0.0.1:7001-7003 (the Redis store's
#     contract suite on a cluster), data in a temporary directory.
set -euo pipefail

answers() { # host port: is something listening?
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

as_postgres() {
  if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi
}

# --- PostgreSQL -------------------------------------------------------------
if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
  version=$(ls /etc/postgresql | sort -V | tail -1)
  conf=/etc/postgresql/$version/main
  if [ -w "$conf/pg_hba.conf" ] && ! grep -Eq '^host\s+all\s+(all|postgres)\s+127\.0\.0\.1/32\s+trust' "$conf/pg_hba.conf"; then
    # Tests connect as postgres over TCP with no password; only loopback is trusted.
    echo "setup: trusting user postgres on 127.0.0.1 in $conf/pg_hba.conf"
    sed -i '1i host all postgres 127.0.0.1/32 trust' "$conf/pg_hba.conf"
    reload=1
  fi
  if ! answers 127.0.0.1 5432; then
    echo "setup: starting PostgreSQL $version"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start
    for _ in $(seq 1 50); do answers 127.0.0.1 5432 && break; sleep 0.2; done
  elif [ "${reload:-0}" = 1 ]; then
    pg_ctlcluster --skip-systemctl-redirect "$version" main reload
  fi
  answers 127.0.0.1 5432 || { echo "setup: PostgreSQL did not answer on 127.0.0.1:5432" >&2; exit 1; }
  if ! psql -h 127.0.0.1 -U postgres -d postgres -Atqc "SELECT 1 FROM pg_database WHERE datname = 'test'" 2>/dev/null | grep -q 1; then
    echo "setup: creating database test"
    as_postgres psql -qc 'CREATE DATABASE test' >/dev/null || psql -h 127.0.0.1 -U postgres -d postgres -qc 'CREATE DATABASE test'
  fi
fi

# --- Redis Cluster ----------------------------------------------------------
ports=(7001 7002 7003)
cluster_ok() { redis-cli -p "${ports[0]}" cluster info 2>/dev/null | grep -q '^cluster_state:ok'; }

if command -v redis-server >/dev/null && ! cluster_ok; then
  dir=$(mktemp -d /tmp/shared-session-redis-cluster.XXXXXX)
  started=0
  for port in "${ports[@]}"; do
    answers 127.0.0.1 "$port" && continue
    echo "setup: starting redis-server (cluster node) on 127.0.0.1:$port"
    mkdir -p "$dir/$port"
    redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --cluster-enabled yes \
      --cluster-config-file "$dir/$port/nodes.conf" --cluster-node-timeout 2000 \
      --save "" --appendonly no --dir "$dir/$port" --logfile "$dir/$port/redis.log"
    started=1
  done
  for port in "${ports[@]}"; do
    for _ in $(seq 1 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  done
  if [ "$(redis-cli -p "${ports[0]}" cluster info 2>/dev/null | sed -n 's/^cluster_known_nodes:\([0-9]*\).*/\1/p')" != 3 ]; then
    echo "setup: creating the Redis Cluster on ports ${ports[*]}"
    redis-cli --cluster create "${ports[@]/#/127.0.0.1:}" --cluster-replicas 0 --cluster-yes >"$dir/create.log" 2>&1 ||
      { cat "$dir/create.log" >&2; exit 1; }
  fi
  for _ in $(seq 1 100); do cluster_ok && break; sleep 0.1; done
  cluster_ok || { echo "setup: the Redis Cluster on ports ${ports[*]} is not ok" >&2; exit 1; }
  [ "$started" = 1 ] || rmdir "$dir" 2>/dev/null || true
fi
