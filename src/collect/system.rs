//! System facts.
