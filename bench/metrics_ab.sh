# Sourced by bench/run.sh: the cost of metrics, as throughput with metrics (the default) over
# throughput with `--metrics=false`. Both servers run side by side and the runs alternate
# A B B A (twice) per scenario, so a drift in the machine's speed during the run (other work,
# thermal limits) falls on both sides alike; one on-run then one off-run measured ±30% apart here.
AB_SECONDS=${BENCH_AB_SECONDS:-2}
AB_CONNECTIONS=16
ab_results="$work/metrics_ab.tsv"
: >"$ab_results"

# ab_rate BASE PATH [BODY_FILE]: requests per second of one wrk run.
ab_rate() {
    local base=$1 path=$2 body=${3:-} method=""
    [ -n "$body" ] && method=POST
    WRK_METHOD=$method WRK_BODY_FILE=$body wrk -t2 -c"$AB_CONNECTIONS" -d"${AB_SECONDS}s" \
        --timeout 5s -s bench/wrk.lua -H "Authorization: Bearer $API_KEY" "$base$path" |
        awk '/^wrk / { printf "%.1f\n", $3 / ($5 / 1e6) }'
}

# ab_flow BASE: session flows per second of one flow_load run.
ab_flow() {
    "$TARGET/examples/flow_load" "$1" "$API_KEY" "$AB_CONNECTIONS" "$AB_SECONDS" |
        awk '{ printf "%.1f\n", $2 / $4 }'
}

# ab_scenario NAME COMMAND...: COMMAND is run with the on-server's base, then the off-server's,
# as its first argument (A B B A, twice, after one warm-up each); writes NAME, on, off.
ab_scenario() {
    local name=$1; shift
    local on=0 off=0 r
    "$@" "$ab_on" >/dev/null
    "$@" "$ab_off" >/dev/null
    for _ in 1 2; do
        r=$("$@" "$ab_on"); on=$(awk -v a="$on" -v b="$r" 'BEGIN { print a + b }')
        r=$("$@" "$ab_off"); off=$(awk -v a="$off" -v b="$r" 'BEGIN { print a + b }')
        r=$("$@" "$ab_off"); off=$(awk -v a="$off" -v b="$r" 'BEGIN { print a + b }')
        r=$("$@" "$ab_on"); on=$(awk -v a="$on" -v b="$r" 'BEGIN { print a + b }')
    done
    printf '%s\t%s\t%s\n' "$name" "$(awk -v t="$on" 'BEGIN { print t / 4 }')" \
        "$(awk -v t="$off" 'BEGIN { print t / 4 }')" >>"$ab_results"
    log "metrics on/off: $(tail -n 1 "$ab_results")"
}

# Argument order for ab_scenario: the base comes last, so wrap each call.
ab_get() { ab_rate "$2" "$1"; }
ab_post() { ab_rate "$3" "$1" "$2"; }
ab_customer() { ab_rate "$1" "/customers/$(cat "$work/ab_customer_$(echo "$1" | tr -dc 0-9)")"; }

# Starts one server per side on DB_ON / DB_OFF (copies of one database for reads, or fresh ones).
ab_start() {
    start_api "$1"
    ab_on=$base; ab_on_pid=$server_pid
    start_api "$2" --metrics=false
    ab_off=$base; ab_off_pid=$server_pid
    server_pid=""
}

ab_stop() {
    kill "$ab_on_pid" "$ab_off_pid" 2>/dev/null || true
    wait "$ab_on_pid" "$ab_off_pid" 2>/dev/null || true
}

metrics_ab() {
    log "metrics on vs off (${AB_SECONDS} s runs, A B B A twice, ${AB_CONNECTIONS} connections)"
    ab_start "$work/ab-on.db" "$work/ab-off.db"
    trap 'ab_stop; stop_server; rm -rf "$work"' EXIT
    for b in "$ab_on" "$ab_off"; do
        curl -sf -H "Authorization: Bearer $API_KEY" -X POST "$b/customers" -d '{"name":"AB"}' |
            jq -r .data.id >"$work/ab_customer_$(echo "$b" | tr -dc 0-9)"
    done
    ab_scenario "GET /campaigns" ab_get /campaigns
    ab_scenario "GET /customers/{id}" ab_customer
    ab_scenario "POST /donation_intents, 1 item" ab_post /donation_intents "$work/one.json"
    ab_scenario "POST /donation_intents, 50 items" ab_post /donation_intents "$work/fifty.json"
    ab_scenario "session flow (create, choose, confirm)" ab_flow
    ab_stop
    cp "$work/big.db" "$work/big-off.db"
    ab_start "$work/big.db" "$work/big-off.db"
    ab_scenario "GET /donation_intents page 1 (${INTENTS} intents)" ab_get /donation_intents
    ab_scenario "GET /donation_intents page 1000 (${INTENTS} intents)" ab_get "/donation_intents?page=1000"
    ab_scenario "GET /customers/{id}/impact_metrics (${CUSTOMER_INTENTS} intents)" ab_get \
        "/customers/$big_customer/impact_metrics"
    ab_stop
    trap 'stop_server; rm -rf "$work"' EXIT
}

metrics_ab_report() {
    echo "### Metrics on vs off"
    echo
    echo "Two servers side by side, one with metrics (the default) and one with \`--metrics=false\`;"
    echo "per scenario ${AB_SECONDS} s runs alternate A B B A twice at ${AB_CONNECTIONS} connections, after a"
    echo "warm-up of each. The ratio is mean throughput on over off (target ≥ 0.95×)."
    echo
    echo "| scenario | req/s on | req/s off | on / off |"
    echo "|---|---:|---:|---:|"
    awk -F'\t' '{ printf "| %s | %.0f | %.0f | %.2f× |\n", $1, $2, $3, ($3 > 0 ? $2 / $3 : 0) }' \
        "$ab_results"
}
