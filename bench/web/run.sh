#!/usr/bin/env bash
# The learner's first pages, rendered by Caravan for every request (a catalogue query, the
# template, gzip), side by side with nginx serving the very same bytes as static files with
# gzip: the catalogue, a course page and the stylesheet, measured by wrk in one run (64
# connections, loopback, visitors, Accept-Encoding: gzip). Results: bench/out/web/results.md
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$PWD/bench/out/web
rm -rf "$out"; mkdir -p "$out/nginx/static" "$out/caravan"
duration=${DURATION:-8}
ulimit -n 65536 2>/dev/null || ulimit -n 4096

for tool in nginx wrk; do
  command -v "$tool" >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${tool/nginx/nginx-light}" >/dev/null
done
cargo build --release --quiet
bin=$PWD/target/release/caravan

# The demo catalogue (two public courses) on an empty database.
export CARAVAN_DATABASE_URL="sqlite://$out/caravan/caravan.db" CARAVAN_STORE="$out/caravan/media" \
       CARAVAN_SEED_DEMO=true RUST_LOG=warn
"$bin" --bind 127.0.0.1:18092 serve & caravan=$!
nginx_pid=
trap 'kill $caravan $nginx_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -fs localhost:18092/healthz >/dev/null && break; sleep 0.1; done

course=$(curl -fs localhost:18092/api/v1/courses | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
curl -fs -H 'Accept-Language: en' localhost:18092/ > "$out/nginx/index.html"
curl -fs -H 'Accept-Language: en' "localhost:18092/courses/$course" > "$out/nginx/course.html"
curl -fs localhost:18092/static/caravan.css > "$out/nginx/static/caravan.css"

cat > "$out/nginx.conf" <<NGINX
worker_processes 2;
pid $out/nginx.pid;
error_log $out/nginx-error.log;
events { worker_connections 4096; }
http {
  include /etc/nginx/mime.types;
  access_log off;
  sendfile on;
  gzip on;
  gzip_types text/css application/javascript;
  gzip_min_length 256;
  server { listen 127.0.0.1:18093; root $out/nginx; }
}
NGINX
nginx -c "$out/nginx.conf"; nginx_pid=$(cat "$out/nginx.pid")

run() { # name url
  wrk -t2 -c64 -d"${duration}s" -H 'Accept-Encoding: gzip' -H 'Accept-Language: en' "$2" > "$out/$1.txt"
  local rps p99
  rps=$(awk '/Requests\/sec/ {print $2}' "$out/$1.txt")
  p99=$(awk '/Latency/ {print $2}' "$out/$1.txt")
  echo "$1 $rps $p99"
}
# Warm both up (first connections, page cache) before measuring.
wrk -t2 -c64 -d2s "http://127.0.0.1:18093/index.html" >/dev/null
wrk -t2 -c64 -d2s "http://127.0.0.1:18092/" >/dev/null
{
  run nginx-catalogue "http://127.0.0.1:18093/index.html"
  run caravan-catalogue "http://127.0.0.1:18092/"
  run nginx-course "http://127.0.0.1:18093/course.html"
  run caravan-course "http://127.0.0.1:18092/courses/$course"
  run nginx-css "http://127.0.0.1:18093/static/caravan.css"
  run caravan-css "http://127.0.0.1:18092/static/caravan.css"
} | tee "$out/wrk.txt"

python3 - "$out/wrk.txt" <<'PY' | tee "$out/results.md"
import sys
rows = {}
for line in open(sys.argv[1]):
    name, rps, lat = line.split()
    server, page = name.split("-", 1)
    rows.setdefault(page, {})[server] = (float(rps), lat)
print("| wrk -t2 -c64, loopback, 2 cores, gzip | nginx req/s (static copy) | Caravan req/s | Caravan / nginx | nginx mean latency | Caravan mean latency |")
print("| --- | --- | --- | --- | --- | --- |")
for page, label in (("catalogue", "catalogue `/` (rendered per request)"), ("course", "course page (rendered per request)"), ("css", "`caravan.css` (compiled in)")):
    (nr, nl), (cr, cl) = rows[page]["nginx"], rows[page]["caravan"]
    print(f"| {label} | {nr:,.0f} | {cr:,.0f} | {cr / nr:.2f}x | {nl} | {cl} |")
PY
