//! `assessment`: one invite per person within the reuse window.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_person_on_two_opportunities_is_invited_once() {
    let flow = Flow::start().await;

    flow.move_to(DANA_BACKEND, ASSESSMENT).await;
    eventually("the invite note", || {
        flow.notes(DANA_BACKEND)
            .iter()
            .any(|n| n.contains("Invited to assessment backend-take-home"))
    })
    .await;
    flow.move_to(DANA_SALES, ASSESSMENT).await;
    eventually("the pointer note on the second opportunity", || {
        flow.notes(DANA_SALES)
            .iter()
            .any(|n| n.contains("not sent again") && n.contains(DANA_BACKEND))
    })
    .await;

    let invites = flow.provider.actions("invite");
    assert_eq!(invites.len(), 1, "{invites:#?}");
    assert_eq!(invites[0]["opportunityId"], DANA_BACKEND);
    assert_eq!(invites[0]["contactId"], DANA);
    assert_eq!(invites[0]["assessment"], "backend-take-home");
    assert_eq!(
        invites[0]["candidate"]["emails"][0],
        "dana.whitfield@example.com"
    );
    assert!(flow
        .tags(DANA_BACKEND)
        .contains(&"Assessment invited".to_owned()));
    assert!(!flow
        .tags(DANA_SALES)
        .contains(&"Assessment invited".to_owned()));
    flow.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_opportunities_entering_at_once_still_get_one_invite() {
    let flow = Flow::start().await;

    tokio::join!(
        flow.move_to(DANA_BACKEND, ASSESSMENT),
        flow.move_to(DANA_SALES, ASSESSMENT)
    );

    eventually("one invite and one pointer note", || {
        let invited = [DANA_BACKEND, DANA_SALES]
            .iter()
            .filter(|o| {
                flow.notes(o)
                    .iter()
                    .any(|n| n.contains("Invited to assessment"))
            })
            .count();
        let pointed = [DANA_BACKEND, DANA_SALES]
            .iter()
            .filter(|o| flow.notes(o).iter().any(|n| n.contains("not sent again")))
            .count();
        invited == 1 && pointed == 1
    })
    .await;
    assert_eq!(flow.provider.actions("invite").len(), 1);
    flow.stop().await;
}
