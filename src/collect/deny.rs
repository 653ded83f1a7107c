//! The never-collect denylist: private keys, databases, data directories.

/// Compiled never-collect patterns.
#[derive(Debug, Clone, Default)]
pub struct DenyList {}
