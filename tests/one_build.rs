//! Tests and the binary share one build: no test runs cargo itself (a nested `cargo build`
//! with another profile or environment made every switch between `cargo test` and
//! `cargo run --release` recompile ring, rustls and reqwest). Tests that need the binary run
//! the one cargo built for them, `CARGO_BIN_EXE_slack-zoom`.

use std::path::Path;

#[test]
fn no_test_starts_a_second_cargo_build() {
    let tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut offenders = Vec::new();
    let mut stack = vec![tests];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs")
                && path.file_name().is_some_and(|n| n != "one_build.rs")
            {
                let text = std::fs::read_to_string(&path).unwrap();
                let runs_cargo = ["env!(\"CARGO\")", "Command::new(\"cargo\")"]
                    .iter()
                    .any(|needle| text.contains(needle));
                if runs_cargo {
                    offenders.push(path.display().to_string());
                }
            }
        }
    }
    assert!(offenders.is_empty(), "tests that run cargo: {offenders:?}");
    assert!(
        Path::new(env!("CARGO_BIN_EXE_slack-zoom")).exists(),
        "cargo built the binary for the tests"
    );
}
