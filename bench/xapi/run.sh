#!/usr/bin/env bash
# Statement ingestion (POST batches of 1, 10, 100, 1,000 vs a raw insert of the same rows) and
# filtered GET latency over 1,000,000 stored statements, on SQLite and PostgreSQL, in one run.
# Results: bench/out/xapi/results.md. Knobs: XAPI_BENCH_BACKENDS, XAPI_BENCH_FILL,
# XAPI_BENCH_STATEMENTS, CARAVAN_TEST_DATABASE_URL (PostgreSQL; default 127.0.0.1:5432).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=bench/out/xapi
mkdir -p "$out"
RUST_LOG=${RUST_LOG:-error} cargo bench --quiet --bench xapi -- --bench | tee "$out/results.md"
