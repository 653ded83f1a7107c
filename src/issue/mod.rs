//! Issue body rendering.
