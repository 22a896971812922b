//! Providers: the outside service a Lever-aware handler calls (a background-check vendor,
//! an assessment platform, an HRIS), reached over HTTP or through a program, JSON both ways.
//!
//! The request is one JSON object with an `action` and an `idempotencyKey`; the answer is
//! one JSON object. Failures follow the generic handlers' rules: for `http`, 2xx answers,
//! 408/425/429/5xx and network errors are retried (honouring `Retry-After`), other statuses
//! are permanent; for `command`, exit 0 answers on stdout, exit 65 is permanent, anything
//! else is retried. The same idempotency key is sent on every retry, so the provider can
//! tell a retry from a new request.

use crate::handler::{BoxError, CommandConfig, CommandHandler, HttpConfig, HttpHandler, Outcome};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::path::Path;

/// `provider = { kind = "http", … }` or `provider = { kind = "command", … }`, with the
/// same keys as the `http` and `command` handlers.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ProviderConfig {
    /// POSTs the request to `url` and reads the answer from the response body.
    Http(HttpConfig),
    /// Runs `program` with the request on stdin and reads the answer from stdout.
    Command(CommandConfig),
}

impl ProviderConfig {
    /// Problems with these settings, as `(key, message)` pairs under `provider`.
    pub fn check(&self, base_dir: &Path) -> Vec<(String, String)> {
        let problems = match self {
            Self::Http(c) => c.problems(),
            Self::Command(c) => c.problems(base_dir),
        };
        problems
            .into_iter()
            .map(|(key, message)| (format!("provider.{key}"), message))
            .collect()
    }

    /// Builds the provider.
    pub fn build(&self, base_dir: &Path) -> Result<Provider, BoxError> {
        Ok(Provider {
            transport: match self {
                Self::Http(c) => Transport::Http(HttpHandler::new(c.clone())?),
                Self::Command(c) => Transport::Command(CommandHandler::new(c.clone(), base_dir)),
            },
        })
    }
}

/// A built provider.
#[derive(Debug)]
pub struct Provider {
    transport: Transport,
}

#[derive(Debug)]
enum Transport {
    Http(HttpHandler),
    Command(CommandHandler),
}

impl Provider {
    /// Sends `request` (which must hold `action` and `idempotencyKey`) and returns the
    /// answer object, or the outcome the failure calls for.
    pub async fn call(&self, request: &Value) -> Result<Map<String, Value>, Outcome> {
        let action = request["action"].as_str().unwrap_or("request");
        let key = request["idempotencyKey"].as_str().unwrap_or_default();
        let body = serde_json::to_vec(request).expect("a JSON value serializes");
        let answer = match &self.transport {
            Transport::Http(http) => http.exchange(body, key).await,
            Transport::Command(command) => {
                let vars = [
                    ("LEVER_HOOKS_ACTION", action),
                    ("LEVER_HOOKS_IDEMPOTENCY_KEY", key),
                ];
                command.exchange(body, &vars).await
            }
        };
        let answer = answer.map_err(|failed| with_context(failed, action))?;
        parse_answer(&answer).map_err(|e| {
            // The provider did the work (or will dedupe it by key): asking again is safe.
            Outcome::retry(format!("provider `{action}`: {e}"))
        })
    }
}

fn with_context(outcome: Outcome, action: &str) -> Outcome {
    match outcome {
        Outcome::Retry { after, reason } => Outcome::Retry {
            after,
            reason: format!("provider `{action}`: {reason}"),
        },
        Outcome::GiveUp { reason } => Outcome::give_up(format!("provider `{action}`: {reason}")),
        Outcome::Done => Outcome::Done,
    }
}

/// The answer as a JSON object; an empty answer is an empty object.
fn parse_answer(bytes: &[u8]) -> Result<Map<String, Value>, String> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err("the answer is JSON but not an object".to_owned()),
        Err(e) => Err(format!("the answer is not JSON: {e}")),
    }
}

/// The string field `key` of an answer (a provider may send ids as numbers).
pub fn answer_id(answer: &Map<String, Value>, key: &str) -> Option<String> {
    match answer.get(key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn answers_are_objects_and_empty_means_empty() {
        assert_eq!(parse_answer(b"  \n").unwrap(), Map::new());
        let answer = parse_answer(br#"{"id": 42, "status": "pending"}"#).unwrap();
        assert_eq!(answer_id(&answer, "id").as_deref(), Some("42"));
        assert_eq!(answer_id(&answer, "missing"), None);
        assert!(parse_answer(b"[1]").unwrap_err().contains("not an object"));
        assert!(parse_answer(b"ok").unwrap_err().contains("not JSON"));
    }

    #[tokio::test]
    async fn a_command_provider_answers_on_stdout_and_sees_the_request_on_stdin() {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("provider.sh");
        std::fs::write(
            &script,
            "#!/bin/sh\nread -r line\necho \"{\\\"id\\\":\\\"chk_1\\\",\\\"action\\\":\\\"$LEVER_HOOKS_ACTION\\\",\\\"bytes\\\":${#line}}\"\n",
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        let config: ProviderConfig = toml::from_str(&format!(
            "kind = \"command\"\nprogram = \"{}\"\n",
            script.display()
        ))
        .unwrap();
        let provider = config.build(dir.path()).unwrap();
        let request = json!({"action": "create", "idempotencyKey": "evt_1:bgcheck"});
        let answer = provider.call(&request).await.unwrap();
        assert_eq!(answer["id"], "chk_1");
        assert_eq!(answer["action"], "create");
        assert_eq!(answer["bytes"], request.to_string().len());
    }

    #[tokio::test]
    async fn a_command_provider_exiting_65_gives_up_and_other_failures_retry() {
        let dir = tempfile::tempdir().unwrap();
        for (code, permanent) in [(65, true), (1, false)] {
            let config: ProviderConfig = toml::from_str(&format!(
                "kind = \"command\"\nprogram = \"sh\"\nargs = [\"-c\", \"echo nope >&2; exit {code}\"]\n"
            ))
            .unwrap();
            let provider = config.build(dir.path()).unwrap();
            let failed = provider
                .call(&json!({"action": "invite", "idempotencyKey": "k"}))
                .await
                .unwrap_err();
            match failed {
                Outcome::GiveUp { reason } if permanent => {
                    assert!(reason.starts_with("provider `invite`"), "{reason}");
                    assert!(reason.contains("nope"), "{reason}");
                }
                Outcome::Retry { .. } if !permanent => {}
                other => panic!("exit {code}: {other:?}"),
            }
        }
    }
}
