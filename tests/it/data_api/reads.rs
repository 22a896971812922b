//! The people and pipeline reads: interviews, panels, feedback, forms, and the postings,
//! users and requisitions lists with each filter excluding something.

use crate::fake_lever::{get, start, BACKEND_POSTING, DANA_BACKEND, HIRING_MANAGER, SAM_NO_EMAIL};
use lever_hooks::fake_lever::FakeLever;
use lever_hooks::lever::{
    ArchiveReasonType, ClientConfig, Confidentiality, Credentials, DistributionChannel,
    LeverClient, LeverError, MemoryRefreshTokenStore, PostingExpand, PostingFilter, PostingState,
    RateLimit, RequisitionFilter, UserFilter,
};
use serde_json::json;
use std::sync::Arc;

// Ids in examples/fake-lever.json.
const MARCUS: &str = "00d9f4ad-53a2-42b6-b3f5-f28807f0cbd4";
const JORDAN_DEACTIVATED: &str = "e0faa0e6-a68a-5e34-862e-9e7f95cdeadb";
const ANA: &str = "5fe507fb-a326-5c85-a1d0-9dd59448b640";
const AE_POSTING: &str = "af5d8bb0-9f2e-4ea4-b658-90e0f94855d0";
const DATA_POSTING: &str = "4422fa20-bc10-56f4-8dc6-63cdb43d0421";
const SECURITY_POSTING: &str = "a7f116c5-4d22-506e-a369-6ada28358fe1";
const SUPPORT_POSTING: &str = "d32d9704-8fc1-5064-9f7b-f2cbd2805885";
const PHONE_PANEL: &str = "dbd314c8-0d22-53f4-94b1-e8f232024568";
const ONSITE_PANEL: &str = "667c1281-dfb6-5d47-b8f0-2d9503744abc";
const PHONE_INTERVIEW: &str = "758f40ef-7145-5b27-805b-791d4c39ef85";
const DESIGN_INTERVIEW: &str = "5b992e7f-e6da-5c6f-a114-2c208e4cf303";
const CODING_INTERVIEW: &str = "ae0b9943-91d0-5407-9098-ae75f02dddc1";
const PHONE_FEEDBACK: &str = "9a94a506-df2f-56f8-973d-fc37707d1bd3";
const DESIGN_FEEDBACK: &str = "14ef97dd-fdff-5378-9804-8be0afb6b18e";
const WORK_AUTH_FORM: &str = "0c0660ee-81eb-5524-86e2-bb9cef48a164";
const ENG_142: &str = "0f4bf777-e103-4fe1-8a1a-b21554c6c4b3";
const ENG_150: &str = "0cd1017d-109b-5635-9f7f-f83e33ba93ff";
const SEC_007: &str = "b253ed27-8bf5-5e19-b026-85a3f3c28f43";
const SUP_019: &str = "da265599-9cc1-520f-93cf-83ea26a4bdde";

fn client(lever: &FakeLever) -> LeverClient {
    let config = ClientConfig {
        api_base: lever.url(),
        rate: RateLimit {
            per_second: 100,
            burst: 100,
        },
        ..ClientConfig::new(Credentials::ApiKey("reads-key".to_owned().into()))
    };
    let store = Arc::new(MemoryRefreshTokenStore::default());
    LeverClient::new("reads", config, store).unwrap()
}

fn ids<T>(items: &[T], id: impl Fn(&T) -> &str) -> Vec<&str> {
    items.iter().map(id).collect()
}

async fn posting_ids(client: &LeverClient, filter: PostingFilter) -> Vec<String> {
    let postings = client.postings(&filter).await.unwrap();
    postings.into_iter().map(|p| p.id).collect()
}

fn not_found<T: std::fmt::Debug>(result: Result<T, LeverError>) -> bool {
    matches!(result, Err(LeverError::NotFound { .. }))
}

