//! Bundle writing and reading.
