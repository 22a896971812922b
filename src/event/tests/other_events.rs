//! Archives, hires, applications, deletions, interviews, contacts and unknown events.

use super::*;

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
