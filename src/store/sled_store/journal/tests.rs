use super::*;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::Path;

mod damage;

/// A record read back at open.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Scanned {
    Record(Location, Vec<u8>),
}

/// The tests' record format: printable ASCII text.
fn is_text(payload: &[u8]) -> bool {
    payload.iter().all(|b| b.is_ascii_graphic() || *b == b' ')
}

/// Collects every record; text is a record, anything else is not.
#[derive(Default)]
struct Collect {
    seen: Vec<Scanned>,
}

impl Reader for Collect {
    type Error = JournalError;

    fn is_record(&self, payload: &[u8]) -> bool {
        is_text(payload)
    }

    fn record(&mut self, location: Location, payload: Vec<u8>) -> Result<bool, JournalError> {
        if !is_text(&payload) {
            return Ok(false);
        }
        self.seen.push(Scanned::Record(location, payload));
        Ok(true)
    }
}

fn open(dir: &Path, segment_size: u64) -> Result<(Journal, Vec<Scanned>), JournalError> {
    let (journal, seen, _) = open_reporting(dir, segment_size)?;
    Ok((journal, seen))
}

/// Opens with what each segment held.
fn open_reporting(
    dir: &Path,
    segment_size: u64,
) -> Result<(Journal, Vec<Scanned>, Vec<SegmentReport>), JournalError> {
    let mut collect = Collect::default();
    let (journal, reports) = Journal::open(dir, segment_size, &mut collect)?;
    Ok((journal, collect.seen, reports))
}

/// Every damaged range the reports hold.
fn damage_in(reports: &[SegmentReport]) -> Vec<scan::Damage> {
    reports.iter().flat_map(|r| r.damage.clone()).collect()
}

fn records(payloads: &[&str]) -> Vec<Vec<u8>> {
    payloads.iter().map(|p| p.as_bytes().to_vec()).collect()
}

fn end(location: Location) -> u64 {
    location.offset + HEADER_LEN + u64::from(location.len)
}

fn file_len(dir: &Path, segment: u64) -> u64 {
    fs::metadata(segment_path(dir, segment)).unwrap().len()
}

/// Appends and syncs two records, appends a third that is never synced (a crash before its
/// sync), damages the file with `damage`, reopens, and checks that only the first two come
/// back, nothing counts as damage, the file ends after them, and appends go on cleanly.
fn torn_tail_is_cut_off(damage: impl FnOnce(&Path, Location)) {
    let dir = tempfile::tempdir().unwrap();
    let (journal, _) = open(dir.path(), 1 << 20).unwrap();
    let mut locations = journal.append(&records(&["one", "two"])).unwrap();
    journal.sync().unwrap();
    locations.extend(journal.append(&records(&["three"])).unwrap());
    drop(journal);
    damage(&segment_path(dir.path(), 1), locations[2]);

    let (journal, seen, reports) = open_reporting(dir.path(), 1 << 20).unwrap();
    assert_eq!(damage_in(&reports), []);
    assert_eq!(reports[0].torn_tail, Some(locations[2].offset));
    let expected: Vec<_> = locations[..2]
        .iter()
        .zip(["one", "two"])
        .map(|(l, p)| Scanned::Record(*l, p.as_bytes().to_vec()))
        .collect();
    assert_eq!(seen, expected);
    assert_eq!(file_len(dir.path(), 1), end(locations[1]));
    let next = journal.append(&records(&["four"])).unwrap();
    assert_eq!(next[0].offset, end(locations[1]));
    drop(journal);
    let (_, seen) = open(dir.path(), 1 << 20).unwrap();
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[2], Scanned::Record(next[0], b"four".to_vec()));
}

fn flip_byte(path: &Path, at: u64) {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .unwrap();
    let mut byte = [0];
    file.read_exact_at(&mut byte, at).unwrap();
    file.write_all_at(&[byte[0] ^ 0xff], at).unwrap();
}

