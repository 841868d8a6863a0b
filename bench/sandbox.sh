# The request log's cost (SPEC 12: at most 10% of the throughput of GET /customers/{id} and
# POST /donation_intents). Sourced by bench/run.sh, whose helpers it uses (start_server, wrk_run,
# stop_server, log, $work, $results, $TARGET, $API_KEY, $ADMIN_TOKEN, $work/one.json); run after
# the fresh-database scenarios. The same two scenarios run on a server with `--request-log 0` and
# then on one with the log on (the default, 1,000 requests per organization), each on a fresh
# database, in the same run; the log-on rows of the table carry their ratio to the log-off ones.
# Standalone: `bash bench/sandbox.sh` (BENCH_SECONDS per run, default 5) builds the release binary
# and prints the two ratios.

SANDBOX_CONNS=${SANDBOX_CONNS:-16}

# The rate (requests/s) of a recorded scenario at $SANDBOX_CONNS connections.
sandbox_rate() {
    awk -F'\t' -v s="$1" -v c="$SANDBOX_CONNS" '$1 == s && $2 == c { printf "%.1f", $3 / $4 }' "$results"
}

sandbox_bench() {
    local capacity label customer off on ratio scenario
    for capacity in 0 1000; do
        label=$([ "$capacity" = 0 ] && echo off || echo on)
        log "request log $label (--request-log $capacity)"
        start_server /healthz "$TARGET/impactapi" serve --db "$work/sandbox-$capacity.db" \
            --api-key "$API_KEY" --admin-token "$ADMIN_TOKEN" --request-log "$capacity"
        customer=$(curl -sf -H "Authorization: Bearer $API_KEY" -X POST "$base/customers" \
            -d '{"external_id":"bench","name":"Bench Customer"}' | jq -r .data.id)
        wrk_run "GET /customers/{id}, request log $label" "$SANDBOX_CONNS" "/customers/$customer" \
            http_ceiling 1
        wrk_run "POST /donation_intents, 1 item, request log $label" "$SANDBOX_CONNS" \
            /donation_intents storage_normal_1 1 "$work/one.json"
        stop_server
    done
    for scenario in "GET /customers/{id}" "POST /donation_intents, 1 item"; do
        off=$(sandbox_rate "$scenario, request log off")
        on=$(sandbox_rate "$scenario, request log on")
        ratio=$(awk -v a="$on" -v b="$off" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }')
        log "request log cost: $scenario: $on req/s with the log, $off without: ${ratio}× (target ≥ 0.90×)"
        awk -F'\t' -v OFS='\t' -v s="$scenario, request log on" -v r="$ratio" \
            '$1 == s { $1 = s " (" r "× of log off)" } { print }' "$results" >"$work/results.tmp"
        mv "$work/results.tmp" "$results"
    done
}

# Standalone: the helpers of bench/run.sh without its scenarios.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    cd "$(dirname "$0")/.."
    SECONDS_PER_RUN=${BENCH_SECONDS:-5}
    WARMUP_SECONDS=1
    API_KEY=ia_sk_bench000000000000000000000000000000000001
    ADMIN_TOKEN=ia_admin_bench0000000000000000000000000000001
    TARGET=${CARGO_TARGET_DIR:-target}/release
    SERVER_LOG_FILTER="warn,impactapi::db=debug"
    bench_started=$(date +%s)
    if ! command -v wrk >/dev/null; then
        sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
        $sudo apt-get update && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y wrk
    fi
    cargo build --release --bin impactapi
    # The helper functions of run.sh (everything before its first scenario).
    eval "$(sed -n '/^work=\$(mktemp -d)/,/^# -----/p' bench/run.sh)"
    printf '[{"amount":1000,"campaign_identifier":"trees-for-the-future"}]' >"$work/one.json"
    sandbox_bench
    cut -f1-4 "$results"
fi
