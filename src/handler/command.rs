//! The built-in `command` handler: runs a program (no shell) with the event document on
//! stdin and turns its exit status into an [`Outcome`].

use super::{async_trait, BoxError, Handler, HandlerContext, HandlerKind, KindContext, Outcome};
use crate::document::EventDocument;
use crate::log_safe::LogSafe;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;
use tracing::{info, warn};

mod output;

use output::{scan_stdout, stderr_summary, tail_stderr};

/// The exit code that means "this will never work": the job becomes a dead letter at once.
/// It is `EX_DATAERR` from `sysexits.h`.
pub const EXIT_GIVE_UP: i32 = 65;
/// How long stdout and stderr may stay open after the program ended (a background child
/// can hold them open).
const OUTPUT_GRACE: Duration = Duration::from_secs(2);
/// Variables lever-hooks sets for every run; `env` may not set them.
const RESERVED_ENV_PREFIX: &str = "LEVER_HOOKS_";

/// `[handlers.NAME] kind = "command"`.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandConfig {
    /// The program to run, with no shell in between.
    ///
    /// A path with a `/` (`./scripts/notify.sh`, `bin/run`) is relative to the config
    /// file's folder; an absolute path is used as is; a bare name (`python3`) is looked up
    /// on `PATH`, like a shell would. Write `./notify.sh` for a file next to the config.
    pub program: PathBuf,
    /// Arguments passed to the program as they are (no globbing, no `${VAR}` at run time).
    /// Anyone on the host can read them with `ps`, so put credentials in `env` instead.
    #[serde(default)]
    pub args: Vec<String>,
    /// How long one run may take before it is killed and retried; default 30 s.
    #[serde(
        default = "default_timeout",
        deserialize_with = "crate::duration::deserialize"
    )]
    pub timeout: Duration,
    /// Extra environment variables, on top of lever-hooks' own environment (which the
    /// program inherits). Values may hold credentials, so `Debug` shows only the names.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
}

fn default_timeout() -> Duration {
    Duration::from_secs(30)
}

impl std::fmt::Debug for CommandConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommandConfig")
            .field("program", &self.program)
            .field("args", &self.args)
            .field("timeout", &self.timeout)
            .field("env", &self.env.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl CommandConfig {
    /// Problems with these settings, as `(key, message)` pairs.
    pub fn problems(&self, base_dir: &Path) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        if let Some(message) = self.program_problem(base_dir) {
            problems.push(("program".to_owned(), message));
        }
        if self.timeout.is_zero() {
            problems.push(("timeout".to_owned(), "must be more than 0".to_owned()));
        }
        for (name, value) in &self.env {
            let key = format!("env.{name}");
            if name.is_empty() || name.contains(['=', '\0']) || value.contains('\0') {
                problems.push((key, "not a valid environment variable".to_owned()));
            } else if name.to_ascii_uppercase().starts_with(RESERVED_ENV_PREFIX) {
                problems.push((
                    key,
                    format!("{RESERVED_ENV_PREFIX}* variables are set by lever-hooks"),
                ));
            }
        }
        problems
    }

    fn program_problem(&self, base_dir: &Path) -> Option<String> {
        let program = &self.program;
        if program.as_os_str().is_empty() {
            return Some("is empty".to_owned());
        }
        if is_bare_name(program) {
            let path_var = self
                .env
                .get("PATH")
                .map(Into::into)
                .or_else(|| std::env::var_os("PATH"));
            let found = path_var.is_some_and(|dirs| {
                std::env::split_paths(&dirs).any(|dir| is_executable_file(&dir.join(program)))
            });
            return (!found).then(|| {
                let hint = if base_dir.join(program).exists() {
                    format!(
                        "; for the file next to the config write \"./{}\"",
                        program.display()
                    )
                } else {
                    String::new()
                };
                format!("`{}` was not found on PATH{hint}", program.display())
            });
        }
        let path = resolve(program, base_dir);
        match std::fs::metadata(&path) {
            Err(e) => Some(format!("`{}`: {e}", path.display())),
            Ok(meta) if !meta.is_file() => Some(format!("`{}` is not a file", path.display())),
            Ok(_) if !is_executable_file(&path) => {
                Some(format!("`{}` is not executable (chmod +x)", path.display()))
            }
            Ok(_) => None,
        }
    }
}

