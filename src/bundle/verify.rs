//! `verify`: is this bundle exactly what `collect` wrote?
//!
//! Every entry is re-hashed (streamed) against `manifest.files`; the manifest must list
//! exactly the entries present (besides itself); each item's `sha256` must agree with its
//! file's; and when the file name has the `<project>-bundle-<id12>.zip` shape, its id12 must be
//! the start of the manifest's sha256. Structural problems (a hostile zip) are [`ReadError`]s;
//! content that differs is a list of [`Problem`]s, so a caller can tell "refused" from
//! "tampered".

use std::fmt::{self, Write as _};

use serde::Serialize;

use super::reader::{Bundle, ReadError};
use super::sha256_hex;
use crate::sanitize::for_terminal;

/// One way the bundle differs from its manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum Problem {
    /// `manifest.json` is absent or does not parse.
    Manifest {
        /// Why.
        reason: String,
    },
    /// An entry's content hash differs from the manifest's.
    Content {
        /// The entry.
        entry: String,
        /// sha256 the manifest records.
        expected: String,
        /// sha256 of the content.
        actual: String,
    },
    /// An entry's size differs from the manifest's.
    Size {
        /// The entry.
        entry: String,
        /// Size the manifest records.
        expected: u64,
        /// Size of the content.
        actual: u64,
    },
    /// An entry's data cannot be decompressed intact (CRC or inflate error).
    Unreadable {
        /// The entry.
        entry: String,
        /// What went wrong.
        reason: String,
    },
    /// The manifest lists an entry the zip does not hold.
    Missing {
        /// The entry.
        entry: String,
    },
    /// The zip holds an entry the manifest does not list.
    Unlisted {
        /// The entry.
        entry: String,
    },
    /// An item's record disagrees with the file table.
    Item {
        /// The item id.
        item: String,
        /// What disagrees.
        reason: String,
    },
    /// The file name's id12 is not the manifest's.
    FileName {
        /// The file name.
        name: String,
        /// The first 12 hex digits of the manifest's sha256.
        id12: String,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = |t: &str| for_terminal(t).into_owned();
        match self {
            Problem::Manifest { reason } => write!(f, "manifest.json: {}", s(reason)),
            Problem::Content {
                entry,
                expected,
                actual,
            } => write!(
                f,
                "{}: content changed (sha256 {actual}, manifest says {expected})",
                s(entry)
            ),
            Problem::Size {
                entry,
                expected,
                actual,
            } => write!(
                f,
                "{}: size {actual} bytes, manifest says {expected}",
                s(entry)
            ),
            Problem::Unreadable { entry, reason } => {
                write!(f, "{}: unreadable ({})", s(entry), s(reason))
            }
            Problem::Missing { entry } => {
                write!(f, "{}: listed in the manifest but not in the zip", s(entry))
            }
            Problem::Unlisted { entry } => {
                write!(f, "{}: in the zip but not in the manifest", s(entry))
            }
            Problem::Item { item, reason } => write!(f, "item {}: {}", s(item), s(reason)),
            Problem::FileName { name, id12 } => write!(
                f,
                "file name `{}` does not carry the bundle id (expected `{id12}`)",
                s(name)
            ),
        }
    }
}

/// The outcome of verifying one bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    /// sha256 of `manifest.json` (empty when it is missing).
    pub id: String,
    /// Entries checked (besides `manifest.json`).
    pub entries: usize,
    /// Everything that differs; empty means intact.
    pub problems: Vec<Problem>,
}

impl Verification {
    /// No problems.
    pub fn intact(&self) -> bool {
        self.problems.is_empty()
    }
}

/// `verify`'s text: one `intact` line, or `TAMPERED` and one line per problem. `shown` is
/// how the bundle is named to the user (its path); every string from the bundle is escaped.
pub fn render(result: &Verification, shown: &str) -> String {
    let mut out = String::new();
    if result.intact() {
        let _ = writeln!(
            out,
            "intact: bundle {} ({} entries match the manifest)",
            for_terminal(&result.id),
            result.entries
        );
        return out;
    }
    let _ = writeln!(
        out,
        "TAMPERED: {} problem{} in {}",
        result.problems.len(),
        if result.problems.len() == 1 { "" } else { "s" },
        for_terminal(shown)
    );
    for p in &result.problems {
        let _ = writeln!(out, "  {p}");
    }
    out
}

