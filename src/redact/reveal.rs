//! The reveal map: which value each pseudonym minted on this machine stands for, so a user
//! can answer a maintainer's "what is `ip-f9c89a`?".
//!
//! The map lives beside the pseudonym key (`pseudonym.key` → `pseudonym.map`), mode 0600, and
//! never goes into a bundle: it holds the very values pseudonyms hide. It is a JSON object
//! from pseudonym to value, merged with what is there on every save and written atomically.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::Deserializer as _;

use super::memo::Minted;

/// A problem reading, writing or clearing the reveal map.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RevealError {
    /// The map could not be read or written.
    #[error("pseudonym map {}: {source}", .path.display())]
    Io {
        /// The map's path.
        path: PathBuf,
        /// What failed.
        source: io::Error,
    },
    /// The map's content is not a pseudonym map.
    #[error("pseudonym map {} is not a JSON object of pseudonyms; remove it with `reveal --forget`", .path.display())]
    Corrupt {
        /// The map's path.
        path: PathBuf,
    },
}

/// The map beside the key at `key`: same directory, extension `.map` (or `.map` added when
/// the key's own extension is that).
pub fn map_path(key: &Path) -> PathBuf {
    let p = key.with_extension("map");
    if p == key {
        let mut s = key.as_os_str().to_owned();
        s.push(".map");
        PathBuf::from(s)
    } else {
        p
    }
}

