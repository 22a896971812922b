#!/bin/sh
# Logs one line per event and keeps a copy of each event document.
#
# lever-hooks runs this for every event routed to it (see ../quickstart.toml), with the
# event document, one JSON object, on stdin. POSIX sh and sed only: no jq needed.
#
# The line goes to stderr, which lever-hooks writes to its log; stdout is read by
# lever-hooks (a `retry-after=SECONDS` line there asks for a retry). The document is
# appended to ./data/events.log, relative to the directory lever-hooks was started in.
set -eu

doc=$(cat)

# The string values of KEY in the document. Splitting at commas is enough for the fields
# read here (names and ids never contain commas or quotes).
values_of() {
    printf '%s\n' "$doc" | tr ',' '\n' |
        sed -n "s/^[{[:space:]]*\"$1\"[[:space:]]*:[[:space:]]*\"\([^\"]*\)\".*/\1/p"
}

# The top-level event and opportunityId come before Lever's `data` in the document, and
# idempotencyKey comes after it.
event=$(values_of event | head -n 1)
opportunity=$(values_of opportunityId | head -n 1)
key=$(values_of idempotencyKey | tail -n 1)

echo "lever event ${event:-?} opportunity=${opportunity:-none} idempotency_key=${key:-?}" >&2

mkdir -p ./data
printf '%s\n' "$doc" >> ./data/events.log
