use super::*;
use crate::envelope::Envelope;
use crate::signature;
use secrecy::SecretString;
use serde_json::Value;

/// The signing token every delivery under `tests/fixtures/lever/` is signed with (see its README).
const FIXTURE_SIGNING_TOKEN: &str = "fixture-signing-token";

const APPLICATION_CREATED: &str =
    include_str!("../../tests/fixtures/lever/applicationCreated.json");
const CANDIDATE_HIRED: &str = include_str!("../../tests/fixtures/lever/candidateHired.json");
const STAGE_CHANGE: &str = include_str!("../../tests/fixtures/lever/candidateStageChange.json");
const STAGE_CHANGE_CANDIDATE_ID_ONLY: &str =
    include_str!("../../tests/fixtures/lever/candidateStageChange.candidate-id-only.json");
const STAGE_CHANGE_EXTRA_FIELDS: &str =
    include_str!("../../tests/fixtures/lever/candidateStageChange.extra-fields.json");
const ARCHIVED: &str = include_str!("../../tests/fixtures/lever/candidateArchiveChange.json");
const UNARCHIVED: &str =
    include_str!("../../tests/fixtures/lever/candidateArchiveChange.unarchived.json");
const ARCHIVED_AT_STRING: &str =
    include_str!("../../tests/fixtures/lever/candidateArchiveChange.archived-at-string.json");
const CANDIDATE_DELETED: &str = include_str!("../../tests/fixtures/lever/candidateDeleted.json");
const INTERVIEW_CREATED: &str = include_str!("../../tests/fixtures/lever/interviewCreated.json");
const INTERVIEW_UPDATED: &str = include_str!("../../tests/fixtures/lever/interviewUpdated.json");
const INTERVIEW_DELETED: &str = include_str!("../../tests/fixtures/lever/interviewDeleted.json");
const CONTACT_CREATED: &str = include_str!("../../tests/fixtures/lever/contactCreated.json");
const CONTACT_UPDATED: &str = include_str!("../../tests/fixtures/lever/contactUpdated.json");
const UNKNOWN_EVENT: &str = include_str!("../../tests/fixtures/lever/unknown-event.json");
const SETTINGS_TEST: &str = include_str!("../../tests/fixtures/lever/settings-test.json");

/// Every fixture by file name, so the checks below that hold for all of them cover all of them.
const ALL: [(&str, &str); 16] = [
    ("applicationCreated.json", APPLICATION_CREATED),
    ("candidateHired.json", CANDIDATE_HIRED),
    ("candidateStageChange.json", STAGE_CHANGE),
    (
        "candidateStageChange.candidate-id-only.json",
        STAGE_CHANGE_CANDIDATE_ID_ONLY,
    ),
    (
        "candidateStageChange.extra-fields.json",
        STAGE_CHANGE_EXTRA_FIELDS,
    ),
    ("candidateArchiveChange.json", ARCHIVED),
    ("candidateArchiveChange.unarchived.json", UNARCHIVED),
    (
        "candidateArchiveChange.archived-at-string.json",
        ARCHIVED_AT_STRING,
    ),
    ("candidateDeleted.json", CANDIDATE_DELETED),
    ("interviewCreated.json", INTERVIEW_CREATED),
    ("interviewUpdated.json", INTERVIEW_UPDATED),
    ("interviewDeleted.json", INTERVIEW_DELETED),
    ("contactCreated.json", CONTACT_CREATED),
    ("contactUpdated.json", CONTACT_UPDATED),
    ("unknown-event.json", UNKNOWN_EVENT),
    ("settings-test.json", SETTINGS_TEST),
];

fn envelope(fixture: &str) -> Envelope {
    Envelope::parse(fixture.as_bytes()).expect("a fixture is a well-formed delivery")
}

fn decode(fixture: &str) -> LeverEvent {
    let env = envelope(fixture);
    LeverEvent::decode(&env.event, &env.data).expect("a fixture's data decodes")
}

/// Decodes the fixture's `data` after `edit` has changed it.
fn decode_edited(
    fixture: &str,
    edit: impl FnOnce(&mut serde_json::Map<String, Value>),
) -> Result<LeverEvent, DecodeError> {
    let env = envelope(fixture);
    let mut data: Value = serde_json::from_str(env.data.get()).unwrap();
    edit(data.as_object_mut().unwrap());
    let raw = RawValue::from_string(data.to_string()).unwrap();
    LeverEvent::decode(&env.event, &raw)
}

