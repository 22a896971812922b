//! Where a provider's result goes (pure): to the one handler that made the request,
//! whatever `[[routes]]` say.

use crate::event::PROVIDER_RESULT_EVENT;
use serde_json::value::RawValue;

/// The handlers a `providerResult` event goes to: exactly the `handler` its data names
/// (none when the data names none, as after a purge). `None` for every other event,
/// which follows the routes.
pub fn result_handlers(event_name: &str, data: &RawValue) -> Option<Vec<String>> {
    if event_name != PROVIDER_RESULT_EVENT {
        return None;
    }
    #[derive(serde::Deserialize)]
    struct Named {
        handler: Option<String>,
    }
    let named = serde_json::from_str::<Named>(data.get()).ok();
    Some(named.and_then(|n| n.handler).into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(text: &str) -> Box<RawValue> {
        RawValue::from_string(text.to_owned()).unwrap()
    }

    #[test]
    fn a_result_goes_only_to_the_handler_it_names() {
        let data = raw(r#"{"handler":"bgcheck","reference":"r","status":"clear"}"#);
        assert_eq!(
            result_handlers(PROVIDER_RESULT_EVENT, &data),
            Some(vec!["bgcheck".to_owned()])
        );
        assert_eq!(
            result_handlers(PROVIDER_RESULT_EVENT, &raw(r#"{"opportunityId":"o1"}"#)),
            Some(vec![]),
            "a tombstone names no handler: no job"
        );
        assert_eq!(result_handlers("candidateStageChange", &data), None);
    }
}
