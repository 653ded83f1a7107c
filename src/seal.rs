//! Sealed bundles: a bundle encrypted with age (<https://age-encryption.org/v1>) to the X25519
//! public keys a spec names in `[project] security_recipient`, so a vulnerability report can
//! travel by mail and only the maintainers holding the matching identities can read it.
//!
//! The binary age format is written and read, as the `age` and `rage` tools do; identities are
//! read from a file in the format `age-keygen` writes. Only native X25519 keys are accepted:
//! no passphrases, SSH keys or plugins, which keeps the dependency small and the choice of
//! who can read a report with the project.

use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr as _;

/// The extension a sealed bundle's name ends with (`<name>-bundle-<id12>.zip.age`).
pub const EXTENSION: &str = "age";

/// The first line of every binary age file.
const MAGIC: &[u8] = b"age-encryption.org/v1\n";

/// The first line of an ASCII-armored age file.
const ARMOR_MAGIC: &[u8] = b"-----BEGIN AGE ENCRYPTED FILE-----";

/// Largest identity file read: a key file holds a few lines.
const MAX_IDENTITY_FILE: u64 = 64 * 1024;

/// Largest plaintext a sealed bundle is opened to in memory (the reading commands); bundles
/// `collect` writes are far smaller, and `decrypt` to a file has no such cap.
pub const MAX_OPENED_SIZE: u64 = 512 * 1024 * 1024;

/// Why a bundle could not be sealed or opened.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// A recipient is not an age X25519 public key.
    #[error("`{recipient}` is not an age public key (age1…): {reason}")]
    BadRecipient {
        /// The recipient as given (a public key: nothing secret).
        recipient: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// No recipient was given.
    #[error("no age recipient to encrypt to")]
    NoRecipients,
    /// The identity file could not be read.
    #[error("cannot read identity file `{path}`: {source}")]
    IdentityIo {
        /// The identity file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// The identity file holds something other than age X25519 identities.
    #[error(
        "identity file `{path}` is not an age identity file (one AGE-SECRET-KEY-1… per line, as \
         `age-keygen` writes): {reason}"
    )]
    BadIdentity {
        /// The identity file.
        path: PathBuf,
        /// What is wrong (a line number, never the line).
        reason: String,
    },
    /// The file is not in the age format.
    #[error("`{path}` is not an age-encrypted file: {reason}")]
    NotAge {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The file was encrypted to other keys than the identities given.
    #[error(
        "`{path}` was not encrypted to any identity in `{identity}`: it needs the private key \
         of one of the maintainers it was sealed for"
    )]
    WrongIdentity {
        /// The encrypted file.
        path: PathBuf,
        /// The identity file.
        identity: PathBuf,
    },
    /// The file is encrypted with a passphrase.
    #[error("`{path}` is encrypted with a passphrase, not to a key; decrypt it with `age -d`")]
    Passphrase {
        /// The encrypted file.
        path: PathBuf,
    },
    /// The ciphertext is damaged or cut short.
    #[error("`{path}` is damaged or truncated: {reason}")]
    Damaged {
        /// The encrypted file.
        path: PathBuf,
        /// What failed.
        reason: String,
    },
    /// The plaintext is larger than the cap for opening in memory.
    #[error(
        "`{path}` decrypts to more than {limit} bytes; use `support-bundle decrypt` to write it \
         to a file first"
    )]
    TooLarge {
        /// The encrypted file.
        path: PathBuf,
        /// The cap.
        limit: u64,
    },
    /// Reading the encrypted file, or writing the output, failed.
    #[error("cannot access `{path}`: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
}

/// The age X25519 public keys a bundle is sealed for.
#[derive(Clone)]
pub struct Recipients(Vec<age::x25519::Recipient>);

impl std::fmt::Debug for Recipients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(ToString::to_string))
            .finish()
    }
}

impl Recipients {
    /// Parse each key (`age1…`); the first that is not one is the error.
    pub fn parse<S: AsRef<str>>(keys: &[S]) -> Result<Recipients, SealError> {
        if keys.is_empty() {
            return Err(SealError::NoRecipients);
        }
        keys.iter()
            .map(|k| parse_recipient(k.as_ref()))
            .collect::<Result<Vec<_>, _>>()
            .map(Recipients)
    }

