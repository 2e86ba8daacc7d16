#!/bin/sh
# Prints what a browser downloads for the widget, as a Markdown table the README can quote:
# embed.js, the JS module and the wasm of a build (the stylesheet is compiled into the wasm),
# each raw, gzipped (-9) and brotli-compressed (-q 11, when `brotli` or Node.js is available),
# and their total.
#
#   www/size.sh [DIST] [BASELINE]
#
# DIST defaults to dist/. With BASELINE (another build's dist directory, e.g. a copy of dist/
# made before a change), each row also gives the baseline's gzipped bytes and new/old as a ratio.
set -eu
dir="${1:-$(dirname "$0")/../dist}"
baseline="${2:-}"

files() {
  manifest="$1/manifest.json"
  [ -f "$manifest" ] || { echo "size: no $manifest; run trunk build first" >&2; exit 1; }
  js=$(sed -n 's/.*"js":"\([^"]*\)".*/\1/p' "$manifest")
  wasm=$(sed -n 's/.*"wasm":"\([^"]*\)".*/\1/p' "$manifest")
  echo "embed.js $js $wasm"
}

gz() { gzip -9c "$1" | wc -c; }

if command -v brotli >/dev/null 2>&1; then
  br() { brotli -q 11 -c "$1" | wc -c; }
elif command -v node >/dev/null 2>&1; then
  br() {
    node -e 'const z=require("zlib"),fs=require("fs");
      const p={[z.constants.BROTLI_PARAM_QUALITY]:11};
      process.stdout.write(String(z.brotliCompressSync(fs.readFileSync(process.argv[1]),{params:p}).length))' "$1"
  }
else
  br() { echo -; }
fi

# What a file is: embed, js or wasm (the baseline's file of the same kind is compared).
kind() {
  case "$1" in
    embed.js) echo embed ;;
    *.wasm) echo wasm ;;
    *) echo js ;;
  esac
}

# The baseline's file of the same kind as $1.
base_file() {
  k=$(kind "$1")
  set -- $(files "$baseline")
  case "$k" in
    embed) echo "$baseline/$1" ;;
    js) echo "$baseline/$2" ;;
    wasm) echo "$baseline/$3" ;;
  esac
}

# Ratio new/old with two decimals, integer arithmetic only.
ratio() {
  hundredths=$(( ($1 * 100 + $2 / 2) / $2 ))
  printf '%d.%02d' $((hundredths / 100)) $((hundredths % 100))
}

if [ -n "$baseline" ]; then
  echo "| file | bytes | gzip | brotli | baseline gzip | gzip new/old |"
  echo "|---|--:|--:|--:|--:|--:|"
else
  echo "| file | bytes | gzip | brotli |"
  echo "|---|--:|--:|--:|"
fi
total_raw=0
total_gz=0
total_br=0
total_base=0
for f in $(files "$dir"); do
  raw=$(wc -c < "$dir/$f")
  g=$(gz "$dir/$f")
  b=$(br "$dir/$f")
  total_raw=$((total_raw + raw))
  total_gz=$((total_gz + g))
  [ "$b" = - ] || total_br=$((total_br + b))
  if [ -n "$baseline" ]; then
    old=$(gz "$(base_file "$f")")
    total_base=$((total_base + old))
    echo "| $f | $raw | $g | $b | $old | $(ratio "$g" "$old") |"
  else
    echo "| $f | $raw | $g | $b |"
  fi
done
[ "$total_br" -gt 0 ] || total_br=-
if [ -n "$baseline" ]; then
  echo "| **total** | $total_raw | **$total_gz** | $total_br | $total_base | $(ratio "$total_gz" "$total_base") |"
else
  echo "| **total** | $total_raw | **$total_gz** | $total_br |"
fi
