//! The check on small crates written for it: it passes a layered crate, and fails one with an
//! import circle, one whose module uses a higher layer, and one with a module in no layer.

use std::path::Path;

fn write(root: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

const HEADER: &str = "//! Layers:\n//! 1. `base/`\n//! 2. `top/`\n\nmod base;\nmod top;\n";

fn layered() -> Vec<(&'static str, &'static str)> {
    vec![
        ("lib.rs", HEADER),
        ("base/mod.rs", "//! Bottom.\npub mod names;\npub mod keys;\n"),
        ("base/names.rs", "pub struct Name;\n"),
        ("base/keys.rs", "use crate::base::names::Name;\npub fn key(_: &Name) {}\n"),
        ("top/mod.rs", "//! Top.\npub mod engine;\n"),
        ("top/engine.rs", "use crate::base::keys;\npub fn run() { keys::key(&crate::base::names::Name) }\n"),
    ]
}

#[test]
fn a_layered_crate_passes() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &layered());
    let summary = firn_layers::check(dir.path()).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(summary.layers, vec![(1, vec!["base".to_string()]), (2, vec!["top".to_string()])]);
    assert_eq!(summary.uses, 3, "keys -> names, engine -> keys, engine -> names");
}

#[test]
fn a_circle_between_two_files_fails() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = layered();
    // names.rs now uses keys.rs, which uses names.rs: a circle inside one layer.
    files[2] = ("base/names.rs", "pub struct Name;\npub fn first() { crate::base::keys::key(&Name) }\n");
    write(dir.path(), &files);
    let errors = firn_layers::check(dir.path()).unwrap_err();
    assert!(errors[0].starts_with("import circle: base/keys.rs -> base/names.rs -> base/keys.rs"), "{errors:?}");
}

#[test]
fn a_circle_through_a_reexport_and_a_parent_fails() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = layered();
    // The folder's mod.rs defines what a child uses, and uses that child: a circle.
    files[1] = ("base/mod.rs", "pub mod names;\npub mod keys;\npub use keys::key;\npub struct Root;\n");
    files[2] = ("base/names.rs", "pub struct Name(pub super::Root);\n");
    write(dir.path(), &files);
    let errors = firn_layers::check(dir.path()).unwrap_err();
    assert!(errors.iter().any(|e| e.starts_with("import circle:") && e.contains("base/mod.rs")), "{errors:?}");
}

#[test]
fn using_a_higher_layer_fails() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = layered();
    files[2] = ("base/names.rs", "pub struct Name;\npub fn up() { crate::top::engine::run() }\n");
    write(dir.path(), &files);
    let errors = firn_layers::check(dir.path()).unwrap_err();
    assert!(errors.iter().any(|e| e.starts_with("`base` (layer 1) uses `top` (layer 2)")), "{errors:?}");
}

#[test]
fn a_module_in_no_layer_fails_and_tests_do_not_count() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = layered();
    files[0] = ("lib.rs", "//! 1. `base/`\n\nmod base;\nmod top;\n");
    // A test module may use anything: it is not part of the layering.
    files[2] = ("base/names.rs", "pub struct Name;\n#[cfg(test)]\nmod tests {\n    use crate::top::engine::run;\n}\n");
    write(dir.path(), &files);
    let errors = firn_layers::check(dir.path()).unwrap_err();
    assert_eq!(errors, vec!["top-level module `top` is in no layer of the crate root's header".to_string()]);
}
