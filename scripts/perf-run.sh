#!/usr/bin/env bash
# Runs one measurement of docs/PERFORMANCE.md on a copy of a baseline database,
# so every run starts from the same data.
#
#   scripts/perf-run.sh BASE ARGON2 MODE CONCURRENCY DURATION [portal-load flags…]
#
# BASE holds portal.db, portal.key, staffpw and users.json as left by a first
# run of portal-load -users-file BASE/users.json against a server on BASE.
# PERF_DURING, if set, is a shell command run alongside the load, with RUN_DB
# naming the served database file; the server stays up until it ends.
set -euo pipefail
base=$1 argon2=$2 mode=$3 conc=$4 dur=$5
shift 5
run=$(mktemp -d)
cp "$base/portal.db" "$base/portal.key" "$run/"
chmod 600 "$run/portal.key"
sync # the copy's writeback must not overlap the measurement
bin=${PORTAL_BIN:-/tmp/portal}
load=${PORTAL_LOAD_BIN:-/tmp/portal-load}
addr=127.0.0.1:18200
# PORTAL_RUN_DATABASE (with PORTAL_KEY_FILE) runs the server on another database,
# e.g. PostgreSQL, instead of the copy.
PORTAL_ARGON2=$argon2 PORTAL_DATABASE="${PORTAL_RUN_DATABASE:-sqlite:$run/portal.db}" \
  "$bin" serve --addr "$addr" >"$run/out.txt" 2>"$run/err.txt" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$run"' EXIT
for _ in $(seq 1 50); do curl -fs "http://$addr/readyz" >/dev/null && break; sleep 0.1; done
during=
if [ -n "${PERF_DURING:-}" ]; then
  RUN_DB="$run/portal.db" bash -c "$PERF_DURING" &
  during=$!
fi
"$load" -url "http://$addr" -staff-password "$(cat "$base/staffpw")" -users "$(python3 -c "import json;print(len(json.load(open('$base/users.json'))))")" \
  -users-file "$base/users.json" -mode "$mode" -c "$conc" -d "$dur" -pid "$pid" -argon2 "$argon2" "$@"
if [ -n "$during" ]; then wait "$during"; fi
