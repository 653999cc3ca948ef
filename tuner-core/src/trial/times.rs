//! When a trial started and completed, as Optuna's `datetime_start` and `datetime_complete`:
//! the storage's clock in UTC, read from the text the databases keep and written as ISO 8601.

use chrono::{NaiveDateTime, Utc};

/// The clock the memory storage stamps trials with: now, in UTC.
pub(crate) fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

/// A stored time as SQLite and PostgreSQL give it as text (`2026-12-02 13:21:46.123456`, the
/// fraction optional, a `T` accepted in place of the space); `None` for anything else.
pub fn parse_stored_time(text: &str) -> Option<NaiveDateTime> {
    let text = text.trim();
    ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
}

/// A time as the exports write it: ISO 8601 to the microsecond (`2026-12-02T13:21:46.123456`),
/// which pandas and spreadsheets read as a datetime.
pub fn time_text(time: &NaiveDateTime) -> String {
    time.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
}

/// Seconds from `start` to `end` (negative if `end` is earlier).
pub fn seconds_between(start: &NaiveDateTime, end: &NaiveDateTime) -> f64 {
    end.signed_duration_since(*start).as_seconds_f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_texts_of_both_databases_parse() {
        let sqlite = parse_stored_time("2026-12-02 13:21:46.123000").unwrap();
        let postgres = parse_stored_time("2026-12-02 13:21:46.123").unwrap();
        assert_eq!(sqlite, postgres);
        let whole = parse_stored_time("2026-12-02 13:21:46").unwrap();
        assert_eq!(seconds_between(&whole, &sqlite), 0.123);
        assert_eq!(parse_stored_time("2026-12-02T13:21:46"), Some(whole));
        assert_eq!(parse_stored_time("yesterday"), None);
        assert_eq!(time_text(&sqlite), "2026-12-02T13:21:46.123000");
        assert_eq!(parse_stored_time(&time_text(&sqlite)), Some(sqlite));
        assert!(seconds_between(&sqlite, &whole) < 0.0);
    }
}
