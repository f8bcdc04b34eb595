#!/usr/bin/env bash
# Install and start what the integration tests need beside Python: PostgreSQL on loopback
# (store tests run on it as well as SQLite) and Debian's Chromium (browser tests).
# Prints the PostgreSQL URL for FLUXTRAP_TEST_PG_URL on its last line, or an empty line when
# the system server cannot be made ready (the tests then start a throwaway one themselves).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
need=()
command -v pg_ctlcluster >/dev/null || need+=(postgresql)
[ -x /usr/bin/chromium ] || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq >&2 || true
  apt-get install -y -qq "${need[@]}" >&2 || echo "services: could not install ${need[*]}" >&2
fi
command -v pg_ctlcluster >/dev/null || { echo "services: no system PostgreSQL" >&2; echo; exit 0; }
cluster=$(pg_lsclusters --no-header | awk 'NR==1 {print $1, $2}')
[ -n "$cluster" ] || { pg_createcluster 15 main >&2; cluster="15 main"; }
pg_ctlcluster $cluster start >&2 2>/dev/null || true
port=$(pg_lsclusters --no-header | awk 'NR==1 {print $3}')
# The tests' role makes databases and roles (a read-only role's refusal is tested). A cluster
# stopped uncleanly replays its WAL before it accepts connections: wait (bounded).
create_role="DO \\\$\\\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='fluxtrap') THEN CREATE ROLE fluxtrap LOGIN CREATEDB CREATEROLE PASSWORD 'fluxtrap'; ELSE ALTER ROLE fluxtrap CREATEDB CREATEROLE; END IF; END \\\$\\\$;"
for _ in $(seq 1 120); do
  if su postgres -c "psql -q -p $port -c \"$create_role\"" >&2 2>/dev/null; then
    echo "postgresql+psycopg://fluxtrap:fluxtrap@127.0.0.1:$port/postgres"
    exit 0
  fi
  sleep 1
done
echo "services: PostgreSQL on port $port not ready after 120 s; tests use a throwaway server" >&2
echo
