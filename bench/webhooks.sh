# Webhook scenarios of `make bench` (SPEC 11), sourced by bench/run.sh, whose helpers they use
# (start_server, wrk_run, stop_server, free_port, now_ms, log, $work, $results, $TARGET, $API_KEY).
# Each is reported as a ratio measured in the same run:
#   1. POST /donation_intents (1 item) with one subscribed endpoint, to the same without any
#      endpoint (target >= 0.8x), on one server, alternating A B B A, WEBHOOK_ROUNDS times (default
#      3), at each connection count (the endpoint is created before each B run and deleted after
#      it, its backlog delivered first), so that drift over the run does not favour either side:
#      this machine's speed changes for seconds at a time, by up to a third, and one or two rounds
#      of 5-second runs can land a slow phase on one side. The receiver is
#      examples/http_ceiling, which reads each body as a verifying receiver would. Also reported:
#      the deliveries made while the B runs lasted, and how long the backlog then took to deliver
#      (deliveries yield the CPU and the database writer to API requests under full load).
#   2. Delivery throughput to a local receiver with 10,000 deliveries queued (target >= 1,000/s):
#      10,000 intents are created while the endpoint's port is closed (with the schedule `0`, each
#      delivery fails after two quick attempts), then a receiver (examples/http_ceiling) is started
#      (on a port it could bind; the endpoint is pointed at it) and `recover` queues all 10,000
#      again: the time until all have succeeded.
# The section lands in BENCHMARKS.md between its own markers.

webhook_api() { # METHOD PATH [BODY]
    curl -sf -X "$1" "$base$2" -H "Authorization: Bearer $API_KEY" ${3:+-d "$3"}
}