#[test]
fn after_a_failed_sync_nothing_is_appended_or_synced_until_reopened() {
    let dir = tempfile::tempdir().unwrap();
    let (journal, _) = open(dir.path(), 1 << 20).unwrap();
    let first = journal.append(&records(&["alpha"])).unwrap();
    journal.fail_next_sync.store(true, Ordering::SeqCst);
    assert!(matches!(journal.sync(), Err(JournalError::Io(_))));
    // A retried fdatasync could report success for pages the kernel dropped.
    assert!(matches!(journal.sync(), Err(JournalError::Failed)));
    assert!(matches!(
        journal.append(&records(&["beta"])),
        Err(JournalError::Failed)
    ));
    drop(journal);

    // Opened again, the journal holds what reached the file and goes on.
    let (journal, seen) = open(dir.path(), 1 << 20).unwrap();
    assert_eq!(seen, vec![Scanned::Record(first[0], b"alpha".to_vec())]);
    let next = journal.append(&records(&["gamma"])).unwrap();
    journal.sync().unwrap();
    assert_eq!(journal.read(next[0]).unwrap(), b"gamma");
}

#[test]
fn appended_records_read_back_and_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let (journal, seen) = open(dir.path(), 1 << 20).unwrap();
    assert!(seen.is_empty());
    let payloads = records(&["alpha", "beta", "gamma"]);
    let mut locations = journal.append(&payloads[..2]).unwrap();
    locations.extend(journal.append(&payloads[2..]).unwrap());
    journal.sync().unwrap();
    assert_eq!(
        locations[0],
        Location {
            segment: 1,
            offset: 0,
            len: 5
        }
    );
    assert_eq!(locations[1].offset, end(locations[0]));
    assert_eq!(locations[2].offset, end(locations[1]));
    for (location, payload) in locations.iter().zip(&payloads) {
        assert_eq!(&journal.read(*location).unwrap(), payload);
    }
    assert_eq!(journal.disk_bytes(), end(locations[2]));
    drop(journal);

    let (journal, seen) = open(dir.path(), 1 << 20).unwrap();
    let expected: Vec<_> = locations
        .iter()
        .zip(&payloads)
        .map(|(l, p)| Scanned::Record(*l, p.clone()))
        .collect();
    assert_eq!(seen, expected);
    let next = journal.append(&records(&["delta"])).unwrap();
    assert_eq!(
        next[0],
        Location {
            segment: 1,
            offset: end(locations[2]),
            len: 5
        }
    );
    assert_eq!(journal.read(next[0]).unwrap(), b"delta");
}

#[test]
fn records_rotate_into_new_segments() {
    let dir = tempfile::tempdir().unwrap();
    let (journal, _) = open(dir.path(), 20).unwrap();
    let mut locations = Vec::new();
    for i in 0..5 {
        // 8 + 10 bytes per record: each segment takes two before it reaches 20 bytes.
        locations.extend(
            journal
                .append(&[format!("record-{i:03}").into_bytes()])
                .unwrap(),
        );
    }
    let group = journal
        .append(&records(&["group-a", "group-b", "group-c"]))
        .unwrap();
    journal.sync().unwrap();
    let segments: Vec<u64> = locations.iter().map(|l| l.segment).collect();
    assert_eq!(segments, [1, 1, 2, 2, 3]);
    assert!(group.iter().all(|l| l.segment == 3), "{group:?}");
    assert_eq!(journal.segments(), [1, 2, 3]);
    assert_eq!(journal.active_segment(), 3);
    locations.extend(group);
    drop(journal);

    let (journal, seen) = open(dir.path(), 20).unwrap();
    let visited: Vec<Location> = seen.iter().map(|Scanned::Record(l, _)| *l).collect();
    assert_eq!(visited, locations);
    assert_eq!(journal.segments(), [1, 2, 3]);
    assert_eq!(journal.append(&records(&["next"])).unwrap()[0].segment, 4);
}

#[test]
fn partial_header_at_the_end_is_cut_off() {
    for junk in 1..=7 {
        torn_tail_is_cut_off(|path, last| {
            let file = OpenOptions::new().write(true).open(path).unwrap();
            file.set_len(last.offset).unwrap();
            file.write_all_at(&vec![0xab; junk], last.offset).unwrap();
        });
    }
}

#[test]
fn partial_payload_at_the_end_is_cut_off() {
    torn_tail_is_cut_off(|path, last| {
        let file = OpenOptions::new().write(true).open(path).unwrap();
        file.set_len(last.offset + HEADER_LEN + 2).unwrap();
    });
}