    /// How many keys.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none (never, for a value [`Recipients::parse`] returned).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Encrypt `plain` to these recipients into `out`, streamed chunk by chunk.
    pub fn seal(&self, plain: &[u8], out: impl Write) -> io::Result<()> {
        let encryptor =
            age::Encryptor::with_recipients(self.0.iter().map(|r| r as &dyn age::Recipient))
                .map_err(|e| io::Error::other(e.to_string()))?;
        let mut writer = encryptor.wrap_output(out)?;
        writer.write_all(plain)?;
        writer.finish()?.flush()
    }
}

/// Check one recipient, as a spec gives it: an age X25519 public key.
pub fn parse_recipient(key: &str) -> Result<age::x25519::Recipient, SealError> {
    age::x25519::Recipient::from_str(key.trim()).map_err(|reason| SealError::BadRecipient {
        recipient: key.to_string(),
        reason,
    })
}

/// The identities of an identity file, and where they came from (for messages).
pub struct Identities {
    path: PathBuf,
    keys: Vec<age::x25519::Identity>,
}

impl std::fmt::Debug for Identities {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the keys themselves.
        f.debug_struct("Identities")
            .field("path", &self.path)
            .field("count", &self.keys.len())
            .finish()
    }
}

impl Identities {
    /// Read an identity file: `#` comments, blank lines and `AGE-SECRET-KEY-1…` lines, as
    /// `age-keygen` writes it. Anything else is an error naming the line, never showing it.
    pub fn load(path: &Path) -> Result<Identities, SealError> {
        let io_err = |source| SealError::IdentityIo {
            path: path.to_path_buf(),
            source,
        };
        let meta = std::fs::metadata(path).map_err(io_err)?;
        if !meta.is_file() {
            return Err(io_err(io::Error::other("not a regular file")));
        }
        let mut text = String::new();
        File::open(path)
            .and_then(|f| f.take(MAX_IDENTITY_FILE).read_to_string(&mut text))
            .map_err(|e| match e.kind() {
                io::ErrorKind::InvalidData => SealError::BadIdentity {
                    path: path.to_path_buf(),
                    reason: "it is not text".into(),
                },
                _ => io_err(e),
            })?;
        let mut keys = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            match age::x25519::Identity::from_str(line) {
                Ok(key) => keys.push(key),
                Err(_) => {
                    return Err(SealError::BadIdentity {
                        path: path.to_path_buf(),
                        reason: format!("line {} is not an AGE-SECRET-KEY-1… key", n + 1),
                    });
                }
            }
        }
        if keys.is_empty() {
            return Err(SealError::BadIdentity {
                path: path.to_path_buf(),
                reason: "it holds no key".into(),
            });
        }
        Ok(Identities {
            path: path.to_path_buf(),
            keys,
        })
    }

    /// Decrypt the age file at `path` into memory, refusing plaintext past `limit` bytes.
    pub fn open(&self, path: &Path, limit: u64) -> Result<Vec<u8>, SealError> {
        let mut reader = self.reader(path)?;
        let mut plain = Vec::new();
        (&mut reader)
            .take(limit.saturating_add(1))
            .read_to_end(&mut plain)
            .map_err(|e| damaged(path, &e))?;
        if plain.len() as u64 > limit {
            return Err(SealError::TooLarge {
                path: path.to_path_buf(),
                limit,
            });
        }
        Ok(plain)
    }

    /// Decrypt the age file at `path` into `out`, streamed; returns the plaintext's size.
    /// A failure partway leaves `out` holding a partial plaintext: the caller writes to a temp
    /// file and keeps it only on success.
    pub fn decrypt_into(&self, path: &Path, out: &mut impl Write) -> Result<u64, SealError> {
        let mut reader = self.reader(path)?;
        let mut buf = vec![0u8; 64 * 1024];
        let mut total: u64 = 0;
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => return Ok(total),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(damaged(path, &e)),
            };
            out.write_all(&buf[..n]).map_err(|source| SealError::Io {
                path: path.to_path_buf(),
                source,
            })?;
            total += n as u64;
        }
    }

    /// Decrypt the age file at `input` to a new file `out` (mode 0600), atomically: the
    /// plaintext goes to a temp file beside `out`, renamed into place only once every chunk
    /// has been authenticated. An existing `out` is never overwritten.
    pub fn decrypt_file(&self, input: &Path, out: &Path) -> Result<u64, SealError> {
        if out.symlink_metadata().is_ok() {
            return Err(SealError::Io {
                path: out.to_path_buf(),
                source: io::Error::new(io::ErrorKind::AlreadyExists, "it already exists"),
            });
        }
        let mut size = 0;
        let io_err = |source| SealError::Io {
            path: out.to_path_buf(),
            source,
        };
        // Checked again at the rename: a file that appeared meanwhile is not replaced.
        crate::atomic::write_new(out, crate::atomic::PRIVATE, io_err, |file| {
            let mut writer = io::BufWriter::new(file);
            size = self.decrypt_into(input, &mut writer)?;
            writer.flush().map_err(io_err)
        })?;
        Ok(size)
    }

    /// The plaintext reader of the age file at `path`, its header checked against these keys.
    fn reader(&self, path: &Path) -> Result<age::stream::StreamReader<BufReader<File>>, SealError> {
        let file = File::open(path).map_err(|source| SealError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        if starts_with(path, ARMOR_MAGIC) {
            // The armored form is for pasting into mail bodies; this build reads the binary one.
            return Err(SealError::NotAge {
                path: path.to_path_buf(),
                reason: "it is ASCII-armored; decrypt it with `age -d` first".into(),
            });
        }
        let decryptor =
            age::Decryptor::new_buffered(BufReader::new(file)).map_err(|e| match e {
                age::DecryptError::Io(source) if source.kind() != io::ErrorKind::UnexpectedEof => {
                    SealError::Io {
                        path: path.to_path_buf(),
                        source,
                    }
                }
                e => SealError::NotAge {
                    path: path.to_path_buf(),
                    reason: header_reason(&e),
                },
            })?;
        if decryptor.is_scrypt() {
            return Err(SealError::Passphrase {
                path: path.to_path_buf(),
            });
        }
        decryptor
            .decrypt(self.keys.iter().map(|k| k as &dyn age::Identity))
            .map_err(|e| match e {
                age::DecryptError::NoMatchingKeys => SealError::WrongIdentity {
                    path: path.to_path_buf(),
                    identity: self.path.clone(),
                },
                e => SealError::Damaged {
                    path: path.to_path_buf(),
                    reason: header_reason(&e),
                },
            })
    }
}