fn is_hex(text: &str) -> bool {
    text.bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[test]
fn every_fixture_is_signed_with_the_fixture_signing_token() {
    let keys = [SecretString::from(FIXTURE_SIGNING_TOKEN.to_owned())];
    for (name, fixture) in ALL {
        let env = envelope(fixture);
        let verified = signature::verify(
            &keys,
            &env.token,
            &env.triggered_at_text,
            env.signature.as_deref(),
        );
        assert!(
            verified.is_ok(),
            "{name}: {verified:?}; its signature should be {}",
            signature::sign(FIXTURE_SIGNING_TOKEN, &env.token, &env.triggered_at_text)
        );
    }
}

#[test]
fn every_fixture_file_is_listed_in_these_tests() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/lever");
    let mut on_disk: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".json"))
        .collect();
    on_disk.sort();
    let mut listed: Vec<&str> = ALL.iter().map(|(name, _)| *name).collect();
    listed.sort();
    assert_eq!(on_disk, listed);
}

#[test]
fn every_fixture_has_the_envelope_lever_sends() {
    for (name, fixture) in ALL {
        let env = envelope(fixture);
        assert!(
            env.token.len() == 48 && is_hex(&env.token),
            "{name}: token {}",
            env.token
        );
        let signature = env.signature.as_deref().unwrap_or_default();
        assert!(
            signature.len() == 64 && is_hex(signature),
            "{name}: signature {signature}"
        );
        assert_eq!(
            env.triggered_at.to_string(),
            env.triggered_at_text,
            "{name}"
        );
        assert!(env.data.get().starts_with('{'), "{name}");
    }
}

#[test]
fn every_lever_event_type_has_a_fixture_that_decodes_to_it() {
    for event in KNOWN_EVENTS {
        let file = format!("{event}.json");
        let (_, fixture) = ALL
            .iter()
            .find(|(name, _)| *name == file)
            .unwrap_or_else(|| panic!("no {file}"));
        let decoded = decode(fixture);
        assert_eq!(decoded.name(), event);
        assert!(
            !matches!(decoded, LeverEvent::Unknown { .. }),
            "{event} decoded as Unknown"
        );
    }
}

#[test]
fn a_stage_change_decodes_its_ids_and_both_stages() {
    let env = envelope(STAGE_CHANGE);
    assert_eq!(
        env.id.as_deref(),
        Some("3c9d2e71-5b0a-4f8e-a6d4-91e27b5c0f38")
    );
    let LeverEvent::CandidateStageChange(change) = decode(STAGE_CHANGE) else {
        panic!("not a stage change")
    };
    assert_eq!(
        change.opportunity_id.as_str(),
        "08281f91-28a5-495b-832b-3efd71fdbb30"
    );
    assert_eq!(
        change.contact_id,
        Some(ContactId::new("f66b043f-2292-4304-9108-4f6e16a8537a"))
    );
    assert_eq!(
        change.from_stage,
        Some(StageId::new("af5fd848-5713-4eb3-8a6a-76b850092412"))
    );
    assert_eq!(
        change.to_stage.as_str(),
        "b5f0d59b-e744-4935-b9be-07f02ca80ea8"
    );
}

#[test]
fn the_accessors_agree_with_the_decoded_stage_change() {
    let event = decode(STAGE_CHANGE);
    assert_eq!(event.name(), "candidateStageChange");
    assert_eq!(
        event.opportunity_id().map(OpportunityId::as_str),
        Some("08281f91-28a5-495b-832b-3efd71fdbb30")
    );
    assert_eq!(
        event.contact_id().map(ContactId::as_str),
        Some("f66b043f-2292-4304-9108-4f6e16a8537a")
    );
    assert_eq!(
        event.from_stage().map(StageId::as_str),
        Some("af5fd848-5713-4eb3-8a6a-76b850092412")
    );
    assert_eq!(
        event.to_stage().map(StageId::as_str),
        Some("b5f0d59b-e744-4935-b9be-07f02ca80ea8")
    );
}

