#!/usr/bin/env bash
# Screenshot a generated picture or page in headless Chromium, at a given virtual time, to check
# that animations (HTML player, APNG, SMIL SVG) really move: take two shots at different times
# and compare them.
#
#   tools/screenshot.sh FILE OUT.png [VIRTUAL_TIME_MS] [WIDTH,HEIGHT]
#
# FILE may be .html, .svg or .png (an APNG is wrapped in a tiny page so Chromium animates it).
# Needs Chromium (`apt-get install -y chromium` on Debian).
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 FILE OUT.png [VIRTUAL_TIME_MS] [WIDTH,HEIGHT]" >&2
  exit 2
fi
file=$(realpath "$1")
out=$(realpath -m "$2")
budget=${3:-1000}
size=${4:-800,600}

browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$browser" ]; then
  echo "Chromium not found; install it with: apt-get install -y chromium" >&2
  exit 1
fi

url="file://$file"
tmp=""
case "$file" in
  *.png)
    # Open images through a page, not directly: the page is what a learner's browser shows.
    tmp=$(mktemp --suffix=.html "$(dirname "$file")/.screenshot-XXXXXX")
    printf '<!DOCTYPE html><body style="margin:0"><img src="%s"></body>\n' "$(basename "$file")" > "$tmp"
    url="file://$tmp"
    ;;
esac
trap '[ -n "$tmp" ] && rm -f "$tmp"' EXIT

"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
  --window-size="$size" --virtual-time-budget="$budget" \
  --screenshot="$out" "$url" 2>/dev/null
echo "$out"