/// A name with no directory part (`python3`), which is looked up on `PATH`.
fn is_bare_name(program: &Path) -> bool {
    let mut parts = program.components();
    matches!(
        (parts.next(), parts.next()),
        (Some(Component::Normal(_)), None)
    )
}

/// The program as it is spawned: bare names stay bare (the OS searches `PATH`), other
/// relative paths are made absolute against the config file's folder.
fn resolve(program: &Path, base_dir: &Path) -> PathBuf {
    if is_bare_name(program) || program.is_absolute() {
        return program.to_path_buf();
    }
    let joined = base_dir.join(program);
    std::path::absolute(&joined).unwrap_or(joined)
}

fn is_executable_file(path: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.is_file() && meta.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        meta.is_file()
    }
}

/// Runs a program per event: the document on stdin, the outcome from the exit status.
///
/// Exit 0 is [`Outcome::Done`]; exit [`EXIT_GIVE_UP`] (65) is [`Outcome::GiveUp`];
/// any other exit, a signal, or running past `timeout` (the program is then killed and
/// reaped) is [`Outcome::Retry`]. A stdout line `retry-after=SECONDS` (whole seconds)
/// sets that retry's delay; other stdout is ignored. The last 4 KiB of stderr are logged,
/// and the last few hundred bytes go into the retry or give-up reason.
pub struct CommandHandler {
    program: PathBuf,
    config: CommandConfig,
}

impl std::fmt::Debug for CommandHandler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommandHandler")
            .field("program", &self.program)
            .field("config", &self.config)
            .finish()
    }
}

/// What one run produced.
struct Run {
    /// `None` when the program ran past its timeout and was killed.
    status: Option<ExitStatus>,
    retry_after: Option<Duration>,
    /// The start of stdout (a provider's answer).
    stdout: Vec<u8>,
    stderr: String,
}

impl CommandHandler {
    /// Builds the handler; a relative `program` is resolved against `base_dir`, the
    /// folder of the config file.
    pub fn new(config: CommandConfig, base_dir: &Path) -> Self {
        Self {
            program: resolve(&config.program, base_dir),
            config,
        }
    }

    fn command(&self, doc: &EventDocument) -> Command {
        self.command_with(&[
            ("LEVER_HOOKS_EVENT", &doc.event),
            ("LEVER_HOOKS_EVENT_ID", doc.id.as_str()),
            ("LEVER_HOOKS_ATTEMPT", &doc.attempt.to_string()),
            ("LEVER_HOOKS_IDEMPOTENCY_KEY", &doc.idempotency_key),
        ])
    }