#[tokio::test]
async fn interviews_and_panels_are_read_with_their_interviewers() {
    let lever = start().await;
    let client = client(&lever);

    let interviews = client.interviews(DANA_BACKEND).await.unwrap();
    assert_eq!(
        ids(&interviews, |i| &i.id),
        [PHONE_INTERVIEW, DESIGN_INTERVIEW, CODING_INTERVIEW]
    );
    let phone = &interviews[0];
    assert_eq!(phone.panel.as_deref(), Some(PHONE_PANEL));
    assert_eq!(phone.duration, Some(45));
    assert_eq!(phone.feedback_forms, [PHONE_FEEDBACK]);
    assert_eq!(phone.postings, [BACKEND_POSTING]);
    assert_eq!(phone.interviewers.len(), 1);
    assert_eq!(phone.interviewers[0].id.as_deref(), Some(HIRING_MANAGER));
    assert_eq!(phone.interviewers[0].name.as_deref(), Some("Priya Raman"));
    assert!(phone.interviewers[0].feedback_template.is_some());
    assert!(!phone.is_canceled() && interviews[2].is_canceled());

    let design = client
        .interview(DANA_BACKEND, DESIGN_INTERVIEW)
        .await
        .unwrap();
    assert_eq!(design.subject.as_deref(), Some("System design"));
    assert_eq!(design.timezone.as_deref(), Some("America/Los_Angeles"));

    let panels = client.panels(DANA_BACKEND).await.unwrap();
    assert_eq!(ids(&panels, |p| &p.id), [PHONE_PANEL, ONSITE_PANEL]);
    assert!(!panels[0].externally_managed && panels[1].externally_managed);
    let onsite = client.panel(DANA_BACKEND, ONSITE_PANEL).await.unwrap();
    assert_eq!(
        ids(&onsite.interviews, |i| &i.id),
        [DESIGN_INTERVIEW, CODING_INTERVIEW]
    );
    assert!(onsite.start < onsite.end);

    assert!(client.interviews(SAM_NO_EMAIL).await.unwrap().is_empty());
    assert!(not_found(
        client.interview(DANA_BACKEND, ONSITE_PANEL).await
    ));
    assert!(not_found(client.panel(SAM_NO_EMAIL, ONSITE_PANEL).await));
    assert!(not_found(client.interviews("no-such-opportunity").await));
    lever.stop().await;
}

