//! Matrix rows refused as unauthenticated (401): a missing, malformed or wrong signature,
//! or a correct one whose `triggeredAt` is outside the window.

use super::*;

pub(super) fn cases() -> Vec<Case> {
    vec![
        // Signature.
        row("signature_missing", 401, BAD_SIGNATURE, || {
            Request::json(edited(|b| {
                b.remove("signature");
            }))
        }),
        row("signature_null", 401, BAD_SIGNATURE, || {
            Request::json(signature_field("null"))
        }),
        row("signature_empty", 401, BAD_SIGNATURE, || {
            Request::json(signature_field("\"\""))
        }),
        row("signature_not_hex", 401, BAD_SIGNATURE, || {
            Request::json(signature_field(&format!("\"{}\"", "g".repeat(64))))
        }),
        row("signature_of_63_hex_digits", 401, BAD_SIGNATURE, || {
            Request::json(edited(|b| {
                let sig = b["signature"].as_str().unwrap()[..63].to_owned();
                b.insert("signature".into(), json!(sig));
            }))
        }),
        row("signature_of_65_hex_digits", 401, BAD_SIGNATURE, || {
            Request::json(edited(|b| {
                let sig = format!("{}0", b["signature"].as_str().unwrap());
                b.insert("signature".into(), json!(sig));
            }))
        }),
        row(
            "signature_of_64_bytes_in_multibyte_characters",
            401,
            BAD_SIGNATURE,
            || Request::json(signature_field(&format!("\"{}\"", "\u{e9}".repeat(32)))),
        ),
        row("signature_all_zeros", 401, BAD_SIGNATURE, || {
            Request::json(signature_field(&format!("\"{}\"", "0".repeat(64))))
        }),
        row(
            "signature_made_with_another_key",
            401,
            BAD_SIGNATURE,
            || {
                let token = random_token();
                let at = now().to_string();
                let sig = signature::sign("not-our-signing-token", &token, &at);
                Request::json(with_signature(
                    "candidateHired",
                    &token,
                    &at,
                    &hired_data(),
                    &format!("\"{sig}\""),
                ))
            },
        ),
        row(
            "signature_of_the_default_account_sent_to_acme",
            401,
            BAD_SIGNATURE,
            || {
                Request::post(
                    "/webhooks/lever/acme",
                    serde_json::to_vec(&valid()).unwrap(),
                )
            },
        ),
        row(
            "escaped_nul_in_the_token_after_signing",
            401,
            BAD_SIGNATURE,
            || {
                Request::json(edited(|b| {
                    let token = format!("{}\u{0}", b["token"].as_str().unwrap());
                    b.insert("token".into(), json!(token));
                }))
            },
        ),
        row(
            "token_filling_the_body_to_the_limit",
            401,
            BAD_SIGNATURE,
            || Request::json(token_filling(LIMIT)),
        ),
        row("text_plain_unsigned_body", 401, BAD_SIGNATURE, || {
            Request::Post {
                path: "/webhooks/lever".into(),
                content_type: Some("text/plain"),
                body: edited(|b| {
                    b.remove("signature");
                }),
            }
        }),
        // Time window (correct signatures).
        row("triggered_at_sixteen_days_old", 401, OUTSIDE_WINDOW, || {
            Request::json(signed_at(&(now() - 16 * DAY).to_string()))
        }),
        row("triggered_at_zero", 401, OUTSIDE_WINDOW, || {
            Request::json(signed_at("0"))
        }),
        row(
            "triggered_at_six_minutes_ahead",
            401,
            OUTSIDE_WINDOW,
            || Request::json(signed_at(&(now() + 6 * 60_000).to_string())),
        ),
        row("triggered_at_u64_max", 401, OUTSIDE_WINDOW, || {
            Request::json(signed_at(&u64::MAX.to_string()))
        }),
        // Lever signs `token + triggeredAt` with no separator, so moving a digit across
        // the join keeps the signature valid; the time window is what refuses it.
        row(
            "digit_moved_from_the_token_into_triggered_at",
            401,
            OUTSIDE_WINDOW,
            || {
                let at = now().to_string();
                let token = format!("{}7", random_token());
                let sig = signature::sign(SIGNING_TOKEN, &token, &at);
                let (moved_token, moved_at) = (&token[..token.len() - 1], format!("7{at}"));
                Request::json(with_signature(
                    "candidateHired",
                    moved_token,
                    &moved_at,
                    &hired_data(),
                    &format!("\"{sig}\""),
                ))
            },
        ),
        row(
            "digit_moved_from_triggered_at_into_the_token",
            401,
            OUTSIDE_WINDOW,
            || {
                let at = now().to_string();
                let token = random_token();
                let sig = signature::sign(SIGNING_TOKEN, &token, &at);
                let (moved_token, moved_at) = (format!("{token}{}", &at[..1]), &at[1..]);
                Request::json(with_signature(
                    "candidateHired",
                    &moved_token,
                    moved_at,
                    &hired_data(),
                    &format!("\"{sig}\""),
                ))
            },
        ),
    ]
}
