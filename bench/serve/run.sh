#!/usr/bin/env bash
# nginx and Caravan serving the same bytes on loopback, measured by wrk in one run: a 4 KiB file
# and random 1 MiB ranges of a 64 MiB file, 64 connections, Caravan with access control on
# (protected course, signed URLs checked on every request). Then Caravan's peak RSS under 1,000
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

# Two files Caravan accepts (it decides types from bytes): PDFs padded with random data.
python3 - "$out" <<'PY'
import os, sys
for name, size in (("small.pdf", 4096), ("large.pdf", 64 << 20)):
    head, tail = b"%PDF-1.4\n%", b"\n%%EOF\n"
    body = os.urandom(size - len(head) - len(tail))
    open(os.path.join(sys.argv[1], name), "wb").write(head + body + tail)
PY

export CARAVAN_DATABASE_URL="sqlite://$out/caravan/caravan.db" CARAVAN_STORE="$out/caravan/media" \
       CARAVAN_SEED_DEMO=false RUST_LOG=warn
echo "bench-password" | "$bin" user create --email bench@example.org --role superadmin --password-stdin >/dev/null
"$bin" --bind 127.0.0.1:18090 serve & caravan=$!
trap 'kill $caravan $nginx_pid 2>/dev/null || true' EXIT
nginx_pid=
for _ in $(seq 100); do curl -fs localhost:18090/healthz >/dev/null && break; sleep 0.1; done

# A protected (organisation-only) course with the two files; their signed URLs come back.
read -r small_url large_url token < <(python3 - "$out" <<'PY'
import base64, json, sys, time, urllib.request
api = "http://127.0.0.1:18090"
def call(method, path, body=None, token=None, headers=None, raw=None):
    h = {"content-type": "application/json"} if body is not None else {}
    h.update(headers or {})
    if token: h["authorization"] = "Bearer " + token
    data = json.dumps(body).encode() if body is not None else raw
    r = urllib.request.urlopen(urllib.request.Request(api + path, data=data, method=method, headers=h))
    text = r.read()
    return (json.loads(text) if text else None), r.headers
tok = call("POST", "/api/v1/auth/login", {"email": "bench@example.org", "password": "bench-password"})[0]["token"]
org = call("POST", "/api/v1/orgs", {"name": "Bench", "slug": "bench"}, tok)[0]["id"]
course = call("POST", "/api/v1/courses", {"org_id": org, "title": "Bench", "domain": "logistics", "level": 1, "language": "en"}, tok)[0]["id"]
urls = []
for name in ("small.pdf", "large.pdf"):
    unit = call("POST", f"/api/v1/courses/{course}/units", {"kind": "document", "title": name}, tok)[0]["id"]
    data = open(f"{sys.argv[1]}/{name}", "rb").read()
    meta = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in (("filename", name), ("unit_id", unit)))
    _, h = call("POST", "/api/v1/uploads", token=tok, raw=data, headers={
        "tus-resumable": "1.0.0", "upload-length": str(len(data)), "upload-metadata": meta,
        "content-type": "application/offset+octet-stream"})
    asset = h["caravan-asset-id"]
    for _ in range(300):
        a = call("GET", f"/api/v1/assets/{asset}", token=tok)[0]
        if a["status"] == "ready": break
        time.sleep(0.1)
    urls.append(a["renditions"][0]["url"])
call("POST", f"/api/v1/courses/{course}/publish", {"visibility": "org"}, tok)
print(*urls, tok)
PY
)
echo "caravan: $small_url" >&2

cp "$out/small.pdf" "$out/large.pdf" "$out/nginx/"
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
{
  run nginx-4k "http://127.0.0.1:18091/small.pdf"
  run caravan-4k "http://127.0.0.1:18090$small_url"
  run nginx-ranges "http://127.0.0.1:18091/large.pdf" "$lua"
  run caravan-ranges "http://127.0.0.1:18090$large_url" "$lua"
  run nginx-4k-again "http://127.0.0.1:18091/small.pdf"
  run caravan-4k-again "http://127.0.0.1:18090$small_url"
  # An app's request: the bearer token instead of a signed URL, through the routed path.
  run nginx-bearer "http://127.0.0.1:18091/small.pdf"
  run caravan-bearer "http://127.0.0.1:18090${small_url%%\?*}" "" "Authorization: Bearer $token"
} | tee "$out/wrk.txt"

slow=$(python3 bench/serve/slow_readers.py 127.0.0.1 18090 "$large_url" "$caravan" 1000 10)
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
for label, key in (("4 KiB file", "4k"), ("random 1 MiB ranges of 64 MiB", "ranges"),
                   ("4 KiB file, bearer token (routed)", "bearer")):
    (nr, ng), (cr, cg) = avg(f"nginx-{key}"), avg(f"caravan-{key}")
    print(f"| {label} | {nr:,.0f} | {cr:,.0f} | {cr / nr:.2f}x | {ng:.2f} | {cg:.2f} |")
print()
print("Caravan with 1,000 concurrent slow readers of the 64 MiB file: " + sys.argv[2])
PY
