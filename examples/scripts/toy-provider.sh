#!/bin/sh
# A stand-in for a background-check vendor, an assessment platform or an HRIS, for trying
# the Lever-aware handlers locally (see ../lever-local.toml).
#
# lever-hooks runs it with one JSON request on stdin ({"action": "create" | "cancel" |
# "invite" | "update" | "schedule" | "interview-changed", "idempotencyKey": …, …}) and
# reads one JSON object from stdout.
# It appends each request to ./data/provider-requests.log (relative to the directory
# lever-hooks was started in) and answers {"id": …} (and a "schedulingUrl" to "schedule"). The id is derived from the
# idempotency key, so a retried request gets the same answer, as a real provider's would.
# The last id it answered each handler is in ./data/reference-HANDLER, for
# `lever-hooks send-result --handler HANDLER --reference "$(cat data/reference-HANDLER)"`,
# which plays the provider's result coming back.
set -eu

request=$(cat)
mkdir -p ./data
printf '%s\n' "$request" >> ./data/provider-requests.log

action=${LEVER_HOOKS_ACTION:-request}
id=$(printf '%s' "$LEVER_HOOKS_IDEMPOTENCY_KEY" | sha256sum | cut -c1-12)
echo "toy provider: $action -> $action-$id" >&2
handler=${LEVER_HOOKS_IDEMPOTENCY_KEY#*:}
case $action in
schedule)
    printf '%s-%s\n' "$action" "$id" > "./data/reference-$handler"
    printf '{"id":"%s-%s","schedulingUrl":"https://schedule.example.com/book/%s"}\n' "$action" "$id" "$id"
    ;;
interview-changed)
    # Keeps the request's reference in ./data/reference-HANDLER.
    printf '{"id":"%s-%s"}\n' "$action" "$id"
    ;;
*)
    printf '%s-%s\n' "$action" "$id" > "./data/reference-$handler"
    printf '{"id":"%s-%s"}\n' "$action" "$id"
    ;;
esac
