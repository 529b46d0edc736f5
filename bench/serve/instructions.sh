#!/usr/bin/env bash
# Instructions Caravan executes per request, counted by callgrind: the same count for the same
# binary and requests whatever else the machine is doing, so two builds compare exactly where
# wrk's req/s move by ±10 % from run to run. For each binary (default: this checkout's release
# build): the media fast path (a signed 4 KiB file, then a signed 1 MiB range) and the routed
# path (the same file with a bearer token), N requests each on one keep-alive connection,
# counters zeroed after a warm-up. Results: bench/out/serve/instructions.md
#
#   bench/serve/instructions.sh [BIN...]      N=2000 by default
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$PWD/bench/out/serve-instructions
rm -rf "$out"; mkdir -p "$out"
n=${N:-2000}
command -v valgrind >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null
bins=("$@")
if [ ${#bins[@]} -eq 0 ]; then
  cargo build --release --quiet
  bins=("$PWD/target/release/caravan")
fi

fetch() { # n path [header]: n GETs of path on one keep-alive connection
  python3 - 127.0.0.1 18092 "$2" "${3:-}" "$1" <<'PY'
import http.client, sys
host, port, path, header, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
headers = dict(h.split(": ", 1) for h in header.split("|") if h)
c = http.client.HTTPConnection(host, port, timeout=120)
for _ in range(n):
    c.request("GET", path, headers=headers); r = c.getresponse(); r.read()
    assert r.status in (200, 206), r.status
PY
}

count() { # pid label path [header]: instructions per request of N requests of path
  fetch 200 "$3" "${4:-}"
  callgrind_control -z "$1" >/dev/null 2>&1
  fetch "$n" "$3" "${4:-}"
  callgrind_control -d "$2" "$1" >/dev/null 2>&1
  local file
  file=$(ls -t "$out"/callgrind.out.* | head -n 1)
  awk -v n="$n" '/^(summary|totals):/ {printf "%.0f\n", $2 / n; exit}' "$file"
}

echo "| binary | signed 4 KiB (fast path) | signed 1 MiB range | bearer 4 KiB (routed) |" > "$out/instructions.md"
echo "| --- | --- | --- | --- |" >> "$out/instructions.md"
for bin in "${bins[@]}"; do
  dir=$(mktemp -d "$out/run.XXXX")
  export CARAVAN_DATABASE_URL="sqlite://$dir/caravan.db" CARAVAN_STORE="$dir/media" \
         CARAVAN_SEED_DEMO=false RUST_LOG=warn
  echo "bench-password" | "$bin" user create --email bench@example.org --role superadmin --password-stdin >/dev/null
  "$bin" --bind 127.0.0.1:18092 serve & server=$!
  for _ in $(seq 100); do curl -fs localhost:18092/healthz >/dev/null && break; sleep 0.1; done
  read -r small_url large_url token < <(python3 bench/serve/setup.py "$dir" http://127.0.0.1:18092 \
    small.pdf:4096 large.pdf:$((4 << 20)))
  kill "$server"; wait "$server" || true
  (cd "$out" && exec valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.out.%p" \
     "$bin" --bind 127.0.0.1:18092 serve) 2>"$dir/valgrind.log" & server=$!
  for _ in $(seq 600); do curl -fs localhost:18092/healthz >/dev/null && break; sleep 0.1; done
  small=$(count "$server" small "$small_url")
  range=$(count "$server" range "$large_url" "Range: bytes=1048576-2097151")
  bearer=$(count "$server" bearer "${small_url%%\?*}" "Authorization: Bearer $token")
  kill "$server"; wait "$server" || true
  echo "| $bin | $small | $range | $bearer |" | tee -a "$out/instructions.md"
done
