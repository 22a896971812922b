//! The store's source stays readable: one concept per file, none of them over 500 lines.

use std::path::{Path, PathBuf};

/// Longest a source file under `src/store` may be.
const MAX_LINES: usize = 500;

/// Every `.rs` file under `dir`, at any depth.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

#[test]
fn no_store_source_file_is_over_500_lines() {
    let store = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/store");
    let files = rust_files(&store);
    assert!(files.len() > 10, "found only {files:?} under {store:?}");
    let too_long: Vec<(PathBuf, usize)> = files
        .into_iter()
        .map(|path| {
            let lines = std::fs::read_to_string(&path).unwrap().lines().count();
            (path, lines)
        })
        .filter(|(_, lines)| *lines > MAX_LINES)
        .collect();
    assert!(too_long.is_empty(), "over {MAX_LINES} lines: {too_long:?}");
}
