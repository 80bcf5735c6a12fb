//! The committed `completions/` and `man/` match what `gen-docs` generates now.

#[path = "gen_docs.rs"]
mod gen_docs;

use std::path::Path;

#[test]
fn committed_completions_and_man_pages_are_fresh() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate lives in the workspace");
    let tmp = tempfile::tempdir().expect("temp dir");
    let written = gen_docs::write_all(tmp.path()).expect("generate into the temp dir");
    let mut problems = Vec::new();
    for rel in &written {
        let fresh = std::fs::read(tmp.path().join(rel)).expect("read a generated file");
        match std::fs::read(root.join(rel)) {
            Ok(committed) if committed == fresh => {}
            Ok(_) => problems.push(format!("{} differs", rel.display())),
            Err(_) => problems.push(format!("{} is missing", rel.display())),
        }
    }
    for dir in gen_docs::DIRS {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for entry in entries.flatten() {
            let rel = Path::new(dir).join(entry.file_name());
            if entry.path().is_file() && !written.contains(&rel) {
                problems.push(format!("{} is no longer generated", rel.display()));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "completions/ and man/ are stale; run `{}` and commit the result:\n  {}",
        gen_docs::REGENERATE,
        problems.join("\n  ")
    );
}
