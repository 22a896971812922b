//! What holds for every fixture: its signature, its envelope, its event type, and the settings page's test.

use super::*;

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
