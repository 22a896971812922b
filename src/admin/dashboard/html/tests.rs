//! Tests of the dashboard's HTML: escaping, the failures panel, times, and what
//! reconciliation adds (the badge, the source, the covering event).

use super::*;
use crate::event::EventId;
use crate::store::{Attempt, AttemptOutcome};
use serde_json::value::RawValue;

#[test]
fn escape_replaces_every_character_that_means_something_in_html() {
    assert_eq!(
        escape(r#"<script>alert("x" & 'y')</script>"#),
        "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;"
    );
    assert_eq!(escape("plain text, ünïcode"), "plain text, ünïcode");
    assert_eq!(
        escape("&amp;"),
        "&amp;amp;",
        "already escaped text is escaped again"
    );
}

#[test]
fn url_part_keeps_an_id_inside_its_segment() {
    assert_eq!(url_part("evt_01J-x.y~z"), "evt_01J-x.y~z");
    assert_eq!(url_part("../a b?c=d#e\"<"), "..%2Fa%20b%3Fc%3Dd%23e%22%3C");
}

fn hostile_view() -> EventView {
    let nasty = "<img src=x onerror=alert(1)>";
    EventView {
        event: StoredEvent {
            id: EventId::new("evt_\"><b>"),
            seq: 1,
            account: nasty.to_owned(),
            event: nasty.to_owned(),
            triggered_at: 0,
            received_at: 0,
            envelope_id: None,
            dedupe_key: nasty.to_owned(),
            opportunity_id: None,
            contact_id: None,
            data: RawValue::from_string(format!("{{\"name\":\"{nasty}\"}}")).unwrap(),
            purged_at: None,
        },
        status: EventStatus::Dead,
        jobs: vec![Job {
            id: "evt_x:<h>".to_owned(),
            event_id: EventId::new("evt_x"),
            event_seq: 1,
            handler: "<h>".to_owned(),
            order_key: None,
            state: JobState::Dead,
            next_at: 0,
            lease_until: None,
            budget_start: 0,
            attempts: vec![Attempt {
                number: 1,
                started_at: 0,
                duration_ms: 3,
                outcome: AttemptOutcome::GiveUp,
                error: Some(nasty.to_owned()),
            }],
        }],
    }
}

#[test]
fn no_stored_value_reaches_the_page_as_markup() {
    let view = hostile_view();
    let page = EventPage {
        events: vec![view.clone()],
        next: None,
    };
    let list = deliveries(&Deliveries {
        page: &page,
        dead: &page,
        status: None,
        problem: Some("<i>bad</i>"),
        sign_out: true,
    });
    for html in [list, event(&view, Some(&EventId::new("evt_<b>")), false)] {
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("<h>"), "{html}");
        assert!(!html.contains("<b>"), "{html}");
        assert!(!html.contains("<i>bad"), "{html}");
        assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    }
}

#[test]
fn a_dead_letter_gets_a_retry_form_for_its_handler() {
    let view = hostile_view();
    let page = EventPage {
        events: vec![view],
        next: None,
    };
    let html = deliveries(&Deliveries {
        page: &page,
        dead: &page,
        status: Some(EventStatus::Dead),
        problem: None,
        sign_out: false,
    });
    assert!(html.contains("<section class=\"panel\" id=\"failures\"><h2>Failures (1)"));
    assert!(
        html.contains("action=\"/events/evt_%22%3E%3Cb%3E/retry\""),
        "{html}"
    );
    assert!(
        html.contains("name=\"handler\" value=\"&lt;h&gt;\""),
        "{html}"
    );
}

#[test]
fn times_are_shown_in_utc() {
    assert_eq!(time(1_764_410_400_000), "2025-11-29 10:00:00Z");
}

#[test]
fn a_reconciled_event_is_badged_in_the_list_and_its_page_shows_the_source() {
    let mut view = hostile_view();
    view.event.event = "candidateStageChange".to_owned();
    view.event.dedupe_key = "reconcile:default:o1:stage:s2".to_owned();
    let mut webhook = hostile_view();
    webhook.event.id = EventId::new("evt_w");
    webhook.event.dedupe_key = "id:1".to_owned();
    let page = EventPage {
        events: vec![view.clone(), webhook.clone()],
        next: None,
    };
    let list = deliveries(&Deliveries {
        page: &page,
        dead: &EventPage {
            events: vec![],
            next: None,
        },
        status: None,
        problem: None,
        sign_out: false,
    });
    assert_eq!(
        list.matches(">reconciled</span>").count(),
        1,
        "only the reconciled event is badged: {list}"
    );
    assert!(
        list.contains("<td>candidateStageChange <span class=\"status reconciled\""),
        "{list}"
    );
    assert!(!list.contains("<script"), "no script: {list}");

    let page = event(&view, None, false);
    assert!(page.contains("<dt>Source</dt><dd>reconcile</dd>"), "{page}");
    assert!(page.contains(">reconciled</span></h1>"), "{page}");
    assert!(!page.contains("Covered by"), "{page}");
}

#[test]
fn a_covered_webhook_links_to_the_event_that_covered_it() {
    let mut late = hostile_view();
    late.event.dedupe_key = "id:1".to_owned();
    let page = event(&late, Some(&EventId::new("evt_r1")), false);
    assert!(page.contains("<dt>Source</dt><dd>webhook</dd>"), "{page}");
    assert!(
        page.contains("<dt>Covered by</dt><dd><a href=\"/events/evt_r1\"><code>evt_r1</code></a>"),
        "{page}"
    );
    assert!(!page.contains(">reconciled</span>"), "{page}");
}
