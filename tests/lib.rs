//! Integration tests that drive the real `support-bundle` binary.

mod maintainer;