#[test]
fn the_deprecated_candidate_id_is_ignored_when_opportunity_id_is_present() {
    // In the fixture, as in Lever's own example, candidateId is a different UUID.
    let event = decode(STAGE_CHANGE);
    let opportunity = event.opportunity_id().unwrap().as_str();
    assert_ne!(opportunity, "8c3aa630-c521-4797-bf86-0bfa7e24c264");
}

#[test]
fn a_stage_change_with_only_the_deprecated_candidate_id_uses_it_as_the_opportunity() {
    let LeverEvent::CandidateStageChange(change) = decode(STAGE_CHANGE_CANDIDATE_ID_ONLY) else {
        panic!("not a stage change")
    };
    assert_eq!(
        change.opportunity_id.as_str(),
        "57f39106-7686-450a-b6ab-46c58d04a424"
    );
    assert_eq!(change.contact_id, None);
    assert_eq!(change.from_stage, Some(StageId::new("applicant-new")));
    assert_eq!(change.to_stage.as_str(), "offer");
}

#[test]
fn an_empty_opportunity_id_counts_as_missing() {
    let event = decode_edited(STAGE_CHANGE, |data| {
        data.insert("opportunityId".into(), Value::from(""));
    })
    .unwrap();
    assert_eq!(
        event.opportunity_id().unwrap().as_str(),
        "8c3aa630-c521-4797-bf86-0bfa7e24c264"
    );
}

#[test]
fn unknown_fields_in_the_envelope_and_in_data_are_ignored() {
    let LeverEvent::CandidateStageChange(change) = decode(STAGE_CHANGE_EXTRA_FIELDS) else {
        panic!("not a stage change")
    };
    assert_eq!(
        change.opportunity_id.as_str(),
        "f24cae72-b391-490c-9a4f-aff7377675a3"
    );
    assert_eq!(
        change.contact_id,
        Some(ContactId::new("4227cc32-69d4-4443-b4aa-56afa3183e3d"))
    );
    assert_eq!(
        change.from_stage,
        Some(StageId::new("b5f0d59b-e744-4935-b9be-07f02ca80ea8"))
    );
    assert_eq!(change.to_stage.as_str(), "offer");
}

#[test]
fn a_stage_change_without_opportunity_id_or_candidate_id_is_a_decode_error() {
    let result = decode_edited(STAGE_CHANGE, |data| {
        data.remove("opportunityId");
        data.remove("candidateId");
    });
    let err = result.unwrap_err();
    assert_eq!(err.event, "candidateStageChange");
    assert!(err.to_string().contains("opportunityId"), "{err}");
}

#[test]
fn a_stage_change_without_to_stage_id_is_a_decode_error() {
    let err = decode_edited(STAGE_CHANGE, |data| {
        data.remove("toStageId");
    })
    .unwrap_err();
    assert_eq!(err.event, "candidateStageChange");
    assert!(err.to_string().contains("toStageId"), "{err}");
}

#[test]
fn a_stage_change_without_from_stage_id_still_decodes() {
    let event = decode_edited(STAGE_CHANGE, |data| {
        data.remove("fromStageId");
    })
    .unwrap();
    assert_eq!(event.from_stage(), None);
    assert_eq!(
        event.to_stage().map(StageId::as_str),
        Some("b5f0d59b-e744-4935-b9be-07f02ca80ea8")
    );
}

#[test]
fn an_archive_decodes_its_reason_and_archived_at() {
    let LeverEvent::CandidateArchiveChange(change) = decode(ARCHIVED) else {
        panic!("not an archive change")
    };
    assert_eq!(
        change.opportunity_id.as_str(),
        "08281f91-28a5-495b-832b-3efd71fdbb30"
    );
    assert_eq!(
        change.contact_id,
        Some(ContactId::new("f66b043f-2292-4304-9108-4f6e16a8537a"))
    );
    assert_eq!(change.from_archived, None);
    let to = change.to_archived.as_ref().expect("archived");
    assert_eq!(
        to.reason,
        Some(ArchiveReasonId::new("4977f1a0-5218-42d8-bb8d-33767c2f1976"))
    );
    assert_eq!(to.archived_at, Some(1_717_254_000_312));
    assert!(!change.is_unarchive());
}

