//! The shape of the source tree, as `src/lib.rs` describes it: layers import downward only
//! (`http → app → stages`), so the import graph of the top-level modules has no cycle, and only
//! `src/http/` and `main.rs` name the HTTP server crates. Read from the source text: every
//! `crate::…` path and every `super::…` that climbs to the crate root is an edge.
//!
//! `cargo test --test integration layers -- --nocapture` prints the graph.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Crates only the HTTP shell may name (as paths: `hyper::…`, `use http_body::…`).
const SHELL_CRATES: [&str; 8] = [
    "axum",
    "hyper",
    "hyper_util",
    "tower",
    "tower_service",
    "tower_http",
    "http_body",
    "http_body_util",
];

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a file under `src/` (`src/app/pipeline/mod.rs` → `["app", "pipeline"]`);
/// `None` for the crate roots.
fn module_path(relative: &Path) -> Option<Vec<String>> {
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let file = parts.pop()?;
    let stem = file.strip_suffix(".rs")?;
    if parts.is_empty() && (stem == "lib" || stem == "main") {
        return None;
    }
    if stem != "mod" {
        parts.push(stem.to_string());
    }
    Some(parts)
}

/// The text without `//` comments (doc comments included): prose may name anything.
fn code_of(text: &str) -> String {
    text.lines()
        .map(|line| line.find("//").map_or(line, |at| &line[..at]))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Identifiers that directly follow `prefix` in `code`, including each first-level name of a
/// `prefix{a, b::c}` group.
fn names_after(code: &str, prefix: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find(prefix) {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + prefix.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        names.push(first_ident(&item));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
            names.push(first_ident(&item));
        } else {
            names.push(first_ident(rest));
        }
    }
    names.retain(|n| !n.is_empty());
    names
}

fn first_ident(text: &str) -> String {
    text.trim_start()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// The top-level modules a file at `module` refers to: `crate::x…` and `super::…::x` paths
/// that reach the crate root. An inline module (`mod tests { … }`, which runs to the end of
/// the file in this code base) is one level deeper for its `super::`.
fn imported_modules(module: &[String], code: &str) -> BTreeSet<String> {
    let inline = code
        .match_indices("mod ")
        .filter(|(at, _)| {
            code[..*at]
                .chars()
                .next_back()
                .is_none_or(|c| !c.is_alphanumeric())
        })
        .find_map(|(at, _)| {
            let rest = &code[at + 4..];
            let name = first_ident(rest);
            rest[name.len()..]
                .trim_start()
                .starts_with('{')
                .then_some((at, name))
        });
    match inline {
        Some((at, name)) => {
            let mut inner = module.to_vec();
            inner.push(name);
            let mut found = imports_at(module, &code[..at]);
            found.extend(imports_at(&inner, &code[at..]));
            found
        }
        None => imports_at(module, code),
    }
}

fn imports_at(module: &[String], code: &str) -> BTreeSet<String> {
    let mut found: BTreeSet<String> = names_after(code, "crate::").into_iter().collect();
    // A file's own module is its parent's child: `super::` from `a/b.rs` (module a::b) is `a`.
    for climbs in 1..=module.len() {
        let prefix = "super::".repeat(climbs);
        let base = &module[..module.len() - climbs];
        for name in names_after(code, &prefix) {
            if name == "super" {
                continue;
            }
            match base.first() {
                Some(top) => found.insert(top.clone()),
                None => found.insert(name),
            };
        }
    }
    found
}

/// One cycle in `graph`, if there is any.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let mut cycle = stack[at..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, stack, done) {
                return Some(cycle);
            }
        }
        stack.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

struct Tree {
    /// Top-level module → the top-level modules it imports.
    graph: BTreeMap<String, BTreeSet<String>>,
    /// Files outside the shell that name a shell crate, with the crate.
    shell_names: Vec<(String, String)>,
}

fn read_tree() -> Tree {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    // The binary's own modules (`mod allocator;` in main.rs) are not the library's.
    let main = code_of(&std::fs::read_to_string(src.join("main.rs")).unwrap());
    let binary_modules: BTreeSet<String> = names_after(&main, "mod ").into_iter().collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut shell_names = Vec::new();
    for file in files {
        let relative = file.strip_prefix(&src).unwrap().to_path_buf();
        let code = code_of(&std::fs::read_to_string(&file).unwrap());
        let shown = relative.display().to_string();
        let in_shell = shown == "main.rs" || relative.starts_with("http");
        if !in_shell {
            for krate in SHELL_CRATES {
                let named = !names_after(&code, &format!("{krate}::")).is_empty()
                    || code.contains(&format!("use {krate};"));
                if named {
                    shell_names.push((shown.clone(), krate.to_string()));
                }
            }
        }
        let Some(module) = module_path(&relative) else {
            continue;
        };
        if binary_modules.contains(&module[0]) {
            continue;
        }
        let top = module[0].clone();
        let imports = imported_modules(&module, &code);
        let edges = graph.entry(top.clone()).or_default();
        edges.extend(imports.into_iter().filter(|m| *m != top));
    }
    Tree { graph, shell_names }
}

#[test]
fn top_level_modules_import_downward_without_a_cycle() {
    let tree = read_tree();
    for (module, imports) in &tree.graph {
        let list: Vec<&str> = imports.iter().map(String::as_str).collect();
        println!("{module} -> {}", list.join(", "));
    }
    // The reader is not blind: the known edges are found.
    assert!(tree.graph["http"].contains("app"), "{:?}", tree.graph);
    assert!(tree.graph["app"].contains("cache"), "{:?}", tree.graph);
    assert!(tree.graph["upload"].contains("source"), "{:?}", tree.graph);
    assert_eq!(find_cycle(&tree.graph), None, "an import cycle");
    for (module, imports) in &tree.graph {
        assert!(!imports.contains("http"), "{module} imports the HTTP shell");
        if module != "http" {
            assert!(!imports.contains("app"), "{module} imports the app layer");
        }
    }
}

#[test]
fn only_the_http_shell_names_the_server_crates() {
    let tree = read_tree();
    assert_eq!(tree.shell_names, Vec::<(String, String)>::new());
}

#[test]
fn the_reader_finds_edges_in_every_spelling() {
    let module = ["source", "remote", "client"].map(String::from);
    let code = code_of(
        "use crate::{config::Root, hex};\n\
         use super::super::address_guard; // crate::ignored\n\
         use super::Original;\n\
         fn f() { crate::cache::Lookup::Hit; }\n\
         mod tests { use super::super::Reach; }",
    );
    let found = imported_modules(&module, &code);
    let want: BTreeSet<String> = ["cache", "config", "hex", "source"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(found, want);
    let mut graph = BTreeMap::new();
    graph.insert("a".to_string(), BTreeSet::from(["b".to_string()]));
    graph.insert("b".to_string(), BTreeSet::from(["a".to_string()]));
    assert!(find_cycle(&graph).is_some());
}
