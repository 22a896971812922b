//! Reading a command's output: the `retry-after=SECONDS` protocol on stdout and a bounded
//! tail of stderr for the log and for failure reasons.

use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt};

/// How much of the end of stderr is kept for the log.
const STDERR_LOG_BYTES: usize = 4096;
/// How much of the end of stderr goes into a retry or give-up reason.
const STDERR_REASON_BYTES: usize = 400;
/// Longest stdout line looked at; `retry-after=SECONDS` lines are far shorter.
const STDOUT_LINE_BYTES: usize = 64;
/// The longest delay a `retry-after=` line can ask for (the dispatcher also caps it at
/// `[retry] max_backoff`).
const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

/// Most stdout kept for a provider's JSON answer; a longer answer is cut (and then does
/// not parse).
const STDOUT_CAPTURE_BYTES: usize = 1024 * 1024;

/// What a program wrote on stdout.
#[derive(Debug, Default)]
pub(super) struct Stdout {
    /// The delay of the last `retry-after=SECONDS` line.
    pub retry_after: Option<Duration>,
    /// The first [`STDOUT_CAPTURE_BYTES`] (a provider's answer).
    pub captured: Vec<u8>,
}

/// Reads stdout to the end: the last `retry-after=SECONDS` line and the start of it all.
pub(super) async fn scan_stdout(mut out: impl AsyncRead + Unpin) -> Stdout {
    let mut captured = Vec::new();
    let mut found = None;
    let mut line = Vec::with_capacity(STDOUT_LINE_BYTES);
    let mut too_long = false;
    let mut buf = [0u8; 4096];
    loop {
        let n = match out.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let room = STDOUT_CAPTURE_BYTES.saturating_sub(captured.len());
        captured.extend_from_slice(&buf[..n.min(room)]);
        for &byte in &buf[..n] {
            if byte == b'\n' {
                if !too_long {
                    found = parse_retry_after(&line).or(found);
                }
                line.clear();
                too_long = false;
            } else if line.len() < STDOUT_LINE_BYTES {
                line.push(byte);
            } else {
                too_long = true;
            }
        }
    }
    if !too_long {
        found = parse_retry_after(&line).or(found);
    }
    Stdout {
        retry_after: found,
        captured,
    }
}

/// `retry-after=SECONDS` (whole seconds, capped at a day), else `None`.
fn parse_retry_after(line: &[u8]) -> Option<Duration> {
    let line = std::str::from_utf8(line).ok()?.trim();
    let (key, value) = line.split_once('=')?;
    if !key.trim().eq_ignore_ascii_case("retry-after") {
        return None;
    }
    let seconds: u64 = value.trim().parse().ok()?;
    Some(Duration::from_secs(seconds).min(MAX_RETRY_AFTER))
}

/// Reads stderr to the end, keeping only its last [`STDERR_LOG_BYTES`].
pub(super) async fn tail_stderr(mut err: impl AsyncRead + Unpin) -> String {
    let mut kept = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match err.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => kept.extend_from_slice(&buf[..n]),
        }
        if kept.len() > 2 * STDERR_LOG_BYTES {
            kept.drain(..kept.len() - STDERR_LOG_BYTES);
        }
    }
    let start = kept.len().saturating_sub(STDERR_LOG_BYTES);
    let text = String::from_utf8_lossy(&kept[start..]);
    // A cut in the middle of a character leaves replacement characters at the start.
    text.trim_start_matches('\u{FFFD}').trim_end().to_owned()
}

/// The end of stderr on one line, for a reason: lines joined with ` | `.
pub(super) fn stderr_summary(stderr: &str) -> Option<String> {
    let mut start = stderr.len().saturating_sub(STDERR_REASON_BYTES);
    while !stderr.is_char_boundary(start) {
        start += 1;
    }
    let lines: Vec<&str> = stderr[start..]
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    (!lines.is_empty()).then(|| lines.join(" | "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_lines_are_read_in_whole_seconds() {
        assert_eq!(
            parse_retry_after(b"retry-after=7"),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            parse_retry_after(b"Retry-After = 7\r"),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            parse_retry_after(b"retry-after=999999999"),
            Some(MAX_RETRY_AFTER)
        );
        assert_eq!(parse_retry_after(b"retry-after=soon"), None);
        assert_eq!(parse_retry_after(b"retry-after=1.5"), None);
        assert_eq!(parse_retry_after(b"sent 3 emails"), None);
    }

    #[tokio::test]
    async fn the_last_retry_after_line_wins_and_long_lines_are_skipped() {
        let long = "x".repeat(10_000);
        let out = format!("retry-after=3\n{long}retry-after=9\nretry-after=5");
        let stdout = scan_stdout(out.as_bytes()).await;
        assert_eq!(
            stdout.captured,
            out.as_bytes(),
            "all of it is kept for the answer"
        );
        assert_eq!(stdout.retry_after, Some(Duration::from_secs(5)));
    }

    #[tokio::test]
    async fn only_the_end_of_stderr_is_kept() {
        // An odd number of bytes after the two-byte characters makes the cut fall inside one.
        let err = format!("{}THE END!\n", "é".repeat(STDERR_LOG_BYTES));
        let tail = tail_stderr(err.as_bytes()).await;
        assert!(tail.len() <= STDERR_LOG_BYTES, "{}", tail.len());
        assert!(
            tail.ends_with("THE END!") && tail.starts_with('é'),
            "{tail}"
        );
    }

    #[test]
    fn the_stderr_summary_is_one_line_from_the_end() {
        assert_eq!(
            stderr_summary("first\n\n  second  \n").as_deref(),
            Some("first | second")
        );
        assert_eq!(stderr_summary("  \n"), None);
        let long = "ü".repeat(STDERR_REASON_BYTES);
        assert!(stderr_summary(&long).unwrap().len() <= STDERR_REASON_BYTES);
    }
}
