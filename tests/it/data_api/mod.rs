//! The Data API client against the in-process fake Lever: each method, each filter
//! family, paging, and the webhooks the fake sends for each write.

mod opportunity_lists;
mod opportunity_writes;
mod reads;

use crate::fake_lever::receiver::Receiver;
use crate::fake_lever::start_with;
use lever_hooks::fake_lever::FakeLever;
use lever_hooks::lever::{
    ClientConfig, Credentials, LeverClient, MemoryRefreshTokenStore, Opportunity,
};
use reqwest::StatusCode;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A client on the fake's API, with an API key.
pub fn client(lever: &FakeLever) -> LeverClient {
    let config = ClientConfig {
        api_base: lever.url(),
        ..ClientConfig::new(Credentials::ApiKey("data-api-key".to_owned().into()))
    };
    LeverClient::new(
        "default",
        config,
        Arc::new(MemoryRefreshTokenStore::default()),
    )
    .unwrap()
}

/// A fake on the example fixture whose webhooks go to a new [`Receiver`], signed with
/// `data-api-token`.
pub async fn with_receiver() -> (FakeLever, Receiver) {
    let receiver = Receiver::start().await;
    let url = receiver.url.clone();
    let lever = start_with(|o| {
        o.webhook_url = Some(url);
        o.signing_tokens = BTreeMap::from([("default".into(), "data-api-token".into())]);
    })
    .await;
    (lever, receiver)
}

/// `POST /_fake{path}` (the fake's control API); the status and the JSON body.
pub async fn control(lever: &FakeLever, path: &str) -> (StatusCode, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}/_fake{path}", lever.base_url()))
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The ids, in order.
pub fn ids(opportunities: &[Opportunity]) -> Vec<&str> {
    opportunities.iter().map(|o| o.id.as_str()).collect()
}
