//! Matrix rows answered before the body is parsed: HTTP framing, method and path,
//! size (413), account (404), and a body that cannot be read.

use super::*;

pub(super) fn cases() -> Vec<Case> {
    vec![
        // HTTP framing the server refuses before any of our checks.
        row("content_length_and_chunked_together", 400, None, || {
            let body = serde_json::to_vec(&valid()).unwrap();
            let mut bytes = raw_head(&format!(
                "Content-Length: {}\r\nTransfer-Encoding: chunked\r\n",
                body.len()
            ))
            .into_bytes();
            bytes.extend_from_slice(&body);
            Request::Raw(bytes)
        }),
        row("content_length_not_a_number", 400, None, || {
            Request::Raw(format!("{}{{}}", raw_head("Content-Length: lots\r\n")).into_bytes())
        }),
        // An account name too long for the request head: the HTTP layer refuses it.
        row("account_name_of_64_kib", 400, None, || {
            let body = serde_json::to_vec(&valid()).unwrap();
            let head = format!(
                "POST /webhooks/lever/{} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                "a".repeat(64 * 1024),
                body.len()
            );
            Request::Raw([head.into_bytes(), body].concat())
        }),
        // Routing: only POST, only the two webhook paths.
        row("get_on_the_webhook_path", 405, USE_POST, || {
            method("GET", "/webhooks/lever")
        }),
        row("put_on_an_account_path", 405, USE_POST, || {
            method("PUT", "/webhooks/lever/acme")
        }),
        row("delete_on_the_webhook_path", 405, USE_POST, || {
            method("DELETE", "/webhooks/lever")
        }),
        row("patch_on_the_webhook_path", 405, USE_POST, || {
            method("PATCH", "/webhooks/lever")
        }),
        row("trailing_slash_on_the_default_path", 404, NOT_FOUND, || {
            Request::post("/webhooks/lever/", serde_json::to_vec(&valid()).unwrap())
        }),
        row("trailing_slash_after_an_account", 404, NOT_FOUND, || {
            Request::post(
                "/webhooks/lever/acme/",
                serde_json::to_vec(&valid()).unwrap(),
            )
        }),
        row("a_path_below_an_account", 404, NOT_FOUND, || {
            Request::post(
                "/webhooks/lever/acme/extra",
                serde_json::to_vec(&valid()).unwrap(),
            )
        }),
        // Size, before anything else is looked at.
        row("body_one_byte_over_the_limit", 413, TOO_LARGE, || {
            Request::json(padded_to(LIMIT + 1))
        }),
        row("token_of_one_megabyte", 413, TOO_LARGE, || {
            Request::json(token_of_len(1024 * 1024))
        }),
        row(
            "content_length_announces_ten_megabytes",
            413,
            TOO_LARGE,
            || Request::Raw(format!("{}{{", raw_head("Content-Length: 10485760\r\n")).into_bytes()),
        ),
        row("chunked_body_over_the_limit", 413, TOO_LARGE, || {
            let chunk = vec![b' '; 64 * 1024];
            Request::Raw(raw_chunked(&[b"{", &chunk, &chunk, &chunk, &chunk, &chunk]))
        }),
        row(
            "over_the_limit_for_an_unknown_account",
            413,
            TOO_LARGE,
            || Request::post("/webhooks/lever/nope", padded_to(LIMIT + 1)),
        ),
        // Account.
        row("unknown_account", 404, NO_ACCOUNT, || {
            Request::post(
                "/webhooks/lever/nope",
                serde_json::to_vec(&valid()).unwrap(),
            )
        }),
        row("absurdly_long_account_name", 404, NO_ACCOUNT, || {
            Request::post(
                &format!("/webhooks/lever/{}", "a".repeat(4000)),
                serde_json::to_vec(&valid()).unwrap(),
            )
        }),
        row(
            "account_name_with_an_encoded_slash",
            404,
            NO_ACCOUNT,
            || {
                Request::post(
                    "/webhooks/lever/acme%2F..",
                    serde_json::to_vec(&valid()).unwrap(),
                )
            },
        ),
        row(
            "unknown_account_with_a_broken_body",
            404,
            NO_ACCOUNT,
            || Request::post("/webhooks/lever/nope", b"garbage".to_vec()),
        ),
        // The body, read after the account is known.
        row("chunk_size_not_hex", 400, UNREADABLE, || {
            Request::Raw(
                format!(
                    "{}zz\r\n{{}}\r\n0\r\n\r\n",
                    raw_head("Transfer-Encoding: chunked\r\n")
                )
                .into_bytes(),
            )
        }),
    ]
}
