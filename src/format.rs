//! Formatting for people: file sizes, media durations and message times.
//!
//! Pure functions (no clock, no time zone database), so they are tested on the host; the browser
//! side supplies "now" and the local time zone offset from `js_sys::Date`. No chrono: it would
//! cost the wasm more than these few lines.

/// A file size for people. Udesk sends either a human size (`"4.3M"`, `"120KB"`) or a number of
/// bytes (`"4300000"`); both come out as `"4.3 MB"`-style text. Anything else is shown as sent.
pub fn file_size(raw: &str) -> String {
    let raw = raw.trim();
    if let Ok(bytes) = raw.parse::<u64>() {
        return human_bytes(bytes);
    }
    let split = raw
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(raw.len());
    let (number, unit) = raw.split_at(split);
    let unit = match unit.trim().to_ascii_uppercase().as_str() {
        "B" => "B",
        "K" | "KB" => "KB",
        "M" | "MB" => "MB",
        "G" | "GB" => "GB",
        _ => return raw.to_owned(),
    };
    let mut parts = number.split('.');
    let digits =
        |p: Option<&str>| p.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    let whole_ok = digits(parts.next());
    let fraction_ok = match parts.next() {
        None => true,
        fraction => digits(fraction),
    };
    if whole_ok && fraction_ok && parts.next().is_none() {
        format!("{number} {unit}")
    } else {
        raw.to_owned()
    }
}

/// Bytes as `"512 B"`, `"1.5 KB"`, `"4.3 MB"`, `"1.2 GB"` (1024-based, one decimal). Integer
/// arithmetic only: float formatting would add kilobytes of code to the wasm.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 3] = ["KB", "MB", "GB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut unit = 0;
    let mut scale: u64 = 1024;
    while bytes >= scale * 1024 && unit < UNITS.len() - 1 {
        scale *= 1024;
        unit += 1;
    }
    // round(bytes * 10 / scale) without overflowing: bytes = q * scale + r.
    let (q, r) = (bytes / scale, bytes % scale);
    let tenths = q * 10 + (r * 10 + scale / 2) / scale;
    let (whole, fraction) = (tenths / 10, tenths % 10);
    if fraction == 0 {
        format!("{whole} {}", UNITS[unit])
    } else {
        format!("{whole}.{fraction} {}", UNITS[unit])
    }
}

/// A media duration: `"0:07"`, `"3:20"`, `"1:02:03"`.
pub fn duration(seconds: f64) -> String {
    if !seconds.is_finite() || seconds < 0.0 {
        return "0:00".to_owned();
    }
    let total = seconds.round() as u64;
    let (h, m, s) = (total / 3600, total / 60 % 60, total % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// A calendar date and wall-clock time, in whatever zone the caller means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Clock {
    pub year: i32,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
}

/// Udesk writes `message_created_at` in China Standard Time (UTC+8).
pub const UDESK_UTC_OFFSET_MINUTES: i64 = 8 * 60;

impl Clock {
    /// Parses Udesk's `"2017-07-11 09:52:11"` (a `T` separator and missing seconds are fine).
    pub fn parse(text: &str) -> Option<Clock> {
        let text = text.trim();
        let (date, time) = text.split_once([' ', 'T'])?;
        let mut date = date.split('-');
        let year = date.next()?.parse().ok()?;
        let month = date.next()?.parse().ok()?;
        let day = date.next()?.parse().ok()?;
        let mut time = time.split(':');
        let hour = time.next()?.parse().ok()?;
        let minute = time.next()?.get(..2)?.parse().ok()?;
        let clock = Clock {
            year,
            month,
            day,
            hour,
            minute,
        };
        let valid =
            (1..=12).contains(&month) && (1..=31).contains(&day) && hour < 24 && minute < 60;
        valid.then_some(clock)
    }

    /// Milliseconds since the Unix epoch, taking this clock as local time at `offset_minutes`
    /// east of UTC.
    pub fn to_epoch_ms(self, offset_minutes: i64) -> i64 {
        let days = days_from_civil(self.year, self.month, self.day);
        let minutes = days * 1440 + i64::from(self.hour) * 60 + i64::from(self.minute);
        (minutes - offset_minutes) * 60_000
    }

    /// The clock at `epoch_ms`, at `offset_minutes` east of UTC.
    pub fn from_epoch_ms(epoch_ms: i64, offset_minutes: i64) -> Clock {
        let minutes = epoch_ms.div_euclid(60_000) + offset_minutes;
        let days = minutes.div_euclid(1440);
        let in_day = minutes.rem_euclid(1440);
        let (year, month, day) = civil_from_days(days);
        Clock {
            year,
            month,
            day,
            hour: (in_day / 60) as u32,
            minute: (in_day % 60) as u32,
        }
    }
}

/// A message's time as shown next to it: `"09:52"` today, `"07-11 09:52"` this year, else
/// `"2017-07-11 09:52"`.
pub fn message_time(at: Clock, now: Clock) -> String {
    let hm = format!("{:02}:{:02}", at.hour, at.minute);
    if (at.year, at.month, at.day) == (now.year, now.month, now.day) {
        hm
    } else if at.year == now.year {
        format!("{:02}-{:02} {hm}", at.month, at.day)
    } else {
        format!("{}-{:02}-{:02} {hm}", at.year, at.month, at.day)
    }
}

/// Faces of the emoji survey from worst to best.
const FACES: [&str; 5] = ["😞", "🙁", "😐", "🙂", "😄"];

/// The face for option `index` of `count` emoji-survey options, spread from worst to best.
pub fn survey_face(index: usize, count: usize) -> &'static str {
    if count <= 1 {
        return FACES[4];
    }
    let index = index.min(count - 1);
    FACES[(index * (FACES.len() - 1) + (count - 1) / 2) / (count - 1)]
}

