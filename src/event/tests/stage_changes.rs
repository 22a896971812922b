//! `candidateStageChange`: its ids and stages, the deprecated `candidateId`, what is required.

use super::*;

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
