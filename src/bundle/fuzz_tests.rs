//! Property tests that feed damaged bundles to the reader and every command built on it:
//! whatever the bytes, the answer is a result, never a panic, and nothing is written outside
//! the extraction directory.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::manifest::{ProjectRecord, SpecRecord, Tool};
use super::reader::Bundle;
use super::timestamp::Timestamp;
use super::{Extra, Manifest, diff, extract, html, inspect, layout, verify, write_bundle};
use crate::item::{Format, Kind, RawItem};
use crate::redact::{Counts, Redactor, redact_items};

fn valid_bundle() -> Vec<u8> {
    let dir = tempfile::tempdir().expect("tempdir");
    let manifest = Manifest {
        format: super::FORMAT.into(),
        tool: Tool::this(),
        project: ProjectRecord {
            name: "fuzz".into(),
            display: "Fuzz".into(),
            repository: None,
        },
        spec: SpecRecord {
            origin: "built-in:fuzz".into(),
            sha256: "0".repeat(64),
            os: None,
        },
        created: "1980-01-01T00:00:00Z".into(),
        private: false,
        facts: BTreeMap::new(),
        items: Vec::new(),
        checks: Vec::new(),
        files: BTreeMap::new(),
    };
    let raws = vec![
        RawItem::collected(
            "a",
            Kind::Command,
            "a",
            "a.txt",
            "alpha\n".repeat(50).into_bytes(),
        ),
        RawItem::collected(
            "cfg",
            Kind::File,
            "config.toml",
            "config.toml",
            b"[general]\nmode = \"detect\"\n".to_vec(),
        ),
    ];
    let mut redactor = Redactor::new(&crate::redact::Options {
        no_default_rules: true,
        keep_identifiers: true,
        ..Default::default()
    })
    .expect("redactor");
    let items = layout::place(redact_items(raws, &mut redactor, &Default::default()));
    let spec = redactor.redact_text(
        b"schema = 1\n[project]\nname = \"fuzz\"\n",
        Format::Toml,
        &mut Counts::default(),
    );
    let written = write_bundle(
        dir.path(),
        manifest,
        &items,
        &[Extra::spec(&spec)],
        Timestamp::from_source_date_epoch(None).expect("epoch"),
    )
    .expect("write");
    std::fs::read(written.path).expect("read back")
}

/// Open `bytes` as a bundle and run every read-only command over it.
fn exercise(bytes: &[u8]) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("b.zip");
    std::fs::write(&path, bytes).expect("write");
    let Ok(mut bundle) = Bundle::open(&path) else {
        return;
    };
    let _ = verify::verify(&mut bundle);
    let _ = inspect::inspect(&mut bundle);
    let _ = html::inspect_page(&mut bundle, html::Limits::default());
    if let Ok(mut other) = Bundle::open(&path) {
        let _ = diff::diff(&mut bundle, &mut other, diff::Options::default());
        let _ = html::diff_page(
            &mut bundle,
            &mut other,
            diff::Options::default(),
            html::Limits::default(),
        );
    }
    let to = dir.path().join("out");
    let _ = extract::extract(&mut bundle, &to, false);
    for entry in std::fs::read_dir(dir.path()).expect("list").flatten() {
        let name = entry.file_name();
        assert!(
            name == "b.zip" || name == "out",
            "wrote {name:?} outside the extraction dir"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn flipped_bytes_never_panic(flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)) {
        let mut bytes = valid_bundle();
        for (at, value) in flips {
            let i = at.index(bytes.len());
            bytes[i] ^= value | 1;
        }
        exercise(&bytes);
    }

    #[test]
    fn truncated_bundles_never_panic(cut in any::<prop::sample::Index>()) {
        let bytes = valid_bundle();
        exercise(&bytes[..cut.index(bytes.len())]);
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        exercise(&bytes);
    }
}

/// The undamaged bundle opens and verifies, so the properties above reach past `open`.
#[test]
fn the_seed_bundle_is_intact() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("b.zip");
    std::fs::write(&path, valid_bundle()).expect("write");
    let mut bundle = Bundle::open(&path).expect("opens");
    let v = verify::verify(&mut bundle).expect("verifies");
    assert!(v.problems.is_empty(), "{:?}", v.problems);
}
