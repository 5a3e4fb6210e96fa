//! The layer order a crate writes in its root's `//!` header: numbered lines, bottom first, each
//! naming its top-level modules in backticks. Every top-level module must be in exactly one layer.

use std::collections::BTreeMap;

/// Top-level module -> its layer number, read from the crate root's text.
pub fn read(root_text: &str, modules: &[String]) -> Result<BTreeMap<String, usize>, Vec<String>> {
    let mut layers = BTreeMap::new();
    let mut errors = Vec::new();
    let mut current: Option<usize> = None;
    for line in root_text.lines() {
        let Some(doc) = line.trim_start().strip_prefix("//!") else { break };
        let doc = doc.trim();
        let number = doc.split_once(". ").and_then(|(n, _)| n.parse::<usize>().ok());
        if number.is_some() {
            current = number;
        } else if doc.is_empty() {
            current = None;
        }
        let Some(layer) = current else { continue };
        for name in doc.split('`').skip(1).step_by(2) {
            let name = name.trim_end_matches('/');
            if modules.iter().any(|m| m == name) {
                if let Some(before) = layers.insert(name.to_string(), layer) {
                    errors.push(format!("`{name}` is in layers {before} and {layer}"));
                }
            }
        }
    }
    for m in modules {
        if !layers.contains_key(m) {
            errors.push(format!("top-level module `{m}` is in no layer of the crate root's header"));
        }
    }
    if errors.is_empty() {
        Ok(layers)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn layers_come_from_numbered_lines_and_their_continuations() {
        let text = "//! Crate.\n//!\n//! 1. `base/`: names and `Clock`.\n//! 2. `meta/` and\n//!    `blob/`.\n//!\n//! Not a layer: `object`.\n//! 3. `object/`.\nmod base;\n";
        let got = read(text, &names(&["base", "meta", "blob", "object"])).unwrap();
        assert_eq!(got["base"], 1);
        assert_eq!(got["meta"], 2);
        assert_eq!(got["blob"], 2);
        assert_eq!(got["object"], 3);
    }

    #[test]
    fn a_module_in_no_layer_or_in_two_is_an_error() {
        let text = "//! 1. `a`\n//! 2. `a`\n";
        let errors = read(text, &names(&["a", "b"])).unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:?}");
    }
}
