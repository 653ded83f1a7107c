//! Environment variables named in the spec.
