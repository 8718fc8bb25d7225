#!/usr/bin/env bash
# Start (once) a throwaway PostgreSQL server on 127.0.0.1 for the tests and print its
# SQLAlchemy URL. Installs Debian's postgresql package when no server binaries are present.
set -euo pipefail
port=${GOVCRAWL_PG_PORT:-54329}
dir=${GOVCRAWL_PG_DIR:-/tmp/govcrawl-test-pg}

pgbin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
bin=$(pgbin)
if [ -z "$bin" ]; then
  echo "installing postgresql (Debian package) for the tests" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  bin=$(pgbin)
fi

as_owner() {  # initdb and postgres refuse to run as root
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if ! "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"; then
  rm -rf "$dir"
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  as_owner "$bin/initdb" -D "$dir/data" -A trust -U govcrawl -E UTF8 >/dev/null
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off" start >/dev/null
fi
echo "postgresql+psycopg://govcrawl@127.0.0.1:$port/postgres"
