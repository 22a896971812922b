//! Keeps the top-level modules of `src/` free of import cycles: reads every `crate::` path in
//! the sources and fails, naming the files and lines, when two modules reach each other.
//!
//! A module is `src/x.rs` together with `src/x/`; its own submodules may use each other
//! freely. Comments are skipped, string literals are read (`deserialize_with = "crate::…"` is
//! a real dependency), and names re-exported at the crate root are traced to their module.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// One `crate::` reference: the module it names and where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Reference {
    /// The first segment after `crate::`, or each first segment of a `crate::{…}` group.
    name: String,
    /// The 1-based line of the `crate::`.
    line: usize,
}

/// The source with comments blanked out (newlines kept, so lines still count).
fn without_comments(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if chars[i] == '\n' {
                        out.push('\n');
                    }
                    i += 1;
                }
            }
        } else if c == '"' {
            // A string literal, copied whole so a `//` inside it is not a comment.
            out.push(c);
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' && i + 1 < chars.len() {
                    out.push(chars[i]);
                    i += 1;
                }
                out.push(chars[i]);
                i += 1;
            }
            if i < chars.len() {
                out.push('"');
                i += 1;
            }
        } else if c == '\'' && (next == Some('\\') || chars.get(i + 2) == Some(&'\'')) {
            // A char literal such as '"' or '\''; a lifetime falls through below.
            let end = if next == Some('\\') {
                (i + 2..chars.len())
                    .find(|&j| chars[j] == '\'')
                    .unwrap_or(chars.len() - 1)
            } else {
                i + 2
            };
            out.extend(&chars[i..=end]);
            i = end + 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// Every `crate::` (or `$crate::`) reference in `source`.
fn references(source: &str) -> Vec<Reference> {
    let text = without_comments(source);
    let mut found = Vec::new();
    for (at, _) in text.match_indices("crate::") {
        let before = text[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let line = text[..at].matches('\n').count() + 1;
        let rest = text[at + "crate::".len()..].trim_start();
        let names = match rest.strip_prefix('{') {
            Some(group) => group_heads(group),
            None => first_identifier(rest).into_iter().collect(),
        };
        found.extend(names.into_iter().map(|name| Reference { name, line }));
    }
    found
}

/// The first path segment of each item of a `{a::b, c, d::{e, f}}` group (`group` starts
/// just after the opening brace).
fn group_heads(group: &str) -> Vec<String> {
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut item_start = true;
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => item_start = true,
            c if item_start && !c.is_whitespace() => {
                heads.extend(first_identifier(&group[i..]));
                item_start = false;
            }
            _ => {}
        }
    }
    heads
}

fn first_identifier(text: &str) -> Option<String> {
    let name: String = text
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty()).then_some(name)
}

