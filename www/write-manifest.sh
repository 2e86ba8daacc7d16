#!/bin/sh
# Trunk post_build hook: writes manifest.json next to embed.js, naming the hashed JS module and
# wasm of this build, so the stable embed.js URL can load a cache-busted bundle; and minifies the
# copied embed.js with terser (every page view pays for embed.js: minified, it is about half its
# gzipped size). terser comes from www/package.json (`npm ci` in www/, done by scripts/setup).
set -eu
dir="${TRUNK_STAGING_DIR:?this script is run by trunk as a post_build hook}"
terser="${TRUNK_SOURCE_DIR:-$(dirname "$0")/..}/www/node_modules/.bin/terser"
[ -x "$terser" ] || { echo "write-manifest: no $terser; run scripts/setup (npm ci in www/)" >&2; exit 1; }
cd "$dir"
"$terser" embed.js --compress passes=2 --mangle --comments false --output embed.js.min
mv embed.js.min embed.js
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
