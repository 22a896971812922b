//! Damage in the middle of a segment, segments cut short or deleted, and repair: every
//! valid record after damage is kept, and damage is reported, never cut away silently.

use super::*;

/// 100 records of varied lengths in one synced segment.
fn hundred_records(dir: &Path) -> Vec<(Location, Vec<u8>)> {
    let (journal, _) = open(dir, 1 << 20).unwrap();
    let payloads: Vec<Vec<u8>> = (0..100)
        .map(|i| format!("record {i} {}", "x".repeat(i % 7)).into_bytes())
        .collect();
    let locations = journal.append(&payloads).unwrap();
    journal.sync().unwrap();
    locations.into_iter().zip(payloads).collect()
}

fn all_but(written: &[(Location, Vec<u8>)], skipped: usize) -> Vec<Scanned> {
    written
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != skipped)
        .map(|(_, (l, p))| Scanned::Record(*l, p.clone()))
        .collect()
}

fn flip_bit(path: &Path, at: u64, bit: u8) {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .unwrap();
    let mut byte = [0];
    file.read_exact_at(&mut byte, at).unwrap();
    file.write_all_at(&[byte[0] ^ (1 << bit)], at).unwrap();
}

/// Any single bit of the header of record 50 (of 100) flipped: the other 99 records come
/// back, one damaged range covers record 50 exactly, and nothing is cut off.
#[test]
fn a_flipped_bit_in_a_header_mid_segment_keeps_every_later_record() {
    for bit in 0..64u64 {
        let dir = tempfile::tempdir().unwrap();
        let written = hundred_records(dir.path());
        let path = segment_path(dir.path(), 1);
        let size = file_len(dir.path(), 1);
        let damaged = written[50].0;
        flip_bit(&path, damaged.offset + bit / 8, (bit % 8) as u8);

        let (journal, seen, reports) = open_reporting(dir.path(), 1 << 20).unwrap();
        assert_eq!(seen, all_but(&written, 50), "bit {bit}");
        let damage = damage_in(&reports);
        assert_eq!(damage.len(), 1, "bit {bit}: {damage:?}");
        assert_eq!(
            (damage[0].offset, damage[0].len, damage[0].kind),
            (
                damaged.offset,
                end(damaged) - damaged.offset,
                DamageKind::Unreadable
            ),
            "bit {bit}"
        );
        assert_eq!(file_len(dir.path(), 1), size, "bit {bit}: nothing was cut");
        assert_eq!(reports[0].torn_tail, None);
        assert_eq!(journal.active_segment(), 2);
    }
}

/// A length that runs past the end of the file (what old versions took for a torn tail,
/// or refused to open in an older segment) is damage; every record after it is kept.
#[test]
fn a_length_past_the_end_mid_segment_keeps_every_later_record() {
    let dir = tempfile::tempdir().unwrap();
    let written = hundred_records(dir.path());
    let damaged = written[50].0;
    let file = OpenOptions::new()
        .write(true)
        .open(segment_path(dir.path(), 1))
        .unwrap();
    file.write_all_at(&[0x7f], damaged.offset + 3).unwrap();

    let (_, seen, reports) = open_reporting(dir.path(), 1 << 20).unwrap();
    assert_eq!(seen, all_but(&written, 50));
    let damage = damage_in(&reports);
    assert_eq!(damage.len(), 1);
    assert_eq!(damage[0].why, "a length past the end of the segment");
}

/// A segment cut at a record boundary, shorter than its recorded extent: the lost
/// synced bytes are reported (at every open, until repaired), and appends go elsewhere.
#[test]
fn a_segment_cut_at_a_record_boundary_is_reported_missing() {
    let dir = tempfile::tempdir().unwrap();
    let written = hundred_records(dir.path());
    let synced = file_len(dir.path(), 1);
    let cut = written[50].0.offset;
    let file = OpenOptions::new()
        .write(true)
        .open(segment_path(dir.path(), 1))
        .unwrap();
    file.set_len(cut).unwrap();

    for opened in 0..2 {
        let (journal, seen, reports) = open_reporting(dir.path(), 1 << 20).unwrap();
        assert_eq!(seen.len(), 50 + opened, "and what was appended since");
        let damage = damage_in(&reports);
        assert_eq!(damage.len(), 1, "{damage:?}");
        assert_eq!(
            (damage[0].segment, damage[0].offset, damage[0].len),
            (1, cut, synced - cut)
        );
        assert_eq!(damage[0].kind, DamageKind::Missing);
        let next = journal.append(&records(&["after the cut"])).unwrap();
        journal.sync().unwrap();
        assert_ne!(next[0].segment, 1, "nothing is appended to the cut segment");
    }
}

