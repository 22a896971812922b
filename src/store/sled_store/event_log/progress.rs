//! Progress of reading the journal when the store opens, for the log: a store of a million
//! events takes seconds to index, and nothing listens meanwhile, so the operator is told
//! how far it got (segments read, events indexed) and, at the end, how long it took.

use super::super::journal::SegmentStart;
use std::fmt;
use std::time::{Duration, Instant};

/// How often a progress line is logged while the journal is read.
pub(super) const PROGRESS_EVERY: Duration = Duration::from_secs(2);

/// The clock is looked at once per this many events.
const EVENTS_PER_LOOK: u64 = 4096;

/// Where reading the journal stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Progress {
    /// Segments read whole.
    pub(super) segments_read: usize,
    /// Segments in the journal.
    pub(super) segments: usize,
    /// Events indexed.
    pub(super) events: u64,
    /// Since the open started.
    pub(super) elapsed: Duration,
}

impl fmt::Display for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} of {} segments read, {} events indexed, {:.1} s",
            self.segments_read,
            self.segments,
            self.events,
            self.elapsed.as_secs_f64()
        )
    }
}

/// Counts what was read and says when a progress line is due.
pub(super) struct OpenProgress {
    started: Instant,
    last_line: Instant,
    every: Duration,
    segments_read: usize,
    segments: usize,
    events: u64,
}

impl OpenProgress {
    /// Starts counting at `started`, with a line due every `every`.
    pub(super) fn new(started: Instant, every: Duration) -> Self {
        Self {
            started,
            last_line: started,
            every,
            segments_read: 0,
            segments: 0,
            events: 0,
        }
    }

    /// A segment is about to be read: a line, if one is due at `now`.
    pub(super) fn segment(&mut self, start: SegmentStart, now: Instant) -> Option<Progress> {
        self.segments_read = start.index;
        self.segments = start.of;
        self.due(now)
    }

    /// An event was indexed: a line, if one is due (the clock is read now and then).
    pub(super) fn event(&mut self, now: impl FnOnce() -> Instant) -> Option<Progress> {
        self.events += 1;
        if self.events % EVENTS_PER_LOOK == 0 {
            self.due(now())
        } else {
            None
        }
    }

    /// Where it ended, every segment read.
    pub(super) fn done(&self, now: Instant) -> Progress {
        Progress {
            segments_read: self.segments,
            ..self.at(now)
        }
    }

    fn due(&mut self, now: Instant) -> Option<Progress> {
        if now.duration_since(self.last_line) < self.every {
            return None;
        }
        self.last_line = now;
        Some(self.at(now))
    }

    fn at(&self, now: Instant) -> Progress {
        Progress {
            segments_read: self.segments_read,
            segments: self.segments,
            events: self.events,
            elapsed: now.duration_since(self.started),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start(index: usize) -> SegmentStart {
        SegmentStart {
            segment: index as u64 + 1,
            index,
            of: 3,
            bytes: 100,
        }
    }

    #[test]
    fn a_line_is_due_once_per_interval_with_segments_and_events_so_far() {
        let t0 = Instant::now();
        let second = Duration::from_secs(1);
        let mut progress = OpenProgress::new(t0, second);
        assert_eq!(progress.segment(start(0), t0), None, "nothing to say yet");
        for _ in 0..EVENTS_PER_LOOK - 1 {
            assert_eq!(progress.event(unreachable_clock), None);
        }
        // The 4096th event looks at the clock: a second has passed.
        let line = progress.event(|| t0 + second).expect("a line is due");
        assert_eq!(
            line,
            Progress {
                segments_read: 0,
                segments: 3,
                events: EVENTS_PER_LOOK,
                elapsed: second
            }
        );
        assert_eq!(progress.segment(start(1), t0 + second * 3 / 2), None);
        let line = progress.segment(start(2), t0 + second * 2).expect("due");
        assert_eq!(
            line.to_string(),
            "2 of 3 segments read, 4096 events indexed, 2.0 s"
        );
        let done = progress.done(t0 + second * 5 / 2);
        assert_eq!((done.segments_read, done.segments), (3, 3));
        assert_eq!(done.elapsed, second * 5 / 2);
    }

    /// Between looks, the clock must not be read at all.
    fn unreachable_clock() -> Instant {
        panic!("the clock was read between looks")
    }
}