# A closed port other than the server's (bash's $RANDOM repeats in command substitutions, so
# run.sh's free_port can hand out the port the server then takes).
webhook_free_port() {
    local port server=${base:-}
    server=${server##*:}
    while :; do
        port=$(shuf -i 20000-32000 -n 1) # below the ephemeral range
        [ "$port" = "$server" ] && continue
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
    done
}

webhook_rate() { # SCENARIO CONNS: req/s of those rows of $results (their requests / their seconds)
    awk -F'\t' -v s="$1" -v c="$2" '$1 == s && $2 == c { r += $3; t += $4 }
        END { printf "%.0f", (t > 0 ? r / t : 0) }' "$results"
}

webhook_count() { # ENDPOINT_ID STATUS: that endpoint's deliveries with that status
    webhook_api GET "/webhook_endpoints/$1/deliveries?status=$2&per_page=1" | jq -r .total
}

webhook_benchmarks() {
    local receiver_pid="" rport none one c mode queued started elapsed rate section ep made drained
    local rounds=${WEBHOOK_ROUNDS:-3} modes=""
    for _ in $(seq 1 "$rounds"); do modes="$modes A B B A"; done
    log "webhooks: POST /donation_intents with and without a subscribed endpoint ($modes)"
    rport=$(webhook_free_port)
    "$TARGET/examples/http_ceiling" --bind "127.0.0.1:$rport" >/dev/null 2>&1 &
    receiver_pid=$!
    start_server /healthz "$TARGET/impactapi" serve --db "$work/webhooks.db" --api-key "$API_KEY" \
        --admin-token "$ADMIN_TOKEN"
    none="POST /donation_intents, 1 item, no webhook endpoint"
    one="POST /donation_intents, 1 item, 1 subscribed webhook endpoint"
    : >"$work/webhook-lag.tsv"
    for c in "${CONNECTIONS[@]}"; do
        for mode in $modes; do
            if [ "$mode" = A ]; then
                wrk_run "$none" "$c" /donation_intents storage_normal_1 1 "$work/one.json"
                continue
            fi
            ep=$(webhook_api POST /webhook_endpoints "{\"url\": \"http://127.0.0.1:$rport/hook\"}" |
                jq -r .data.id)
            wrk_run "$one" "$c" /donation_intents storage_normal_1 1 "$work/one.json"
            # Deliveries made by the end of the run (wrk_run waits 1.1 s after the load), and the
            # wait for the rest.
            made=$(webhook_count "$ep" succeeded)
            started=$(now_ms)
            for _ in $(seq 1 1200); do
                [ "$(webhook_count "$ep" pending)" = 0 ] && break
                sleep 0.1
            done
            drained=$(($(now_ms) - started))
            printf '%s\t%s\t%s\t%s\n' "$c" "$(webhook_count "$ep" succeeded)" "$made" "$drained" \
                >>"$work/webhook-lag.tsv"
            webhook_api DELETE "/webhook_endpoints/$ep" >/dev/null
        done
    done
    stop_server

    log "webhooks: delivery throughput with 10,000 queued"
    local dport endpoint_id
    start_server /healthz "$TARGET/impactapi" serve --db "$work/webhooks-queue.db" \
        --api-key "$API_KEY" --admin-token "$ADMIN_TOKEN" --webhook-retry-schedule 0
    dport=$(webhook_free_port)
    endpoint_id=$(webhook_api POST /webhook_endpoints "{\"url\": \"http://127.0.0.1:$dport/hook\"}" |
        jq -r .data.id)
    for _ in $(seq 1 200); do
        webhook_api POST /donation_intents "$(cat "$work/fifty.json")" >/dev/null
    done
    for _ in $(seq 1 1200); do
        [ "$(webhook_api GET "/webhook_endpoints/$endpoint_id/deliveries?status=failed&per_page=1" |
            jq -r .total)" = 10000 ] && break
        sleep 0.1
    done
    # The receiver on a port it could bind (checked), and the endpoint pointed at it.
    local queue_receiver=""
    for _ in $(seq 1 10); do
        dport=$(webhook_free_port)
        "$TARGET/examples/http_ceiling" --bind "127.0.0.1:$dport" >/dev/null 2>&1 &
        queue_receiver=$!
        for _ in $(seq 1 100); do
            (exec 3<>"/dev/tcp/127.0.0.1/$dport") 2>/dev/null && break
            kill -0 "$queue_receiver" 2>/dev/null || break
            sleep 0.05
        done
        kill -0 "$queue_receiver" 2>/dev/null && break
    done
    webhook_api PATCH "/webhook_endpoints/$endpoint_id" "{\"url\": \"http://127.0.0.1:$dport/hook\"}" >/dev/null
    started=$(now_ms)
    webhook_api POST "/webhook_endpoints/$endpoint_id/recover" '{"since": "2000-01-01T00:00:00Z"}' \
        >/dev/null
    for _ in $(seq 1 2400); do
        [ "$(webhook_api GET "/webhook_endpoints/$endpoint_id/deliveries?status=succeeded&per_page=1" |
            jq -r .total)" = 10000 ] && break
        sleep 0.05
    done
    elapsed=$(($(now_ms) - started))
    rate=$(awk -v ms="$elapsed" 'BEGIN { printf "%.0f", 10000 / (ms / 1000) }')
    stop_server
    kill "$receiver_pid" "$queue_receiver" 2>/dev/null || true
    wait "$receiver_pid" "$queue_receiver" 2>/dev/null || true

    section="$work/webhooks.md"
    {
        echo "<!-- bench-webhooks:begin (written by bench/webhooks.sh) -->"
        echo "## Webhooks ($(date -u '+%Y-%m-%d %H:%M UTC'), $(git rev-parse --short HEAD 2>/dev/null || echo unknown))"
        echo
        echo "| scenario | conns | without endpoint req/s (A, $((2 * rounds)) runs) | with 1 endpoint req/s (B, $((2 * rounds)) runs) | ratio | target |"
        echo "|---|---:|---:|---:|---:|---|"
        for c in "${CONNECTIONS[@]}"; do
            awk -v c="$c" -v a="$(webhook_rate "$none" "$c")" -v b="$(webhook_rate "$one" "$c")" 'BEGIN {
                printf "| POST /donation_intents, 1 item | %s | %d | %d | %.2f× | ≥ 0.8× |\n", c, a, b, (a > 0 ? b / a : 0) }'
        done
        echo
        echo "Deliveries of each B run (its warm-up included): delivered by 1 s after its load stopped, and the time the rest then took."
        echo
        echo "| conns | events delivered | delivered by 1 s after the load | rest delivered in |"
        echo "|---:|---:|---:|---:|"
        awk -F'\t' '{ printf "| %s | %d | %d (%.0f%%) | %.1f s |\n", $1, $2, $3, ($2 > 0 ? 100 * $3 / $2 : 0), $4 / 1000 }' \
            "$work/webhook-lag.tsv"
        echo
        echo "| scenario | deliveries | seconds | deliveries/s | ratio to target | target |"
        echo "|---|---:|---:|---:|---:|---|"
        awk -v ms="$elapsed" -v r="$rate" 'BEGIN {
            printf "| delivery to a local receiver, 10,000 queued, 1 endpoint | 10000 | %.2f | %d | %.2f× | ≥ 1,000/s |\n", ms / 1000, r, r / 1000 }'
        echo "<!-- bench-webhooks:end -->"
    } >"$section"
    cat "$section" >&2
    if [ -f "$OUT" ] && grep -q '<!-- bench-webhooks:begin' "$OUT"; then
        awk -v section="$section" '
            /<!-- bench-webhooks:begin/ { while ((getline line < section) > 0) print line; skip = 1; next }
            /<!-- bench-webhooks:end/ { skip = 0; next }
            !skip { print }' "$OUT" >"$work/out-webhooks.md"
        cp "$work/out-webhooks.md" "$OUT"
    elif [ -f "$OUT" ]; then
        { echo; cat "$section"; } >>"$OUT"
    fi
}