/// A segment file deleted from under the journal is reported missing whole.
#[test]
fn a_deleted_segment_is_reported_missing() {
    let dir = tempfile::tempdir().unwrap();
    let (journal, _) = open(dir.path(), 10).unwrap();
    for name in ["first segment", "second segment", "third segment"] {
        journal.append(&records(&[name])).unwrap();
    }
    journal.sync().unwrap();
    drop(journal);
    let second = file_len(dir.path(), 2);
    fs::remove_file(segment_path(dir.path(), 2)).unwrap();

    let (_, seen, reports) = open_reporting(dir.path(), 10).unwrap();
    assert_eq!(seen.len(), 2);
    let damage = damage_in(&reports);
    assert_eq!(
        (
            damage[0].segment,
            damage[0].offset,
            damage[0].len,
            damage[0].kind
        ),
        (2, 0, second, DamageKind::Missing)
    );
}

/// The final record, synced and then damaged, was answered for: it is damage, not a torn
/// append, and its bytes stay.
#[test]
fn a_damaged_final_record_that_was_synced_is_not_cut_off() {
    let dir = tempfile::tempdir().unwrap();
    let written = hundred_records(dir.path());
    let size = file_len(dir.path(), 1);
    flip_byte(
        &segment_path(dir.path(), 1),
        written[99].0.offset + HEADER_LEN,
    );

    let (_, seen, reports) = open_reporting(dir.path(), 1 << 20).unwrap();
    assert_eq!(seen.len(), 99);
    assert_eq!(reports[0].torn_tail, None);
    assert_eq!(damage_in(&reports).len(), 1);
    assert_eq!(file_len(dir.path(), 1), size);
}

/// A journal written before extents were recorded opens as before: a bad tail of the last
/// segment is a torn append, and later opens check against what this one recorded.
#[test]
fn a_journal_without_recorded_extents_opens_and_records_them() {
    let dir = tempfile::tempdir().unwrap();
    let (journal, _) = open(dir.path(), 10).unwrap();
    journal.append(&records(&["first segment"])).unwrap();
    let last = journal.append(&records(&["second segment"])).unwrap()[0];
    journal.sync().unwrap();
    drop(journal);
    fs::remove_file(dir.path().join("extents")).unwrap();
    flip_byte(&segment_path(dir.path(), 2), last.offset + HEADER_LEN);

    let (_, seen, reports) = open_reporting(dir.path(), 10).unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(damage_in(&reports), []);
    assert_eq!(reports[1].torn_tail, Some(last.offset));
    let first_len = file_len(dir.path(), 1);
    assert_eq!(extents::read(dir.path()).unwrap()[&1], first_len);
}

/// `inspect` reads and reports but changes nothing, not even a torn tail.
#[test]
fn inspect_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (journal, _) = open(dir.path(), 1 << 20).unwrap();
    journal.append(&records(&["one"])).unwrap();
    journal.sync().unwrap();
    let torn = journal.append(&records(&["two"])).unwrap()[0];
    drop(journal);
    flip_byte(&segment_path(dir.path(), 1), torn.offset + HEADER_LEN);
    let size = file_len(dir.path(), 1);
    let extents_before = fs::read(dir.path().join("extents")).unwrap();

    let mut collect = Collect::default();
    let reports = inspect(dir.path(), &mut collect).unwrap();
    assert_eq!(collect.seen.len(), 1);
    assert_eq!(reports[0].torn_tail, Some(torn.offset));
    assert_eq!(file_len(dir.path(), 1), size);
    assert_eq!(
        fs::read(dir.path().join("extents")).unwrap(),
        extents_before
    );
}

/// Repair moves each damaged range to a file of its own, byte for byte, keeps every other
/// record, forgets missing bytes, and leaves a journal that opens clean.
#[test]
fn repair_moves_damage_aside_and_the_journal_opens_clean() {
    let dir = tempfile::tempdir().unwrap();
    let written = hundred_records(dir.path());
    let path = segment_path(dir.path(), 1);
    let damaged = written[50].0;
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .unwrap();
    file.write_all_at(&[0x7f], damaged.offset + 3).unwrap();
    let mut damaged_bytes = vec![0; (end(damaged) - damaged.offset) as usize];
    file.read_exact_at(&mut damaged_bytes, damaged.offset)
        .unwrap();
    // And cut the segment at a record boundary: missing bytes.
    file.set_len(written[90].0.offset).unwrap();

    let mut collect = Collect::default();
    let (before, moved) = repair(dir.path(), &mut collect).unwrap();
    assert_eq!(damage_in(&before).len(), 2, "{before:?}");
    assert_eq!(moved.len(), 1);
    assert_eq!(
        moved[0].path,
        dir.path().join(format!("damaged-1-{}.bin", damaged.offset))
    );
    assert_eq!(fs::read(&moved[0].path).unwrap(), damaged_bytes);

    let (journal, seen, reports) = open_reporting(dir.path(), 1 << 20).unwrap();
    assert_eq!(damage_in(&reports), []);
    let payloads: Vec<Vec<u8>> = seen.into_iter().map(|Scanned::Record(_, p)| p).collect();
    let expected: Vec<Vec<u8>> = written[..90]
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 50)
        .map(|(_, (_, p))| p.clone())
        .collect();
    assert_eq!(payloads, expected);
    assert_eq!(journal.active_segment(), 1, "the repaired segment goes on");
}
