#!/usr/bin/env bash
# Reports scenarios (SPEC 13) of `make bench`, on the large database:
#   - GET /donation_intents/export.csv of every intent: rows/s and the server's peak RSS
#     (targets: at least 200,000 rows/s, under 64 MiB), beside the list endpoint's rows/s
#     (GET /donation_intents?per_page=100 at 1 connection) in the same run;
#   - GET /customers/{id}/impact_metrics/daily over the default 366-day window, at 1 connection
#     (its p99).
# In the table, the req/s column of the export and list rows is rows/s; the export's p50 and p99
# are its one request, the whole download.
#
# bench/run.sh sources this file and calls `bench_reports` while the large database is served
# (it uses run.sh's $base, $work, $API_KEY, $INTENTS, $CUSTOMER_INTENTS, $big_customer and its
# log, record, wrk_run and peak_rss_reset). Run on its own (`bash bench/reports.sh`), it seeds
# its own database (BENCH_INTENTS, default 1000000), runs only these scenarios and prints their
# rows without touching BENCHMARKS.md.

bench_reports() {
    local timing code secs lines rows us errors mark
    wrk_run "GET /donation_intents?per_page=100 (${INTENTS} intents; req/s = rows/s)" 1 \
        "/donation_intents?per_page=100" none 1
    # rows/s: each request is a page of 100 rows.
    awk -F'\t' -v OFS='\t' 'NR == n { $3 = $3 * 100 } { print }' n="$(wc -l <"$results")" \
        "$results" >"$work/results.tmp" && mv "$work/results.tmp" "$results"

    log "export of ${INTENTS} intents"
    mark=$(wc -l <"$work/server.log")
    peak_rss_reset
    lines=$(curl -sS -H "Authorization: Bearer $API_KEY" -w '%{stderr}%{http_code} %{time_total}\n' \
        "$base/donation_intents/export.csv" 2>"$work/export.timing" | wc -l || true)
    read -r code secs <"$work/export.timing"
    rows=$((lines - 1))
    errors=0
    [ "$code" = 200 ] || errors=$((errors + 1))
    [ "$rows" = "$INTENTS" ] || errors=$((errors + 1))
    us=$(awk -v s="$secs" 'BEGIN { printf "%d", s * 1e6 }')
    record "GET /donation_intents/export.csv (${INTENTS} rows; req/s = rows/s)" 1 "$rows" "$secs" \
        "$errors" "$us" "$us" none 1 "$mark"
    awk -F'\t' 'END { r = $3 / $4; m = $8 / 1024
        printf "export: %.0f rows/s (target >= 200000: %s), peak RSS %.1f MiB (target < 64: %s)\n",
            r, (r >= 200000 ? "met" : "MISSED"), m, (m < 64 ? "met" : "MISSED") }' "$results" >&2

    wrk_run "GET /customers/{id}/impact_metrics/daily (${CUSTOMER_INTENTS} intents, 366 days)" 1 \
        "/customers/$big_customer/impact_metrics/daily" http_ceiling 1
}

# ---------------------------------------------------------------------------------------------
# Alone: the same scenarios on a database of our own, with minimal versions of run.sh's helpers.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    cd "$(dirname "$0")/.."
    INTENTS=${BENCH_INTENTS:-1000000}
    CUSTOMER_INTENTS=${BENCH_CUSTOMER_INTENTS:-10000}
    SECONDS_PER_RUN=${BENCH_SECONDS:-5}
    API_KEY=ia_sk_bench000000000000000000000000000000000001
    ADMIN_TOKEN=ia_admin_bench0000000000000000000000000000001
    TARGET=${CARGO_TARGET_DIR:-target}/release
    cargo build --release --bin impactapi --example seed_intents
    work=$(mktemp -d)
    results="$work/results.tsv"
    : >"$results"
    server_pid=""
    trap '[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
    log() { printf '[bench reports] %s\n' "$*" >&2; }
    peak_rss_reset() { echo 5 >"/proc/$server_pid/clear_refs" 2>/dev/null || true; }
    record() {
        sleep 1.1
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "$6" "$7" \
            "$(awk '/^VmHWM:/ { print $2 }' "/proc/$server_pid/status")" >>"$results"
    }
    wrk_run() {
        local line requests duration non2xx socket p50 p99
        wrk -t1 -c"$2" -d1s -s bench/wrk.lua -H "Authorization: Bearer $API_KEY" "$base$3" >/dev/null
        peak_rss_reset
        line=$(wrk -t1 -c"$2" -d"${SECONDS_PER_RUN}s" --timeout 5s -s bench/wrk.lua \
            -H "Authorization: Bearer $API_KEY" "$base$3" | grep '^wrk ')
        read -r _ _ requests _ duration _ non2xx _ socket _ p50 _ p99 <<<"$line"
        record "$1" "$2" "$requests" "$(awk -v d="$duration" 'BEGIN { print d / 1e6 }')" \
            $((non2xx + socket)) "$p50" "$p99"
    }
    log "seeding $INTENTS intents"
    big_customer=$("$TARGET/examples/seed_intents" "$work/big.db" "$API_KEY" "$ADMIN_TOKEN" \
        "$INTENTS" "$CUSTOMER_INTENTS")
    port=$((20000 + RANDOM % 40000))
    base="http://127.0.0.1:$port"
    IMPACTAPI_LOG=warn "$TARGET/impactapi" serve --db "$work/big.db" --api-key "$API_KEY" \
        --admin-token "$ADMIN_TOKEN" --bind "127.0.0.1:$port" >"$work/server.log" 2>&1 &
    server_pid=$!
    until curl -sf -o /dev/null "$base/healthz"; do sleep 0.05; done
    bench_reports
    echo "| scenario | conns | rows or req/s | p50 ms | p99 ms | errors | peak RSS MiB |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    awk -F'\t' '{ printf "| %s | %s | %.0f | %.2f | %.2f | %d | %.1f |\n",
        $1, $2, $3 / $4, $6 / 1000, $7 / 1000, $5, $8 / 1024 }' "$results"
fi
