//! Strings a sender chose (event names, ids from a payload, error details quoting them,
//! a handler program's stderr), made safe to put in a log field (pure).
//!
//! The text log format writes a `%` field's Display output as it is, so a newline in an
//! event name would start a line that looks like lever-hooks wrote it, and an ANSI escape
//! would drive the terminal of whoever reads the log. `%LogSafe(&value)` writes the same
//! text with every control character escaped; the JSON format is safe by construction
//! and only sees the escaped text. Fields given as `&str` without `%` are already written
//! with Rust's `Debug` escaping by tracing-subscriber and need no wrapper.

use std::fmt::{self, Display, Write};

/// Displays `T` with control characters written as escapes: `\n`, `\r`, `\t`, `\\`, and
/// `\u{1b}` for ESC and every other C0 or C1 control, DEL, the Unicode line and
/// paragraph separators and the bidirectional overrides. Other text is unchanged.
#[derive(Debug, Clone, Copy)]
pub struct LogSafe<T>(pub T);

impl<T: Display> Display for LogSafe<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(Escaping(f), "{}", self.0)
    }
}

/// Escapes what passes through it, as it is written.
struct Escaping<'a, 'b>(&'a mut fmt::Formatter<'b>);

impl Write for Escaping<'_, '_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        for c in text.chars() {
            if needs_escape(c) {
                write!(self.0, "{}", c.escape_default())?;
            } else {
                self.0.write_char(c)?;
            }
        }
        Ok(())
    }
}

/// True for characters that can end a log line, move the cursor, change colours, or
/// reorder what a reader sees; and for `\`, so an escape in the log is never ambiguous.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || c == '\\'
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_names_are_unchanged() {
        for name in ["candidateStageChange", "madeUp event", "ünïcödé 名前", ""] {
            assert_eq!(LogSafe(name).to_string(), name);
        }
    }

    #[test]
    fn line_breaks_and_terminal_escapes_become_visible_escapes() {
        let forged =
            "x\n2026-01-01T00:00:00Z  INFO forged\r\x1b[31mred\x07\u{9b}\u{2028}\u{202e}\\n";
        let safe = LogSafe(forged).to_string();
        assert_eq!(
            safe,
            "x\\n2026-01-01T00:00:00Z  INFO forged\\r\\u{1b}[31mred\\u{7}\\u{9b}\\u{2028}\\u{202e}\\\\n"
        );
        assert!(!safe.chars().any(needs_escape_unescaped), "{safe}");
    }

    /// Any character that may not reach the log raw (the backslash of an escape may).
    fn needs_escape_unescaped(c: char) -> bool {
        c != '\\' && needs_escape(c)
    }

    #[test]
    fn any_display_value_is_escaped_as_it_is_written() {
        let error = std::io::Error::other("bad\nline");
        assert_eq!(LogSafe(&error).to_string(), "bad\\nline");
    }
}
