//! Creating and changing opportunities: what the fake keeps (`updatedAt`,
//! `lastAdvancedAt`, `stageChanges`, `archived`) and the webhooks each write sends.

use super::{client, control, with_receiver};
use crate::fake_lever::*;
use lever_hooks::lever::{Archive, LeverError, NewOpportunity, Phone};
use lever_hooks::store::now_millis;
use reqwest::StatusCode;
use serde_json::json;
use std::collections::BTreeMap;

const UNDERQUALIFIED: &str = "683447c1-0cc8-4f11-9d4e-abbd1fcfb980";

fn candidate(email: &str) -> NewOpportunity {
    NewOpportunity {
        name: Some("Riley Chen".into()),
        emails: vec![email.into()],
        phones: vec![Phone {
            r#type: Some("mobile".into()),
            value: Some("+1 510 555 0199".into()),
        }],
        tags: vec!["API".into()],
        sources: vec!["Job board".into()],
        origin: Some("sourced".into()),
        ..NewOpportunity::default()
    }
}

/// A new email makes a new person; a known email (any case) or an explicit contact
/// files the opportunity under the existing one, and the client says `deduped`. A
/// posting makes an application, announced with `applicationCreated`.
#[tokio::test]
async fn create_dedupes_by_email_and_announces_the_application() {
    let (lever, mut receiver) = with_receiver().await;
    let client = client(&lever);
    let fresh = client
        .create_opportunity(&candidate("riley@example.com"), INTEGRATION_USER)
        .await
        .unwrap();
    assert!(!fresh.deduped);
    let contact = fresh.opportunity.contact.clone().unwrap();
    assert!(![DANA, ELENA].contains(&contact.as_str()));
    assert_eq!(fresh.opportunity.name.as_deref(), Some("Riley Chen"));
    assert_eq!(fresh.opportunity.tags, ["API"]);
    assert_eq!(fresh.opportunity.origin.as_deref(), Some("sourced"));
    assert_eq!(fresh.opportunity.stage_id(), Some("lead-new"));
    assert!(fresh.opportunity.applications.is_empty());
    receiver.nothing_more().await;

    let dana = NewOpportunity {
        posting: Some(BACKEND_POSTING.into()),
        stage: Some(PHONE_SCREEN.into()),
        ..candidate("DANA.Whitfield@example.com")
    };
    let again = client
        .create_opportunity(&dana, INTEGRATION_USER)
        .await
        .unwrap();
    assert!(again.deduped, "Dana's email matched her contact");
    assert_eq!(again.opportunity.contact.as_deref(), Some(DANA));
    assert_eq!(again.opportunity.stage_id(), Some(PHONE_SCREEN));
    let application = again.opportunity.application().unwrap().id.clone();
    let delivery = receiver.next().await;
    assert_eq!(delivery.body["event"], "applicationCreated");
    assert_eq!(
        delivery.body["data"],
        json!({"applicationId": application, "opportunityId": again.opportunity.id,
               "candidateId": again.opportunity.id, "contactId": DANA})
    );
    let full = client.opportunity(&again.opportunity.id).await.unwrap();
    assert_eq!(
        full.application().unwrap().posting.as_deref(),
        Some(BACKEND_POSTING)
    );

    let by_contact = NewOpportunity {
        contact: Some(contact.clone()),
        ..candidate("other@example.com")
    };
    let second = client
        .create_opportunity(&by_contact, INTEGRATION_USER)
        .await
        .unwrap();
    assert!(
        second.deduped,
        "the contact asked for already had Riley's first"
    );
    assert_eq!(
        second.opportunity.contact.as_deref(),
        Some(contact.as_str())
    );

    let (status, body) = send(&lever, "POST", "/opportunities", json!({"name": "X"})).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "perform_as is required: {body}"
    );
    let two_postings = json!({"postings": [BACKEND_POSTING, BACKEND_POSTING]});
    let path = format!("/opportunities?perform_as={INTEGRATION_USER}");
    let (status, _) = send(&lever, "POST", &path, two_postings).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "one posting per request");
    lever.stop().await;
}

