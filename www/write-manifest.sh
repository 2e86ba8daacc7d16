#!/bin/sh
# Trunk post_build hook: writes manifest.json next to embed.js, naming the hashed JS module and
# wasm of this build, so the stable embed.js URL can load a cache-busted bundle.
set -eu
dir="${TRUNK_STAGING_DIR:?this script is run by trunk as a post_build hook}"
cd "$dir"
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
