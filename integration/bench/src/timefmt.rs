//! Wall-clock times without a date library: RFC 3339 UTC timestamps (the
//! daemon's log lines) to Unix seconds, and Unix seconds to a UTC date for
//! the report's header. Civil-date arithmetic after Howard Hinnant's
//! `days_from_civil` / `civil_from_days`.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds per day.
const DAY: i64 = 86_400;

/// Now, in Unix seconds.
pub fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fraction]Z` into Unix seconds.
pub fn parse_rfc3339_utc(text: &str) -> Option<f64> {
    let text = text.strip_suffix('Z')?;
    let (date, time) = text.split_once('T')?;
    let mut date_parts = date.split('-');
    let year: i64 = date_parts.next()?.parse().ok()?;
    let month: i64 = date_parts.next()?.parse().ok()?;
    let day: i64 = date_parts.next()?.parse().ok()?;
    let mut time_parts = time.split(':');
    let hour: i64 = time_parts.next()?.parse().ok()?;
    let minute: i64 = time_parts.next()?.parse().ok()?;
    let second: f64 = time_parts.next()?.parse().ok()?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some((days * DAY + hour * 3600 + minute * 60) as f64 + second)
}

/// Unix seconds as `YYYY-MM-DD HH:MM UTC`.
pub fn format_utc_minutes(unix: f64) -> String {
    let seconds = unix.floor() as i64;
    let (year, month, day) = civil_from_days(seconds.div_euclid(DAY));
    let of_day = seconds.rem_euclid(DAY);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        of_day / 3600,
        of_day % 3600 / 60
    )
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date of `days` since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_utc_timestamps_become_unix_seconds() {
        assert_eq!(parse_rfc3339_utc("1970-01-01T00:00:00Z"), Some(0.0));
        assert_eq!(
            parse_rfc3339_utc("2000-03-01T00:00:00Z"),
            Some(951_868_800.0)
        );
        let t = parse_rfc3339_utc("2026-11-21T02:43:00.123456Z").unwrap();
        assert!((t - 1_795_228_980.123_456).abs() < 1e-6, "{t}");
        assert_eq!(parse_rfc3339_utc("2026-11-21T02:43:00"), None);
        assert_eq!(parse_rfc3339_utc("2026-13-21T02:43:00Z"), None);
        assert_eq!(parse_rfc3339_utc("INFO"), None);
    }

    #[test]
    fn unix_seconds_format_as_a_utc_date_and_back() {
        assert_eq!(format_utc_minutes(0.0), "1970-01-01 00:00 UTC");
        assert_eq!(format_utc_minutes(1_795_228_980.9), "2026-11-21 02:43 UTC");
        assert_eq!(format_utc_minutes(951_782_400.0), "2000-02-29 00:00 UTC");
        for days in [-1, 0, 59, 365, 11_016, 20_413] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
