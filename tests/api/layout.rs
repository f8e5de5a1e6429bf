//! The crate's layout keeps its one rule: no two modules import each other,
//! and no two top-level folders depend on each other. Read from the source,
//! so a change that adds a cycle fails here rather than in a reader's head.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

type Module = Vec<String>;

/// Every source file under `src/`, as its module path (`web/routes/callback`
/// is `["web", "routes", "callback"]`), with its code.
fn modules() -> BTreeMap<Module, String> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<Module, String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, root, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let relative = path.strip_prefix(root).unwrap().with_extension("");
                let mut module: Module =
                    relative.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
                if matches!(module.last().map(String::as_str), Some("mod" | "lib" | "main")) {
                    module.pop();
                }
                let source = std::fs::read_to_string(&path).unwrap();
                // Code only: no tests, and no comments (docs link to modules they do not import).
                let code = source.split("#[cfg(test)]").next().unwrap_or_default();
                let code =
                    code.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n");
                out.insert(module, code);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = BTreeMap::new();
    walk(&root, &root, &mut out);
    out
}

/// The absolute paths a file in `module` names with `crate::…` or
/// `super::…`, `{…}` groups expanded one level.
fn crate_paths(module: &[String], code: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    let starts = code.match_indices("crate::").map(|(at, m)| (at + m.len(), Vec::new()));
    let parent = module[..module.len().saturating_sub(1)].to_vec();
    let supers = code
        .match_indices("super::")
        .filter(|(at, _)| !code[..*at].ends_with("super::"))
        .map(|(at, m)| (at + m.len(), parent.clone()));
    for (start, prefix) in starts.chain(supers) {
        let rest = &code[start..];
        let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')).unwrap_or(rest.len());
        let mut base = prefix;
        base.extend(rest[..end].split("::").filter(|s| !s.is_empty()).map(str::to_owned));
        if rest[end..].starts_with('{') {
            let group = &rest[end + 1..rest[end..].find('}').map_or(rest.len(), |i| end + i)];
            for item in group.split(',') {
                let item = item.split(" as ").next().unwrap_or("").trim();
                let mut path = base.clone();
                path.extend(item.split("::").filter(|s| !s.is_empty()).map(str::to_owned));
                paths.push(path);
            }
        }
        paths.push(base);
    }
    paths
}

/// `(from, to)` for every module that imports another, outside its own subtree.
fn imports() -> BTreeSet<(Module, Module)> {
    let modules = modules();
    let mut edges = BTreeSet::new();
    for (module, code) in &modules {
        for path in crate_paths(module, code) {
            let target = (0..=path.len()).rev().map(|n| path[..n].to_vec()).find(|m| modules.contains_key(m));
            if let Some(target) = target
                && !target.is_empty()
                && !module.starts_with(&target)
            {
                edges.insert((module.clone(), target));
            }
        }
    }
    edges
}

#[test]
fn no_two_modules_import_each_other() {
    let edges = imports();
    let mutual: Vec<_> =
        edges.iter().filter(|(a, b)| a < b && edges.contains(&(b.clone(), a.clone()))).collect();
    assert!(mutual.is_empty(), "modules that import each other: {mutual:?}");
    assert!(edges.len() > 50, "the import graph was read ({} edges)", edges.len());
}

#[test]
fn no_two_top_level_parts_depend_on_each_other() {
    let top: BTreeSet<(String, String)> = imports()
        .into_iter()
        .filter_map(|(a, b)| Some((a.first()?.clone(), b.first()?.clone())))
        .filter(|(a, b)| a != b)
        .collect();
    let mutual: Vec<_> = top.iter().filter(|(a, b)| a < b && top.contains(&(b.clone(), a.clone()))).collect();
    assert!(mutual.is_empty(), "folders that depend on each other: {mutual:?}");
    assert!(top.contains(&("web".to_owned(), "deploy".to_owned())), "the web edge uses the deploy");
}
