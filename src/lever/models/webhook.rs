//! A webhook subscription managed through the API (lever-facts.md §1.9).

use super::de;
use secrecy::SecretString;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// The configuration key that holds a webhook's signing token.
pub(crate) const SIGNATURE_TOKEN: &str = "signatureToken";

/// One subscription from `GET /webhooks`. `configuration` never holds the signing token:
/// it is taken out while decoding so that `Debug` and logs cannot show it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    /// The webhook UID.
    pub id: String,
    /// Where Lever delivers.
    #[serde(default)]
    pub url: Option<String>,
    /// The event name (`candidateStageChange`…).
    #[serde(default)]
    pub event: Option<String>,
    /// `{}` or `{ "conditions": { "origins": [...] } }`, without `signatureToken`.
    #[serde(default, deserialize_with = "configuration")]
    pub configuration: Value,
    /// Created, ms since the epoch.
    #[serde(default, deserialize_with = "de::millis")]
    pub created_at: Option<i64>,
    /// Last updated, ms since the epoch.
    #[serde(default, deserialize_with = "de::millis")]
    pub updated_at: Option<i64>,
}

/// What `POST /webhooks` returns: the webhook and its signing token, which Lever may not
/// show again, so store it.
#[derive(Debug, Clone)]
pub struct CreatedWebhook {
    /// The new subscription.
    pub webhook: Webhook,
    /// `configuration.signatureToken`, when the response had one.
    pub signature_token: Option<SecretString>,
}

impl CreatedWebhook {
    /// Decodes the `data` of a create response. Lever's docs show the webhook nested once
    /// more (`{"data":{"data":{…}}}`) while clients in the wild read `{"data":{…}}`; both
    /// are accepted.
    pub(crate) fn from_data(mut data: Value) -> Result<Self, serde_json::Error> {
        if data.get("id").is_none() && data.get("data").is_some_and(Value::is_object) {
            data = data["data"].take();
        }
        let signature_token = data
            .get_mut("configuration")
            .and_then(Value::as_object_mut)
            .and_then(|c| c.remove(SIGNATURE_TOKEN))
            .and_then(|v| v.as_str().map(|s| SecretString::from(s.to_owned())));
        Ok(Self {
            webhook: serde_json::from_value(data)?,
            signature_token,
        })
    }
}

/// The configuration object with any `signatureToken` dropped; `null` is `{}`.
fn configuration<'de, D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
    let mut value = Option::<Value>::deserialize(d)?.unwrap_or(Value::Null);
    if value.is_null() {
        value = Value::Object(Default::default());
    }
    if let Some(map) = value.as_object_mut() {
        map.remove(SIGNATURE_TOKEN);
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    const TOKEN: &str = "3f9c0d1e2a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d";

    fn webhook_json() -> Value {
        serde_json::json!({
            "id": "0b1f6a3e-2c7d-4f1e-9a55-3f1d2c9e7b10",
            "event": "candidateStageChange",
            "url": "https://hooks.example.com/lever/acme/stage",
            "configuration": { "signatureToken": TOKEN, "conditions": { "origins": ["applied"] } },
            "createdAt": 1717000000000i64,
            "updatedAt": 1717000000000i64
        })
    }

    #[test]
    fn both_create_response_shapes_decode_and_the_token_is_kept_secret() {
        for data in [
            webhook_json(),
            serde_json::json!({ "data": webhook_json() }),
        ] {
            let created = CreatedWebhook::from_data(data).unwrap();
            assert_eq!(created.webhook.id, "0b1f6a3e-2c7d-4f1e-9a55-3f1d2c9e7b10");
            assert_eq!(
                created.webhook.event.as_deref(),
                Some("candidateStageChange")
            );
            assert_eq!(
                created.signature_token.as_ref().map(|t| t.expose_secret()),
                Some(TOKEN)
            );
            assert_eq!(
                created.webhook.configuration,
                serde_json::json!({ "conditions": { "origins": ["applied"] } })
            );
            assert!(!format!("{created:?}").contains(TOKEN));
        }
    }

    #[test]
    fn a_listed_webhook_never_carries_the_token() {
        let webhook: Webhook = serde_json::from_value(webhook_json()).unwrap();
        assert!(webhook.configuration.get(SIGNATURE_TOKEN).is_none());
        let bare: Webhook =
            serde_json::from_value(serde_json::json!({"id": "w", "configuration": null})).unwrap();
        assert_eq!(bare.configuration, serde_json::json!({}));
    }
}