/// The map at `path`; empty when there is none yet.
pub fn load(path: &Path) -> Result<BTreeMap<String, String>, RevealError> {
    match fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|_| RevealError::Corrupt {
            path: path.to_path_buf(),
        }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(BTreeMap::new()),
        Err(source) => Err(RevealError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Add `minted` to the map at `path` (atomically, mode 0600). A corrupt map is replaced.
pub fn remember(path: &Path, minted: &BTreeMap<String, String>) -> Result<(), RevealError> {
    let mut all = Minted::default();
    for (p, v) in minted {
        all.push(p.as_bytes(), v.as_bytes());
    }
    all.tidy();
    remember_minted(path, &all)
}

/// As [`remember`], for pseudonyms as the engine records them ([`Minted::tidy`] done). A run
/// over logs seen before mints tens of thousands of pseudonyms the map already holds: the
/// map is then read in one pass, without building anything, and not written.
pub(crate) fn remember_minted(path: &Path, minted: &Minted) -> Result<(), RevealError> {
    if minted.is_empty() {
        return Ok(());
    }
    let bytes = match fs::read(path) {
        Ok(bytes) => Some(bytes),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(source) => {
            return Err(RevealError::Io {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    if let Some(b) = &bytes
        && holds_all(b, minted) == Some(true)
    {
        return Ok(());
    }
    // Borrowed from the file's bytes when no string in it has an escape (the usual case),
    // copied when one has; a corrupt map is replaced.
    type Map<K> = HashMap<K, K, foldhash::fast::RandomState>;
    let stored: Map<Cow<'_, str>> = match bytes.as_deref() {
        None => Map::default(),
        Some(b) => match serde_json::from_slice::<Map<&str>>(b) {
            Ok(m) => m
                .into_iter()
                .map(|(p, v)| (Cow::Borrowed(p), Cow::Borrowed(v)))
                .collect(),
            Err(_) => serde_json::from_slice::<Map<String>>(b)
                .map(|m| {
                    m.into_iter()
                        .map(|(p, v)| (Cow::Owned(p), Cow::Owned(v)))
                        .collect()
                })
                .unwrap_or_default(),
        },
    };
    // Pseudonyms are ASCII: no copy is made for them here.
    let new: Vec<(Cow<'_, str>, Cow<'_, str>)> = minted
        .iter()
        .map(|(p, v)| (String::from_utf8_lossy(p), v))
        .filter(|(p, _)| !stored.contains_key(p.as_ref()))
        .map(|(p, v)| (p, String::from_utf8_lossy(v)))
        .collect();
    if new.is_empty() && bytes.is_some() {
        return Ok(());
    }
    let mut map: BTreeMap<&str, &str> = stored.iter().map(|(p, v)| (&**p, &**v)).collect();
    for (p, v) in &new {
        map.entry(p).or_insert(v);
    }
    write_private(path, &map).map_err(|source| RevealError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Whether the map text `json` holds every pseudonym in `minted`, found by walking both in
/// order: the map is written sorted. `None` when it is not a map in that order (edited by
/// hand, or damaged): the caller then reads it the slow way.
fn holds_all(json: &[u8], minted: &Minted) -> Option<bool> {
    let mut join = Join {
        pending: minted.iter().map(|(p, _)| p).peekable(),
        prev: None,
        sorted: true,
        missing: false,
    };
    let mut de = serde_json::Deserializer::from_slice(json);
    (&mut de)
        .deserialize_map(JoinVisitor(&mut join))
        .and_then(|()| de.end())
        .ok()?;
    let missing = join.missing || join.pending.peek().is_some();
    join.sorted.then_some(!missing)
}

/// A merge of the map's keys (in file order) against the sorted pseudonyms.
struct Join<'m, I: Iterator<Item = &'m [u8]>> {
    pending: std::iter::Peekable<I>,
    prev: Option<Vec<u8>>,
    sorted: bool,
    /// A pseudonym was passed over: the map does not hold it.
    missing: bool,
}

impl<'m, I: Iterator<Item = &'m [u8]>> Join<'m, I> {
    fn key(&mut self, key: &[u8]) {
        match &mut self.prev {
            Some(prev) if key <= &prev[..] => self.sorted = false,
            Some(prev) => {
                prev.clear();
                prev.extend_from_slice(key);
            }
            None => self.prev = Some(key.to_vec()),
        }
        while let Some(&p) = self.pending.peek() {
            if p > key {
                break;
            }
            self.missing |= p < key;
            self.pending.next();
        }
    }
}

struct JoinVisitor<'j, 'm, I: Iterator<Item = &'m [u8]>>(&'j mut Join<'m, I>);

impl<'de, 'm, I: Iterator<Item = &'m [u8]>> serde::de::Visitor<'de> for JoinVisitor<'_, 'm, I> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a map of pseudonyms")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_key_seed(KeySeed(&mut *self.0))?.is_some() {
            map.next_value::<serde::de::IgnoredAny>()?;
        }
        Ok(())
    }
}

/// Hands each key to the join as it is read, borrowed or unescaped, without keeping it.
struct KeySeed<'j, 'm, I: Iterator<Item = &'m [u8]>>(&'j mut Join<'m, I>);

impl<'de, 'm, I: Iterator<Item = &'m [u8]>> serde::de::DeserializeSeed<'de> for KeySeed<'_, 'm, I> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de, 'm, I: Iterator<Item = &'m [u8]>> serde::de::Visitor<'de> for KeySeed<'_, 'm, I> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a pseudonym")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<(), E> {
        self.0.key(v.as_bytes());
        Ok(())
    }
}

/// Remove the map at `path`; whether there was one.
pub fn forget(path: &Path) -> Result<bool, RevealError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(source) => Err(RevealError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

fn write_private(path: &Path, map: &BTreeMap<&str, &str>) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&dir)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".pseudonym.map.")
        .tempfile_in(&dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o600))?;
    }
    let mut text = serde_json::to_string_pretty(map).map_err(io::Error::other)?;
    text.push('\n');
    tmp.write_all(text.as_bytes())?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_sits_beside_the_key() {
        assert_eq!(
            map_path(Path::new("/c/pseudonym.key")),
            Path::new("/c/pseudonym.map")
        );
        assert_eq!(map_path(Path::new("/c/k")), Path::new("/c/k.map"));
        assert_eq!(map_path(Path::new("/c/k.map")), Path::new("/c/k.map.map"));
    }

    #[test]
    fn remember_merges_is_private_and_forget_clears() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pseudonym.map");
        let one = BTreeMap::from([("host-aaaaaa".to_string(), "web01".to_string())]);
        let two = BTreeMap::from([("ip-bbbbbb".to_string(), "10.1.2.3".to_string())]);
        remember(&path, &one).unwrap();
        remember(&path, &two).unwrap();
        let map = load(&path).unwrap();
        assert_eq!(map.len(), 2);
        assert_eq!(map["host-aaaaaa"], "web01");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(forget(&path).unwrap());
        assert!(!forget(&path).unwrap());
        assert!(load(&path).unwrap().is_empty());
        // A value with an escape in the stored JSON is read too, and kept on the next save.
        let three = BTreeMap::from([("user-cccccc".to_string(), "CORP\\ann \"a\"".to_string())]);
        remember(&path, &three).unwrap();
        remember(&path, &one).unwrap();
        let four = BTreeMap::from([("ip-dddddd".to_string(), "10.9.9.9".to_string())]);
        remember(&path, &four).unwrap();
        let map = load(&path).unwrap();
        assert_eq!(map.len(), 3, "{map:?}");
        assert_eq!(map["user-cccccc"], "CORP\\ann \"a\"");
        fs::write(&path, "not json").unwrap();
        assert!(matches!(load(&path), Err(RevealError::Corrupt { .. })));
    }

    fn minted(pseudonyms: &[&str]) -> Minted {
        let mut m = Minted::default();
        for p in pseudonyms {
            m.push(p.as_bytes(), b"v");
        }
        m.tidy();
        m
    }

    #[test]
    fn holds_all_walks_a_sorted_map_and_gives_up_on_any_other() {
        let map = r#"{"host-aaaaaa": "a", "ip-\u0062bbbbb": "b", "ip-cccccc": {"x": [1]}, "user-dddddd": "d"}"#;
        let map = map.as_bytes();
        assert_eq!(holds_all(map, &minted(&["ip-cccccc"])), Some(true));
        assert_eq!(
            holds_all(map, &minted(&["user-dddddd", "host-aaaaaa", "ip-bbbbbb"])),
            Some(true)
        );
        for absent in ["a", "host-aaaaab", "ip-c", "zzz"] {
            assert_eq!(
                holds_all(map, &minted(&["ip-cccccc", absent])),
                Some(false),
                "{absent}"
            );
        }
        let unsorted = br#"{"ip-2": "b", "ip-1": "a"}"#;
        assert_eq!(holds_all(unsorted, &minted(&["ip-1"])), None);
        let repeated = br#"{"ip-1": "a", "ip-1": "b"}"#;
        assert_eq!(holds_all(repeated, &minted(&["ip-1"])), None);
        for bad in [&b"not json"[..], b"[1, 2]", b"{\"ip-1\": \"a\"", b"{} {}"] {
            assert_eq!(holds_all(bad, &minted(&["ip-1"])), None);
        }
    }

    #[test]
    fn a_map_holding_everything_is_not_rewritten_and_an_unsorted_one_is_merged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pseudonym.map");
        let both = BTreeMap::from([
            ("ip-aaaaaa".to_string(), "10.0.0.1".to_string()),
            ("ip-bbbbbb".to_string(), "10.0.0.2".to_string()),
        ]);
        remember(&path, &both).unwrap();
        let one = BTreeMap::from([("ip-bbbbbb".to_string(), "10.0.0.2".to_string())]);
        // A save replaces the file (a new inode); this one must not happen.
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let before = fs::metadata(&path).unwrap().ino();
            remember(&path, &one).unwrap();
            remember(&path, &both).unwrap();
            assert_eq!(fs::metadata(&path).unwrap().ino(), before);
            let three = BTreeMap::from([("ip-cccccc".to_string(), "10.0.0.3".to_string())]);
            remember(&path, &three).unwrap();
            assert_ne!(fs::metadata(&path).unwrap().ino(), before);
        }
        // Edited by hand, out of order: merged all the same, and written back sorted.
        fs::write(
            &path,
            r#"{"ip-zzzzzz": "10.0.0.9", "ip-aaaaaa": "10.0.0.1"}"#,
        )
        .unwrap();
        remember(&path, &one).unwrap();
        let map = load(&path).unwrap();
        assert_eq!(
            map.keys().collect::<Vec<_>>(),
            ["ip-aaaaaa", "ip-bbbbbb", "ip-zzzzzz"]
        );
    }
}
