//! Checks a crate's module structure: no import circle among its files, and no top-level module
//! using one of a higher layer than its own (the order written in the crate root's header).
//!
//! A file "uses" another when it names something defined there: through `use`, or a path in its
//! code, followed through re-exports to where the item is defined. Test-only code is left out.

mod graph;
mod layers;
mod modules;

use std::path::Path;

/// What a passing check saw, for the log.
#[derive(Debug)]
pub struct Summary {
    pub files: usize,
    pub uses: usize,
    /// Layer number -> its top-level modules.
    pub layers: Vec<(usize, Vec<String>)>,
}

/// Checks the crate whose root is `src/lib.rs`; each error is a line to print.
pub fn check(src: &Path) -> Result<Summary, Vec<String>> {
    let krate = modules::read(src).map_err(|e| vec![e])?;
    let graph = graph::build(&krate);
    let mut errors = Vec::new();
    let files = graph.file_edges();
    for circle in graph::circles(&files) {
        errors.push(format!("import circle: {}", circle.iter().map(|f| show(src, f)).collect::<Vec<_>>().join(" -> ")));
        for pair in circle.windows(2) {
            let why = &graph.edges[&pair[0]][&pair[1]];
            errors.push(format!("  {}:{} names {}", show(src, &pair[0]), why.line, why.path));
        }
    }
    let groups = graph.group_edges();
    let top: Vec<String> = groups.keys().cloned().collect();
    let root_text = std::fs::read_to_string(src.join("lib.rs")).map_err(|e| vec![e.to_string()])?;
    match layers::read(&root_text, &top) {
        Err(mut e) => errors.append(&mut e),
        Ok(layer_of) => {
            for (from, targets) in &groups {
                for (to, (file, used)) in targets {
                    if layer_of[to] > layer_of[from] {
                        let why = &graph.edges[file][used];
                        errors.push(format!(
                            "`{from}` (layer {}) uses `{to}` (layer {}): {}:{} names {}",
                            layer_of[from],
                            layer_of[to],
                            show(src, file),
                            why.line,
                            why.path
                        ));
                    }
                }
            }
            let plain = groups.iter().map(|(g, t)| (g.clone(), t.keys().cloned().collect())).collect();
            for circle in graph::circles(&plain) {
                errors.push(format!("circle among top-level modules: {}", circle.join(" -> ")));
            }
            if errors.is_empty() {
                let mut by_layer: std::collections::BTreeMap<usize, Vec<String>> = Default::default();
                for (m, l) in layer_of {
                    by_layer.entry(l).or_default().push(m);
                }
                return Ok(Summary {
                    files: files.len(),
                    uses: files.values().map(|t| t.len()).sum(),
                    layers: by_layer.into_iter().collect(),
                });
            }
        }
    }
    Err(errors)
}

/// Each file and the files it uses, one line each: the map to read before moving things.
pub fn uses(src: &Path) -> Result<Vec<String>, String> {
    let graph = graph::build(&modules::read(src)?);
    Ok(graph
        .file_edges()
        .iter()
        .map(|(f, to)| format!("{}: {}", show(src, f), to.iter().map(|t| show(src, t)).collect::<Vec<_>>().join(" ")))
        .collect())
}

fn show(src: &Path, file: &Path) -> String {
    file.strip_prefix(src).unwrap_or(file).display().to_string()
}