#[test]
fn zero_filled_tail_is_cut_off() {
    torn_tail_is_cut_off(|path, last| {
        let file = OpenOptions::new().write(true).open(path).unwrap();
        file.set_len(last.offset).unwrap();
        file.set_len(last.offset + 64).unwrap();
    });
}

#[test]
fn checksum_mismatch_on_the_final_record_is_cut_off() {
    torn_tail_is_cut_off(|path, last| flip_byte(path, last.offset + HEADER_LEN + 1));
}

#[test]
fn damaged_record_in_the_middle_is_reported_and_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let (journal, _) = open(dir.path(), 1 << 20).unwrap();
    let locations = journal.append(&records(&["one", "two", "three"])).unwrap();
    journal.sync().unwrap();
    drop(journal);
    flip_byte(
        &segment_path(dir.path(), 1),
        locations[1].offset + HEADER_LEN,
    );

    let (journal, seen, reports) = open_reporting(dir.path(), 1 << 20).unwrap();
    assert_eq!(
        seen,
        [
            Scanned::Record(locations[0], b"one".to_vec()),
            Scanned::Record(locations[2], b"three".to_vec()),
        ]
    );
    let damage = damage_in(&reports);
    assert_eq!(damage.len(), 1, "{damage:?}");
    assert_eq!(
        (damage[0].segment, damage[0].offset, damage[0].len),
        (
            1,
            locations[1].offset,
            end(locations[1]) - locations[1].offset
        )
    );
    assert!(matches!(
        journal.read(locations[1]),
        Err(JournalError::Corrupt(_))
    ));
    assert_eq!(file_len(dir.path(), 1), end(locations[2]));
    // The damaged segment is left as it is for repair: appends go to a new one.
    assert_eq!(journal.active_segment(), 2);
}

#[test]
fn torn_end_of_an_older_segment_is_damage_and_open_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let (journal, _) = open(dir.path(), 10).unwrap();
    let first = journal.append(&records(&["first segment"])).unwrap()[0];
    let second = journal.append(&records(&["second segment"])).unwrap()[0];
    journal.sync().unwrap();
    assert_eq!(journal.segments(), [1, 2]);
    drop(journal);
    let mut file = OpenOptions::new()
        .append(true)
        .open(segment_path(dir.path(), 1))
        .unwrap();
    file.write_all(&[1, 2, 3]).unwrap();

    let (journal, seen, reports) = open_reporting(dir.path(), 10).unwrap();
    assert_eq!(
        seen,
        [
            Scanned::Record(first, b"first segment".to_vec()),
            Scanned::Record(second, b"second segment".to_vec()),
        ]
    );
    let damage = damage_in(&reports);
    assert_eq!(
        (
            damage[0].segment,
            damage[0].offset,
            damage[0].len,
            damage.len()
        ),
        (1, end(first), 3, 1)
    );
    assert_eq!(
        journal.active_segment(),
        2,
        "the clean last segment goes on"
    );
}

#[test]
fn bad_checksum_at_the_end_of_an_older_segment_is_damaged() {
    let dir = tempfile::tempdir().unwrap();
    let (journal, _) = open(dir.path(), 10).unwrap();
    let first = journal.append(&records(&["first segment"])).unwrap()[0];
    let second = journal.append(&records(&["second segment"])).unwrap()[0];
    journal.sync().unwrap();
    drop(journal);
    flip_byte(&segment_path(dir.path(), 1), first.offset + HEADER_LEN);

    let (_, seen, reports) = open_reporting(dir.path(), 10).unwrap();
    assert_eq!(seen, [Scanned::Record(second, b"second segment".to_vec())]);
    let damage = damage_in(&reports);
    assert_eq!((damage[0].segment, damage[0].offset), (1, first.offset));
    assert_eq!(file_len(dir.path(), 1), end(first));
}

