//! Many bundles in one SQLite database, for triage with SQL.
//!
//! Each bundle is read through the hostile-input-safe [`crate::bundle::Bundle`] reader and
//! verified, then its manifest becomes rows of `bundles`, `facts`, `items` and `checks`
//! ([`rows`]). Indexing is idempotent by bundle id: adding a bundle again replaces its rows in
//! one transaction, so a crash or a second run never leaves duplicates or half a bundle. A file
//! the reader refuses (a hostile zip, no manifest, not a regular file) becomes a row of
//! `rejected` with the reason, and indexing goes on with the next file. A bundle that fails
//! verification is indexed with the verdict `tampered`, unless an intact bundle of the same id
//! is already there: then it is rejected, so a doctored copy never hides the original.
//!
//! ```no_run
//! use support_bundle::index::{Added, Index};
//!
//! let mut index = Index::open("bundles.db".as_ref())?;
//! match index.add("kestrel-bundle-0123456789ab.zip".as_ref())? {
//!     Added::Bundle { rows, .. } => println!("indexed {}", rows.bundle.id),
//!     Added::Rejected(row) => println!("refused: {}", row.reason),
//! }
//! # Ok::<(), support_bundle::index::IndexError>(())
//! ```

pub mod rows;
pub mod schema;

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, OptionalExtension as _, params};

pub use rows::{BundleRow, BundleRows, CheckRow, FactRow, ItemRow, RejectedRow, Row};
use schema::{Found, Mismatch};

/// Why the database could not be opened or written.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// The file exists but is not a SQLite database at all.
    #[error("`{path}` is not a SQLite database: {source}")]
    NotSqlite {
        /// The database path.
        path: PathBuf,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// A SQLite database of some other application.
    #[error(
        "`{path}` is not a support-bundle index (its application id is {application_id:#x}, \
         not {expected:#x}); pass a new file or one `index` wrote"
    )]
    Foreign {
        /// The database path.
        path: PathBuf,
        /// Its `PRAGMA application_id`.
        application_id: i32,
        /// Ours.
        expected: i32,
    },
    /// An index of a schema this build does not know.
    #[error(
        "`{path}` is an index of schema version {found}; this build reads version {supported} \
         (a newer support-bundle wrote it: use that, or index into a new file)"
    )]
    Version {
        /// The database path.
        path: PathBuf,
        /// Its `PRAGMA user_version`.
        found: i32,
        /// The version this build writes.
        supported: i32,
    },
    /// A database operation failed.
    #[error("index database `{path}`: {source}")]
    Sqlite {
        /// The database path.
        path: PathBuf,
        /// The cause.
        source: rusqlite::Error,
    },
    /// The database file could not be created, or is no regular file.
    #[error("cannot use `{path}` as the index database: {source}")]
    Create {
        /// The database path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// What [`Index::add`] did with one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Added {
    /// The bundle's rows are in the database.
    Bundle {
        /// Its rows as written.
        rows: BundleRows,
        /// Whether the database already held this bundle id (its rows were replaced).
        replaced: bool,
    },
    /// The file was refused; its row in `rejected` says why.
    Rejected(RejectedRow),
}

impl Added {
    /// The rows written for this file.
    pub fn rows(&self) -> Vec<Row> {
        match self {
            Added::Bundle { rows, .. } => rows.rows().collect(),
            Added::Rejected(row) => vec![Row::Rejected(row.clone())],
        }
    }
}

/// An open index database.
#[derive(Debug)]
pub struct Index {
    conn: Connection,
    path: PathBuf,
}

