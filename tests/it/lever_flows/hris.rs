//! `hris`: one employee record per person, from the signed offer; stale hires.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hire_reported_twice_creates_one_employee_record_from_the_signed_offer() {
    let flow = Flow::start().await;

    // The fake sends candidateArchiveChange and candidateHired, as Lever may.
    flow.archive(ELENA_OFFER, HIRED).await;

    eventually("the HRIS note", || {
        flow.notes(ELENA_OFFER)
            .iter()
            .any(|n| n.contains("Employee record") && n.contains("created in the HRIS"))
    })
    .await;
    settle().await;
    let deliveries: Vec<String> = flow
        .lever
        .deliveries()
        .iter()
        .map(|d| d.event.clone())
        .collect();
    assert!(
        deliveries.contains(&"candidateHired".to_owned()),
        "{deliveries:?}"
    );
    assert!(
        deliveries.contains(&"candidateArchiveChange".to_owned()),
        "{deliveries:?}"
    );
    let creates: Vec<Value> = flow
        .provider
        .bodies()
        .into_iter()
        .filter(|b| b["contactId"] == ELENA)
        .collect();
    assert_eq!(creates.len(), 1, "one record for one hire: {creates:#?}");
    let hire = &creates[0];
    assert_eq!(hire["action"], "create");
    assert_eq!(hire["opportunityId"], ELENA_OFFER);
    assert_eq!(hire["name"], "Elena Marquez");
    assert_eq!(hire["jobTitle"], "Backend Engineer");
    assert_eq!(hire["startDate"], "2025-07-01");
    assert_eq!(
        hire["salary"],
        json!({"amount": 168000, "currency": "USD", "interval": "per-year-salary"})
    );
    assert_eq!(hire["hiringManager"]["email"], "priya.raman@example.com");
    assert_eq!(hire["requisitionCode"], "ENG-142");
    assert_eq!(hire["posting"]["title"], "Backend Engineer");
    assert!(
        hire.get("employeeId").is_none(),
        "no employeeId on a create"
    );
    let notes = flow
        .notes(ELENA_OFFER)
        .into_iter()
        .filter(|n| n.contains("Employee record"))
        .count();
    assert_eq!(notes, 1);
    flow.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hire_that_is_not_real_is_done_without_a_record() {
    let flow = Flow::start().await;

    // Lever says Dana was hired, but her opportunity is active in Phone Screen.
    let event = flow
        .deliver(
            "candidateHired",
            json!({"opportunityId": DANA_BACKEND, "contactId": DANA}),
        )
        .await;

    assert_eq!(
        flow.finished(&event).await,
        [("hris".to_owned(), JobState::Done)]
    );
    assert!(flow.provider.bodies().is_empty());
    flow.stop().await;
}
