#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL cluster:
#
#   bash scripts/with-postgres.sh <command> [args…]
#
# initdb in a fresh temporary directory (as the `postgres` user when run as root: initdb refuses root), a server
# on a free loopback port with its socket in that directory, one database, SKILL_METRICS_TEST_PG_URL exported for
# the command, and the cluster stopped and removed by a trap whatever happens (success, failure, Ctrl-C).
#
# The cluster uses the en_US.UTF-8 locale, PostgreSQL's usual default on servers, because its collation is not
# byte order (the postgres tests check that ISO-timestamp and UUID text still sort and compare correctly under
# it). When the machine has no such locale it is compiled into the temporary directory (localedef + LOCPATH),
# so nothing outside it changes; if that fails too, C.UTF-8 is used and a warning says so.
#
# When PostgreSQL cannot be started, the command still runs, without SKILL_METRICS_TEST_PG_URL and with
# SKILL_METRICS_TEST_PG_UNAVAILABLE saying why (the skip line of test/support/skipped-suites-reporter.js prints
# it): the postgres tests then fail loudly under CI=true and are skipped with a message otherwise; the script
# exits non-zero if the command did or if CI=true.
#
# `npm test` runs jest inside this script, so a machine with PostgreSQL's binaries runs the postgres suite
# without any setup. When SKILL_METRICS_TEST_PG_URL is already set (a server of your own, or this script around
# `npm test`), that server is used and no cluster is started.
#
# Environment: PG_BIN (directory of initdb/pg_ctl; default: the newest /usr/lib/postgresql/*/bin or PATH),
# PG_RUN_AS (user that owns the cluster when running as root; default postgres).
set -uo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: bash scripts/with-postgres.sh <command> [args…]" >&2
  exit 2
fi

log() { echo "with-postgres: $*" >&2; }
# Why PostgreSQL could not be started, logged and kept for SKILL_METRICS_TEST_PG_UNAVAILABLE.
unavailable() { UNAVAILABLE="$*"; log "$*"; }
UNAVAILABLE=""

find_bin() {
  if [ -n "${PG_BIN:-}" ]; then echo "$PG_BIN"; return; fi
  local newest
  newest=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -n "$newest" ]; then echo "$newest"; return; fi
  command -v initdb >/dev/null 2>&1 && dirname "$(command -v initdb)"
}

WORK_DIR=""
PG_CTL=""
RUN_AS=()
STARTED=0

cleanup() {
  if [ "$STARTED" = 1 ]; then
    "${RUN_AS[@]}" env ${LOCPATH:+LOCPATH="$LOCPATH"} "$PG_CTL" -D "$WORK_DIR/data" -m immediate -w stop >/dev/null 2>&1 ||
      log "pg_ctl stop failed (the directory is removed anyway)"
  fi
  [ -n "$WORK_DIR" ] && rm -rf "$WORK_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start_postgres() {
  local bin
  bin=$(find_bin)
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ] || [ ! -x "$bin/pg_ctl" ]; then
    unavailable "PostgreSQL server binaries not found (install Debian's postgresql package, or set PG_BIN)"
    return 1
  fi
  PG_CTL="$bin/pg_ctl"

  WORK_DIR=$(mktemp -d "${TMPDIR:-/tmp}/skill-metrics-pg.XXXXXX") || return 1
  chmod 700 "$WORK_DIR"
  if [ "$(id -u)" = 0 ]; then
    local user="${PG_RUN_AS:-postgres}"
    if ! id "$user" >/dev/null 2>&1; then
      unavailable "running as root and user '$user' does not exist (set PG_RUN_AS to a non-root user)"
      return 1
    fi
    chown "$user" "$WORK_DIR"
    RUN_AS=(runuser -u "$user" --)
  else
    RUN_AS=()
  fi

  # The locale: en_US.UTF-8 from the system, else compiled into the work directory.
  local locale="en_US.UTF-8"
  if ! locale -a 2>/dev/null | grep -qiE '^en_US\.utf-?8$'; then
    mkdir -p "$WORK_DIR/locale"
    if localedef -i en_US -f UTF-8 "$WORK_DIR/locale/en_US.UTF-8" >/dev/null 2>&1; then
      chmod -R a+rX "$WORK_DIR/locale"
      export LOCPATH="$WORK_DIR/locale"
    else
      log "warning: no en_US.UTF-8 locale and localedef failed; using C.UTF-8 (byte-order collation)"
      locale="C.UTF-8"
    fi
  fi

  local port
  port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})') ||
    return 1

  if ! "${RUN_AS[@]}" env ${LOCPATH:+LOCPATH="$LOCPATH"} "$bin/initdb" -D "$WORK_DIR/data" -U postgres \
    --auth=trust --encoding=UTF8 --locale="$locale" >"$WORK_DIR/initdb.log" 2>&1; then
    unavailable "initdb failed (its output follows)"; cat "$WORK_DIR/initdb.log" >&2
    return 1
  fi
  # A throwaway cluster: durability settings off (faster tests), loopback only, socket in the work directory.
  if ! "${RUN_AS[@]}" env ${LOCPATH:+LOCPATH="$LOCPATH"} "$PG_CTL" -D "$WORK_DIR/data" -l "$WORK_DIR/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$WORK_DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null 2>&1; then
    unavailable "pg_ctl start failed (the server log follows)"; cat "$WORK_DIR/server.log" >&2 2>/dev/null
    return 1
  fi
  STARTED=1

  local url="postgres://postgres@127.0.0.1:$port/skill_metrics_test"
  if ! "$bin/psql" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 \
    -c "CREATE DATABASE skill_metrics_test" >/dev/null 2>"$WORK_DIR/createdb.log"; then
    unavailable "CREATE DATABASE failed (psql's output follows)"; cat "$WORK_DIR/createdb.log" >&2
    return 1
  fi
  export SKILL_METRICS_TEST_PG_URL="$url"
  log "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (locale $locale), SKILL_METRICS_TEST_PG_URL=$url"
}

if [ -n "${SKILL_METRICS_TEST_PG_URL:-}" ]; then
  log "SKILL_METRICS_TEST_PG_URL is already set: using that server, starting none"
  exec "$@"
fi

pg_ok=1
start_postgres || pg_ok=0
if [ "$pg_ok" = 0 ]; then
  export SKILL_METRICS_TEST_PG_UNAVAILABLE="${UNAVAILABLE:-PostgreSQL could not be started}"
  log "PostgreSQL could not be started: running the command without SKILL_METRICS_TEST_PG_URL"
  unset SKILL_METRICS_TEST_PG_URL
fi

"$@"
status=$?
if [ "$status" = 0 ] && [ "$pg_ok" = 0 ] && [ "${CI:-}" = "true" ]; then status=1; fi
exit "$status"
