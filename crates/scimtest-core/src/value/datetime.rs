//! xsd:dateTime (RFC 7643 §2.3.5), parsed exactly enough to order and compare instants.

use std::cmp::Ordering;
use std::fmt;

/// An instant: seconds since 1970-01-01T00:00:00Z and nanoseconds. A value written without a time zone
/// is taken as UTC (xsd leaves it "local"; SCIM servers write `Z` in practice).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DateTime {
    seconds: i64,
    nanos: u32,
}

impl PartialOrd for DateTime {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for DateTime {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.seconds, self.nanos).cmp(&(other.seconds, other.nanos))
    }
}

fn digits(s: &[u8], n: usize) -> Option<i64> {
    if s.len() < n || !s[..n].iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s[..n].iter().fold(0, |acc, d| acc * 10 + i64::from(d - b'0')))
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

impl DateTime {
    /// The instant `seconds` (and `nanos`) after 1970-01-01T00:00:00Z.
    pub fn from_unix(seconds: i64, nanos: u32) -> DateTime {
        DateTime { seconds, nanos: nanos.min(999_999_999) }
    }

    /// The same instant in local time `offset_minutes` east of UTC (`…+02:00`, `…-05:30`; `Z` for 0):
    /// another spelling that a server comparing text instead of instants orders wrongly.
    pub fn to_string_at_offset(&self, offset_minutes: i32) -> String {
        let local = DateTime { seconds: self.seconds + i64::from(offset_minutes) * 60, nanos: self.nanos };
        let text = local.to_string();
        let text = text.trim_end_matches('Z');
        if offset_minutes == 0 {
            return format!("{text}Z");
        }
        let sign = if offset_minutes < 0 { '-' } else { '+' };
        let m = offset_minutes.unsigned_abs();
        format!("{text}{sign}{:02}:{:02}", m / 60, m % 60)
    }

    /// Parses `[-]YYYY-MM-DDThh:mm:ss[.f+][Z|(+|-)hh:mm]`. Returns `None` for anything else,
    /// including out-of-range fields (`2023-02-29`, `25:00:00`).
    pub fn parse(text: &str) -> Option<DateTime> {
        let mut s = text.as_bytes();
        let negative = s.first() == Some(&b'-');
        if negative {
            s = &s[1..];
        }
        let year_len = s.iter().take_while(|c| c.is_ascii_digit()).count();
        if year_len < 4 || (year_len > 4 && s[0] == b'0') || year_len > 9 {
            return None;
        }
        let mut year = digits(s, year_len)?;
        if negative {
            year = -year;
        }
        s = &s[year_len..];
        let field = |s: &mut &[u8], sep: u8| -> Option<i64> {
            if s.first() != Some(&sep) {
                return None;
            }
            let v = digits(&s[1..], 2)?;
            *s = &s[3..];
            Some(v)
        };
        let month = field(&mut s, b'-')?;
        let day = field(&mut s, b'-')?;
        let hour = field(&mut s, b'T')?;
        let minute = field(&mut s, b':')?;
        let second = field(&mut s, b':')?;
        let mut nanos = 0u32;
        if s.first() == Some(&b'.') {
            let n = s[1..].iter().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 {
                return None;
            }
            for (i, d) in s[1..=n].iter().enumerate().take(9) {
                nanos += u32::from(d - b'0') * 10u32.pow(8 - i as u32);
            }
            s = &s[1 + n..];
        }
        let offset_minutes = match s {
            [] | [b'Z'] => 0,
            [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
                let h = digits(&[*h1, *h2], 2)?;
                let m = digits(&[*m1, *m2], 2)?;
                if h > 14 || m > 59 || (h == 14 && m > 0) {
                    return None;
                }
                let total = h * 60 + m;
                if *sign == b'-' { -total } else { total }
            }
            _ => return None,
        };
        if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
            return None;
        }
        let end_of_day = hour == 24 && minute == 0 && second == 0 && nanos == 0;
        if !(hour < 24 || end_of_day) || minute > 59 || second > 59 {
            return None;
        }
        let days = days_from_civil(year, month, day);
        let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second - offset_minutes * 60;
        Some(DateTime { seconds, nanos })
    }
}

/// The canonical spelling: UTC with `Z`, fractional seconds only when non-zero, without trailing zeros.
impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.seconds.div_euclid(86_400);
        let secs = self.seconds.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        if y < 0 {
            write!(f, "-{:04}", -y)?;
        } else {
            write!(f, "{y:04}")?;
        }
        write!(f, "-{m:02}-{d:02}T{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)?;
        if self.nanos != 0 {
            let frac = format!("{:09}", self.nanos);
            write!(f, ".{}", frac.trim_end_matches('0'))?;
        }
        f.write_str("Z")
    }
}

#[cfg(test)]
mod tests {
    use super::DateTime;

    #[test]
    fn offsets_compare_as_instants() {
        let z = DateTime::parse("2011-05-13T04:42:34Z").unwrap();
        let plus2 = DateTime::parse("2011-05-13T06:42:34+02:00").unwrap();
        let frac = DateTime::parse("2011-05-13T04:42:34.000Z").unwrap();
        let later = DateTime::parse("2011-05-13T04:42:34.001Z").unwrap();
        assert_eq!(z, plus2);
        assert_eq!(z, frac);
        assert!(later > z);
        assert_eq!(DateTime::parse("2011-05-13T04:42:34").unwrap(), z, "no zone is UTC");
    }

    #[test]
    fn offset_spellings_are_the_same_instant() {
        let t = DateTime::parse("2026-11-24T00:18:18.635Z").unwrap();
        assert_eq!(t.to_string_at_offset(120), "2026-11-24T02:18:18.635+02:00");
        assert_eq!(t.to_string_at_offset(-330), "2026-11-23T18:48:18.635-05:30");
        assert_eq!(t.to_string_at_offset(0), "2026-11-24T00:18:18.635Z");
        for offset in [-720, -330, 0, 60, 840] {
            assert_eq!(DateTime::parse(&t.to_string_at_offset(offset)), Some(t), "offset {offset}");
        }
    }

    #[test]
    fn rejects_out_of_range_and_malformed() {
        for bad in [
            "2023-02-29T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-01-01T25:00:00Z",
            "2024-01-01T24:00:01Z",
            "2024-01-01 00:00:00Z",
            "2024-01-01T00:00:00.Z",
            "2024-01-01T00:00:00+1:00",
            "24-01-01T00:00:00Z",
            "02024-01-01T00:00:00Z",
            "2024-01-01T00:00:00z",
            "",
            "not a date",
        ] {
            assert_eq!(DateTime::parse(bad), None, "{bad}");
        }
        assert!(DateTime::parse("2024-02-29T00:00:00Z").is_some());
        assert!(DateTime::parse("2024-01-01T24:00:00Z").is_some());
    }

    #[test]
    fn display_is_canonical_utc() {
        for (input, canonical) in [
            ("2011-05-13T06:42:34+02:00", "2011-05-13T04:42:34Z"),
            ("2011-05-13T04:42:34.500Z", "2011-05-13T04:42:34.5Z"),
            ("1969-12-31T23:59:59-00:30", "1970-01-01T00:29:59Z"),
            ("2000-02-29T00:00:00Z", "2000-02-29T00:00:00Z"),
            ("2024-01-01T24:00:00Z", "2024-01-02T00:00:00Z"),
        ] {
            assert_eq!(DateTime::parse(input).unwrap().to_string(), canonical);
        }
    }
}
