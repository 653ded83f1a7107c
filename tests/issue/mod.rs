//! The issue body and filing: snapshots from fixture bundles, link bounds and round trips,
//! issue forms, security reports, planted secrets, and `init --from`.

mod body;
mod filing;
mod fixture;
mod init;
mod secrets;
