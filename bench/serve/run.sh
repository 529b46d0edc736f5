#!/usr/bin/env bash
# nginx and Caravan serving the same bytes on loopback, measured by wrk in one run: whole files
# from 4 KiB to 4 MiB, random 1 MiB ranges of a 64 MiB file, and the 4 KiB file with a bearer
# token and with a session cookie instead of a signature; 64 connections, Caravan with access
# control on (protected course, signed URLs checked on every request). Then Caravan's peak RSS under 1,000
# concurrent slow readers. Results: bench/out/serve/results.md
#
# CARAVAN_BIN=path measures that binary instead of building this checkout (e.g. the previous
# commit's, to compare a change against its baseline with nginx beside both).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$PWD/bench/out/serve
rm -rf "$out"; mkdir -p "$out/nginx" "$out/caravan"
duration=${DURATION:-8}
ulimit -n 65536 2>/dev/null || ulimit -n 4096

for tool in nginx wrk; do
  command -v "$tool" >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${tool/nginx/nginx-light}" >/dev/null
done
if [ -n "${CARAVAN_BIN:-}" ]; then
  bin=$CARAVAN_BIN
else
  cargo build --release --quiet
  bin=$PWD/target/release/caravan
fi

export CARAVAN_DATABASE_URL="sqlite://$out/caravan/caravan.db" CARAVAN_STORE="$out/caravan/media" \
       CARAVAN_SEED_DEMO=false RUST_LOG=warn
echo "bench-password" | "$bin" user create --email bench@example.org --role superadmin --password-stdin >/dev/null
"$bin" --bind 127.0.0.1:18090 serve & caravan=$!
trap 'kill $caravan $nginx_pid 2>/dev/null || true' EXIT
nginx_pid=
for _ in $(seq 100); do curl -fs localhost:18090/healthz >/dev/null && break; sleep 0.1; done

# A protected (organisation-only) course with the files; their signed URLs come back. Whole
# files of the sizes a course is made of (thumbnails and captions, init segments, posters, PDFs,
# models), and a 64 MiB rendition for ranges.
sizes=(4k:4096 64k:65536 432k:442368 1m:1048576 4m:4194304)
files=(); for s in "${sizes[@]}"; do files+=("file-${s%%:*}.pdf:${s#*:}"); done
read -r -a urls < <(python3 bench/serve/setup.py "$out" http://127.0.0.1:18090 \
  "${files[@]}" large.pdf:$((64 << 20)))
token=${urls[-1]}
echo "caravan: ${urls[0]}" >&2

cp "$out"/file-* "$out/large.pdf" "$out/nginx/"
cat > "$out/nginx.conf" <<NGINX
worker_processes 2;
pid $out/nginx.pid;
error_log $out/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  server { listen 127.0.0.1:18091; root $out/nginx; }
}
NGINX
nginx -c "$out/nginx.conf"; nginx_pid=$(cat "$out/nginx.pid")

run() { # name url [lua] [header]
  local extra=(); [ -n "${3:-}" ] && extra=(-s "$3")
  [ -n "${4:-}" ] && extra+=(-H "$4")
  wrk -t2 -c64 -d"${duration}s" "${extra[@]}" "$2" > "$out/$1.txt"
  local rps tps
  rps=$(awk '/Requests\/sec/ {print $2}' "$out/$1.txt")
  tps=$(awk '/Transfer\/sec/ {print $2}' "$out/$1.txt")
  echo "$1 $rps $tps"
}
lua=$PWD/bench/serve/random-range.lua
small=${urls[0]}
large=${urls[${#sizes[@]}]}
{
  for i in "${!sizes[@]}"; do
    name=${sizes[$i]%%:*}
    run "nginx-$name" "http://127.0.0.1:18091/file-$name.pdf"
    run "caravan-$name" "http://127.0.0.1:18090${urls[$i]}"
  done
  run nginx-ranges "http://127.0.0.1:18091/large.pdf" "$lua"
  run caravan-ranges "http://127.0.0.1:18090$large" "$lua"
  run nginx-4k-again "http://127.0.0.1:18091/file-4k.pdf"
  run caravan-4k-again "http://127.0.0.1:18090$small"
  # An app's request (bearer token) and a browser's (session cookie), no signature.
  run nginx-bearer "http://127.0.0.1:18091/file-4k.pdf"
  run caravan-bearer "http://127.0.0.1:18090${small%%\?*}" "" "Authorization: Bearer $token"
  run nginx-cookie "http://127.0.0.1:18091/file-4k.pdf"
  run caravan-cookie "http://127.0.0.1:18090${small%%\?*}" "" "Cookie: caravan_session=$token"
} | tee "$out/wrk.txt"

slow=$(python3 bench/serve/slow_readers.py 127.0.0.1 18090 "$large" "$caravan" 1000 10)
python3 - "$out/wrk.txt" "$slow" <<'PY' | tee "$out/results.md"
import sys
rows = {}
for line in open(sys.argv[1]):
    name, rps, tps = line.split()
    unit = {"GB": 1e9, "MB": 1e6, "KB": 1e3}
    gbs = float(tps[:-2]) * unit[tps[-2:]] / 1e9
    rows.setdefault(name.replace("-again", ""), []).append((float(rps), gbs))
avg = lambda k: (sum(r for r, _ in rows[k]) / len(rows[k]), sum(g for _, g in rows[k]) / len(rows[k]))
print("| wrk -t2 -c64, loopback, 2 cores | nginx req/s | Caravan req/s | Caravan / nginx | nginx GB/s | Caravan GB/s |")
print("| --- | --- | --- | --- | --- | --- |")
for label, key in (("4 KiB file", "4k"), ("64 KiB file", "64k"), ("432 KiB file", "432k"),
                   ("1 MiB file", "1m"), ("4 MiB file", "4m"),
                   ("random 1 MiB ranges of 64 MiB", "ranges"),
                   ("4 KiB file, bearer token", "bearer"), ("4 KiB file, session cookie", "cookie")):
    (nr, ng), (cr, cg) = avg(f"nginx-{key}"), avg(f"caravan-{key}")
    print(f"| {label} | {nr:,.0f} | {cr:,.0f} | {cr / nr:.2f}x | {ng:.2f} | {cg:.2f} |")
print()
print("Caravan with 1,000 concurrent slow readers of the 64 MiB file: " + sys.argv[2])
PY