/// A read error of the payload as a [`SealError`]: every chunk is authenticated, so a
/// flipped bit or a cut-off end shows up here.
fn damaged(path: &Path, e: &io::Error) -> SealError {
    let reason = match e.kind() {
        io::ErrorKind::UnexpectedEof => "it ends early".to_string(),
        io::ErrorKind::InvalidData => "a chunk failed authentication".to_string(),
        _ => e.to_string(),
    };
    SealError::Damaged {
        path: path.to_path_buf(),
        reason,
    }
}

/// What is wrong with an age header, in our words (the library's messages are localized
/// and multi-line).
fn header_reason(e: &age::DecryptError) -> String {
    match e {
        age::DecryptError::InvalidHeader => "its header is malformed".into(),
        age::DecryptError::InvalidMac => "its header was altered (MAC mismatch)".into(),
        age::DecryptError::UnknownFormat => {
            "it is a newer age format this build cannot read".into()
        }
        age::DecryptError::DecryptionFailed | age::DecryptError::KeyDecryptionFailed => {
            "its key stanza does not decrypt".into()
        }
        age::DecryptError::Io(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
            "it ends inside the header".into()
        }
        age::DecryptError::Io(e) => e.to_string(),
        _ => "it cannot be decrypted".into(),
    }
}

/// Whether the file at `path` starts like an age file (binary or armored). A file that cannot
/// be read is not: the caller's own open reports why.
pub fn is_sealed(path: &Path) -> bool {
    starts_with(path, MAGIC) || starts_with(path, ARMOR_MAGIC)
}

/// Whether the file at `path` begins with `magic`.
fn starts_with(path: &Path, magic: &[u8]) -> bool {
    let mut head = Vec::with_capacity(magic.len());
    File::open(path)
        .and_then(|f| f.take(magic.len() as u64).read_to_end(&mut head))
        .is_ok_and(|_| head == magic)
}

#[cfg(test)]
mod tests {
    use age::secrecy::ExposeSecret as _;

    use super::*;

