//! From the paths a crate writes to the graph of which file uses which, and the two checks on it:
//! no circle among files, and no module using a module of a layer above its own.

use crate::modules::{Crate, ModPath};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

/// Why a file uses another: the first place it names something defined there.
pub struct Why {
    pub line: usize,
    pub path: String,
}

pub struct Graph {
    /// file -> file it uses -> the first reference that makes it so.
    pub edges: BTreeMap<PathBuf, BTreeMap<PathBuf, Why>>,
    /// The top-level module (the layer unit) each file belongs to; `None` for the crate root.
    pub group: HashMap<PathBuf, Option<String>>,
}

/// Where a path written in `module` points, as an absolute path; `None` for other crates, the
/// prelude and names local to the module.
fn resolve(krate: &Crate, module: &ModPath, path: &[String], depth: usize) -> Option<Vec<String>> {
    let first = path.first()?;
    if depth > 16 {
        return None;
    }
    let (mut base, rest) = match first.as_str() {
        "crate" => (Vec::new(), &path[1..]),
        "self" => (module.clone(), &path[1..]),
        "super" => {
            let mut base = module.clone();
            let supers = path.iter().take_while(|s| *s == "super").count();
            for _ in 0..supers {
                base.pop()?;
            }
            (base, &path[supers..])
        }
        _ => {
            let mut child = module.clone();
            child.push(first.clone());
            if krate.files.contains_key(&child) {
                (module.clone(), path)
            } else {
                let target = krate.imports.get(module)?.get(first)?;
                if target.as_slice() == path {
                    return None;
                }
                let mut resolved = resolve(krate, module, target, depth + 1)?;
                resolved.extend_from_slice(&path[1..]);
                return Some(resolved);
            }
        }
    };
    base.extend_from_slice(rest);
    Some(base)
}

/// The module that defines what an absolute path names, through any `use` that re-exports it.
fn defining_module(krate: &Crate, mut path: Vec<String>) -> Option<ModPath> {
    for _ in 0..16 {
        let known = (0..=path.len()).rev().find(|k| krate.files.contains_key(&path[..*k]))?;
        let module = path[..known].to_vec();
        let rest = &path[known..];
        let reexport = rest.first().and_then(|name| krate.imports.get(&module)?.get(name));
        match reexport {
            Some(target) => {
                let mut next = resolve(krate, &module, target, 0)?;
                next.extend_from_slice(&rest[1..]);
                if next == path {
                    return Some(module);
                }
                path = next;
            }
            None => return Some(module),
        }
    }
    None
}

pub fn build(krate: &Crate) -> Graph {
    let mut edges: BTreeMap<PathBuf, BTreeMap<PathBuf, Why>> = BTreeMap::new();
    let mut group = HashMap::new();
    for (module, file) in &krate.files {
        if krate.is_test_only(module) {
            continue;
        }
        edges.entry(file.clone()).or_default();
        // A file's own module comes before its inline ones (a path sorts before its extensions).
        group.entry(file.clone()).or_insert_with(|| module.first().cloned());
    }
    for r in &krate.references {
        if krate.is_test_only(&r.module) {
            continue;
        }
        let Some(absolute) = resolve(krate, &r.module, &r.path, 0) else { continue };
        let Some(target) = defining_module(krate, absolute) else { continue };
        let (Some(from), Some(to)) = (krate.files.get(&r.module), krate.files.get(&target)) else { continue };
        if from != to && !krate.is_test_only(&target) {
            edges
                .entry(from.clone())
                .or_default()
                .entry(to.clone())
                .or_insert_with(|| Why { line: r.line, path: r.path.join("::") });
        }
    }
    Graph { edges, group }
}

/// One circle among the nodes of `edges`, if there is any, as the list of its nodes.
pub fn find_circle<N: Ord + Clone>(edges: &BTreeMap<N, BTreeSet<N>>) -> Option<Vec<N>> {
    fn visit<N: Ord + Clone>(
        node: &N,
        edges: &BTreeMap<N, BTreeSet<N>>,
        done: &mut BTreeSet<N>,
        stack: &mut Vec<N>,
    ) -> Option<Vec<N>> {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let mut circle = stack[at..].to_vec();
            circle.push(node.clone());
            return Some(circle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.clone());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(circle) = visit(next, edges, done, stack) {
                return Some(circle);
            }
        }
        stack.pop();
        done.insert(node.clone());
        None
    }
    let mut done = BTreeSet::new();
    edges.keys().find_map(|n| visit(n, edges, &mut done, &mut Vec::new()))
}

/// Every group of two or more nodes that all reach each other, each with one circle through it.
pub fn circles<N: Ord + Clone>(edges: &BTreeMap<N, BTreeSet<N>>) -> Vec<Vec<N>> {
    let reach = |from: &N| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.clone()];
        while let Some(n) = todo.pop() {
            for next in edges.get(&n).into_iter().flatten() {
                if seen.insert(next.clone()) {
                    todo.push(next.clone());
                }
            }
        }
        seen
    };
    let reaches: BTreeMap<N, BTreeSet<N>> = edges.keys().map(|n| (n.clone(), reach(n))).collect();
    let mut placed = BTreeSet::new();
    let mut out = Vec::new();
    for n in edges.keys() {
        if placed.contains(n) || !reaches[n].contains(n) {
            continue;
        }
        let members: BTreeSet<N> = reaches[n].iter().filter(|m| reaches[*m].contains(n)).cloned().collect();
        placed.extend(members.iter().cloned());
        let within = members.iter().map(|m| (m.clone(), edges[m].intersection(&members).cloned().collect())).collect();
        out.extend(find_circle(&within));
    }
    out
}

impl Graph {
    pub fn file_edges(&self) -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
        self.edges.iter().map(|(f, to)| (f.clone(), to.keys().cloned().collect())).collect()
    }

    /// Top-level module -> top-level modules it uses, with one file edge that shows each.
    pub fn group_edges(&self) -> BTreeMap<String, BTreeMap<String, (PathBuf, PathBuf)>> {
        let mut out: BTreeMap<String, BTreeMap<String, (PathBuf, PathBuf)>> = BTreeMap::new();
        for (from, targets) in &self.edges {
            let Some(Some(g)) = self.group.get(from) else { continue };
            out.entry(g.clone()).or_default();
            for to in targets.keys() {
                if let Some(Some(h)) = self.group.get(to) {
                    if g != h {
                        out.entry(g.clone()).or_default().entry(h.clone()).or_insert((from.clone(), to.clone()));
                    }
                }
            }
        }
        out
    }
}
