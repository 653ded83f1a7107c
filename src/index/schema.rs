//! The database's shape, and telling our database from anyone else's.
//!
//! A database is ours when its `PRAGMA application_id` is [`APPLICATION_ID`]; its
//! `PRAGMA user_version` is the schema version. A brand-new (empty) database gets the schema;
//! anything else with another application id, or a schema newer than this build knows, is
//! refused before a single row is written.

use rusqlite::Connection;

/// `PRAGMA application_id` of an index database: "SBIX" in ASCII, so `file(1)` and a curious
/// maintainer can tell it apart from other SQLite files.
pub const APPLICATION_ID: i32 = 0x5342_4958;

/// `PRAGMA user_version`: the schema version this build writes and reads.
pub const SCHEMA_VERSION: i32 = 1;

/// The tables. Child rows name their bundle and go with it (`ON DELETE CASCADE` is not relied
/// on: re-indexing deletes them explicitly, so the foreign-key pragma's state does not matter).
const DDL: &str = "
CREATE TABLE bundles (
    id           TEXT PRIMARY KEY NOT NULL,  -- sha256 of manifest.json
    project      TEXT NOT NULL,
    tool_version TEXT NOT NULL,
    created      TEXT NOT NULL,
    spec         TEXT NOT NULL,              -- built-in:<name> or the spec file's base name
    spec_sha256  TEXT NOT NULL,
    private      INTEGER NOT NULL,           -- 1 when collected with --security
    verdict      TEXT NOT NULL,              -- intact | tampered (from verify)
    problems     INTEGER NOT NULL,           -- how many differences verify found
    path         TEXT NOT NULL               -- where it was indexed from
);
CREATE TABLE facts (
    bundle_id TEXT NOT NULL REFERENCES bundles(id) ON DELETE CASCADE,
    name      TEXT NOT NULL,
    value     TEXT NOT NULL,
    item      TEXT NOT NULL,                 -- the item the value was extracted from
    PRIMARY KEY (bundle_id, name)
);
CREATE TABLE items (
    bundle_id  TEXT NOT NULL REFERENCES bundles(id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,             -- position in the manifest (a glob gives several)
    id         TEXT NOT NULL,
    kind       TEXT NOT NULL,
    status     TEXT NOT NULL,                -- ok | missing | denied | timeout | failed | truncated | skipped
    size       INTEGER NOT NULL,
    redactions INTEGER NOT NULL,
    path       TEXT,                         -- the entry in the zip; NULL when nothing was stored
    PRIMARY KEY (bundle_id, seq)
);
CREATE TABLE checks (
    bundle_id TEXT NOT NULL REFERENCES bundles(id) ON DELETE CASCADE,
    seq       INTEGER NOT NULL,
    id        TEXT NOT NULL,
    outcome   TEXT NOT NULL,                 -- pass | warn | fail | unknown
    message   TEXT NOT NULL,
    PRIMARY KEY (bundle_id, seq)
);
CREATE TABLE rejected (
    path        TEXT PRIMARY KEY NOT NULL,
    sha256      TEXT,                        -- of the file; NULL when it could not be read
    reason      TEXT NOT NULL,
    rejected_at TEXT NOT NULL                -- RFC 3339, UTC
);
CREATE INDEX facts_by_name ON facts (name, value);
CREATE INDEX items_by_id ON items (id, status);
CREATE INDEX checks_by_id ON checks (id, outcome);
";

/// What an existing database turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Found {
    /// No tables at all: ours to set up.
    Empty,
    /// An index of this schema version.
    Current,
}

/// Why a database is not one this build can use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Mismatch {
    /// Another application's database (or a plain SQLite file with tables).
    Foreign { application_id: i32 },
    /// An index written by a newer (or unknown older) schema.
    Version { found: i32 },
}

/// Look at `conn`'s application id, schema version and tables.
pub(super) fn examine(conn: &Connection) -> rusqlite::Result<Result<Found, Mismatch>> {
    let application_id: i32 = conn.pragma_query_value(None, "application_id", |r| r.get(0))?;
    let version: i32 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let objects: i64 = conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))?;
    Ok(match (application_id, objects) {
        (0, 0) => Ok(Found::Empty),
        (APPLICATION_ID, _) if version == SCHEMA_VERSION => Ok(Found::Current),
        (APPLICATION_ID, _) => Err(Mismatch::Version { found: version }),
        (other, _) => Err(Mismatch::Foreign {
            application_id: other,
        }),
    })
}

/// Create the tables and stamp the ids, in one transaction: a crash leaves an empty database,
/// never half a schema.
pub(super) fn create(conn: &mut Connection) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    tx.execute_batch(DDL)?;
    tx.pragma_update(None, "application_id", APPLICATION_ID)?;
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    tx.commit()
}
