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
    remember_pairs(
        path,
        minted.iter().map(|(p, v)| (p.as_bytes(), v.as_bytes())),
    )
}

/// As [`remember`], for pseudonyms and values as the engine writes them. The map on disk is
/// read without copying its strings and written only when something in `minted` is new to
/// it: a run over logs seen before (tens of thousands of addresses) then costs one parse.
pub(crate) fn remember_pairs<'a>(
    path: &Path,
    minted: impl Iterator<Item = (&'a [u8], &'a [u8])>,
) -> Result<(), RevealError> {
    let mut minted = minted.peekable();
    if minted.peek().is_none() {
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
}