/// A stage move returns the moved opportunity with `lastAdvancedAt`, `updatedAt` and a
/// new `stageChanges` entry, and sends `candidateStageChange`.
#[tokio::test]
async fn a_stage_move_is_kept_and_announced() {
    let (lever, mut receiver) = with_receiver().await;
    let client = client(&lever);
    let before = client.opportunity(DANA_BACKEND).await.unwrap();
    let moved = client
        .set_stage(DANA_BACKEND, BACKGROUND_CHECK, Some(INTEGRATION_USER))
        .await
        .unwrap();
    assert_eq!(moved.stage_id(), Some(BACKGROUND_CHECK));
    assert!(moved.updated_at > before.updated_at);
    assert!(moved.last_advanced_at > before.last_advanced_at);
    assert_eq!(moved.stage_changes.len(), before.stage_changes.len() + 1);
    let change = moved.stage_changes.last().unwrap();
    assert_eq!(change.to_stage_id.as_deref(), Some(BACKGROUND_CHECK));
    assert_eq!(change.user_id.as_deref(), Some(INTEGRATION_USER));
    let delivery = receiver.next().await;
    assert_eq!(delivery.body["event"], "candidateStageChange");
    assert_eq!(delivery.body["data"]["fromStageId"], PHONE_SCREEN);
    assert_eq!(delivery.body["data"]["toStageId"], BACKGROUND_CHECK);
    let unknown = client.set_stage(DANA_BACKEND, "no-such-stage", None).await;
    assert!(
        matches!(unknown, Err(LeverError::NotFound { .. })),
        "{unknown:?}"
    );
    lever.stop().await;
}

/// Archive, change the reason, unarchive: each is kept and sends
/// `candidateArchiveChange`; a hire against a requisition needs a hired reason (400
/// otherwise) and also sends `candidateHired`.
#[tokio::test]
async fn archive_change_reason_unarchive_and_hire() {
    let (lever, mut receiver) = with_receiver().await;
    let client = client(&lever);
    let archive = |reason: &str| Archive {
        reason: reason.into(),
        ..Archive::default()
    };
    let archived = client
        .archive(DANA_SALES, &archive(WITHDREW), None)
        .await
        .unwrap();
    let state = archived.archived.clone().unwrap();
    assert_eq!(state.reason.as_deref(), Some(WITHDREW));
    assert!(state.archived_at.unwrap() >= now_millis() as i64 - 60_000);
    let delivery = receiver.next().await;
    assert_eq!(delivery.body["event"], "candidateArchiveChange");
    assert_eq!(delivery.body["data"]["toArchived"]["reason"], WITHDREW);

    let changed = client
        .archive(DANA_SALES, &archive(UNDERQUALIFIED), None)
        .await
        .unwrap();
    assert_eq!(
        changed.archived.unwrap().reason.as_deref(),
        Some(UNDERQUALIFIED)
    );
    let delivery = receiver.next().await;
    assert_eq!(delivery.body["data"]["fromArchived"]["reason"], WITHDREW);

    let active = client.unarchive(DANA_SALES, None).await.unwrap();
    assert_eq!(active.archived, None);
    let delivery = receiver.next().await;
    assert_eq!(delivery.body["event"], "candidateArchiveChange");
    assert_eq!(delivery.body["data"]["toArchived"], serde_json::Value::Null);

    let not_a_hire = Archive {
        requisition_id: Some(REQUISITION.into()),
        clean_interviews: Some(true),
        ..archive(WITHDREW)
    };
    let refused = client.archive(ELENA_OFFER, &not_a_hire, None).await;
    assert!(
        matches!(refused, Err(LeverError::BadRequest { status: 400, .. })),
        "{refused:?}"
    );
    receiver.nothing_more().await;
    let hire = Archive {
        requisition_id: Some(REQUISITION.into()),
        ..archive(HIRED)
    };
    client.archive(ELENA_OFFER, &hire, None).await.unwrap();
    let mut events: Vec<String> = Vec::new();
    for _ in 0..2 {
        let delivery = receiver.next().await;
        events.push(delivery.body["event"].as_str().unwrap().to_owned());
    }
    events.sort();
    assert_eq!(events, ["candidateArchiveChange", "candidateHired"]);
    lever.stop().await;
}

