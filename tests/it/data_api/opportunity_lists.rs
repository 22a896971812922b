//! `GET /opportunities` with every filter family, paging, `expand`, and
//! `GET /opportunities/deleted`.

use super::{client, control, ids, with_receiver};
use crate::fake_lever::*;
use lever_hooks::lever::{Archive, Expand, LeverError, OpportunityFilter, TimeRange};
use lever_hooks::store::now_millis;
use reqwest::StatusCode;

const UNDERQUALIFIED: &str = "683447c1-0cc8-4f11-9d4e-abbd1fcfb980";

fn filter() -> OpportunityFilter {
    OpportunityFilter::default()
}

/// Each filter family keeps what matches and leaves out the rest; the values of one
/// filter are a union, and different filters must all match.
#[tokio::test]
async fn every_filter_family_excludes_what_it_should() {
    let lever = start().await;
    let client = client(&lever);
    let list = |f: OpportunityFilter| {
        let client = client.clone();
        async move { client.opportunities(&f).await.unwrap() }
    };
    let all = list(filter()).await;
    assert_eq!(
        ids(&all),
        [DANA_BACKEND, DANA_SALES, SAM_NO_EMAIL, ELENA_OFFER]
    );

    let by = list(OpportunityFilter::of_contact(DANA)).await;
    assert_eq!(ids(&by), [DANA_BACKEND, DANA_SALES], "contact_id");
    let by = list(OpportunityFilter {
        stage_id: vec![PHONE_SCREEN.into()],
        ..filter()
    })
    .await;
    assert_eq!(ids(&by), [DANA_BACKEND, SAM_NO_EMAIL], "stage_id");
    let by = list(OpportunityFilter {
        stage_id: vec![PHONE_SCREEN.into(), "offer".into()],
        ..filter()
    })
    .await;
    assert_eq!(
        ids(&by),
        [DANA_BACKEND, SAM_NO_EMAIL, ELENA_OFFER],
        "stage_id union"
    );
    let by = list(OpportunityFilter {
        posting_id: vec![BACKEND_POSTING.into()],
        ..filter()
    })
    .await;
    assert_eq!(
        ids(&by),
        [DANA_BACKEND, SAM_NO_EMAIL, ELENA_OFFER],
        "posting_id"
    );
    let by = list(OpportunityFilter {
        tag: vec!["Sales".into(), "BGC: clear".into()],
        ..filter()
    })
    .await;
    assert_eq!(ids(&by), [DANA_SALES, ELENA_OFFER], "tag union");
    let by = list(OpportunityFilter {
        email: vec!["Dana.Whitfield@Example.com".into()],
        ..filter()
    })
    .await;
    assert_eq!(ids(&by), [DANA_BACKEND, DANA_SALES], "email, any case");
    let by = list(OpportunityFilter {
        origin: vec!["sourced".into(), "referred".into()],
        ..filter()
    })
    .await;
    assert_eq!(ids(&by), [DANA_BACKEND, SAM_NO_EMAIL], "origin");
    let by = list(OpportunityFilter {
        source: vec!["LinkedIn".into()],
        ..filter()
    })
    .await;
    assert_eq!(ids(&by), [SAM_NO_EMAIL], "source");
    let by = list(OpportunityFilter {
        created_at: TimeRange::between(1_746_000_000_000, 1_746_500_000_000),
        ..filter()
    })
    .await;
    assert_eq!(ids(&by), [DANA_BACKEND, SAM_NO_EMAIL], "created_at");
    let by = list(OpportunityFilter {
        tag: vec!["Engineering".into()],
        origin: vec!["applied".into()],
        ..filter()
    })
    .await;
    assert_eq!(ids(&by), [ELENA_OFFER], "two filters: both must match");

    // The write-driven times: only what was touched after `since` is in range.
    let since = now_millis() as i64;
    client
        .set_stage(SAM_NO_EMAIL, BACKGROUND_CHECK, Some(INTEGRATION_USER))
        .await
        .unwrap();
    client
        .add_tags(DANA_SALES, &["Touched".into()], None)
        .await
        .unwrap();
    let by = list(OpportunityFilter {
        updated_at: TimeRange::since(since),
        ..filter()
    })
    .await;
    assert_eq!(ids(&by), [DANA_SALES, SAM_NO_EMAIL], "updated_at");
    let by = list(OpportunityFilter {
        advanced_at: TimeRange::since(since),
        ..filter()
    })
    .await;
    assert_eq!(ids(&by), [SAM_NO_EMAIL], "advanced_at: tags do not advance");
    let before = list(OpportunityFilter {
        updated_at: TimeRange::between(0, since - 1),
        ..filter()
    })
    .await;
    assert_eq!(ids(&before), [DANA_BACKEND, ELENA_OFFER], "updated_at end");

    // Archive state, reason and time.
    let archive = |id: &'static str, reason: &'static str| {
        let client = client.clone();
        async move {
            let archive = Archive {
                reason: reason.into(),
                ..Archive::default()
            };
            client.archive(id, &archive, None).await.unwrap()
        }
    };
    archive(DANA_SALES, WITHDREW).await;
    archive(ELENA_OFFER, UNDERQUALIFIED).await;
    let by = list(OpportunityFilter {
        archived: Some(true),
        ..filter()
    })
    .await;
    assert_eq!(ids(&by), [DANA_SALES, ELENA_OFFER], "archived=true");
    let by = list(OpportunityFilter {
        archived: Some(false),
        ..filter()
    })
    .await;
    assert_eq!(ids(&by), [DANA_BACKEND, SAM_NO_EMAIL], "archived=false");
    let by = list(OpportunityFilter {
        archive_reason_id: vec![WITHDREW.into()],
        ..filter()
    })
    .await;
    assert_eq!(ids(&by), [DANA_SALES], "archive_reason_id");
    let by = list(OpportunityFilter {
        archived_at: TimeRange::since(since),
        ..filter()
    })
    .await;
    assert_eq!(ids(&by), [DANA_SALES, ELENA_OFFER], "archived_at");
    let by = list(OpportunityFilter {
        archived_at: TimeRange::between(0, since - 1),
        ..filter()
    })
    .await;
    assert!(by.is_empty(), "archived_at before any archive: {by:?}");
    lever.stop().await;
}