#[tokio::test]
async fn feedback_and_profile_forms_are_read_with_their_answers() {
    let lever = start().await;
    let client = client(&lever);

    let feedback = client.feedback(DANA_BACKEND).await.unwrap();
    assert_eq!(ids(&feedback, |f| &f.id), [PHONE_FEEDBACK, DESIGN_FEEDBACK]);
    let phone = &feedback[0];
    assert_eq!(phone.r#type.as_deref(), Some("interview"));
    assert_eq!(phone.interview.as_deref(), Some(PHONE_INTERVIEW));
    assert_eq!(phone.panel.as_deref(), Some(PHONE_PANEL));
    let rating = phone.field("Rating").unwrap();
    assert_eq!(rating.r#type.as_deref(), Some("score-system"));
    assert!(rating.required);
    assert_eq!(rating.value, json!("4 - Strong Hire"));
    assert!(phone.completed_at.is_some() && feedback[1].completed_at.is_none());

    let draft = client
        .feedback_form(DANA_BACKEND, DESIGN_FEEDBACK)
        .await
        .unwrap();
    assert_eq!(draft.user.as_deref(), Some(JORDAN_DEACTIVATED));
    assert!(draft.fields.iter().all(|f| f.value.is_null()));

    let forms = client.forms(DANA_BACKEND).await.unwrap();
    assert_eq!(ids(&forms, |f| &f.id), [WORK_AUTH_FORM]);
    let form = client.form(DANA_BACKEND, WORK_AUTH_FORM).await.unwrap();
    assert_eq!(form.r#type.as_deref(), Some("form"));
    assert_eq!(form.user.as_deref(), Some(MARCUS));
    let authorized = form.field("Authorized to work in the US?").unwrap();
    assert_eq!(authorized.value, json!("yes"));
    assert_eq!(
        form.field(authorized.id.as_deref().unwrap()),
        Some(authorized)
    );

    assert!(not_found(
        client.feedback_form(DANA_BACKEND, WORK_AUTH_FORM).await
    ));
    assert!(client.forms(SAM_NO_EMAIL).await.unwrap().is_empty());
    lever.stop().await;
}

#[tokio::test]
async fn postings_filters_each_exclude_what_does_not_match() {
    let lever = start().await;
    let client = client(&lever);
    let strings = |values: &[&str]| values.iter().map(|v| v.to_string()).collect::<Vec<_>>();

    assert_eq!(
        posting_ids(&client, PostingFilter::default()).await,
        [BACKEND_POSTING, AE_POSTING, DATA_POSTING, SUPPORT_POSTING],
        "confidential postings are left out by default"
    );
    let cases: Vec<(PostingFilter, Vec<&str>)> = vec![
        (
            PostingFilter {
                states: vec![PostingState::Published],
                ..Default::default()
            },
            vec![BACKEND_POSTING, AE_POSTING],
        ),
        (
            PostingFilter {
                states: vec![PostingState::Internal, PostingState::Closed],
                ..Default::default()
            },
            vec![DATA_POSTING, SUPPORT_POSTING],
        ),
        (
            PostingFilter {
                teams: strings(&["Platform"]),
                ..Default::default()
            },
            vec![BACKEND_POSTING],
        ),
        (
            PostingFilter {
                departments: strings(&["Engineering"]),
                ..Default::default()
            },
            vec![BACKEND_POSTING, DATA_POSTING],
        ),
        (
            PostingFilter {
                locations: strings(&["Oakland"]),
                ..Default::default()
            },
            vec![BACKEND_POSTING, DATA_POSTING],
        ),
        (
            PostingFilter {
                commitments: strings(&["Part-time", "Contract"]),
                ..Default::default()
            },
            vec![DATA_POSTING, SUPPORT_POSTING],
        ),
        (
            PostingFilter {
                tags: strings(&["Data"]),
                ..Default::default()
            },
            vec![DATA_POSTING],
        ),
        (
            PostingFilter {
                updated_since: Some(1_745_193_600_000),
                ..Default::default()
            },
            vec![AE_POSTING, DATA_POSTING],
        ),
        (
            PostingFilter {
                updated_since: Some(1_744_000_000_000),
                updated_before: Some(1_745_193_600_000),
                ..Default::default()
            },
            vec![BACKEND_POSTING],
        ),
        (
            PostingFilter {
                confidentiality: Some(Confidentiality::Confidential),
                ..Default::default()
            },
            vec![SECURITY_POSTING],
        ),
        (
            PostingFilter {
                distribution_channel: Some(DistributionChannel::Internal),
                ..Default::default()
            },
            vec![BACKEND_POSTING, DATA_POSTING],
        ),
        (
            PostingFilter {
                departments: strings(&["Engineering"]),
                confidentiality: Some(Confidentiality::All),
                states: vec![PostingState::Published],
                ..Default::default()
            },
            vec![BACKEND_POSTING, SECURITY_POSTING],
        ),
    ];
    for (filter, expected) in cases {
        assert_eq!(
            posting_ids(&client, filter.clone()).await,
            expected,
            "{filter:?}"
        );
    }
    lever.stop().await;
}

#[tokio::test]
async fn postings_are_read_over_several_pages_and_expand_their_users() {
    let lever = start().await;
    let client = client(&lever);
    let filter = PostingFilter {
        confidentiality: Some(Confidentiality::All),
        expand: vec![PostingExpand::HiringManager, PostingExpand::Owner],
        page_size: Some(2),
        ..Default::default()
    };

    let postings = client.postings(&filter).await.unwrap();

    assert_eq!(
        ids(&postings, |p| &p.id),
        [
            BACKEND_POSTING,
            AE_POSTING,
            DATA_POSTING,
            SECURITY_POSTING,
            SUPPORT_POSTING
        ]
    );
    let pages: Vec<String> = lever
        .requests()
        .into_iter()
        .filter(|r| r.path == "/v1/postings")
        .map(|r| r.query)
        .collect();
    assert_eq!(pages.len(), 3, "{pages:?}");
    assert!(pages.iter().all(|q| q.contains("limit=2")));
    assert!(!pages[0].contains("offset=") && pages[1..].iter().all(|q| q.contains("offset=")));

    let backend = &postings[0];
    assert_eq!(backend.hiring_manager.as_deref(), Some(HIRING_MANAGER));
    let manager = backend.expanded.hiring_manager.as_ref().unwrap();
    assert_eq!(manager.name.as_deref(), Some("Priya Raman"));
    assert_eq!(
        backend.expanded.owner.as_ref().map(|u| u.id.as_str()),
        Some(MARCUS)
    );
    assert!(backend.expanded.user.is_none(), "user was not expanded");
    assert!(
        postings[1].expanded.hiring_manager.is_none(),
        "no hiring manager"
    );
    assert_eq!(postings[4].hiring_manager.as_deref(), Some(ANA));

    let plain = client.posting(DATA_POSTING).await.unwrap();
    assert!(plain.expanded.is_empty());
    assert_eq!(plain.distribution_channels, ["internal"]);
    assert_eq!(plain.categories.all_locations, ["Remote", "Oakland"]);
    assert_eq!(plain.requisition_codes, ["ENG-150"]);
    assert_eq!(plain.workplace_type.as_deref(), Some("remote"));
    let urls = plain.urls.unwrap();
    assert!(urls
        .apply
        .unwrap()
        .ends_with(&format!("{DATA_POSTING}/apply")));
    lever.stop().await;
}

#[tokio::test]
async fn users_filters_each_exclude_what_does_not_match() {
    let lever = start().await;
    let client = client(&lever);
    let user_ids = |filter: UserFilter| {
        let client = client.clone();
        async move {
            let users = client.users(&filter).await.unwrap();
            users.into_iter().map(|u| u.id).collect::<Vec<_>>()
        }
    };

    let active = user_ids(UserFilter::default()).await;
    assert_eq!(active.len(), 4, "{active:?}");
    assert!(!active.iter().any(|id| id == JORDAN_DEACTIVATED));
    let everyone = user_ids(UserFilter {
        include_deactivated: true,
        ..Default::default()
    })
    .await;
    assert_eq!(everyone.len(), 5);
    assert!(everyone.iter().any(|id| id == JORDAN_DEACTIVATED));

    let by_email = user_ids(UserFilter {
        email: Some("ana.souza@example.com".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(by_email, [ANA], "email matches in any case");
    let admins = user_ids(UserFilter {
        access_role: Some("admin".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(admins, [MARCUS]);
    let by_directory = user_ids(UserFilter {
        external_directory_id: Some("E1042".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(by_directory, [HIRING_MANAGER]);
    let deactivated_interviewer = user_ids(UserFilter {
        access_role: Some("interviewer".into()),
        include_deactivated: true,
        ..Default::default()
    })
    .await;
    assert_eq!(deactivated_interviewer, [JORDAN_DEACTIVATED]);

    let jordan = client.user(JORDAN_DEACTIVATED).await.unwrap();
    assert!(jordan.deactivated_at.is_some());
    assert_eq!(jordan.manager_id.as_deref(), Some(HIRING_MANAGER));
    assert_eq!(jordan.external_directory_id.as_deref(), Some("E1100"));
    assert_eq!(jordan.job_title.as_deref(), Some("Staff Engineer"));
    lever.stop().await;
}

#[tokio::test]
async fn requisitions_filters_each_exclude_what_does_not_match() {
    let lever = start().await;
    let client = client(&lever);
    let requisition_ids = |filter: RequisitionFilter| {
        let client = client.clone();
        async move {
            let requisitions = client.requisitions(&filter).await.unwrap();
            requisitions.into_iter().map(|r| r.id).collect::<Vec<_>>()
        }
    };

    assert_eq!(
        requisition_ids(RequisitionFilter::default()).await,
        [ENG_142, ENG_150, SUP_019],
        "confidential requisitions are left out by default"
    );
    let by_code = requisition_ids(RequisitionFilter {
        requisition_code: Some("ENG-150".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(by_code, [ENG_150]);
    let open = requisition_ids(RequisitionFilter {
        status: Some("open".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(open, [ENG_142]);
    let open_any = requisition_ids(RequisitionFilter {
        status: Some("open".into()),
        confidentiality: Some(Confidentiality::All),
        ..Default::default()
    })
    .await;
    assert_eq!(open_any, [ENG_142, SEC_007]);
    let created = requisition_ids(RequisitionFilter {
        created_since: Some(1_740_000_000_000),
        created_before: Some(1_746_000_000_000),
        ..Default::default()
    })
    .await;
    assert_eq!(created, [ENG_142], "the end of the range is excluded");

    let eng_150 = client.requisition(ENG_150).await.unwrap();
    assert_eq!(eng_150.status.as_deref(), Some("onHold"));
    assert_eq!(eng_150.postings, [DATA_POSTING]);
    assert_eq!(eng_150.creator.as_deref(), Some(MARCUS));
    assert_eq!(eng_150.time_to_fill_start_at, eng_150.created_at);

    for bad in [
        "/requisitions?created_at_start=yesterday",
        "/requisitions?confidentiality=secret",
        "/postings?updated_at_end=soon",
    ] {
        let (status, body) = get(&lever, bad).await;
        assert_eq!(status, reqwest::StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(body["code"], "BadRequest", "{bad}");
    }
    lever.stop().await;
}

#[tokio::test]
async fn archive_reasons_are_read_by_type() {
    let lever = start().await;
    let client = client(&lever);

    let hired = client
        .archive_reasons_of_type(&ArchiveReasonType::Hired)
        .await
        .unwrap();
    let not_hired = client
        .archive_reasons_of_type(&ArchiveReasonType::NonHired)
        .await
        .unwrap();

    assert_eq!(hired.len(), 1);
    assert!(hired[0].is_hired());
    assert_eq!(not_hired.len(), 2);
    assert!(not_hired.iter().all(|r| !r.is_hired()));
    let all = client.archive_reasons().await.unwrap();
    assert_eq!(all.len(), hired.len() + not_hired.len());
    lever.stop().await;
}
