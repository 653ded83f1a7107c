//! The reveal map: which value each pseudonym minted on this machine stands for, so a user
//! can answer a maintainer's "what is `ip-f9c89a`?".
//!
//! The map lives beside the pseudonym key (`pseudonym.key` → `pseudonym.map`), mode 0600, and
//! never goes into a bundle: it holds the very values pseudonyms hide. It is a JSON object
//! from pseudonym to value, merged with what is there on every save and written atomically.

use std::collections::BTreeMap;
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
    if minted.is_empty() {
        return Ok(());
    }
    let mut map = load(path).unwrap_or_default();
    let before = map.len();
    for (p, v) in minted {
        map.entry(p.clone()).or_insert_with(|| v.clone());
    }
    if map.len() == before && path.exists() {
        return Ok(());
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

fn write_private(path: &Path, map: &BTreeMap<String, String>) -> io::Result<()> {
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
        fs::write(&path, "not json").unwrap();
        assert!(matches!(load(&path), Err(RevealError::Corrupt { .. })));
    }
}
