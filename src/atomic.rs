//! Writing a file atomically: into a temp file in the target's directory, fsync'd, renamed
//! over the target, then the directory fsync'd, so no half-written file ever sits at the final
//! path. Every file this crate writes (bundle, issue body, redaction report) goes through here.

use std::fs::File;
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Create `path` atomically with `data`.
pub(crate) fn write(path: &Path, data: &[u8]) -> io::Result<()> {
    write_with(path, |e| e, |file| file.write_all(data))
}

/// Create `path` atomically with what `fill` writes into the (seekable) temp file; I/O errors
/// of the temp file itself go through `io_err`.
pub(crate) fn write_with<E>(
    path: &Path,
    io_err: impl Fn(io::Error) -> E,
    fill: impl FnOnce(&mut File) -> Result<(), E>,
) -> Result<(), E> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut temp = tempfile::Builder::new()
        .prefix(".support-bundle-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(&io_err)?;
    fill(temp.as_file_mut())?;
    // Temp files start 0600; what we write is redacted and meant to be shared or pasted.
    temp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o644))
        .map_err(&io_err)?;
    temp.as_file().sync_all().map_err(&io_err)?;
    temp.persist(path).map_err(|e| io_err(e.error))?;
    if let Ok(dir) = File::open(dir) {
        // Make the rename itself durable; not fatal where directories cannot be synced.
        let _ = dir.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_file_whole_with_mode_0644_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        std::fs::write(&path, "old content that is longer").unwrap();
        write(&path, b"new\n").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new\n");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_failing_fill_leaves_the_target_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        std::fs::write(&path, "kept").unwrap();
        let err = write_with(&path, |e| e, |_| Err(io::Error::other("boom"))).unwrap_err();
        assert_eq!(err.to_string(), "boom");
        assert_eq!(std::fs::read(&path).unwrap(), b"kept");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_missing_directory_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(write(&dir.path().join("no/such/dir/f"), b"x").is_err());
    }
}
