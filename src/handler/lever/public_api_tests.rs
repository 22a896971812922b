//! The built-in Lever-aware handlers use nothing a plugin cannot: no `crate::` module
//! outside the plugin API, and no `pub(crate)` item of the rest of the crate.

use std::collections::BTreeSet;
use std::path::Path;

/// The modules a plugin reaches: the handler API, the Data API client and models, events
/// and documents, the store's vocabulary, and the leaf modules.
const PLUGIN_API: [&str; 7] = [
    "handler", "lever", "event", "document", "store", "duration", "error",
];

/// How a path into this crate starts.
const CRATE_PATH: &str = concat!("crate", "::");

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The names `source` calls as methods or functions (`.name(`, `name(`, `path::name(`),
/// outside `//` comments and string literals.
fn used_names(source: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for line in source.lines() {
        let code = line.split("//").next().unwrap_or_default();
        let code: String = code.split('"').step_by(2).collect::<Vec<_>>().join(" ");
        let chars: Vec<char> = code.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            if chars[i].is_alphabetic() || chars[i] == '_' {
                let start = i;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                if chars.get(i) == Some(&'(') {
                    names.insert(word);
                }
            } else {
                i += 1;
            }
        }
    }
    names
}

/// Names declared `pub(crate)` or `pub(super)` (and nowhere plain `pub`) in `files`.
fn restricted_names(files: &[(std::path::PathBuf, String)]) -> BTreeSet<String> {
    let declared = |prefix: &str| -> BTreeSet<String> {
        let mut names = BTreeSet::new();
        for (_, source) in files {
            for line in source.lines() {
                let Some(rest) = line.trim_start().strip_prefix(prefix) else {
                    continue;
                };
                let rest = rest
                    .trim_start_matches("async ")
                    .trim_start_matches("const ");
                let mut words = rest.split(|c: char| !(c.is_alphanumeric() || c == '_'));
                if let (
                    Some("fn" | "struct" | "enum" | "type" | "const" | "trait" | "mod"),
                    Some(name),
                ) = (words.next(), words.next())
                {
                    names.insert(name.to_owned());
                }
            }
        }
        names
    };
    let public = declared("pub ");
    let mut restricted = declared("pub(crate) ");
    restricted.extend(declared("pub(super) "));
    restricted.retain(|name| !public.contains(name));
    restricted
}

#[test]
fn the_lever_aware_handlers_use_only_the_plugin_api() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let ours = src.join("handler").join("lever");
    let mut paths = Vec::new();
    rust_files(&src, &mut paths);
    let files: Vec<_> = paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p, text)
        })
        .collect();
    let is_test = |p: &Path| {
        p.components().any(|c| c.as_os_str() == "tests")
            || p.file_stem()
                .is_some_and(|s| s.to_string_lossy().ends_with("tests"))
    };
    let (handlers, rest): (Vec<_>, Vec<_>) = files
        .into_iter()
        .filter(|(p, _)| !is_test(p))
        .partition(|(p, _)| p.starts_with(&ours) || p == &src.join("handler").join("lever.rs"));
    // The pub(crate) items a plugin cannot reach, in the modules it can.
    let api: Vec<_> = rest
        .into_iter()
        .filter(|(p, _)| {
            let module = p.strip_prefix(&src).unwrap().components().next().unwrap();
            let module = module.as_os_str().to_string_lossy();
            PLUGIN_API.contains(&module.trim_end_matches(".rs"))
        })
        .collect();
    assert!(
        handlers.len() >= 6,
        "the handler files were found: {}",
        handlers.len()
    );
    let mut restricted = restricted_names(&api);
    // Names the handlers declare themselves, and standard methods that share a name with
    // a restricted item (`Vec::push`), are not uses of it.
    let own: Vec<_> = handlers.to_vec();
    for (_, source) in &own {
        for line in source.lines() {
            let line = line.trim_start();
            if let Some(at) = line.find("fn ") {
                let name: String = line[at + 3..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                restricted.remove(&name);
            }
        }
    }
    restricted.remove("push");
    let mut problems = Vec::new();
    for (path, source) in &handlers {
        for (i, line) in source.lines().enumerate() {
            for (at, _) in line.match_indices(CRATE_PATH) {
                let module: String = line[at + CRATE_PATH.len()..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !PLUGIN_API.contains(&module.as_str()) {
                    let at = format!("{}:{}", path.display(), i + 1);
                    problems.push(format!("{at}: reaches the `{module}` module"));
                }
            }
        }
        for name in used_names(source).intersection(&restricted) {
            problems.push(format!(
                "{}: uses `{name}`, which is pub(crate)",
                path.display()
            ));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}
