#!/usr/bin/env bash
# Measures the CPU an idle portal spends (docs/PERFORMANCE.md, issue 15):
# starts it on a copy of BASE's database, lets it settle, then reads its CPU
# time from /proc over SECONDS.
#
#   scripts/perf-idle.sh BASE [SECONDS] [SETTLE]
#
# BASE holds portal.db and portal.key (for a million-row history, fill a copy
# of a baseline first: portal-load -database sqlite:BASE/portal.db
# -fill-outbox 1000000 -fill-audit 1000000). PORTAL_BIN picks the binary.
set -euo pipefail
base=$1 secs=${2:-60} settle=${3:-15}
run=$(mktemp -d)
cp "$base/portal.db" "$base/portal.key" "$run/"
chmod 600 "$run/portal.key"
bin=${PORTAL_BIN:-/tmp/portal}
load=${PORTAL_LOAD_BIN:-/tmp/portal-load}
addr=127.0.0.1:18210
PORTAL_DATABASE="sqlite:$run/portal.db" "$bin" serve --addr "$addr" >"$run/out.txt" 2>"$run/err.txt" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$run"' EXIT
for _ in $(seq 1 100); do curl -fs "http://$addr/readyz" >/dev/null && break; sleep 0.1; done
sleep "$settle"
"$load" -mode idle -pid "$pid" -d "${secs}s"
