#!/usr/bin/env bash
# Arrows between the rooms of collector/ point down only (docs/ARCHITECTURE.md):
#   cli -> feature rooms (ingest stats alerts upload report http) -> store -> core
# A room may include its own headers, any lower room's, and the libraries'
# (devices/, ruleset/, base/); no feature room includes another's header.
# Prints every include that breaks the rule; exit 1 if there is one.
set -uo pipefail
cd "$(dirname "$0")/.."
rank() {
  case $1 in
  core) echo 0 ;;
  store) echo 1 ;;
  ingest | stats | alerts | upload | report | http) echo 2 ;;
  cli) echo 3 ;;
  *) echo -1 ;;
  esac
}
bad=0
for f in collector/*/*.[ch]; do
  room=${f#collector/}
  room=${room%%/*}
  r=$(rank "$room")
  while IFS= read -r inc; do
    to=${inc%%/*}
    [ "$to" = "$inc" ] && continue # same room or a library header
    t=$(rank "$to")
    [ "$t" -lt 0 ] && continue
    if [ "$to" != "$room" ] && { [ "$t" -gt "$r" ] || { [ "$t" -eq 2 ] && [ "$r" -eq 2 ]; }; }; then
      echo "$f includes $inc: $room may not depend on $to" >&2
      bad=1
    fi
  done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
done
exit $bad