#[test]
fn reader_error_stops_open() {
    struct Refuse(usize);
    impl Reader for Refuse {
        type Error = JournalError;
        fn is_record(&self, _: &[u8]) -> bool {
            true
        }
        fn record(&mut self, _: Location, _: Vec<u8>) -> Result<bool, JournalError> {
            self.0 += 1;
            Err(JournalError::Corrupt("stop".into()))
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let (journal, _) = open(dir.path(), 1 << 20).unwrap();
    journal.append(&records(&["one", "two"])).unwrap();
    drop(journal);
    let mut refuse = Refuse(0);
    let result = Journal::open(dir.path(), 1 << 20, &mut refuse);
    assert!(matches!(result, Err(JournalError::Corrupt(m)) if m == "stop"));
    assert_eq!(refuse.0, 1);
}

#[test]
fn overwrite_pads_with_spaces_and_keeps_the_next_record() {
    let dir = tempfile::tempdir().unwrap();
    let (journal, _) = open(dir.path(), 1 << 20).unwrap();
    let locations = journal
        .append(&records(&["a long payload", "next"]))
        .unwrap();
    journal.overwrite(locations[0], b"short").unwrap();
    journal.sync_segment(1).unwrap();
    assert_eq!(journal.read(locations[0]).unwrap(), b"short         ");
    assert_eq!(journal.read(locations[1]).unwrap(), b"next");

    let too_long = journal.overwrite(locations[1], b"too long");
    assert!(matches!(too_long, Err(JournalError::Corrupt(_))));
    assert_eq!(journal.read(locations[1]).unwrap(), b"next");
    journal.sync().unwrap();
    drop(journal);

    let (_, seen) = open(dir.path(), 1 << 20).unwrap();
    assert_eq!(
        seen,
        [
            Scanned::Record(locations[0], b"short         ".to_vec()),
            Scanned::Record(locations[1], b"next".to_vec()),
        ]
    );
}

#[test]
fn remove_segment_deletes_old_segments_only() {
    let dir = tempfile::tempdir().unwrap();
    let (journal, _) = open(dir.path(), 10).unwrap();
    let first = journal.append(&records(&["first segment"])).unwrap();
    journal.append(&records(&["second segment"])).unwrap();
    journal.sync().unwrap();
    let before = journal.disk_bytes();

    journal.remove_segment(1).unwrap();
    assert!(!segment_path(dir.path(), 1).exists());
    assert_eq!(journal.segments(), [2]);
    assert_eq!(journal.disk_bytes(), before - end(first[0]));
    assert!(matches!(
        journal.read(first[0]),
        Err(JournalError::Corrupt(_))
    ));
    assert!(matches!(
        journal.remove_segment(2),
        Err(JournalError::Corrupt(_))
    ));
    assert!(segment_path(dir.path(), 2).exists());
    drop(journal);

    let (journal, seen, reports) = open_reporting(dir.path(), 10).unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(journal.segments(), [2]);
    assert_eq!(damage_in(&reports), [], "a retired segment is not missing");
}

#[test]
fn empty_payload_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (journal, _) = open(dir.path(), 1 << 20).unwrap();
    let result = journal.append(&[b"fine".to_vec(), Vec::new()]);
    assert!(matches!(result, Err(JournalError::Corrupt(_))));
    assert_eq!(journal.disk_bytes(), 0);
}

#[test]
fn concurrent_appends_all_land() {
    let dir = tempfile::tempdir().unwrap();
    let (journal, _) = open(dir.path(), 256).unwrap();
    let journal = Arc::new(journal);
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let journal = Arc::clone(&journal);
            std::thread::spawn(move || {
                let mut written = Vec::new();
                for i in 0..50 {
                    let payload = format!("thread {t} record {i}").into_bytes();
                    let location = journal.append(std::slice::from_ref(&payload)).unwrap()[0];
                    if i % 10 == 0 {
                        journal.sync().unwrap();
                    }
                    assert_eq!(journal.read(location).unwrap(), payload);
                    written.push((location, payload));
                }
                written
            })
        })
        .collect();
    let mut written: Vec<_> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    journal.sync().unwrap();
    drop(journal);
    written.sort();

    let (_, seen) = open(dir.path(), 256).unwrap();
    let expected: Vec<_> = written
        .into_iter()
        .map(|(l, p)| Scanned::Record(l, p))
        .collect();
    assert_eq!(seen, expected);
}