/// Links and sources are added once and removed; each change moves `updatedAt`.
#[tokio::test]
async fn links_and_sources_are_added_and_removed() {
    let lever = start().await;
    let client = client(&lever);
    let before = client.opportunity(SAM_NO_EMAIL).await.unwrap();
    let link = "https://example.com/portfolio".to_owned();
    client
        .add_links(
            SAM_NO_EMAIL,
            &[link.clone(), link.clone()],
            Some(INTEGRATION_USER),
        )
        .await
        .unwrap();
    client
        .add_sources(SAM_NO_EMAIL, &["Meetup".into()], None)
        .await
        .unwrap();
    let after = client.opportunity(SAM_NO_EMAIL).await.unwrap();
    assert_eq!(after.links, [link.as_str()]);
    assert_eq!(after.sources, ["LinkedIn", "Meetup"]);
    assert!(after.updated_at > before.updated_at);
    client
        .remove_links(SAM_NO_EMAIL, &[link], None)
        .await
        .unwrap();
    client
        .remove_sources(SAM_NO_EMAIL, &["LinkedIn".into()], None)
        .await
        .unwrap();
    let after = client.opportunity(SAM_NO_EMAIL).await.unwrap();
    assert!(after.links.is_empty());
    assert_eq!(after.sources, ["Meetup"]);
    let missing = client.add_links("no-such-opportunity", &[], None).await;
    assert!(matches!(missing, Err(LeverError::NotFound { .. })));
    lever.stop().await;
}

/// An upload comes back as a typed file and is listed on the opportunity.
#[tokio::test]
async fn a_file_upload_comes_back_typed() {
    let lever = start().await;
    let client = client(&lever);
    let before = client.opportunity(ELENA_OFFER).await.unwrap();
    let bytes = b"%PDF-1.4\r\n--x\r\nreport".to_vec();
    let file = client
        .upload_file(
            ELENA_OFFER,
            "BGC report.PDF",
            "application/pdf",
            bytes.clone(),
            INTEGRATION_USER,
        )
        .await
        .unwrap();
    assert_eq!(file.name.as_deref(), Some("BGC report.PDF"));
    assert_eq!(file.ext.as_deref(), Some("pdf"));
    assert_eq!(file.size, Some(bytes.len() as i64));
    assert_eq!(file.status.as_deref(), Some("processed"));
    assert!(file
        .download_url
        .unwrap()
        .ends_with(&format!("/files/{}/download", file.id)));
    let (_, listed) = get(&lever, &format!("/opportunities/{ELENA_OFFER}/files")).await;
    assert_eq!(listed["data"][0]["id"], file.id.as_str());
    let after = client.opportunity(ELENA_OFFER).await.unwrap();
    assert!(after.updated_at > before.updated_at);
    lever.stop().await;
}

/// While webhooks are stopped (over the control API or from Rust) writes still apply
/// but their events are dropped for good; after resuming, events flow again.
#[tokio::test]
async fn stopped_webhooks_drop_events_until_resumed() {
    let (lever, mut receiver) = with_receiver().await;
    let client = client(&lever);
    let (status, body) = control(&lever, "/webhooks/stop").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"sending": false, "dropped": 0}));
    let moved = client
        .set_stage(SAM_NO_EMAIL, BACKGROUND_CHECK, None)
        .await
        .unwrap();
    assert_eq!(
        moved.stage_id(),
        Some(BACKGROUND_CHECK),
        "the write applied"
    );
    receiver.nothing_more().await;
    assert_eq!(lever.dropped_webhooks(), 1);
    let (_, body) = control(&lever, "/webhooks/resume").await;
    assert_eq!(body, json!({"sending": true, "dropped": 1}));
    receiver.nothing_more().await;

    client
        .set_stage(SAM_NO_EMAIL, PHONE_SCREEN, None)
        .await
        .unwrap();
    let delivery = receiver.next().await;
    assert_eq!(delivery.body["data"]["toStageId"], PHONE_SCREEN);

    lever.stop_webhooks();
    client
        .archive(
            SAM_NO_EMAIL,
            &Archive {
                reason: HIRED.into(),
                ..Archive::default()
            },
            None,
        )
        .await
        .unwrap();
    receiver.nothing_more().await;
    assert_eq!(
        lever.dropped_webhooks(),
        3,
        "the archive change and the hire"
    );
    lever.resume_webhooks();
    let deliveries: BTreeMap<String, usize> =
        lever.deliveries().iter().fold(BTreeMap::new(), |mut m, d| {
            *m.entry(d.event.clone()).or_default() += 1;
            m
        });
    assert_eq!(
        deliveries,
        BTreeMap::from([("candidateStageChange".into(), 1)])
    );
    lever.stop().await;
}