/// Splits a leading emoji off a survey option's text (`"😀 非常满意"` → `("😀", "非常满意")`), so
/// an option that brings its own face is not shown with two.
pub fn leading_emoji(text: &str) -> (Option<&str>, &str) {
    let text = text.trim();
    let is_emoji = |c: char| matches!(u32::from(c), 0x1F000..=0x1FAFF | 0x2600..=0x27BF);
    let end = text
        .char_indices()
        .find(|&(_, c)| !(is_emoji(c) || c == '\u{FE0F}' || c == '\u{200D}'))
        .map_or(text.len(), |(i, _)| i);
    if end == 0 {
        (None, text)
    } else {
        (Some(&text[..end]), text[end..].trim_start())
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i32, month: u32, day: u32) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i32, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_in_bytes_become_human() {
        assert_eq!(file_size("512"), "512 B");
        assert_eq!(file_size("1536"), "1.5 KB");
        assert_eq!(file_size("4508876"), "4.3 MB");
        assert_eq!(file_size("1048576"), "1 MB");
        assert_eq!(human_bytes(3 * 1024 * 1024 * 1024), "3 GB");
        assert_eq!(human_bytes(1023), "1023 B");
        assert_eq!(human_bytes(1024 * 1024 - 1), "1024 KB");
        assert_eq!(human_bytes(5 * 1024 * 1024 * 1024 * 1024), "5120 GB");
    }

    #[test]
    fn udesk_human_sizes_are_normalised() {
        assert_eq!(file_size("4.3M"), "4.3 MB");
        assert_eq!(file_size("120KB"), "120 KB");
        assert_eq!(file_size(" 2 g "), "2 GB");
        assert_eq!(file_size("about a megabyte"), "about a megabyte");
        assert_eq!(file_size("4.3X"), "4.3X");
        assert_eq!(file_size("4..3M"), "4..3M");
        assert_eq!(file_size(".5M"), ".5M");
    }

    #[test]
    fn durations_read_like_a_player() {
        assert_eq!(duration(7.0), "0:07");
        assert_eq!(duration(200.0), "3:20");
        assert_eq!(duration(3723.4), "1:02:03");
        assert_eq!(duration(59.6), "1:00");
        assert_eq!(duration(f64::NAN), "0:00");
        assert_eq!(duration(-3.0), "0:00");
    }

    #[test]
    fn survey_faces_span_worst_to_best() {
        assert_eq!(survey_face(0, 5), "😞");
        assert_eq!(survey_face(4, 5), "😄");
        assert_eq!(survey_face(1, 3), "😐");
        assert_eq!(survey_face(2, 3), "😄");
        assert_eq!(survey_face(0, 2), "😞");
        assert_eq!(survey_face(1, 2), "😄");
        assert_eq!(survey_face(0, 1), "😄");
        assert_eq!(survey_face(9, 3), "😄", "out of range stays in range");
    }

    #[test]
    fn a_leading_emoji_is_split_off_survey_texts() {
        assert_eq!(leading_emoji("😀 非常满意"), (Some("😀"), "非常满意"));
        assert_eq!(leading_emoji("☹️不满意"), (Some("☹️"), "不满意"));
        assert_eq!(leading_emoji("满意 😀"), (None, "满意 😀"));
        assert_eq!(leading_emoji("5星 非常满意"), (None, "5星 非常满意"));
        assert_eq!(leading_emoji("😐"), (Some("😐"), ""));
    }

    #[test]
    fn udesk_timestamps_parse() {
        let c = Clock::parse("2017-07-11 09:52:11").unwrap();
        assert_eq!(
            (c.year, c.month, c.day, c.hour, c.minute),
            (2017, 7, 11, 9, 52)
        );
        assert_eq!(Clock::parse("2017-07-11T09:52"), Some(c));
        assert_eq!(Clock::parse("2017-13-11 09:52:11"), None);
        assert_eq!(Clock::parse("yesterday"), None);
        assert_eq!(Clock::parse("2017-07-11 25:00:00"), None);
    }

    #[test]
    fn epoch_conversions_round_trip_across_zones() {
        // 2017-07-11 09:52 in Beijing is 01:52 UTC.
        let beijing = Clock::parse("2017-07-11 09:52:00").unwrap();
        let ms = beijing.to_epoch_ms(UDESK_UTC_OFFSET_MINUTES);
        assert_eq!(ms, 1_499_737_920_000);
        let utc = Clock::from_epoch_ms(ms, 0);
        assert_eq!((utc.day, utc.hour, utc.minute), (11, 1, 52));
        // West of UTC the date goes back a day.
        let la = Clock::from_epoch_ms(ms, -7 * 60);
        assert_eq!((la.month, la.day, la.hour), (7, 10, 18));
        assert_eq!(Clock::from_epoch_ms(0, 0).year, 1970);
        // Leap day.
        let leap = Clock::parse("2024-02-29 12:00").unwrap();
        assert_eq!(Clock::from_epoch_ms(leap.to_epoch_ms(0), 0), leap);
    }

    #[test]
    fn message_times_show_only_what_differs_from_now() {
        let now = Clock::parse("2026-11-23 18:00").unwrap();
        let today = Clock::parse("2026-11-23 09:05").unwrap();
        let earlier = Clock::parse("2026-07-01 23:59").unwrap();
        let old = Clock::parse("2017-07-11 09:52").unwrap();
        assert_eq!(message_time(today, now), "09:05");
        assert_eq!(message_time(earlier, now), "07-01 23:59");
        assert_eq!(message_time(old, now), "2017-07-11 09:52");
    }
}