/// Verify `bundle` against its manifest.
pub fn verify(bundle: &mut Bundle) -> Result<Verification, ReadError> {
    let mut problems = Vec::new();
    let (manifest, bytes) = match bundle.manifest() {
        Ok(m) => m,
        Err(e @ (ReadError::Manifest { .. } | ReadError::Missing { .. })) => {
            return Ok(Verification {
                id: String::new(),
                entries: bundle.entries().len(),
                problems: vec![Problem::Manifest {
                    reason: e.to_string(),
                }],
            });
        }
        Err(e) if e.is_content_error() => {
            return Ok(Verification {
                id: String::new(),
                entries: bundle.entries().len(),
                problems: vec![Problem::Unreadable {
                    entry: "manifest.json".into(),
                    reason: e.to_string(),
                }],
            });
        }
        Err(e) => return Err(e),
    };
    let id = sha256_hex(&bytes);

    if let Some(name) = bundle.path().file_name().and_then(|n| n.to_str())
        && let Some(id12) = file_name_id12(name)
        && !id.starts_with(id12)
    {
        problems.push(Problem::FileName {
            name: name.to_string(),
            id12: id[..12].to_string(),
        });
    }

    let names: Vec<String> = bundle
        .entries()
        .iter()
        .map(|e| e.name.clone())
        .filter(|n| n != "manifest.json")
        .collect();
    for name in &names {
        let Some(record) = manifest.files.get(name) else {
            problems.push(Problem::Unlisted {
                entry: name.clone(),
            });
            continue;
        };
        match bundle.hash_entry(name) {
            Ok((size, sha)) => {
                if size != record.size {
                    problems.push(Problem::Size {
                        entry: name.clone(),
                        expected: record.size,
                        actual: size,
                    });
                }
                if sha != record.sha256 {
                    problems.push(Problem::Content {
                        entry: name.clone(),
                        expected: record.sha256.clone(),
                        actual: sha,
                    });
                }
            }
            Err(e) if e.is_content_error() => problems.push(Problem::Unreadable {
                entry: name.clone(),
                reason: e.to_string(),
            }),
            Err(e) => return Err(e),
        }
    }
    for listed in manifest.files.keys() {
        if bundle.entry(listed).is_none() {
            problems.push(Problem::Missing {
                entry: listed.clone(),
            });
        }
    }
    for item in &manifest.items {
        let reason = match (&item.path, &item.sha256) {
            (None, None) => None,
            (Some(path), sha) => match manifest.files.get(path) {
                None => Some(format!("its path `{path}` is not in the file table")),
                Some(rec) if sha.as_deref() != Some(rec.sha256.as_str()) => Some(format!(
                    "its sha256 disagrees with `{path}` in the file table"
                )),
                Some(rec) if item.size != rec.size => Some(format!(
                    "its size disagrees with `{path}` in the file table"
                )),
                Some(_) => None,
            },
            (None, Some(_)) => Some("it has a sha256 but no path".into()),
        };
        if let Some(reason) = reason {
            problems.push(Problem::Item {
                item: item.id.clone(),
                reason,
            });
        }
    }
    Ok(Verification {
        id,
        entries: names.len(),
        problems,
    })
}

/// The id12 in a `<project>-bundle-<id12>.zip` file name.
pub fn file_name_id12(name: &str) -> Option<&str> {
    let stem = name.strip_suffix(".zip")?;
    let (project, id12) = stem.rsplit_once("-bundle-")?;
    let hex = id12.len() == 12
        && id12
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    (hex && !project.is_empty()).then_some(id12)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id12_only_from_the_documented_shape() {
        assert_eq!(
            file_name_id12("kestrel-bundle-42ba197ec944.zip"),
            Some("42ba197ec944")
        );
        assert_eq!(
            file_name_id12("my-proj-bundle-000000000000.zip"),
            Some("000000000000")
        );
        assert_eq!(file_name_id12("kestrel-bundle-42BA197EC944.zip"), None);
        assert_eq!(file_name_id12("kestrel-bundle-42ba19.zip"), None);
        assert_eq!(file_name_id12("-bundle-42ba197ec944.zip"), None);
        assert_eq!(file_name_id12("report.zip"), None);
    }

    #[test]
    fn render_escapes_what_comes_from_the_bundle() {
        let intact = Verification {
            id: "ab".repeat(32),
            entries: 3,
            problems: Vec::new(),
        };
        assert_eq!(
            render(&intact, "x.zip"),
            format!(
                "intact: bundle {} (3 entries match the manifest)\n",
                "ab".repeat(32)
            )
        );
        let tampered = Verification {
            id: String::new(),
            entries: 1,
            problems: vec![Problem::Unlisted {
                entry: "a\u{1b}]0;owned\u{7}".into(),
            }],
        };
        let text = render(&tampered, "b\u{9b}.zip");
        assert!(
            text.starts_with("TAMPERED: 1 problem in b\\u{9b}.zip\n"),
            "{text}"
        );
        assert!(!text.contains(['\u{1b}', '\u{7}', '\u{9b}']), "{text}");
    }
}