impl Index {
    /// Open the index at `path`, creating it (mode 0600: it holds what bundles say about
    /// their machines) and its tables when it does not exist or is empty. A database that is
    /// not an index, or of a newer schema, is refused unchanged.
    pub fn open(path: &Path) -> Result<Index, IndexError> {
        let sqlite = |source| IndexError::Sqlite {
            path: path.to_path_buf(),
            source,
        };
        create_private(path)?;
        // No URI parsing and no creation: the file exists now, and a name with `?` or `:`
        // stays a file name.
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_with_flags(path, flags).map_err(sqlite)?;
        // Another process indexing into the same file waits rather than failing at once.
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(sqlite)?;
        let found = match schema::examine(&conn) {
            Ok(found) => found,
            Err(source @ rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::NotADatabase =>
            {
                return Err(IndexError::NotSqlite {
                    path: path.to_path_buf(),
                    source,
                });
            }
            Err(e) => return Err(sqlite(e)),
        };
        match found {
            Ok(Found::Current) => {}
            Ok(Found::Empty) => schema::create(&mut conn).map_err(sqlite)?,
            Err(Mismatch::Foreign { application_id }) => {
                return Err(IndexError::Foreign {
                    path: path.to_path_buf(),
                    application_id,
                    expected: schema::APPLICATION_ID,
                });
            }
            Err(Mismatch::Version { found }) => {
                return Err(IndexError::Version {
                    path: path.to_path_buf(),
                    found,
                    supported: schema::SCHEMA_VERSION,
                });
            }
        }
        // One transaction per bundle: with a rollback journal each commit waits for several
        // fsyncs (about 25 ms, most of the time indexing takes). In WAL mode with `NORMAL`
        // sync a commit is an append; a power cut can lose the last commits, never the
        // database's consistency, and indexing again restores them.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(sqlite)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(sqlite)?;
        Ok(Index {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// Read the bundle at `bundle` and upsert its rows, or record why it was refused. A
    /// refused file is not an error: only a failing database is.
    pub fn add(&mut self, bundle: &Path) -> Result<Added, IndexError> {
        // Absolute where possible, so rows name the file wherever the query runs from.
        let shown = std::fs::canonicalize(bundle)
            .unwrap_or_else(|_| bundle.to_path_buf())
            .to_string_lossy()
            .into_owned();
        let read = match rows::read(bundle, &shown) {
            // A tampered copy shares the id (the manifest is the same) but must not hide
            // the intact bundle already indexed under it.
            Ok(rows) => match self.intact_path(&rows).map_err(|e| self.error(e))? {
                Some(intact) => Err(format!(
                    "its content differs from its manifest ({} problem{}), and the intact \
                     bundle with this id is already indexed from `{intact}`",
                    rows.bundle.problems,
                    if rows.bundle.problems == 1 { "" } else { "s" }
                )),
                None => Ok(rows),
            },
            Err(reason) => Err(reason),
        };
        match read {
            Ok(rows) => {
                let replaced = self.upsert(&rows).map_err(|e| self.error(e))?;
                Ok(Added::Bundle { rows, replaced })
            }
            Err(reason) => {
                let row = RejectedRow {
                    sha256: rows::file_sha256(bundle),
                    path: shown,
                    reason,
                    rejected_at: humantime::format_rfc3339_seconds(std::time::SystemTime::now())
                        .to_string(),
                };
                self.reject(&row).map_err(|e| self.error(e))?;
                Ok(Added::Rejected(row))
            }
        }
    }

    /// Rows per table (`bundles`, `facts`, `items`, `checks`, `rejected`), for summaries.
    pub fn counts(&self) -> Result<Vec<(&'static str, u64)>, IndexError> {
        ["bundles", "facts", "items", "checks", "rejected"]
            .into_iter()
            .map(|table| {
                self.conn
                    .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| {
                        r.get::<_, i64>(0)
                    })
                    .map(|n| (table, u64::try_from(n).unwrap_or(0)))
                    .map_err(|e| self.error(e))
            })
            .collect()
    }

    /// The database's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The underlying connection, for queries.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// For a tampered bundle: the path of an intact bundle of the same id already indexed.
    fn intact_path(&self, rows: &BundleRows) -> rusqlite::Result<Option<String>> {
        if rows.bundle.verdict == rows::INTACT {
            return Ok(None);
        }
        self.conn
            .query_row(
                "SELECT path FROM bundles WHERE id = ?1 AND verdict = ?2",
                params![rows.bundle.id, rows::INTACT],
                |r| r.get(0),
            )
            .optional()
    }

    fn error(&self, source: rusqlite::Error) -> IndexError {
        IndexError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// Replace everything about `rows.bundle.id` with `rows`, in one transaction. Returns
    /// whether the bundle was there before.
    fn upsert(&mut self, rows: &BundleRows) -> rusqlite::Result<bool> {
        let tx = self.conn.transaction()?;
        let id = &rows.bundle.id;
        let replaced = tx.execute("DELETE FROM bundles WHERE id = ?1", [id])? > 0;
        for table in ["facts", "items", "checks"] {
            tx.execute(&format!("DELETE FROM {table} WHERE bundle_id = ?1"), [id])?;
        }
        // The file indexes fine now: an earlier refusal of the same path is stale.
        tx.execute("DELETE FROM rejected WHERE path = ?1", [&rows.bundle.path])?;
        let b = &rows.bundle;
        tx.execute(
            "INSERT INTO bundles (id, project, tool_version, created, spec, spec_sha256, \
             private, verdict, problems, path) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                b.id,
                b.project,
                b.tool_version,
                b.created,
                b.spec,
                b.spec_sha256,
                b.private,
                b.verdict,
                clamp(b.problems),
                b.path
            ],
        )?;
        {
            let mut fact = tx.prepare(
                "INSERT INTO facts (bundle_id, name, value, item) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for f in &rows.facts {
                fact.execute(params![f.bundle_id, f.name, f.value, f.item])?;
            }
            let mut item = tx.prepare(
                "INSERT INTO items (bundle_id, seq, id, kind, status, size, redactions, path) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?;
            for i in &rows.items {
                item.execute(params![
                    i.bundle_id,
                    clamp(i.seq),
                    i.id,
                    i.kind,
                    i.status,
                    clamp(i.size),
                    clamp(i.redactions),
                    i.path
                ])?;
            }
            let mut check = tx.prepare(
                "INSERT INTO checks (bundle_id, seq, id, outcome, message) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for c in &rows.checks {
                check.execute(params![
                    c.bundle_id,
                    clamp(c.seq),
                    c.id,
                    c.outcome,
                    c.message
                ])?;
            }
        }
        tx.commit()?;
        Ok(replaced)
    }

    /// Record (or refresh) the refusal of one path.
    fn reject(&mut self, row: &RejectedRow) -> rusqlite::Result<()> {
        self.conn.execute(
            "INSERT INTO rejected (path, sha256, reason, rejected_at) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (path) DO UPDATE SET sha256 = excluded.sha256, \
             reason = excluded.reason, rejected_at = excluded.rejected_at",
            params![row.path, row.sha256, row.reason, row.rejected_at],
        )?;
        Ok(())
    }
}

/// SQLite integers are signed 64-bit; a hostile manifest may claim a size past that.
fn clamp(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Create `path` empty with mode 0600 when it does not exist, so SQLite (which would create
/// it with the umask's mode) opens a private file.
fn create_private(path: &Path) -> Result<(), IndexError> {
    use std::os::unix::fs::OpenOptionsExt as _;
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(crate::atomic::PRIVATE)
        .open(path)
    {
        Ok(_) => Ok(()),
        // A FIFO opened read-write would block SQLite's first read forever.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => match std::fs::metadata(path) {
            Ok(meta) if !meta.is_file() => Err(IndexError::Create {
                path: path.to_path_buf(),
                source: std::io::Error::other("it exists and is not a regular file"),
            }),
            _ => Ok(()),
        },
        Err(source) => Err(IndexError::Create {
            path: path.to_path_buf(),
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_file_gets_the_schema_and_is_private() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.db");
        let index = Index::open(&path).unwrap();
        let version: i32 = index
            .connection()
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, schema::SCHEMA_VERSION);
        assert_eq!(index.counts().unwrap().len(), 5);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        drop(index);
        // Opening again finds the schema and keeps it.
        Index::open(&path).unwrap();
    }

    #[test]
    fn foreign_newer_and_non_databases_are_refused_unchanged() {
        let dir = tempfile::tempdir().unwrap();

        let other = dir.path().join("other.db");
        Connection::open(&other)
            .unwrap()
            .execute_batch("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('keep');")
            .unwrap();
        let err = Index::open(&other).unwrap_err();
        assert!(
            matches!(
                err,
                IndexError::Foreign {
                    application_id: 0,
                    ..
                }
            ),
            "{err}"
        );
        assert!(
            err.to_string().contains("is not a support-bundle index"),
            "{err}"
        );
        let notes: i64 = Connection::open(&other)
            .unwrap()
            .query_row("SELECT count(*) FROM notes", [], |r| r.get(0))
            .unwrap();
        assert_eq!(notes, 1);

        let newer = dir.path().join("newer.db");
        drop(Index::open(&newer).unwrap());
        Connection::open(&newer)
            .unwrap()
            .pragma_update(None, "user_version", schema::SCHEMA_VERSION + 1)
            .unwrap();
        let err = Index::open(&newer).unwrap_err();
        assert!(matches!(err, IndexError::Version { .. }), "{err}");
        assert!(
            err.to_string().contains("a newer support-bundle wrote it"),
            "{err}"
        );

        let text = dir.path().join("notes.txt");
        std::fs::write(
            &text,
            "not a database, but long enough to have a header page\n".repeat(20),
        )
        .unwrap();
        let err = Index::open(&text).unwrap_err();
        assert!(matches!(err, IndexError::NotSqlite { .. }), "{err}");

        let err = Index::open(dir.path()).unwrap_err();
        assert!(err.to_string().contains("is not a regular file"), "{err}");
    }

    #[test]
    fn a_file_that_is_not_a_bundle_is_rejected_and_refreshed_not_duplicated() {
        let dir = tempfile::tempdir().unwrap();
        let mut index = Index::open(&dir.path().join("i.db")).unwrap();
        let junk = dir.path().join("junk.zip");
        std::fs::write(&junk, b"PK\x03\x04 not really").unwrap();
        for _ in 0..2 {
            let Added::Rejected(row) = index.add(&junk).unwrap() else {
                panic!("junk was indexed");
            };
            assert!(row.reason.contains("not a readable zip"), "{}", row.reason);
            assert_eq!(row.sha256.as_deref().map(str::len), Some(64));
        }
        let counts = index.counts().unwrap();
        assert!(counts.contains(&("rejected", 1)), "{counts:?}");
        assert!(counts.contains(&("bundles", 0)), "{counts:?}");

        let Added::Rejected(row) = index.add(dir.path()).unwrap() else {
            panic!("a directory was indexed");
        };
        assert_eq!(row.reason, "not a regular file");
        assert_eq!(row.sha256, None);
    }

    #[test]
    fn jsonl_rows_name_their_table_and_escape_controls() {
        let row = Row::Rejected(RejectedRow {
            path: "/x/\u{1b}[2Jevil.zip".into(),
            sha256: None,
            reason: "r".into(),
            rejected_at: "2026-01-01T00:00:00Z".into(),
        });
        let line = row.to_json_line();
        assert!(line.starts_with("{\"table\":\"rejected\","), "{line}");
        assert!(!line.contains('\u{1b}'), "{line}");
        let back: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(back["path"], "/x/\u{1b}[2Jevil.zip");
    }
}
