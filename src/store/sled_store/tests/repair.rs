//! `SledStore::check` and `SledStore::repair` on a stopped store: damage that made a
//! store refuse to open, or made it drop every later record, is moved aside, and the
//! store opens with every other event.

use super::damage::{filled, lost, middle_record, open_measured, write_at, EVENTS};
use crate::store::sled_store::{MaintenanceError, SledStore};
use std::time::Duration;

/// Runs `action` once the store dropped before it let go of its folder.
async fn once_released<T>(action: impl Fn() -> Result<T, MaintenanceError>) -> T {
    for _ in 0..300 {
        match action() {
            Err(MaintenanceError::InUse(_)) => tokio::time::sleep(Duration::from_millis(10)).await,
            other => return other.unwrap(),
        }
    }
    panic!("the store was never released");
}

#[tokio::test]
async fn repair_moves_bad_lengths_aside_and_the_store_opens_with_every_other_event() {
    let dir = tempfile::tempdir().unwrap();
    let segments = filled(dir.path()).await;
    // A length past the end of the segment: in an older segment it kept the store from
    // opening; in the last one, opening cut off every record after it.
    for segment in [&segments[0], segments.last().unwrap()] {
        write_at(segment, middle_record(segment) + 3, &[0x7f]);
    }
    let check = once_released(|| SledStore::check(dir.path())).await;
    assert_eq!(check.damaged_ranges(), 2, "{check}");

    let repair = SledStore::repair(dir.path()).unwrap();
    assert_eq!(repair.before, check);
    assert_eq!(repair.moved.len(), 2);
    for moved in &repair.moved {
        let aside = std::fs::metadata(&moved.path).expect("the damaged bytes are kept");
        assert_eq!(aside.len(), moved.len);
    }
    assert!(repair.after.is_clean(), "{}", repair.after);
    assert_eq!(repair.after.events(), EVENTS as u64 - 2);

    let (store, damaged) = open_measured(dir.path()).await;
    assert_eq!(damaged, Some(0.0));
    assert_eq!(
        lost(&store).await,
        2,
        "only the two damaged records' events"
    );
}

#[tokio::test]
async fn check_and_repair_refuse_a_store_that_is_open_or_absent() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        SledStore::check(dir.path()),
        Err(MaintenanceError::NoStore(_))
    ));
    let _open = SledStore::open(dir.path()).unwrap();
    assert!(matches!(
        SledStore::check(dir.path()),
        Err(MaintenanceError::InUse(_))
    ));
    assert!(matches!(
        SledStore::repair(dir.path()),
        Err(MaintenanceError::InUse(_))
    ));
}