#[test]
fn an_unarchive_has_no_to_archived_and_keeps_the_previous_state() {
    let LeverEvent::CandidateArchiveChange(change) = decode(UNARCHIVED) else {
        panic!("not an archive change")
    };
    assert!(change.is_unarchive());
    assert_eq!(change.to_archived, None);
    let from = change.from_archived.as_ref().expect("was archived");
    assert_eq!(
        from.reason,
        Some(ArchiveReasonId::new("79f63cf7-c547-4011-8c3c-755a80077517"))
    );
    assert_eq!(from.archived_at, Some(1_716_902_233_000));
}

#[test]
fn archived_at_sent_as_a_string_is_read_as_milliseconds() {
    let LeverEvent::CandidateArchiveChange(change) = decode(ARCHIVED_AT_STRING) else {
        panic!("not an archive change")
    };
    let to = change.to_archived.as_ref().expect("archived");
    assert_eq!(to.archived_at, Some(1_717_486_800_000));
    assert_eq!(
        to.reason,
        Some(ArchiveReasonId::new("48f53187-fe22-41f6-833d-859eb6eed302"))
    );
}

#[test]
fn archived_at_that_is_not_a_number_is_a_decode_error() {
    let err = decode_edited(ARCHIVED, |data| {
        data["toArchived"]["archivedAt"] = Value::from("yesterday");
    })
    .unwrap_err();
    assert!(err.to_string().contains("yesterday"), "{err}");
}

#[test]
fn a_hire_names_the_opportunity_and_contact() {
    let LeverEvent::CandidateHired(hired) = decode(CANDIDATE_HIRED) else {
        panic!("not a hire")
    };
    assert_eq!(
        hired.opportunity_id.as_str(),
        "08281f91-28a5-495b-832b-3efd71fdbb30"
    );
    assert_eq!(
        hired.contact_id,
        Some(ContactId::new("f66b043f-2292-4304-9108-4f6e16a8537a"))
    );
}

#[test]
fn a_new_application_names_the_application_and_opportunity() {
    let LeverEvent::ApplicationCreated(created) = decode(APPLICATION_CREATED) else {
        panic!("not an application")
    };
    assert_eq!(
        created.application_id,
        Some(ApplicationId::new("caff7c81-140b-44da-ba07-d0fb0fb4cd18"))
    );
    assert_eq!(
        created.opportunity_id.as_str(),
        "08281f91-28a5-495b-832b-3efd71fdbb30"
    );
    assert_eq!(
        created.contact_id,
        Some(ContactId::new("f66b043f-2292-4304-9108-4f6e16a8537a"))
    );
}

#[test]
fn a_deletion_names_the_opportunity_and_who_deleted_it() {
    let LeverEvent::CandidateDeleted(deleted) = decode(CANDIDATE_DELETED) else {
        panic!("not a deletion")
    };
    assert_eq!(
        deleted.opportunity_id.as_str(),
        "cf21bd06-e94e-43a5-a08a-e8ba09851245"
    );
    assert_eq!(
        deleted.contact_id,
        Some(ContactId::new("7e10b900-1dd1-45b5-807b-f8c540395e58"))
    );
    assert_eq!(
        deleted.deleted_by.as_deref(),
        Some("728f20d4-e2fb-412c-891b-c6ac777a4e49")
    );
}

#[test]
fn interview_events_name_the_interview_panel_and_opportunity() {
    for fixture in [INTERVIEW_CREATED, INTERVIEW_UPDATED, INTERVIEW_DELETED] {
        let event = decode(fixture);
        let (LeverEvent::InterviewCreated(change)
        | LeverEvent::InterviewUpdated(change)
        | LeverEvent::InterviewDeleted(change)) = &event
        else {
            panic!("{} is not an interview event", event.name())
        };
        assert_eq!(
            change.interview_id,
            Some(InterviewId::new("1878e1f7-450d-43fe-85c5-7c9d73fac199"))
        );
        assert_eq!(
            change.panel_id.as_deref(),
            Some("5f5aad9e-f8bd-4c9d-bcc4-2a2427944109")
        );
        assert_eq!(
            change.opportunity_id,
            Some(OpportunityId::new("08281f91-28a5-495b-832b-3efd71fdbb30"))
        );
        assert_eq!(
            change.contact_id,
            Some(ContactId::new("f66b043f-2292-4304-9108-4f6e16a8537a"))
        );
    }
    assert_eq!(decode(INTERVIEW_CREATED).name(), "interviewCreated");
    assert_eq!(decode(INTERVIEW_UPDATED).name(), "interviewUpdated");
    assert_eq!(decode(INTERVIEW_DELETED).name(), "interviewDeleted");
}

