//! The fake Lever over HTTP, checked with reqwest against `examples/fake-lever.json`:
//! Data API shapes, pagination, writes seen by later reads, auth, rate limit, injected
//! failures, OAuth rotation, and signed webhooks out.

mod controls;
mod example_fixture;
mod reads;
pub mod receiver;
mod webhooks;
mod writes;

use lever_hooks::fake_lever::{self, FakeLever, FakeLeverOptions, Fixture};
use reqwest::StatusCode;
use serde_json::Value;

// Ids in examples/fake-lever.json.
/// Stage "Phone Screen".
pub const PHONE_SCREEN: &str = "566bf9d7-c55a-45f8-91a6-e55e9b9b1325";
/// Stage "Background Check".
pub const BACKGROUND_CHECK: &str = "5d96cf7f-265b-4da9-8f0c-26ef4243ed52";
/// Archive reason "Hired" (type hired).
pub const HIRED: &str = "9823beb1-e6ba-4ad7-8de4-5321ad915a36";
/// Archive reason "Withdrew" (type non-hired).
pub const WITHDREW: &str = "aed09b82-4ca8-4fc2-bfb6-37dd5bae2d26";
/// The user writes are performed as.
pub const INTEGRATION_USER: &str = "d330a549-4d14-4f1a-8cc3-46363c234038";
/// Priya Raman, hiring manager of the Backend Engineer posting.
pub const HIRING_MANAGER: &str = "1ff13534-2e82-4ce1-958d-003d9a0b2361";
/// Contact Dana Whitfield, who has two opportunities.
pub const DANA: &str = "699f071a-5fd8-4665-a9df-dec6baecde5b";
/// Dana on Backend Engineer, in Phone Screen.
pub const DANA_BACKEND: &str = "422acab5-9248-4974-bf41-6c30f1f0742a";
/// Dana on Account Executive, a new applicant.
pub const DANA_SALES: &str = "3a7cfb36-6088-455f-8763-54b65ed08d6b";
/// Sam Okafor on Backend Engineer, in Phone Screen, with no email anywhere.
pub const SAM_NO_EMAIL: &str = "26ad41ef-88c2-49d9-b7c9-90fad57dcafd";
/// Elena Marquez on Backend Engineer, in Offer with a signed offer.
pub const ELENA_OFFER: &str = "0e0bc896-afbe-49a6-adbb-8cb8ef65ed78";
/// Contact Elena Marquez.
pub const ELENA: &str = "0e46c215-b5fa-4b0c-9b18-bd763f20134c";
/// Posting "Backend Engineer" (Engineering/Platform, Oakland).
pub const BACKEND_POSTING: &str = "d1784030-35c9-48c4-a68d-c8f46a423cf9";
/// Requisition ENG-142.
pub const REQUISITION: &str = "0f4bf777-e103-4fe1-8a1a-b21554c6c4b3";

/// The example fixture.
pub fn example() -> Fixture {
    Fixture::load(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/fake-lever.json"
    ))
    .expect("examples/fake-lever.json loads")
}

/// A fake on the example fixture without a rate limit (tests that want one set it).
pub async fn start() -> FakeLever {
    start_with(|_| {}).await
}

/// A fake on the example fixture with options changed by `change`.
pub async fn start_with(change: impl FnOnce(&mut FakeLeverOptions)) -> FakeLever {
    let mut options = FakeLeverOptions::new(example());
    options.rate_limit = None;
    change(&mut options);
    fake_lever::start(options).await.expect("the fake starts")
}

/// GET with an API key; returns the status and the JSON body.
pub async fn get(lever: &FakeLever, path: &str) -> (StatusCode, Value) {
    let response = reqwest::Client::new()
        .get(format!("{}{path}", lever.url()))
        .basic_auth("test-key", Some(""))
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A write with an API key and a JSON body.
pub async fn send(lever: &FakeLever, method: &str, path: &str, body: Value) -> (StatusCode, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let response = reqwest::Client::new()
        .request(method, format!("{}{path}", lever.url()))
        .basic_auth("test-key", Some(""))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}
