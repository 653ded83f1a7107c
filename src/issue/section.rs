//! One rendered part of the issue body, shared by the body, its checklist and the URL
//! builder.

/// One `## heading` and the Markdown under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The heading, as the spec writes it.
    pub heading: String,
    /// The Markdown under it (no heading line).
    pub text: String,
    /// Whether the user must write this part (steps, expected vs actual).
    pub human: bool,
}
