//! examples/fake-lever.json: consistent, and holding the cases the handlers need.

use super::*;
use serde_json::json;
use std::collections::HashSet;

/// examples/fake-lever.json loads, every id in it resolves, and it holds the cases the
/// handlers need.
#[test]
fn the_example_fixture_is_consistent_and_covers_the_cases() {
    let fixture = example();
    assert_eq!(fixture.unresolved_references(), Vec::<String>::new());
    assert_eq!(fixture.opportunities.len(), 4);
    assert!(fixture.api_keys.is_empty(), "any key works");
    let stage_ids: Vec<&str> = fixture.stages.iter().map(|s| s.id.as_str()).collect();
    for stage in [
        "lead-new",
        "applicant-new",
        PHONE_SCREEN,
        BACKGROUND_CHECK,
        "offer",
    ] {
        assert!(stage_ids.contains(&stage), "{stage}");
    }
    let dana: Vec<_> = fixture
        .opportunities
        .iter()
        .filter(|o| o.contact == DANA)
        .collect();
    assert_eq!(dana.len(), 2);
    assert_ne!(dana[0].posting_id(), dana[1].posting_id());
    let sam = fixture
        .opportunities
        .iter()
        .find(|o| o.id == SAM_NO_EMAIL)
        .unwrap();
    assert_eq!(sam.rest["emails"], json!([]));
    let elena = fixture
        .opportunities
        .iter()
        .find(|o| o.id == ELENA_OFFER)
        .unwrap();
    assert_eq!(elena.stage, "offer");
    let offer = &fixture.offers[ELENA_OFFER][0];
    assert_eq!(offer["status"], "signed");
    let identifiers: HashSet<&str> = offer["fields"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["identifier"].as_str())
        .collect();
    for field in [
        "job_title",
        "salary_amount",
        "compensation_currency",
        "salary_interval",
        "anticipated_start_date",
        "hiring_manager",
        "requisition",
    ] {
        assert!(identifiers.contains(field), "{field}");
    }
}