/// `expand` turns ids into objects and the model reads both: the stage gains its text,
/// the application its posting, and the owner stays readable as an id.
#[tokio::test]
async fn expanded_and_plain_references_both_decode() {
    let lever = start().await;
    let client = client(&lever);
    let plain = client
        .opportunities(&OpportunityFilter::of_contact(ELENA))
        .await
        .unwrap();
    assert_eq!(plain[0].stage_id(), Some("offer"));
    assert_eq!(plain[0].stage.as_ref().unwrap().text, None);
    assert_eq!(plain[0].application().unwrap().posting, None);
    let filter = OpportunityFilter {
        expand: vec![Expand::Stage, Expand::Applications, Expand::Owner],
        ..OpportunityFilter::of_contact(ELENA)
    };
    let expanded = client.opportunities(&filter).await.unwrap();
    assert_eq!(
        expanded[0].stage.as_ref().unwrap().text.as_deref(),
        Some("Offer")
    );
    assert_eq!(
        expanded[0].application().unwrap().posting.as_deref(),
        Some(BACKEND_POSTING)
    );
    assert_eq!(expanded[0].owner, plain[0].owner);
    assert!(expanded[0].owner.is_some());
    let requests = lever.requests();
    let query = &requests.last().unwrap().query;
    assert!(
        query.contains("expand=stage") && query.contains("expand=applications"),
        "{query}"
    );
    lever.stop().await;
}

/// The all-pages list follows `next` across pages; the one-page call hands `next` back.
#[tokio::test]
async fn paging_walks_every_page_once() {
    let lever = start().await;
    let client = client(&lever);
    let one_per_page = OpportunityFilter {
        page_size: Some(1),
        ..filter()
    };
    let all = client.opportunities(&one_per_page).await.unwrap();
    assert_eq!(
        ids(&all),
        [DANA_BACKEND, DANA_SALES, SAM_NO_EMAIL, ELENA_OFFER]
    );
    let pages = lever
        .requests()
        .iter()
        .filter(|r| r.path == "/v1/opportunities")
        .count();
    assert_eq!(pages, 4, "one request per page");

    let three = OpportunityFilter {
        page_size: Some(3),
        ..filter()
    };
    let first = client.opportunities_page(&three, None).await.unwrap();
    assert_eq!(first.data.len(), 3);
    assert!(first.has_next);
    let next = first.next.expect("a next offset");
    let second = client
        .opportunities_page(&three, Some(&next))
        .await
        .unwrap();
    assert_eq!(ids(&second.data), [ELENA_OFFER]);
    assert!(!second.has_next && second.next.is_none());
    let bad = client.opportunities_page(&three, Some("not-a-token")).await;
    assert!(
        matches!(bad, Err(LeverError::BadRequest { status: 400, .. })),
        "{bad:?}"
    );
    lever.stop().await;
}

/// A deletion (through the fake's control API) takes the opportunity out of the lists,
/// lists it under `/opportunities/deleted` with who and when, and sends
/// `candidateDeleted`.
#[tokio::test]
async fn deleted_opportunities_are_listed_and_announced() {
    let (lever, mut receiver) = with_receiver().await;
    let client = client(&lever);
    let since = now_millis() as i64;
    let (status, body) = control(&lever, "/opportunities/nope/delete").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["code"], "ResourceNotFound");
    assert!(lever.delete_opportunity(SAM_NO_EMAIL, Some(INTEGRATION_USER)));
    assert!(
        !lever.delete_opportunity(SAM_NO_EMAIL, None),
        "already gone"
    );

    let delivery = receiver.next().await;
    assert_eq!(delivery.body["event"], "candidateDeleted");
    assert_eq!(delivery.body["data"]["opportunityId"], SAM_NO_EMAIL);
    receiver.nothing_more().await;

    let deleted = client
        .deleted_opportunities(TimeRange::since(since))
        .await
        .unwrap();
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0].id, SAM_NO_EMAIL);
    assert_eq!(deleted[0].deleted_by.as_deref(), Some(INTEGRATION_USER));
    assert!(deleted[0].deleted_at.unwrap() >= since);
    let earlier = client
        .deleted_opportunities(TimeRange::between(0, since - 1))
        .await
        .unwrap();
    assert!(
        earlier.is_empty(),
        "deleted_at_end excludes it: {earlier:?}"
    );
    let listed = client.opportunities(&filter()).await.unwrap();
    assert!(!ids(&listed).contains(&SAM_NO_EMAIL));
    assert!(matches!(
        client.opportunity(SAM_NO_EMAIL).await,
        Err(LeverError::NotFound { .. })
    ));
    lever.stop().await;
}
