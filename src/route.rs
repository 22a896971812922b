//! Routing: which handlers get a job for an event, from the `[[routes]]` rules (pure).

use crate::config::RouteConfig;
use crate::event::LeverEvent;
use crate::store::StoredEvent;

/// The compiled `[[routes]]`.
#[derive(Debug, Clone, Default)]
pub struct Router {
    routes: Vec<RouteConfig>,
}

impl Router {
    /// Compiles the routes from config.
    pub fn new(routes: &[RouteConfig]) -> Self {
        Self {
            routes: routes.to_vec(),
        }
    }

    /// The handlers an event goes to, each once, in the order routes name them.
    ///
    /// `typed` is the decoded event, or `None` when its data did not decode; then only
    /// routes without stage filters can match.
    pub fn handlers_for(&self, event_name: &str, typed: Option<&LeverEvent>) -> Vec<String> {
        let mut handlers: Vec<String> = Vec::new();
        for route in &self.routes {
            if matches(route, event_name, typed) && !handlers.contains(&route.handler) {
                handlers.push(route.handler.clone());
            }
        }
        handlers
    }
}

fn matches(route: &RouteConfig, event_name: &str, typed: Option<&LeverEvent>) -> bool {
    let named = route.events.iter().any(|e| e == "*" || e == event_name);
    if !named {
        return false;
    }
    let stage_ok = |wanted: &Option<String>, actual: Option<&str>| match wanted {
        None => true,
        Some(wanted) => actual == Some(wanted.as_str()),
    };
    let to_stage = typed.and_then(LeverEvent::to_stage).map(|s| s.as_str());
    let from_stage = typed.and_then(LeverEvent::from_stage).map(|s| s.as_str());
    stage_ok(&route.to_stage, to_stage) && stage_ok(&route.from_stage, from_stage)
}

/// The key that keeps one handler's jobs for one opportunity (else one contact) in order.
///
/// Events about neither have no key and run as soon as a worker is free.
pub fn order_key(event: &StoredEvent, handler: &str) -> Option<String> {
    let account = &event.account;
    if let Some(opportunity) = &event.opportunity_id {
        Some(format!("{account}/opportunity/{opportunity}/{handler}"))
    } else {
        event
            .contact_id
            .as_ref()
            .map(|contact| format!("{account}/contact/{contact}/{handler}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::value::RawValue;

    fn route(
        events: &[&str],
        to_stage: Option<&str>,
        from_stage: Option<&str>,
        handler: &str,
    ) -> RouteConfig {
        RouteConfig {
            events: events.iter().map(|s| s.to_string()).collect(),
            to_stage: to_stage.map(str::to_owned),
            from_stage: from_stage.map(str::to_owned),
            handler: handler.to_owned(),
        }
    }

    fn stage_change(from: &str, to: &str) -> LeverEvent {
        let data = format!(r#"{{"opportunityId":"o1","fromStageId":"{from}","toStageId":"{to}"}}"#);
        let raw = RawValue::from_string(data).unwrap();
        LeverEvent::decode("candidateStageChange", &raw).unwrap()
    }

    #[test]
    fn stage_filters_match_by_stage_id() {
        let router = Router::new(&[
            route(&["candidateStageChange"], Some("bgc"), None, "bgcheck"),
            route(
                &["candidateStageChange"],
                None,
                Some("screen"),
                "left-screen",
            ),
        ]);
        let event = stage_change("screen", "bgc");
        assert_eq!(
            router.handlers_for("candidateStageChange", Some(&event)),
            ["bgcheck", "left-screen"]
        );
        let other = stage_change("onsite", "offer");
        assert!(router
            .handlers_for("candidateStageChange", Some(&other))
            .is_empty());
    }

    #[test]
    fn a_star_route_takes_unknown_events_but_named_routes_do_not() {
        let router = Router::new(&[
            route(&["*"], None, None, "all"),
            route(&["candidateHired"], None, None, "hris"),
        ]);
        assert_eq!(router.handlers_for("somethingNew", None), ["all"]);
        assert_eq!(router.handlers_for("candidateHired", None), ["all", "hris"]);
    }

    #[test]
    fn a_handler_named_by_two_routes_gets_one_job() {
        let router = Router::new(&[
            route(&["candidateStageChange"], None, None, "notify"),
            route(&["*"], None, None, "notify"),
        ]);
        assert_eq!(
            router.handlers_for("candidateStageChange", Some(&stage_change("a", "b"))),
            ["notify"]
        );
    }

    #[test]
    fn undecodable_data_matches_only_routes_without_stage_filters() {
        let router = Router::new(&[
            route(&["candidateStageChange"], Some("bgc"), None, "bgcheck"),
            route(&["candidateStageChange"], None, None, "log"),
        ]);
        assert_eq!(router.handlers_for("candidateStageChange", None), ["log"]);
    }
}
