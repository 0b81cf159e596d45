#!/usr/bin/env bash
# Backs up a large SQLite database while clients sign in (docs/PERFORMANCE.md,
# issue 15): one run of full sign-ins without a backup, one with `portal backup`
# started AFTER seconds in, then the copy is checked (PRAGMA integrity_check,
# after the load) and a portal started on it signs users in.
#
#   scripts/perf-backup.sh BASE ARGON2 CONCURRENCY DURATION AFTER
#
# BASE is a baseline as for perf-run.sh (portal.db, portal.key, staffpw, users.json).
set -euo pipefail
base=$1 argon2=$2 conc=$3 dur=$4 after=$5
here=$(cd "$(dirname "$0")" && pwd)
bin=${PORTAL_BIN:-/tmp/portal}
load=${PORTAL_LOAD_BIN:-/tmp/portal-load}
users=$(python3 -c "import json;print(len(json.load(open('$base/users.json'))))")

echo "== without a backup"
"$here/perf-run.sh" "$base" "$argon2" full "$conc" "$dur"

echo "== with a backup after $after"
out=$(mktemp -d)
export OUT=$out BIN=$bin AFTER=${after%s}
PERF_DURING='sleep "$AFTER"; start=$(date +%s%N)
  PORTAL_DATABASE="sqlite:$RUN_DB" "$BIN" backup "$OUT/copy.db" >"$OUT/backup.txt" 2>&1
  echo "backup command: exit $? after $(( ($(date +%s%N) - start) / 1000000 )) ms" >>"$OUT/backup.txt"' \
  "$here/perf-run.sh" "$base" "$argon2" full "$conc" "$dur"
cat "$out/backup.txt"
ls -l "$out/copy.db"
python3 -c "import sqlite3,sys; print('integrity_check:', sqlite3.connect(sys.argv[1]).execute('PRAGMA integrity_check').fetchall())" "$out/copy.db"

echo "== the copy serves"
cp "$base/portal.key" "$out/" && chmod 600 "$out/portal.key"
addr=127.0.0.1:18220
PORTAL_ARGON2=$argon2 PORTAL_DATABASE="sqlite:$out/copy.db" "$bin" serve --addr "$addr" >"$out/serve.txt" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$out"' EXIT
for _ in $(seq 1 100); do curl -fs "http://$addr/readyz" >/dev/null && break; sleep 0.1; done
"$load" -url "http://$addr" -staff-password "$(cat "$base/staffpw")" -users "$users" -users-file "$base/users.json" \
  -mode full -c 8 -d 3s -argon2 "$argon2" | grep -E 'sign-ins:|errors'
