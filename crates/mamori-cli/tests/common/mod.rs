//! What several CLI tests do to the bundled example inventory: copy it into a temporary
//! directory and change items in the copy between runs. Each test binary uses a part of it.
#![allow(dead_code, reason = "each test binary uses a part of the common module")]

use std::path::{Path, PathBuf};

use serde_json::Value;

/// A copy of `examples/demo-org` in `<into>/inventory`.
pub fn copy_demo_org(into: &Path) -> PathBuf {
    let inventory = into.join("inventory");
    std::fs::create_dir(&inventory).unwrap();
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/demo-org");
    for entry in std::fs::read_dir(demo).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), inventory.join(entry.file_name())).unwrap();
    }
    inventory
}

/// Rewrite the items of `file` for which `edit` returns true; at least one must be.
pub fn edit_items(file: &Path, mut edit: impl FnMut(&mut Value) -> bool) {
    let text = std::fs::read_to_string(file).unwrap();
    let mut changed = 0;
    let lines: Vec<String> = text
        .lines()
        .map(|line| {
            let mut item: Value = serde_json::from_str(line).unwrap();
            if edit(&mut item) {
                changed += 1;
                item.to_string()
            } else {
                line.to_owned()
            }
        })
        .collect();
    assert!(changed > 0, "nothing edited in {}", file.display());
    std::fs::write(file, lines.join("\n") + "\n").unwrap();
}

/// Set the versioning status of `bucket` in `account`'s file of the copied inventory.
pub fn set_versioning(inventory: &Path, account: &str, bucket: &str, status: &str) {
    edit_items(&inventory.join(format!("{account}.jsonl")), |item| {
        if item["resourceType"] != "AWS::S3::Bucket" || item["resourceId"] != bucket {
            return false;
        }
        item["supplementaryConfiguration"]["BucketVersioningConfiguration"]["status"] = status.into();
        true
    });
}

/// The `mamori` binary recording its runs in the findings history `db`.
pub fn mamori(db: &Path) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_mamori"));
    command.env_remove("MAMORI_NO_STORE").env("MAMORI_DB", db);
    command
}

/// Run a command to its end; it must not panic, whatever its exit code.
pub fn run(command: &mut std::process::Command) -> std::process::Output {
    let output = command.output().expect("mamori runs");
    assert!(!String::from_utf8_lossy(&output.stderr).contains("panicked"));
    output
}
