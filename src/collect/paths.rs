//! Resolving the paths a spec names: `~/`, relative paths, and `--sysroot`.
