#!/bin/sh
# Prints the widget's transfer size: raw and gzipped (-9) bytes of embed.js, the JS module and
# the wasm of the build in dist/ (or $1), and their total. The stylesheet is compiled into the
# wasm (a Rust string injected into the shadow root), so there is no separate CSS file.
set -eu
dir="${1:-$(dirname "$0")/../dist}"
manifest="$dir/manifest.json"
[ -f "$manifest" ] || { echo "size: no $manifest; run trunk build first" >&2; exit 1; }
js=$(sed -n 's/.*"js":"\([^"]*\)".*/\1/p' "$manifest")
wasm=$(sed -n 's/.*"wasm":"\([^"]*\)".*/\1/p' "$manifest")
total_raw=0
total_gz=0
printf '%-44s %10s %10s\n' file bytes gzipped
for f in embed.js "$js" "$wasm"; do
  raw=$(wc -c < "$dir/$f")
  gz=$(gzip -9c "$dir/$f" | wc -c)
  total_raw=$((total_raw + raw))
  total_gz=$((total_gz + gz))
  printf '%-44s %10d %10d\n' "$f" "$raw" "$gz"
done
printf '%-44s %10d %10d\n' total "$total_raw" "$total_gz"