/// The top-level module a file under `src/` belongs to, or `None` for the crate root, the
/// binary and this file (whose sample sources are not imports).
fn module_of(relative: &Path) -> Option<String> {
    let first = relative.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (!matches!(name, "lib" | "main" | "module_graph_tests")).then(|| name.to_owned())
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Names re-exported by `lib.rs` (`pub use x::{A, B}`), mapped to their module `x`.
fn root_reexports(lib: &str) -> BTreeMap<String, String> {
    let mut names = BTreeMap::new();
    for line in without_comments(lib).lines() {
        let Some(path) = line.trim().strip_prefix("pub use ") else {
            continue;
        };
        let path = path.trim_end_matches(';');
        let Some((module, items)) = path.split_once("::") else {
            continue;
        };
        let items = items.trim_start_matches('{').trim_end_matches('}');
        for item in items.split(',') {
            let name = item.rsplit("::").next().unwrap_or(item).trim();
            let name = name.rsplit(" as ").next().unwrap_or(name).trim();
            names.insert(name.to_owned(), module.to_owned());
        }
    }
    names
}

/// Module → module it uses → where (`file:line`).
type Graph = BTreeMap<String, BTreeMap<String, Vec<String>>>;

fn crate_graph(src: &Path) -> Graph {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let modules: BTreeSet<String> = files
        .iter()
        .filter_map(|f| module_of(f.strip_prefix(src).unwrap()))
        .collect();
    let lib = std::fs::read_to_string(src.join("lib.rs")).expect("src/lib.rs");
    let reexports = root_reexports(&lib);
    let mut graph = Graph::new();
    let mut unknown = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(src).unwrap();
        let Some(from) = module_of(relative) else {
            continue;
        };
        let source = std::fs::read_to_string(file).expect("a readable source file");
        for reference in references(&source) {
            let to = if modules.contains(&reference.name) {
                reference.name.clone()
            } else if let Some(module) = reexports.get(&reference.name) {
                module.clone()
            } else {
                unknown.push(format!(
                    "{}:{}: crate::{}",
                    relative.display(),
                    reference.line,
                    reference.name
                ));
                continue;
            };
            if to != from {
                graph
                    .entry(from.clone())
                    .or_default()
                    .entry(to)
                    .or_default()
                    .push(format!("{}:{}", relative.display(), reference.line));
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "these paths name no module of src/ nor a name lib.rs re-exports:\n{}",
        unknown.join("\n")
    );
    graph
}

/// The groups of two or more modules that reach each other (Tarjan's strongly connected
/// components), each sorted.
fn cycles(graph: &Graph) -> Vec<Vec<String>> {
    struct Walk<'a> {
        graph: &'a Graph,
        next_index: usize,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: Vec<Vec<String>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, module: &'a str) {
            self.index.insert(module, self.next_index);
            self.low.insert(module, self.next_index);
            self.next_index += 1;
            self.stack.push(module);
            self.on_stack.insert(module);
            let graph = self.graph;
            for used in graph.get(module).into_iter().flat_map(|m| m.keys()) {
                let used = used.as_str();
                if !self.index.contains_key(used) {
                    self.visit(used);
                    let low = self.low[module].min(self.low[used]);
                    self.low.insert(module, low);
                } else if self.on_stack.contains(used) {
                    let low = self.low[module].min(self.index[used]);
                    self.low.insert(module, low);
                }
            }
            if self.low[module] == self.index[module] {
                let mut group = Vec::new();
                while let Some(member) = self.stack.pop() {
                    self.on_stack.remove(member);
                    group.push(member.to_owned());
                    if member == module {
                        break;
                    }
                }
                if group.len() > 1 {
                    group.sort();
                    self.found.push(group);
                }
            }
        }
    }
    let mut walk = Walk {
        graph,
        next_index: 0,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for module in graph.keys() {
        if !walk.index.contains_key(module.as_str()) {
            walk.visit(module);
        }
    }
    walk.found
}

/// The edges inside one cycle, with where each is written, for the failure message.
fn describe(graph: &Graph, group: &[String]) -> String {
    let mut lines = vec![format!("cycle among {}:", group.join(", "))];
    for from in group {
        for (to, places) in graph.get(from).into_iter().flatten() {
            if group.contains(to) {
                lines.push(format!("  {from} -> {to}: {}", places.join(", ")));
            }
        }
    }
    lines.join("\n")
}

#[test]
fn no_two_top_level_modules_import_each_other() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = crate_graph(&src);
    assert!(
        graph.len() > 10,
        "the walk over src/ found too few modules: {graph:?}"
    );
    let found: Vec<String> = cycles(&graph)
        .iter()
        .map(|group| describe(&graph, group))
        .collect();
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn grouped_and_plain_paths_are_read_and_comments_are_not() {
    let source = r#"
use crate::store::Store;
use crate::{config::Config, handler::{BoxError, Outcome},
    lever};
// use crate::admin::Nope;
/* crate::tls::Nope */
#[serde(deserialize_with = "crate::duration::deserialize")]
let url = "https://example.com"; let c = '"'; fn f<'a>(x: &'a crate::event::Id) {}
"#;
    let names: Vec<(String, usize)> = references(source)
        .into_iter()
        .map(|r| (r.name, r.line))
        .collect();
    let expected = [
        ("store", 2),
        ("config", 3),
        ("handler", 3),
        ("lever", 3),
        ("duration", 7),
        ("event", 8),
    ];
    let expected: Vec<(String, usize)> =
        expected.iter().map(|(n, l)| (n.to_string(), *l)).collect();
    assert_eq!(names, expected);
}

#[test]
fn a_loop_through_three_modules_is_one_cycle() {
    let edge = |from: &str, to: &str| {
        (
            from.to_owned(),
            BTreeMap::from([(to.to_owned(), vec![format!("{from}.rs:1")])]),
        )
    };
    let graph: Graph = [
        edge("a", "b"),
        edge("b", "c"),
        edge("c", "a"),
        edge("d", "a"),
    ]
    .into_iter()
    .collect();
    assert_eq!(cycles(&graph), vec![vec!["a", "b", "c"]]);
    let acyclic: Graph = [edge("a", "b"), edge("b", "c")].into_iter().collect();
    assert!(cycles(&acyclic).is_empty());
}

#[test]
fn names_reexported_at_the_root_lead_to_their_module() {
    let lib = "pub use app::App;\npub use handler::{Handler, HandlerRegistry, Outcome};\n";
    let names = root_reexports(lib);
    assert_eq!(names["App"], "app");
    assert_eq!(names["Outcome"], "handler");
}
