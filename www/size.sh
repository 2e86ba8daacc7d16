#!/bin/sh
# Prints what a browser downloads for the widget, as a Markdown table the README can quote:
# before any interaction (embed.js, which draws the launcher and holds the shell's stylesheet, and
# manifest.json), and on intent (the app: JS module and wasm, the panel's stylesheet compiled in),
# each raw, gzipped (-9) and brotli-compressed (-q 11, when `brotli` or Node.js is available),
# with both subtotals checked against the budgets (5 KiB and 150 KiB gzipped); exits 1 when one is
# over.
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
  echo "embed.js manifest.json $js $wasm"
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
    manifest.json) echo manifest ;;
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
    manifest) echo "$baseline/$2" ;;
    js) echo "$baseline/$3" ;;
    wasm) echo "$baseline/$4" ;;
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
before_gz=0
for f in $(files "$dir"); do
  raw=$(wc -c < "$dir/$f")
  g=$(gz "$dir/$f")
  b=$(br "$dir/$f")
  total_raw=$((total_raw + raw))
  total_gz=$((total_gz + g))
  case "$(kind "$f")" in embed | manifest) before_gz=$((before_gz + g)) ;; esac
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
app_gz=$((total_gz - before_gz))
echo
status=0
budget() { # what, gzipped bytes, budget in bytes
  if [ "$2" -le "$3" ]; then verdict="within"; else verdict="OVER"; status=1; fi
  echo "$1: $2 B gzipped, budget $3 B: $verdict ($(ratio "$2" "$3") of the budget)"
}
budget "before interaction (embed.js + manifest.json)" "$before_gz" $((5 * 1024))
budget "the app on intent (JS module + wasm)" "$app_gz" $((150 * 1024))
exit $status
