#!/usr/bin/env bash
# The same 1080p clip through (a) Caravan's pipeline (`caravan transcode`: probe, one ffmpeg
# run, fMP4 index, HLS playlists), (b) one ffmpeg run per rung, decoding the source each time
# (PeerTube's approach), and (c) the bare single ffmpeg command Caravan runs. hyperfine measures
# wall time and the CPU time of the commands and their children. Results: bench/out/transcode.*
#
#   bench/transcode/run.sh [SECONDS] [RUNS]     (defaults: a 20 s clip, 3 runs each)
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-20}
runs=${2:-3}
out=bench/out/transcode
mkdir -p "$out"

if ! command -v hyperfine >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine >/dev/null
fi
cargo build --release --quiet
bin=$PWD/target/release/caravan

clip=$out/source-1080p-${secs}s.mp4
if [ ! -f "$clip" ]; then
  ffmpeg -hide_banner -loglevel error -y -f lavfi -i "testsrc2=size=1920x1080:rate=25" \
    -f lavfi -i "sine=frequency=440:sample_rate=48000" -t "$secs" \
    -c:v libx264 -preset medium -pix_fmt yuv420p -c:a aac "$clip"
fi

# The exact commands Caravan would run, as a script each so hyperfine can time them.
"$bin" transcode "$clip" "$out/c" --print-ffmpeg-args > "$out/single.sh"
"$bin" transcode "$clip" "$out/b" --print-per-rung-args > "$out/per-rung.sh"
echo "rungs: $(wc -l < "$out/per-rung.sh")" >&2

# Rounds alternate the three commands, so drift on a shared machine (turbo, page cache,
# neighbours) spreads over all of them instead of favouring whichever ran first.
rm -f "$out"/round-*.json
for round in $(seq 1 "$runs"); do
  hyperfine --runs 1 --export-json "$out/round-$round.json" --style none \
    --prepare "rm -rf $out/a $out/b $out/c; mkdir -p $out/a $out/b $out/c" \
    -n "a: caravan pipeline" "$bin transcode $clip $out/a > /dev/null" \
    -n "b: one ffmpeg per rung" "bash $out/per-rung.sh > /dev/null" \
    -n "c: bare single ffmpeg" "bash $out/single.sh > /dev/null"
done

python3 - "$out" "$secs" <<'PY' | tee "$out/results.md"
import glob, json, statistics, sys
runs = {}
for f in sorted(glob.glob(f"{sys.argv[1]}/round-*.json")):
    for x in json.load(open(f))["results"]:
        runs.setdefault(x["command"], []).append((x["mean"], x["user"] + x["system"]))
(an, a), (bn, b), (cn, c) = sorted(runs.items())
wall = lambda r: statistics.mean(w for w, _ in r)
sd = lambda r: statistics.stdev([w for w, _ in r]) if len(r) > 1 else 0.0
cpu = lambda r: statistics.mean(c for _, c in r)
print(f"| {sys.argv[2]} s 1080p clip, 5 rungs + audio, {len(a)} rounds | wall (mean ± sd) | CPU (user+sys) |")
print("| --- | --- | --- |")
for n, r in ((an, a), (bn, b), (cn, c)):
    print(f"| {n} | {wall(r):.2f} s ± {sd(r):.2f} | {cpu(r):.2f} s |")
print()
print(f"(b)/(a): wall {wall(b)/wall(a):.2f}x, CPU {cpu(b)/cpu(a):.2f}x (goal: Caravan >= 1.4x faster)")
print(f"(a)/(c): wall {wall(a)/wall(c):.3f}x, CPU {cpu(a)/cpu(c):.3f}x (goal: within 5 %)")
PY
