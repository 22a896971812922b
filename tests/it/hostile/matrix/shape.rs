//! Matrix rows refused for their shape (400): not JSON, too deep, a key twice, not an
//! object, a missing, empty or mistyped envelope field. Most carry a correct signature,
//! so the 400 is the shape check's own.

use super::*;

pub(super) fn cases() -> Vec<Case> {
    vec![
        // Shape: not JSON.
        row("empty_body", 400, INVALID, || Request::json(Vec::new())),
        row("whitespace_only_body", 400, INVALID, || {
            Request::json(b" \r\n\t ".to_vec())
        }),
        row("truncated_json", 400, INVALID, || {
            let body = serde_json::to_vec(&valid()).unwrap();
            Request::json(body[..body.len() / 2].to_vec())
        }),
        row("trailing_garbage_after_the_object", 400, INVALID, || {
            let mut body = serde_json::to_vec(&valid()).unwrap();
            body.extend_from_slice(b"xyz");
            Request::json(body)
        }),
        row("two_objects_back_to_back", 400, INVALID, || {
            let mut body = serde_json::to_vec(&valid()).unwrap();
            body.extend(serde_json::to_vec(&valid()).unwrap());
            Request::json(body)
        }),
        row("content_length_shorter_than_the_body", 400, INVALID, || {
            let body = serde_json::to_vec(&valid()).unwrap();
            let mut bytes = raw_head("Content-Length: 10\r\n").into_bytes();
            bytes.extend_from_slice(&body);
            Request::Raw(bytes)
        }),
        row("byte_order_mark_before_the_object", 400, INVALID, || {
            let mut body = b"\xEF\xBB\xBF".to_vec();
            body.extend(serde_json::to_vec(&valid()).unwrap());
            Request::json(body)
        }),
        row("invalid_utf8_in_a_data_string", 400, INVALID, || {
            // "café" in Latin-1: the é is a lone 0xE9 byte.
            let body = signed_data(r#"{"opportunityId":"o","name":"cafX"}"#);
            Request::json(replace_bytes(&body, b"cafX", b"caf\xe9"))
        }),
        row("invalid_utf8_outside_strings", 400, INVALID, || {
            let mut body = serde_json::to_vec(&valid()).unwrap();
            body.insert(1, 0xff);
            Request::json(body)
        }),
        row("raw_nul_byte_inside_a_string", 400, INVALID, || {
            Request::json(signed_data("{\"opportunityId\":\"a\0b\"}"))
        }),
        row("form_urlencoded_body", 400, INVALID, || Request::Post {
            path: "/webhooks/lever".into(),
            content_type: Some("application/x-www-form-urlencoded"),
            body: b"event=candidateHired&token=t&triggeredAt=1".to_vec(),
        }),
        // Shape: nesting, duplicates, numbers.
        row("hundred_thousand_open_brackets", 400, INVALID, || {
            Request::json(vec![b'['; 100_000])
        }),
        row("hundred_thousand_closed_brackets", 400, NOT_OBJECT, || {
            Request::json(format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes())
        }),
        row("hundred_thousand_levels_inside_data", 400, INVALID, || {
            Request::json(signed_data(&format!(
                "{{\"a\":{}{}}}",
                "[".repeat(100_000),
                "]".repeat(100_000)
            )))
        }),
        row(
            "nesting_one_past_the_limit_inside_data",
            400,
            INVALID,
            || {
                let depth = lever_hooks::envelope::MAX_DEPTH; // `data` and the body add two levels
                Request::json(signed_data(&format!(
                    "{{\"a\":{}{}}}",
                    "[".repeat(depth - 1),
                    "]".repeat(depth - 1)
                )))
            },
        ),
        row(
            "thirty_thousand_levels_in_an_unknown_field",
            400,
            INVALID,
            || {
                let deep = format!("{}1{}", "{\"a\":".repeat(30_000), "}".repeat(30_000));
                let body = serde_json::to_string(&valid()).unwrap();
                Request::json(format!("{{\"extra\":{deep},{}", &body[1..]).into_bytes())
            },
        ),
        row("duplicate_envelope_key_token", 400, INVALID, || {
            let token = random_token();
            let at = now().to_string();
            let sig = signature::sign(SIGNING_TOKEN, &token, &at);
            Request::json(format!(r#"{{"event":"candidateHired","token":"{token}","token":"other","triggeredAt":{at},"signature":"{sig}","data":{}}}"#, hired_data()).into_bytes())
        }),
        row("duplicate_envelope_key_triggered_at", 400, INVALID, || {
            let token = random_token();
            let at = now().to_string();
            let sig = signature::sign(SIGNING_TOKEN, &token, &at);
            Request::json(format!(r#"{{"event":"candidateHired","token":"{token}","triggeredAt":1,"triggeredAt":{at},"signature":"{sig}","data":{}}}"#, hired_data()).into_bytes())
        }),
        row("duplicate_key_inside_data", 400, INVALID, || {
            Request::json(signed_data(
                r#"{"opportunityId":"opp-a","contactId":"c","opportunityId":"opp-b"}"#,
            ))
        }),
        row(
            "duplicate_key_deep_in_data_spelled_with_an_escape",
            400,
            INVALID,
            || {
                Request::json(signed_data(
                    r#"{"opportunityId":"o","toArchived":{"reason":"r1","\u0072eason":"r2"}}"#,
                ))
            },
        ),
        row("number_beyond_f64_inside_data", 400, INVALID, || {
            Request::json(signed_data(r#"{"opportunityId":"o","n":1e400}"#))
        }),
        // Shape: not an object.
        row("body_is_an_empty_array", 400, NOT_OBJECT, || {
            Request::json(b"[]".to_vec())
        }),
        row("body_is_a_string", 400, NOT_OBJECT, || {
            Request::json(b"\"x\"".to_vec())
        }),
        row("body_is_a_number", 400, NOT_OBJECT, || {
            Request::json(b"1".to_vec())
        }),
        row("body_is_null", 400, NOT_OBJECT, || {
            Request::json(b"null".to_vec())
        }),
        // Shape: envelope fields.
        row("event_missing", 400, Some("missing `event`"), || {
            Request::json(edited(|b| {
                b.remove("event");
            }))
        }),
        row("event_empty", 400, Some("`event` is empty"), || {
            Request::json(edited(|b| {
                b.insert("event".into(), json!(""));
            }))
        }),
        row("event_not_a_string", 400, INVALID, || {
            Request::json(edited(|b| {
                b.insert("event".into(), json!(7));
            }))
        }),
        row("token_missing", 400, Some("missing `token`"), || {
            Request::json(edited(|b| {
                b.remove("token");
            }))
        }),
        row(
            "token_empty_with_a_signature_made_for_it",
            400,
            Some("`token` is empty"),
            || {
                Request::json(signed(
                    "candidateHired",
                    "",
                    &now().to_string(),
                    &hired_data(),
                ))
            },
        ),
        row("token_not_a_string", 400, INVALID, || {
            Request::json(edited(|b| {
                b.insert("token".into(), json!(["t"]));
            }))
        }),
        row(
            "triggered_at_missing",
            400,
            Some("missing `triggeredAt`"),
            || {
                Request::json(edited(|b| {
                    b.remove("triggeredAt");
                }))
            },
        ),
        row(
            "triggered_at_null",
            400,
            Some("missing `triggeredAt`"),
            || {
                Request::json(edited(|b| {
                    b.insert("triggeredAt".into(), Value::Null);
                }))
            },
        ),
        row("triggered_at_1e400", 400, INVALID, || {
            Request::json(signed_at("1e400"))
        }),
        row("triggered_at_two_to_the_64", 400, BAD_TIME, || {
            Request::json(signed_at("18446744073709551616"))
        }),
        row("triggered_at_twenty_nines", 400, BAD_TIME, || {
            Request::json(signed_at("99999999999999999999"))
        }),
        row("triggered_at_negative", 400, BAD_TIME, || {
            Request::json(signed_at(&format!("-{}", now())))
        }),
        row("triggered_at_with_an_exponent", 400, BAD_TIME, || {
            Request::json(signed_at("1.5e12"))
        }),
        row("triggered_at_with_a_decimal_point", 400, BAD_TIME, || {
            Request::json(signed_at(&format!("{}.0", now())))
        }),
        row("triggered_at_as_a_string", 400, BAD_TIME, || {
            Request::json(signed_at(&format!("\"{}\"", now())))
        }),
        row("triggered_at_with_a_leading_zero", 400, INVALID, || {
            Request::json(signed_at(&format!("0{}", now())))
        }),
        row("data_missing", 400, Some("missing `data`"), || {
            Request::json(edited(|b| {
                b.remove("data");
            }))
        }),
        row("data_null", 400, DATA_NOT_OBJECT, || {
            Request::json(signed_data("null"))
        }),
        row("data_array", 400, DATA_NOT_OBJECT, || {
            Request::json(signed_data(r#"[{"opportunityId":"o"}]"#))
        }),
        row("data_string", 400, DATA_NOT_OBJECT, || {
            Request::json(signed_data(r#""{\"opportunityId\":\"o\"}""#))
        }),
        row("data_number", 400, DATA_NOT_OBJECT, || {
            Request::json(signed_data("42"))
        }),
        row("signature_not_a_string", 400, INVALID, || {
            Request::json(signature_field("12345"))
        }),
    ]
}
