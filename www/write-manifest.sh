#!/bin/sh
# Trunk post_build hook: writes manifest.json next to embed.js, naming the hashed JS module and
# wasm of this build, so the stable embed.js URL can load a cache-busted bundle; and compacts the
# copied embed.js (every page loads it: its header comment, indentation, blank lines and
# whole-line // comments are a third of its gzipped bytes).
set -eu
dir="${TRUNK_STAGING_DIR:?this script is run by trunk as a post_build hook}"
cd "$dir"
awk '
  /^\/\*!/ { header = 1 }
  header { if ($0 ~ /\*\//) header = 0; next }
  { sub(/^[ \t]+/, "") }
  /^\/\// || $0 == "" { next }
  { print }
' embed.js > embed.js.compact
mv embed.js.compact embed.js
js=""
wasm=""
for f in *.js; do
  case "$f" in
    embed.js) ;;
    *) [ -z "$js" ] || { echo "write-manifest: more than one module: $js $f" >&2; exit 1; }; js="$f" ;;
  esac
done
for f in *_bg.wasm; do
  [ -e "$f" ] || continue
  [ -z "$wasm" ] || { echo "write-manifest: more than one wasm: $wasm $f" >&2; exit 1; }
  wasm="$f"
done
if [ -z "$js" ] || [ -z "$wasm" ]; then
  echo "write-manifest: no hashed JS/wasm in $dir" >&2
  exit 1
fi
printf '{"js":"%s","wasm":"%s"}\n' "$js" "$wasm" > manifest.json
echo "write-manifest: $js $wasm"
