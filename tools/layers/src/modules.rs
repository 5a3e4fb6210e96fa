//! Reads a crate's source tree: which module each file is, what each module imports, and every
//! path in its code that names another module of the crate.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use syn::visit::Visit;

/// A module's absolute path inside its crate (`[]` is the crate root).
pub type ModPath = Vec<String>;

/// One path written in a file, with where it was written.
pub struct Reference {
    pub module: ModPath,
    pub path: Vec<String>,
    pub line: usize,
}

/// A crate's source tree, read.
#[derive(Default)]
pub struct Crate {
    /// The file each module lives in (inline modules map to their file).
    pub files: BTreeMap<ModPath, PathBuf>,
    /// Per module, what each imported name stands for (`use a::b as c` gives `c -> a::b`).
    pub imports: HashMap<ModPath, HashMap<String, Vec<String>>>,
    pub references: Vec<Reference>,
    /// Modules declared `#[cfg(test)] mod name;`, whose files are tests.
    pub test_only: Vec<ModPath>,
}

impl Crate {
    pub fn is_test_only(&self, module: &ModPath) -> bool {
        self.test_only.iter().any(|t| module.starts_with(t))
    }
}

/// Reads every `.rs` file under `src` (the crate root `lib.rs`; `main.rs`, a separate crate, is left
/// out). Test-only items (`#[cfg(test)]`) are skipped: tests are not part of the layering.
pub fn read(src: &Path) -> Result<Crate, String> {
    let mut found = Vec::new();
    walk(src, &mut found)?;
    let mut krate = Crate::default();
    for file in &found {
        if let Some(module) = module_of(src, file) {
            krate.files.insert(module, file.clone());
        }
    }
    let roots: Vec<(ModPath, PathBuf)> = krate.files.iter().map(|(m, f)| (m.clone(), f.clone())).collect();
    for (module, file) in roots {
        let text = std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        let parsed = syn::parse_file(&text).map_err(|e| format!("{}: {e}", file.display()))?;
        let mut reader = Reader { krate: &mut krate, file: file.clone(), module };
        reader.visit_file(&parsed);
    }
    Ok(krate)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    Ok(())
}

/// `a/b.rs` is `a::b`, `a/mod.rs` is `a`, `lib.rs` is the root.
fn module_of(src: &Path, file: &Path) -> Option<ModPath> {
    let relative = file.strip_prefix(src).ok()?;
    let mut parts: Vec<String> = relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let last = parts.pop()?;
    let stem = last.strip_suffix(".rs")?;
    match (parts.is_empty(), stem) {
        (true, "lib") => {}
        (true, "main") => return None,
        (_, "mod") => {}
        _ => parts.push(stem.to_string()),
    }
    Some(parts)
}

struct Reader<'a> {
    krate: &'a mut Crate,
    file: PathBuf,
    module: ModPath,
}

fn is_test_only(attrs: &[syn::Attribute]) -> bool {
    attrs
        .iter()
        .any(|a| a.path().is_ident("cfg") && a.parse_args::<syn::Meta>().is_ok_and(|m| m.path().is_ident("test")))
}

impl Reader<'_> {
    fn note(&mut self, path: Vec<String>, line: usize) {
        if !path.is_empty() {
            self.krate.references.push(Reference { module: self.module.clone(), path, line });
        }
    }

    /// Every leaf of a use tree as a full path; names bound in this module go in its imports.
    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree, line: usize) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(prefix, &p.tree, line);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                let name = n.ident.to_string();
                let full = full_path(prefix, &name);
                let bound = if name == "self" { prefix.last().cloned().unwrap_or_default() } else { name };
                self.bind(bound, full.clone());
                self.note(full, line);
            }
            syn::UseTree::Rename(r) => {
                let full = full_path(prefix, &r.ident.to_string());
                self.bind(r.rename.to_string(), full.clone());
                self.note(full, line);
            }
            syn::UseTree::Glob(_) => self.note(prefix.clone(), line),
            syn::UseTree::Group(g) => {
                for item in &g.items {
                    self.use_tree(prefix, item, line);
                }
            }
        }
    }

    fn bind(&mut self, name: String, target: Vec<String>) {
        self.krate.imports.entry(self.module.clone()).or_default().insert(name, target);
    }
}

fn full_path(prefix: &[String], name: &str) -> Vec<String> {
    let mut full = prefix.to_vec();
    if name != "self" {
        full.push(name.to_string());
    }
    full
}

impl<'ast> Visit<'ast> for Reader<'_> {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        let attrs: &[syn::Attribute] = match item {
            syn::Item::Mod(m) => &m.attrs,
            syn::Item::Fn(f) => &f.attrs,
            syn::Item::Impl(i) => &i.attrs,
            syn::Item::Use(u) => &u.attrs,
            syn::Item::Struct(s) => &s.attrs,
            syn::Item::Enum(e) => &e.attrs,
            syn::Item::Const(c) => &c.attrs,
            syn::Item::Static(s) => &s.attrs,
            syn::Item::Trait(t) => &t.attrs,
            _ => &[],
        };
        if is_test_only(attrs) {
            if let syn::Item::Mod(m) = item {
                let mut module = self.module.clone();
                module.push(m.ident.to_string());
                self.krate.test_only.push(module);
            }
            return;
        }
        syn::visit::visit_item(self, item);
    }

    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        let Some((_, items)) = &m.content else { return };
        self.module.push(m.ident.to_string());
        self.krate.files.entry(self.module.clone()).or_insert_with(|| self.file.clone());
        for item in items {
            self.visit_item(item);
        }
        self.module.pop();
    }

    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        let line = u.use_token.span.start().line;
        self.use_tree(&mut Vec::new(), &u.tree, line);
    }

    /// `pub(crate)` and `pub(super)` say who may see an item, not what it uses.
    fn visit_visibility(&mut self, _: &'ast syn::Visibility) {}

    fn visit_path(&mut self, p: &'ast syn::Path) {
        // A lone name is a local, or an item whose `use` is counted already; never a module.
        if p.leading_colon.is_none() && p.segments.len() > 1 {
            let line = p.segments.first().map_or(0, |s| s.ident.span().start().line);
            self.note(p.segments.iter().map(|s| s.ident.to_string()).collect(), line);
        }
        syn::visit::visit_path(self, p);
    }
}
