#!/usr/bin/env bash
# Benchmarks of the API on PostgreSQL with a realistic data set, beside PostGraphile V5 on the same tables, a static
# axum handler and pgbench. Prints requests per second, p50 and p99 latency and ratios; see the README's
# "Benchmarks" section.
#
#   bench/run.sh [dashboard] [dashboard-c1] [lookup] [writes] [subscribers]    (all of them by default)
#
# Environment (defaults in brackets):
#   BENCH_DATABASE_URL  the benchmark database [postgres://postgres@127.0.0.1:5432/mutual_aid_bench]
#   BENCH_REQUESTS      resource requests in the data set [100000]
#   BENCH_SKIP_LOAD=1   keep the data set already loaded
#   BENCH_SKIP_BUILD=1  use the release binaries already built
#   BENCH_COMPACT       short name of the compact whose coordinator reads the dashboard [Utah SMAA]
#   BENCH_JURISDICTION  the jurisdiction looked up, whose representative sets inventory [Salt Lake County]
#   DURATION, WARMUP    seconds of each measurement and of the warm-up before it [15, 3]
#   CONNECTIONS         concurrent connections of the loaded runs [32]
#   API_PORT, POSTGRAPHILE_PORT, STATIC_PORT  [8787, 5678, 8790]
#   BENCH_PGBENCH_DB    scratch database of pgbench -i [mutual_aid_pgbench]
#   BENCH_SUBSCRIBERS_DB  scratch database of the subscription benchmark, emptied first [mutual_aid_subscribers]
#   BENCH_SUBSCRIBER_CHANGES  status changes committed in the subscription benchmark [100]
#   BENCH_SUBSCRIBERS_20K=1  also run the subscription benchmark with 20,000 subscribers (needs about 40,000 open
#                       files: `ulimit -n`)
# Cargo's CARGO_TARGET_DIR is honoured.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/bench"
DB_URL="${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/mutual_aid_bench}"
REQUESTS="${BENCH_REQUESTS:-100000}"
COMPACT="${BENCH_COMPACT:-Utah SMAA}"
JURISDICTION="${BENCH_JURISDICTION:-Salt Lake County}"
API_PORT="${API_PORT:-8787}"
POSTGRAPHILE_PORT="${POSTGRAPHILE_PORT:-5678}"
STATIC_PORT="${STATIC_PORT:-8790}"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
BIN="$TARGET/release/mutual-aid"
SERVER_URL="${DB_URL%/*}"
PGBENCH_URL="$SERVER_URL/${BENCH_PGBENCH_DB:-mutual_aid_pgbench}"
SUBSCRIBERS_DB="${BENCH_SUBSCRIBERS_DB:-mutual_aid_subscribers}"
# One HS256 secret for the server and the tokens minted for it.
export MUTUAL_AID_JWT_SECRET="benchmark-secret-that-is-long-enough-for-hs256"
export DURATION="${DURATION:-15}" WARMUP="${WARMUP:-3}" CONNECTIONS="${CONNECTIONS:-32}"

sections=("$@")
if [ ${#sections[@]} -eq 0 ]; then
    sections=(dashboard dashboard-c1 lookup writes subscribers)
fi
for s in "${sections[@]}"; do
    case "$s" in
        dashboard | dashboard-c1 | lookup | writes | subscribers) ;;
        *) echo "unknown section $s (dashboard, dashboard-c1, lookup, writes, subscribers)" >&2; exit 2 ;;
    esac
done
wants() {
    local s
    for s in "${sections[@]}"; do [ "$s" = "$1" ] && return 0; done
    return 1
}
wants_servers() { wants dashboard || wants dashboard-c1 || wants lookup || wants writes; }

pids=()
workdir="$(mktemp -d)"
cleanup() {
    local pid
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$workdir"
}
trap cleanup EXIT

psql_admin() { psql "$SERVER_URL/postgres" -v ON_ERROR_STOP=1 -qAtc "$1"; }
ensure_db() {
    if [ -z "$(psql_admin "SELECT 1 FROM pg_database WHERE datname = '$1'")" ]; then
        psql_admin "CREATE DATABASE \"$1\""
    fi
}
wait_http() {
    local url="$1" name="$2" i
    for i in $(seq 1 120); do
        if curl -s -o /dev/null -X POST -H 'content-type: application/json' -d '{"query":"{__typename}"}' "$url"; then
            return 0
        fi
        sleep 0.5
    done
    echo "$name did not answer at $url" >&2
    exit 1
}
section() {
    echo
    echo "=== $1"
    echo "load: $(uptime)"
}

command -v psql >/dev/null || { echo "psql is needed" >&2; exit 1; }
if [ ! -x "$BENCH/node_modules/.bin/node" ]; then
    (cd "$BENCH" && npm ci --no-audit --no-fund)
fi
NODE="$BENCH/node_modules/.bin/node"

if [ "${BENCH_SKIP_BUILD:-}" != 1 ]; then
    echo "building the release binaries (cargo build --release)"
    (cd "$ROOT" && cargo build --release --bin mutual-aid --example bench_dataset --example static_axum \
        --example subscription_bench)
fi

if wants_servers && [ "${BENCH_SKIP_LOAD:-}" != 1 ]; then
    echo "loading $REQUESTS resource requests into $DB_URL"
    "$TARGET/release/examples/bench_dataset" "$DB_URL" "$REQUESTS"
fi

