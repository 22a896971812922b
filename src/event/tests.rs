//! The event decoder's tests, by subject, against the fixtures under `tests/fixtures/lever/`;
//! the fixtures and the helpers they share are here.

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

mod fixtures;
mod other_events;
mod stage_changes;