    fn key_file(dir: &Path, name: &str, key: &age::x25519::Identity) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(
            &path,
            format!(
                "# created: test\n# public key: {}\n{}\n",
                key.to_public(),
                key.to_string().expose_secret()
            ),
        )
        .unwrap();
        path
    }

    fn sealed(dir: &Path, plain: &[u8], to: &[&age::x25519::Identity]) -> PathBuf {
        let keys: Vec<String> = to.iter().map(|k| k.to_public().to_string()).collect();
        let recipients = Recipients::parse(&keys).unwrap();
        let path = dir.join("b.zip.age");
        let mut out = Vec::new();
        recipients.seal(plain, &mut out).unwrap();
        std::fs::write(&path, out).unwrap();
        path
    }

    #[test]
    fn round_trip_to_each_of_several_recipients() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (
            age::x25519::Identity::generate(),
            age::x25519::Identity::generate(),
        );
        // Past one 64 KiB chunk, so the stream has several.
        let plain: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let path = sealed(dir.path(), &plain, &[&a, &b]);
        assert!(is_sealed(&path));
        for key in [&a, &b] {
            let ids = Identities::load(&key_file(dir.path(), "k", key)).unwrap();
            assert_eq!(ids.open(&path, MAX_OPENED_SIZE).unwrap(), plain);
            let mut out = Vec::new();
            assert_eq!(ids.decrypt_into(&path, &mut out).unwrap(), 200_000);
            assert_eq!(out, plain);
        }
    }

    #[test]
    fn wrong_key_damage_and_truncation_are_told_apart() {
        let dir = tempfile::tempdir().unwrap();
        let (right, wrong) = (
            age::x25519::Identity::generate(),
            age::x25519::Identity::generate(),
        );
        let plain = vec![7u8; 100_000];
        let path = sealed(dir.path(), &plain, &[&right]);
        let wrong = Identities::load(&key_file(dir.path(), "wrong", &wrong)).unwrap();
        assert!(matches!(
            wrong.open(&path, MAX_OPENED_SIZE),
            Err(SealError::WrongIdentity { .. })
        ));
        let right = Identities::load(&key_file(dir.path(), "right", &right)).unwrap();

        let bytes = std::fs::read(&path).unwrap();
        let mut flipped = bytes.clone();
        let at = flipped.len() - 10;
        flipped[at] ^= 1;
        std::fs::write(&path, &flipped).unwrap();
        let e = right.open(&path, MAX_OPENED_SIZE).unwrap_err();
        assert!(matches!(e, SealError::Damaged { .. }), "{e}");

        std::fs::write(&path, &bytes[..bytes.len() - 1000]).unwrap();
        let e = right.open(&path, MAX_OPENED_SIZE).unwrap_err();
        assert!(matches!(e, SealError::Damaged { .. }), "{e}");

        std::fs::write(&path, &bytes[..30]).unwrap();
        let e = right.open(&path, MAX_OPENED_SIZE).unwrap_err();
        assert!(matches!(e, SealError::NotAge { .. }), "{e}");

        std::fs::write(&path, "-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n").unwrap();
        assert!(is_sealed(&path));
        let e = right.open(&path, MAX_OPENED_SIZE).unwrap_err().to_string();
        assert!(e.contains("ASCII-armored"), "{e}");

        std::fs::write(&path, &bytes).unwrap();
        let e = right.open(&path, 1000).unwrap_err();
        assert!(matches!(e, SealError::TooLarge { .. }), "{e}");
    }

    #[test]
    fn bad_recipients_and_identity_files_are_errors() {
        assert!(matches!(
            Recipients::parse(&["age1notakey"]),
            Err(SealError::BadRecipient { .. })
        ));
        assert!(matches!(
            Recipients::parse::<&str>(&[]),
            Err(SealError::NoRecipients)
        ));
        let dir = tempfile::tempdir().unwrap();
        let key = age::x25519::Identity::generate();
        // A public key where the secret one belongs: the message names the line, not its text.
        let path = dir.path().join("pub");
        std::fs::write(&path, format!("# mine\n{}\n", key.to_public())).unwrap();
        let e = Identities::load(&path).unwrap_err().to_string();
        assert!(e.contains("line 2"), "{e}");
        assert!(!e.contains("age1"), "{e}");
        let empty = dir.path().join("empty");
        std::fs::write(&empty, "# nothing\n").unwrap();
        assert!(matches!(
            Identities::load(&empty),
            Err(SealError::BadIdentity { .. })
        ));
        assert!(matches!(
            Identities::load(&dir.path().join("missing")),
            Err(SealError::IdentityIo { .. })
        ));
    }
}
