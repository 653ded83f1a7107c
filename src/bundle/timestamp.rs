//! The one timestamp a bundle carries: `SOURCE_DATE_EPOCH` when set, else 1980-01-01, so
//! the same inputs give the same bytes.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// 1980-01-01T00:00:00Z, the earliest time a zip entry can carry.
pub const ZIP_EPOCH: u64 = 315_532_800;

/// An error reading `SOURCE_DATE_EPOCH`.
#[derive(Debug, thiserror::Error)]
#[error("SOURCE_DATE_EPOCH must be a whole number of seconds since 1970 (got `{0}`)")]
pub struct EpochError(pub String);

/// A bundle's creation time, in seconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp(u64);

impl Timestamp {
    /// From the value of `SOURCE_DATE_EPOCH` (`None` when unset). Times before 1980 are
    /// clamped to 1980 and after 2107 to 2107: the zip format cannot represent them.
    pub fn from_source_date_epoch(value: Option<&str>) -> Result<Timestamp, EpochError> {
        let Some(value) = value else {
            return Ok(Timestamp(ZIP_EPOCH));
        };
        let secs: u64 = value
            .trim()
            .parse()
            .map_err(|_| EpochError(value.to_string()))?;
        // 2107-12-31T23:59:58Z
        const ZIP_END: u64 = 4_354_819_198;
        Ok(Timestamp(secs.clamp(ZIP_EPOCH, ZIP_END)))
    }

    /// Seconds since the Unix epoch.
    pub fn secs(self) -> u64 {
        self.0
    }

    /// RFC 3339 in UTC, e.g. `2026-11-25T18:17:34Z`.
    pub fn rfc3339(self) -> String {
        humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(self.0)).to_string()
    }

    /// The zip entry time (2-second resolution, as the format demands).
    pub fn zip_time(self) -> zip::DateTime {
        let text = self.rfc3339();
        // `YYYY-MM-DDTHH:MM:SSZ`: fixed positions, produced just above.
        let num = |r: std::ops::Range<usize>| text[r].parse::<u16>().unwrap_or(0);
        let byte = |r| u8::try_from(num(r)).unwrap_or(0);
        zip::DateTime::from_date_and_time(
            num(0..4),
            byte(5..7),
            byte(8..10),
            byte(11..13),
            byte(14..16),
            byte(17..19),
        )
        .unwrap_or_default()
    }

    /// Now (for callers that opt out of reproducibility explicitly).
    pub fn now() -> Timestamp {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(ZIP_EPOCH, |d| d.as_secs());
        Timestamp(secs.max(ZIP_EPOCH))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_means_1980() {
        let t = Timestamp::from_source_date_epoch(None).unwrap();
        assert_eq!(t.rfc3339(), "1980-01-01T00:00:00Z");
        let z = t.zip_time();
        assert_eq!((z.year(), z.month(), z.day()), (1980, 1, 1));
    }

    #[test]
    fn parses_and_converts() {
        let t = Timestamp::from_source_date_epoch(Some("1795393164")).unwrap();
        assert_eq!(t.rfc3339(), "2026-11-23T00:19:24Z");
        let z = t.zip_time();
        assert_eq!(
            (
                z.year(),
                z.month(),
                z.day(),
                z.hour(),
                z.minute(),
                z.second()
            ),
            (2026, 11, 23, 0, 19, 24)
        );
    }

    #[test]
    fn malformed_is_an_error_and_old_is_clamped() {
        assert!(Timestamp::from_source_date_epoch(Some("yesterday")).is_err());
        assert!(Timestamp::from_source_date_epoch(Some("-5")).is_err());
        assert_eq!(
            Timestamp::from_source_date_epoch(Some("0")).unwrap().secs(),
            ZIP_EPOCH
        );
    }
}