#[test]
fn an_interview_event_with_only_candidate_id_uses_it_as_the_opportunity() {
    let event = decode_edited(INTERVIEW_UPDATED, |data| {
        data.remove("opportunityId");
    })
    .unwrap();
    assert_eq!(
        event.opportunity_id().map(OpportunityId::as_str),
        Some("8c3aa630-c521-4797-bf86-0bfa7e24c264")
    );
}

#[test]
fn contact_events_name_the_contact_and_no_opportunity() {
    let created = decode(CONTACT_CREATED);
    assert!(matches!(created, LeverEvent::ContactCreated(_)));
    assert_eq!(
        created.contact_id().map(ContactId::as_str),
        Some("02542379-2952-4fdd-97af-e21ee1f43e27")
    );
    assert_eq!(created.opportunity_id(), None);
    let updated = decode(CONTACT_UPDATED);
    assert!(matches!(updated, LeverEvent::ContactUpdated(_)));
    assert_eq!(
        updated.contact_id().map(ContactId::as_str),
        Some("f66b043f-2292-4304-9108-4f6e16a8537a")
    );
}

#[test]
fn an_unknown_event_keeps_its_name_and_data_byte_for_byte() {
    // The fixture's `data` is its last field, so its raw text runs from after `"data":` to
    // the last closing brace of the file.
    let start = UNKNOWN_EVENT.find("\"data\":").unwrap() + "\"data\":".len();
    let end = UNKNOWN_EVENT.trim_end().len() - 1;
    let raw_data = UNKNOWN_EVENT[start..end].trim();

    let event = decode(UNKNOWN_EVENT);
    let LeverEvent::Unknown { event: name, data } = &event else {
        panic!("decoded as {}", event.name())
    };
    assert_eq!(name, "opportunitySnoozed");
    assert_eq!(event.name(), "opportunitySnoozed");
    assert_eq!(data.get(), raw_data);
    assert_eq!(event.opportunity_id(), None);
}

#[test]
fn the_settings_page_test_is_recognised_and_is_the_only_fixture_with_empty_data() {
    for (name, fixture) in ALL {
        let expected = name == "settings-test.json";
        assert_eq!(envelope(fixture).is_settings_test(), expected, "{name}");
    }
}

#[test]
fn the_settings_page_test_has_no_typed_payload_to_decode() {
    // Intake answers the test before decoding; decoding its `{}` as a hire must not invent ids.
    let env = envelope(SETTINGS_TEST);
    assert_eq!(env.event, "candidateHired");
    let err = LeverEvent::decode(&env.event, &env.data).unwrap_err();
    assert_eq!(err.event, "candidateHired");
}

#[test]
fn a_decode_error_names_the_event_and_what_is_missing() {
    let err = decode_edited(CANDIDATE_HIRED, |data| data.clear()).unwrap_err();
    let message = err.to_string();
    assert!(message.contains("`candidateHired`"), "{message}");
    assert!(message.contains("opportunityId"), "{message}");
}

#[test]
fn a_contact_event_with_both_contact_and_contact_id_decodes() {
    let raw = RawValue::from_string(
        r#"{"contactId":"c1","contact":{"id":"c1","name":"Dana"}}"#.to_owned(),
    )
    .unwrap();
    let LeverEvent::ContactUpdated(change) = LeverEvent::decode("contactUpdated", &raw).unwrap()
    else {
        panic!("expected a contact update");
    };
    assert_eq!(change.contact_id.as_str(), "c1");
    let only_contact = RawValue::from_string(r#"{"contact":"c2"}"#.to_owned()).unwrap();
    assert_eq!(
        LeverEvent::decode("contactCreated", &only_contact)
            .unwrap()
            .contact_id()
            .unwrap()
            .as_str(),
        "c2"
    );
    let neither = RawValue::from_string(r#"{"contact":{"id":"c3"}}"#.to_owned()).unwrap();
    assert!(LeverEvent::decode("contactCreated", &neither).is_err());
}
