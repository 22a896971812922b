//! Plain aligned tables and the time and duration formats the admin commands print (pure).

use crate::store::Millis;
use std::io::{self, Write};
use std::time::{Duration, UNIX_EPOCH};

/// The gap between columns.
const GAP: &str = "  ";
/// The narrowest the last column is cut to, however narrow the terminal.
const MIN_LAST: usize = 20;

/// Rows under a header, each column as wide as its widest cell; the last column is not
/// padded, and may be cut to fit a width.
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column names.
    pub fn new(header: &[&str]) -> Self {
        Self {
            header: header.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row (one cell per column).
    pub fn row(&mut self, cells: Vec<String>) {
        debug_assert_eq!(cells.len(), self.header.len());
        self.rows.push(cells);
    }

    /// True when no row was added.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Writes the table; with `width`, the last column is cut so lines fit in it.
    pub fn write(&self, out: &mut dyn Write, width: Option<usize>) -> io::Result<()> {
        let columns = self.header.len();
        let mut widths = vec![0; columns];
        for row in std::iter::once(&self.header).chain(&self.rows) {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let before_last: usize = widths[..columns - 1].iter().map(|w| w + GAP.len()).sum();
        let last = width.map(|w| w.saturating_sub(before_last).max(MIN_LAST));
        for row in std::iter::once(&self.header).chain(&self.rows) {
            let mut line = String::new();
            for (i, cell) in row.iter().enumerate() {
                if i + 1 == columns {
                    line.push_str(&cut(cell, last));
                } else {
                    line.push_str(cell);
                    let pad = widths[i] - cell.chars().count();
                    line.extend(std::iter::repeat(' ').take(pad));
                    line.push_str(GAP);
                }
            }
            writeln!(out, "{}", line.trim_end())?;
        }
        Ok(())
    }
}

/// `text` on one line, cut to `max` characters with `…` when longer.
pub fn cut(text: &str, max: Option<usize>) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match max {
        Some(max) if one_line.chars().count() > max => {
            let mut cut: String = one_line.chars().take(max.saturating_sub(1)).collect();
            cut.push('…');
            cut
        }
        _ => one_line,
    }
}

/// `millis` since the epoch as RFC 3339 in UTC, to the second.
pub fn time(millis: Millis) -> String {
    humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_millis(millis)).to_string()
}

/// `millis` since the epoch as RFC 3339 in UTC, to the millisecond.
pub fn time_ms(millis: Millis) -> String {
    humantime::format_rfc3339_millis(UNIX_EPOCH + Duration::from_millis(millis)).to_string()
}

/// A duration for people: `850ms`, `2.4s`, `3m05s`.
pub fn duration(ms: u64) -> String {
    match ms {
        0..=999 => format!("{ms}ms"),
        1_000..=59_999 => format!("{:.1}s", ms as f64 / 1000.0),
        _ => format!("{}m{:02}s", ms / 60_000, (ms % 60_000) / 1000),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(table: &Table, width: Option<usize>) -> String {
        let mut out = Vec::new();
        table.write(&mut out, width).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn columns_align_and_the_last_one_is_cut_to_the_width() {
        let mut table = Table::new(&["ID", "ERROR"]);
        table.row(vec!["evt_1".into(), "short".into()]);
        table.row(vec!["e".into(), "x".repeat(100)]);
        let text = render(&table, Some(40));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "ID     ERROR");
        assert_eq!(lines[1], "evt_1  short");
        assert_eq!(lines[2].chars().count(), 40);
        assert!(lines[2].ends_with('…'));
        assert_eq!(render(&table, None).lines().nth(2).unwrap().len(), 107);
    }

    #[test]
    fn cut_keeps_one_line_and_short_text_whole() {
        assert_eq!(cut("a\n  b", Some(10)), "a b");
        assert_eq!(cut("abcdef", Some(4)), "abc…");
    }

    #[test]
    fn times_and_durations_read_well() {
        assert_eq!(time(1_717_200_000_000), "2024-06-01T00:00:00Z");
        assert_eq!(time_ms(1_717_200_000_123), "2024-06-01T00:00:00.123Z");
        assert_eq!(duration(850), "850ms");
        assert_eq!(duration(2_400), "2.4s");
        assert_eq!(duration(185_000), "3m05s");
    }
}