    fn command_with(&self, vars: &[(&str, &str)]) -> Command {
        let mut command = Command::new(&self.program);
        command
            .args(&self.config.args)
            .envs(&self.config.env)
            .envs(vars.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // If this attempt is cancelled (shutdown), the program must not outlive it.
            .kill_on_drop(true);
        command
    }

    /// Feeds stdin and drains stdout and stderr while waiting, so a chatty program or a
    /// large document cannot deadlock on a full pipe.
    async fn run(&self, mut child: Child, input: Vec<u8>) -> std::io::Result<Run> {
        let stdin = child.stdin.take().expect("stdin is piped");
        let stdout = child.stdout.take().expect("stdout is piped");
        let stderr = child.stderr.take().expect("stderr is piped");
        let feed = tokio::spawn(async move {
            let mut stdin = stdin;
            // A program may exit without reading its input; that is not an error.
            let _ = stdin.write_all(&input).await;
        });
        let scan = tokio::spawn(scan_stdout(stdout));
        let tail = tokio::spawn(tail_stderr(stderr));
        let status = match tokio::time::timeout(self.config.timeout, child.wait()).await {
            Ok(status) => Some(status?),
            Err(_) => {
                // `kill` sends SIGKILL and then waits, so the child is reaped.
                if let Err(e) = child.kill().await {
                    warn!(program = %self.program.display(), error = %e, "could not kill a timed-out program");
                }
                None
            }
        };
        feed.abort();
        let deadline = tokio::time::Instant::now() + OUTPUT_GRACE;
        let stdout = finish_by(deadline, scan).await.unwrap_or_default();
        let stderr = finish_by(deadline, tail).await.unwrap_or_default();
        Ok(Run {
            status,
            retry_after: stdout.retry_after,
            stdout: stdout.captured,
            stderr,
        })
    }

    fn outcome(&self, run: &Run) -> Outcome {
        let with_stderr = |what: String| match stderr_summary(&run.stderr) {
            Some(tail) => format!("{what}; stderr: {tail}"),
            None => what,
        };
        match run.status {
            Some(status) if status.success() => Outcome::Done,
            Some(status) if status.code() == Some(EXIT_GIVE_UP) => Outcome::give_up(with_stderr(
                format!("exited with {EXIT_GIVE_UP} (permanent failure)"),
            )),
            Some(status) => Outcome::Retry {
                after: run.retry_after,
                reason: with_stderr(format!("failed ({status})")),
            },
            None => Outcome::Retry {
                after: run.retry_after,
                reason: with_stderr(format!(
                    "killed after running longer than {}",
                    humantime::format_duration(self.config.timeout)
                )),
            },
        }
    }
}

impl CommandHandler {
    /// Runs the program with `input` on stdin and `vars` in its environment, as a
    /// provider: its stdout when it exits 0, else the outcome of the failed run.
    pub async fn exchange(
        &self,
        input: Vec<u8>,
        vars: &[(&str, &str)],
    ) -> Result<Vec<u8>, Outcome> {
        let child = self.command_with(vars).spawn().map_err(|e| {
            Outcome::retry(format!("could not start `{}`: {e}", self.program.display()))
        })?;
        let run = self
            .run(child, input)
            .await
            .map_err(|e| Outcome::retry(format!("running `{}`: {e}", self.program.display())))?;
        if !run.stderr.is_empty() {
            info!(program = %self.program.display(), stderr = %LogSafe(&run.stderr), "provider stderr");
        }
        match self.outcome(&run) {
            Outcome::Done => Ok(run.stdout),
            failed => Err(failed),
        }
    }
}

#[async_trait]
impl Handler for CommandHandler {
    async fn handle(&self, doc: &EventDocument, ctx: &HandlerContext) -> Result<Outcome, BoxError> {
        let child = match self.command(doc).spawn() {
            Ok(child) => child,
            Err(e) => {
                let reason = format!("could not start `{}`: {e}", self.program.display());
                return Ok(Outcome::retry(reason));
            }
        };
        let run = self.run(child, doc.to_json()).await?;
        let outcome = self.outcome(&run);
        if !run.stderr.is_empty() {
            let (handler, event_id, attempt) = (ctx.handler.as_str(), doc.id.as_str(), doc.attempt);
            if outcome == Outcome::Done {
                info!(handler, event_id, attempt, stderr = %LogSafe(&run.stderr), "command stderr");
            } else {
                warn!(handler, event_id, attempt, stderr = %LogSafe(&run.stderr), "command stderr");
            }
        }
        Ok(outcome)
    }
}

/// Waits for an output task until `deadline`, then gives up on it.
async fn finish_by<T>(deadline: tokio::time::Instant, mut task: JoinHandle<T>) -> Option<T> {
    match tokio::time::timeout_at(deadline, &mut task).await {
        Ok(result) => result.ok(),
        Err(_) => {
            task.abort();
            None
        }
    }
}

impl HandlerKind for CommandConfig {
    const KIND: &'static str = "command";

    fn check(&self, cx: &KindContext) -> Vec<(String, String)> {
        self.problems(cx.base_dir)
    }

    fn build(&self, cx: &KindContext) -> Result<Arc<dyn Handler>, BoxError> {
        Ok(Arc::new(CommandHandler::new(self.clone(), cx.base_dir)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_names_without_a_folder_are_looked_up_on_path() {
        assert!(is_bare_name(Path::new("python3")));
        assert!(!is_bare_name(Path::new("./notify.sh")));
        assert!(!is_bare_name(Path::new("scripts/notify.sh")));
        assert!(!is_bare_name(Path::new("/usr/bin/env")));
        let base = Path::new("/etc/lever-hooks");
        assert_eq!(
            resolve(Path::new("./x.sh"), base),
            Path::new("/etc/lever-hooks/x.sh")
        );
        assert_eq!(resolve(Path::new("python3"), base), Path::new("python3"));
    }
}
