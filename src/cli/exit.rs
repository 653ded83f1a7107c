//! Exit codes: the one place they are decided.

use std::process::ExitCode;

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: success.
    Success,
    /// 1: the operation's verdict is negative (tampered bundle, failing check).
    Negative,
    /// 2: usage or input error.
    Error,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        match e {
            Exit::Success => ExitCode::SUCCESS,
            Exit::Negative => ExitCode::from(1),
            Exit::Error => ExitCode::from(2),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_the_contract() {
        assert_eq!(ExitCode::from(Exit::Success), ExitCode::from(0));
        assert_eq!(ExitCode::from(Exit::Negative), ExitCode::from(1));
        assert_eq!(ExitCode::from(Exit::Error), ExitCode::from(2));
    }
}
