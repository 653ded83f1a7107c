//! `extract`: layout kept, binary items byte for byte, no write through planted symlinks.

use super::*;

fn bundle() -> (Test, PathBuf) {
    let m = demo_machine("1.2.0", "6.1.0", "started\n");
    let b = m.collect();
    (m, b)
}

fn extract(bundle: &Path, to: &Path, force: bool) -> (i32, String) {
    let mut args = vec![
        "extract",
        bundle.to_str().expect("utf-8"),
        "--to",
        to.to_str().expect("utf-8"),
    ];
    if force {
        args.push("--force");
    }
    let (code, out, err) = run_code(&args);
    (code, format!("{out}{err}"))
}

#[test]
fn extracts_the_zip_layout_and_binary_items_as_collected() {
    let (m, b) = bundle();
    let to = m.path().join("x");
    let (code, out) = extract(&b, &to, false);
    assert_eq!(code, 0, "{out}");
    let names: Vec<String> = read_entries(&b).into_iter().map(|(n, _)| n).collect();
    let files: Vec<String> = tree(&to)
        .into_iter()
        .filter(|p| to.join(p).is_file())
        .collect();
    let mut expected = names.clone();
    expected.sort();
    assert_eq!(files, expected);
    for (name, data) in read_entries(&b) {
        assert_eq!(std::fs::read(to.join(&name)).expect("read"), data, "{name}");
    }
    assert_eq!(
        std::fs::read(to.join("files/module/fn.wasm")).expect("wasm"),
        WASM
    );
    assert!(out.contains("binary, as collected"), "{out}");
    assert!(out.contains("files/module/fn.wasm"), "{out}");
}

#[test]
fn non_empty_directory_needs_force() {
    let (m, b) = bundle();
    let to = m.path().join("x");
    std::fs::create_dir_all(&to).expect("mkdir");
    std::fs::write(to.join("notes.txt"), "mine").expect("write");
    let (code, out) = extract(&b, &to, false);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("is not empty; pass --force"), "{out}");
    assert_eq!(tree(&to), vec!["notes.txt".to_string()]);
    let (code, out) = extract(&b, &to, true);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        std::fs::read_to_string(to.join("notes.txt")).expect("kept"),
        "mine"
    );
    assert!(to.join("manifest.json").is_file());
}

#[test]
fn planted_symlinks_are_not_followed() {
    let (m, b) = bundle();
    let outside = m.path().join("outside");
    std::fs::create_dir_all(&outside).expect("mkdir");
    std::fs::write(outside.join("victim"), "precious").expect("write");

    // A file symlink where an entry goes: replaced, never written through.
    let to = m.path().join("x");
    std::fs::create_dir_all(&to).expect("mkdir");
    std::os::unix::fs::symlink(outside.join("victim"), to.join("issue.md")).expect("symlink");
    let (code, out) = extract(&b, &to, true);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        std::fs::read_to_string(outside.join("victim")).expect("victim"),
        "precious"
    );
    assert!(
        !std::fs::symlink_metadata(to.join("issue.md"))
            .expect("meta")
            .file_type()
            .is_symlink()
    );

    // A directory symlink where an entry's directory goes: refused.
    let to = m.path().join("y");
    std::fs::create_dir_all(&to).expect("mkdir");
    std::os::unix::fs::symlink(&outside, to.join("commands")).expect("symlink");
    let (code, out) = extract(&b, &to, true);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("a symlink where a directory goes"), "{out}");
    assert_eq!(tree(&outside), vec!["victim".to_string()]);
}

#[test]
fn a_changed_entry_is_extracted_but_reported() {
    let (m, b) = bundle();
    let bad = m.path().join("bad.zip");
    let mut entries = read_entries(&b);
    let log = entries
        .iter_mut()
        .find(|(n, _)| n == "files/log/demo.log")
        .expect("log");
    log.1 = b"rewritten\n".to_vec();
    write_zip(&bad, &entries);
    let (code, out) = extract(&bad, &m.path().join("x"), false);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("`files/log/demo.log` does not match the manifest"),
        "{out}"
    );
}
