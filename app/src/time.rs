//! Formatting of message times. The server renders UTC; the browser switches
//! to the viewer's local offset once hydrated (see `components::chat`).

/// `HH:MM` of a time in milliseconds since the epoch, shifted by `offset_min`
/// minutes east of UTC.
pub(crate) fn clock(ms: i64, offset_min: i32) -> String {
    let mins = (ms.div_euclid(60_000) + offset_min as i64).rem_euclid(24 * 60);
    format!("{:02}:{:02}", mins / 60, mins % 60)
}

/// `YYYY-MM-DD HH:MM UTC`, for tooltips and `datetime` attributes.
pub(crate) fn iso_utc(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02} {} UTC", clock(ms, 0))
}

/// The day a time falls on, shifted by `offset_min` minutes east of UTC, as
/// a number (days since 1970-01-01 there).
pub(crate) fn day(ms: i64, offset_min: i32) -> i64 {
    (ms + offset_min as i64 * 60_000).div_euclid(86_400_000)
}

/// A day (from [`day`]) as people read it: "Monday 7 December 2026".
pub(crate) fn day_label(day: i64) -> String {
    const WEEKDAYS: [&str; 7] = ["Thursday", "Friday", "Saturday", "Sunday", "Monday", "Tuesday", "Wednesday"];
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let (y, m, d) = civil_from_days(day);
    format!("{} {d} {} {y}", WEEKDAYS[day.rem_euclid(7) as usize], MONTHS[m as usize - 1])
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        // 2026-11-22 21:05:00 UTC
        let t = 1_795_381_500_000;
        assert_eq!(iso_utc(t), "2026-11-22 21:05 UTC");
        assert_eq!(clock(t, 0), "21:05");
        assert_eq!(clock(t, 120), "23:05");
        assert_eq!(clock(t, 180), "00:05");
        assert_eq!(clock(t, -22 * 60), "23:05");
        assert_eq!(iso_utc(0), "1970-01-01 00:00 UTC");
    }

    #[test]
    fn days_are_named_where_the_viewer_is() {
        // 2026-12-07 23:30 UTC: a Monday in London, a Tuesday in Tokyo.
        let t = 1_796_686_200_000;
        assert_eq!(day_label(day(t, 0)), "Monday 7 December 2026");
        assert_eq!(day_label(day(t, 9 * 60)), "Tuesday 8 December 2026");
        assert_eq!(day_label(day(0, 0)), "Thursday 1 January 1970");
        assert_eq!(day_label(day(-1, 0)), "Wednesday 31 December 1969");
    }
}
