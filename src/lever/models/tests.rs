//! Decoding the documented examples and every shape quirk of lever-facts.md §4.9.

use super::*;

const OPPORTUNITY: &str = include_str!("../../../tests/fixtures/lever-api/opportunity.json");
const OPPORTUNITY_TOP_LEVEL_ARCHIVE: &str =
    include_str!("../../../tests/fixtures/lever-api/opportunity.archived-top-level.json");
const OFFERS: &str = include_str!("../../../tests/fixtures/lever-api/offers.json");

fn opportunity(json: &str) -> Opportunity {
    serde_json::from_str::<Envelope<Opportunity>>(json)
        .unwrap()
        .data
}

fn opportunity_data(data: serde_json::Value) -> Opportunity {
    serde_json::from_value(data).unwrap()
}

#[test]
fn the_documented_opportunity_example_decodes() {
    let o = opportunity(OPPORTUNITY);
    assert_eq!(o.id, "250d8f03-738a-4bba-a671-8a3d73477145");
    assert_eq!(o.name.as_deref(), Some("Dana Example"));
    assert_eq!(
        o.contact.as_deref(),
        Some("7f23e772-f2cb-4ebb-b33f-54b872999992")
    );
    assert_eq!(o.emails, ["dana@example.com"]);
    assert_eq!(o.phones[0].r#type.as_deref(), Some("mobile"));
    assert_eq!(o.phones[0].value.as_deref(), Some("+1 555 0100"));
    assert_eq!(o.location.as_deref(), Some("Oakland"));
    assert_eq!(o.stage_id(), Some("e7c6f8eb-9239-46b8-8777-ef4215cc8a7d"));
    assert_eq!(o.stage.as_ref().unwrap().text, None);
    assert_eq!(o.stage_changes[0].to_stage_index, Some(5));
    assert_eq!(o.stage_changes[0].updated_at, Some(1717171717171));
    assert_eq!(o.archived, None);
    assert!(o.has_tag("BGC: pending"));
    assert_eq!(
        o.owner.as_deref(),
        Some("df0adaa6-172c-4cd6-8520-49b203660fe1")
    );
    assert_eq!(o.followers.len(), 1);
    assert_eq!(
        o.application().map(|a| a.id.as_str()),
        Some("cdb4ff13-f7aa-49b0-b6ec-eb4617009cfa")
    );
    assert_eq!(o.application().unwrap().posting, None);
    assert_eq!(o.created_at, Some(1716000000000));
    assert_eq!(o.snoozed_until, None);
    assert_eq!(o.data_protection, None);
    assert!(!o.is_anonymized);
    assert_eq!(o.opportunity_location.as_deref(), Some("San Francisco"));
    assert!(o.urls.unwrap().show.unwrap().ends_with(&o.id));
}

#[test]
fn top_level_archive_fields_and_expanded_references_decode() {
    let o = opportunity(OPPORTUNITY_TOP_LEVEL_ARCHIVE);
    assert_eq!(
        o.archived,
        Some(Archived {
            archived_at: Some(1717200000000),
            reason: Some("63dd55b2-a99f-4e7b-985f-22c7bf80ab42".into()),
        })
    );
    assert_eq!(
        o.contact.as_deref(),
        Some("1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d")
    );
    assert_eq!(
        o.stage,
        Some(Stage {
            id: "offer".into(),
            text: Some("Offer".into())
        })
    );
    let application = o.application().unwrap();
    assert_eq!(
        application.posting.as_deref(),
        Some("f2f2d7b1-6b0b-4b8b-9d4e-0a9f8c7b6a5d")
    );
    assert_eq!(
        application.posting_hiring_manager.as_deref(),
        Some("aa290857-ef5a-4696-8b85-62e8d495dc4b")
    );
    let hire = application.requisition_for_hire.as_ref().unwrap();
    assert_eq!(hire.requisition_code.as_deref(), Some("ENG-42"));
    assert_eq!(o.created_at, Some(1716000000000));
    assert_eq!(o.updated_at, None);
}

#[test]
fn the_archived_object_form_decodes_and_wins_over_top_level_fields() {
    let o = opportunity_data(serde_json::json!({
        "id": "o1",
        "archived": { "archivedAt": 1717000000000i64, "reason": { "id": "r1", "text": "Hired" } },
        "archivedAt": 5,
        "archiveReason": "ignored"
    }));
    assert_eq!(
        o.archived,
        Some(Archived {
            archived_at: Some(1717000000000),
            reason: Some("r1".into())
        })
    );
}

#[test]
fn null_archive_fields_mean_active() {
    let o = opportunity_data(serde_json::json!({
        "id": "o1", "archived": null, "archivedAt": null, "archiveReason": null
    }));
    assert_eq!(o.archived, None);
    let o = opportunity_data(serde_json::json!({ "id": "o1" }));
    assert_eq!(o.archived, None);
}

#[test]
fn an_opportunity_with_only_an_id_decodes_and_nulls_are_empty() {
    let o = opportunity_data(serde_json::json!({
        "id": "o1", "tags": null, "emails": null, "applications": null, "stage": null,
        "contact": null, "isAnonymized": null, "phones": null
    }));
    assert_eq!(o.id, "o1");
    assert!(o.tags.is_empty() && o.applications.is_empty() && o.phones.is_empty());
    assert_eq!(o.stage, None);
    assert!(serde_json::from_value::<Opportunity>(serde_json::json!({ "name": "no id" })).is_err());
}

#[test]
fn an_opportunity_round_trips_through_its_normalized_json() {
    let o = opportunity(OPPORTUNITY_TOP_LEVEL_ARCHIVE);
    let json = serde_json::to_value(&o).unwrap();
    assert_eq!(
        json["archived"]["reason"],
        "63dd55b2-a99f-4e7b-985f-22c7bf80ab42"
    );
    assert_eq!(opportunity_data(json), o);
}

#[test]
fn a_contact_keeps_its_location_name() {
    let c: Contact = serde_json::from_value(serde_json::json!({
        "id": "c1", "name": "Dana", "headline": "Acme", "location": { "name": "Oakland" },
        "emails": ["dana@example.com"], "phones": [{ "type": "home", "value": "1" }],
        "isAnonymized": false
    }))
    .unwrap();
    assert_eq!(c.location.as_deref(), Some("Oakland"));
    assert_eq!(c.phones[0].r#type.as_deref(), Some("home"));
}

#[test]
fn the_documented_offers_example_decodes() {
    let page: Page<Offer> = serde_json::from_str(OFFERS).unwrap();
    assert!(!page.has_next);
    let offer = &page.data[0];
    assert_eq!(offer.id, "a72d66c0-0fd7-4bf8-99ce-dc5979358862");
    assert!(offer.is_signed());
    assert_eq!(
        offer.creator.as_deref(),
        Some("315b702b-27ec-49ac-89f6-449148fe5764")
    );
    assert_eq!(offer.field_str("job_title"), Some("Backend Engineer"));
    assert_eq!(
        offer.field("salary_amount").and_then(|v| v.as_i64()),
        Some(150000)
    );
    assert_eq!(
        offer
            .field("anticipated_start_date")
            .and_then(|v| v.as_i64()),
        Some(1719792000000)
    );
    assert_eq!(offer.field("custom_equity"), None);
    assert_eq!(
        offer.sent_document.as_ref().unwrap().uploaded_at,
        Some(1717000100000)
    );
    assert_eq!(offer.signed_document, None);
}

#[test]
fn offer_signatures_decode_from_an_object_or_a_list() {
    let keyed: Offer = serde_json::from_value(serde_json::json!({
        "id": "f1", "status": "sent",
        "signatures": { "candidate": { "name": "Dana", "signed": true, "signedAt": "1717000000000" },
                        "manager": { "name": "Ann", "signed": false } }
    }))
    .unwrap();
    assert!(!keyed.is_signed());
    assert_eq!(keyed.signatures.len(), 2);
    let candidate = keyed
        .signatures
        .iter()
        .find(|s| s.role.as_deref() == Some("candidate"))
        .unwrap();
    assert!(candidate.signed);
    assert_eq!(candidate.signed_at, Some(1717000000000));
    let listed: Offer = serde_json::from_value(serde_json::json!({
        "id": "f1", "signatures": [{ "role": "candidate", "signed": false }]
    }))
    .unwrap();
    assert_eq!(listed.signatures[0].role.as_deref(), Some("candidate"));
}

#[test]
fn a_posting_and_a_requisition_keep_their_people_as_ids() {
    let p: Posting = serde_json::from_value(serde_json::json!({
        "id": "p1", "text": "Backend Engineer", "state": "published",
        "categories": { "team": "Platform", "department": "Engineering", "location": "Remote",
                        "commitment": "Full-time", "allLocations": ["Remote", "Berlin"] },
        "hiringManager": { "id": "u1", "name": "Ann" }, "owner": "u2",
        "requisitionCodes": ["ENG-42"], "createdAt": "1716000000000"
    }))
    .unwrap();
    assert_eq!(p.categories.department.as_deref(), Some("Engineering"));
    assert_eq!(p.categories.all_locations.len(), 2);
    assert_eq!(p.hiring_manager.as_deref(), Some("u1"));
    assert_eq!(p.requisition_codes, ["ENG-42"]);
    let r: Requisition = serde_json::from_value(serde_json::json!({
        "id": "q1", "requisitionCode": "ENG-42", "name": "Backend", "hiringManager": "u1",
        "headcountTotal": "unlimited", "headcountHired": "2", "location": { "name": "Berlin" }
    }))
    .unwrap();
    assert_eq!(r.requisition_code.as_deref(), Some("ENG-42"));
    assert_eq!(r.headcount_total, "unlimited");
    assert_eq!(r.headcount_hired, Some(2));
    assert_eq!(r.location.as_deref(), Some("Berlin"));
}

#[test]
fn a_user_decodes_with_unknown_fields() {
    let u: User = serde_json::from_value(serde_json::json!({
        "id": "u1", "name": "Ann", "email": "ann@example.com", "photo": "https://x", "linkedContactIds": []
    }))
    .unwrap();
    assert_eq!(u.email.as_deref(), Some("ann@example.com"));
}

#[test]
fn a_page_without_next_or_has_next_is_the_last() {
    let page: Page<Stage> =
        serde_json::from_str(r#"{"data": [{"id": "lead-new", "text": "New lead"}]}"#).unwrap();
    assert_eq!(page.data.len(), 1);
    assert_eq!(page.next, None);
    assert!(!page.has_next);
    let page: Page<Stage> = serde_json::from_str(
        r#"{"data": [], "next": "0.1414895548650.a6070140", "hasNext": true}"#,
    )
    .unwrap();
    assert_eq!(page.next.as_deref(), Some("0.1414895548650.a6070140"));
    assert!(page.has_next);
    let page: Page<Stage> =
        serde_json::from_str(r#"{"data": [], "next": null, "hasNext": null}"#).unwrap();
    assert!(!page.has_next);
}
