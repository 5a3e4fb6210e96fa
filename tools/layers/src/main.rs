//! `firn-layers <src>...`: checks each crate source tree; exits 1 on an import circle or a module
//! that uses one above its layer. `firn-layers --uses <src>...` prints which file uses which.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut failed = false;
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|a| a == "--uses") {
        for src in args[1..].iter().map(PathBuf::from) {
            match firn_layers::uses(&src) {
                Ok(lines) => lines.iter().for_each(|l| println!("{l}")),
                Err(e) => eprintln!("{e}"),
            }
        }
        return ExitCode::SUCCESS;
    }
    for src in args.iter().map(PathBuf::from) {
        match firn_layers::check(&src) {
            Ok(summary) => {
                let layers: Vec<String> =
                    summary.layers.iter().map(|(n, ms)| format!("{n}. {}", ms.join(", "))).collect();
                println!(
                    "{}: {} files, {} uses between them, no circle; layers: {}",
                    src.display(),
                    summary.files,
                    summary.uses,
                    layers.join("; ")
                );
            }
            Err(errors) => {
                failed = true;
                eprintln!("{}:", src.display());
                for e in errors {
                    eprintln!("{e}");
                }
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