if wants_servers; then
    compact_id="$(psql "$DB_URL" -qAtc "SELECT id FROM compacts WHERE short_name = '$COMPACT'")"
    jurisdiction_id="$(psql "$DB_URL" -qAtc "SELECT id FROM jurisdictions WHERE name = '$JURISDICTION'")"
    [ -n "$compact_id" ] && [ -n "$jurisdiction_id" ] || {
        echo "no compact '$COMPACT' or jurisdiction '$JURISDICTION' in $DB_URL (load the data set)" >&2
        exit 1
    }
    resource_type_ids="$(psql "$DB_URL" -qAtc "SELECT string_agg(id::text, ',' ORDER BY name) FROM resource_types")"
    export COMPACT_ID="$compact_id" JURISDICTION_ID="$jurisdiction_id" RESOURCE_TYPE_IDS="$resource_type_ids"
    export COORDINATOR_TOKEN REPRESENTATIVE_TOKEN
    COORDINATOR_TOKEN="$(DATABASE_URL="$DB_URL" "$BIN" token --subject bench-coordinator --name "Bench Coordinator" \
        --role COORDINATOR --compact "$compact_id" 2>/dev/null)"
    # The token of a representative the directory lists (the API checks the subject against it).
    representative="$(psql "$DB_URL" -qAtc "SELECT subject FROM authorized_representatives
        WHERE jurisdiction_id = '$jurisdiction_id' AND active AND subject IS NOT NULL ORDER BY subject LIMIT 1")"
    REPRESENTATIVE_TOKEN="$(DATABASE_URL="$DB_URL" "$BIN" token --subject "$representative" \
        --name "Bench Representative" --jurisdiction "$jurisdiction_id" --role AUTHORIZED_REPRESENTATIVE 2>/dev/null)"

    echo "starting mutual-aid serve on 127.0.0.1:$API_PORT (release build, default settings: a pool of 10"
    echo "  connections; the API has no request rate limit to lift)"
    DATABASE_URL="$DB_URL" MUTUAL_AID_BIND="127.0.0.1:$API_PORT" MUTUAL_AID_DATA_DIR="$workdir" RUST_LOG=warn \
        "$BIN" serve >"$workdir/api.log" 2>&1 &
    pids+=($!)
    echo "starting PostGraphile V5 (amber preset, pool of 10) on 127.0.0.1:$POSTGRAPHILE_PORT"
    GRAPHILE_ENV=production "$NODE" "$BENCH/postgraphile.mjs" "$DB_URL" "$POSTGRAPHILE_PORT" 10 \
        >"$workdir/postgraphile.log" 2>&1 &
    pids+=($!)
    "$TARGET/release/examples/static_axum" "$STATIC_PORT" >"$workdir/static.log" 2>&1 &
    pids+=($!)
    wait_http "http://127.0.0.1:$API_PORT/graphql" mutual-aid
    wait_http "http://127.0.0.1:$POSTGRAPHILE_PORT/graphql" PostGraphile
    wait_http "http://127.0.0.1:$STATIC_PORT/graphql" "static axum handler"
    export API_URL="http://127.0.0.1:$API_PORT/graphql"
    export POSTGRAPHILE_URL="http://127.0.0.1:$POSTGRAPHILE_PORT/graphql"
    export STATIC_URL="http://127.0.0.1:$STATIC_PORT/graphql"
    export PGBENCH_URL
    echo "coordinator of $COMPACT ($compact_id); representative of $JURISDICTION ($jurisdiction_id)"
fi

run_node() {
    "$NODE" "$BENCH/bench.mjs" "$1" || {
        echo "--- mutual-aid log (tail)"; tail -n 20 "$workdir/api.log"
        echo "--- PostGraphile log (tail)"; tail -n 20 "$workdir/postgraphile.log"
        exit 1
    }
}

if wants dashboard; then
    section "dashboard, c=$CONNECTIONS"
    run_node dashboard
fi
if wants dashboard-c1; then
    section "dashboard, c=1, first 10 / 50 / 100"
    run_node dashboard-c1
fi
if wants lookup; then
    section "lookup, c=$CONNECTIONS"
    run_node lookup
fi
if wants writes; then
    section "writes: setInventory vs pgbench -N"
    command -v pgbench >/dev/null || { echo "pgbench is needed" >&2; exit 1; }
    ensure_db "${PGBENCH_URL##*/}"
    pgbench -i -q "$PGBENCH_URL" >/dev/null 2>&1
    run_node writes
fi
if wants subscribers; then
    counts=(1000 5000)
    if [ "${BENCH_SUBSCRIBERS_20K:-}" = 1 ]; then
        counts+=(20000)
    fi
    for n in "${counts[@]}"; do
        section "subscribers: $n (examples/subscription_bench, PostgreSQL)"
        psql_admin "DROP DATABASE IF EXISTS \"$SUBSCRIBERS_DB\" WITH (FORCE)"
        psql_admin "CREATE DATABASE \"$SUBSCRIBERS_DB\""
        (
            # Each subscriber holds a client and a server socket in the one process.
            ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
            if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((2 * n + 1000)) ]; then
                echo "warning: ulimit -n is $(ulimit -n); $n subscribers need about $((2 * n + 1000))"
            fi
            DATABASE_URL="$SERVER_URL/$SUBSCRIBERS_DB" RUST_LOG=warn \
                "$TARGET/release/examples/subscription_bench" "$n" "${BENCH_SUBSCRIBER_CHANGES:-100}"
        )
    done
fi
