//! Dates and times written into messages in the reader's language: the catalogs' `format.*`
//! patterns (`%A, %B %-d at %-I:%M %p`; `%-d %B %A %H:%M`) with their day and month names.
//!
//! Slack date tokens are not written here: every reader's client renders those itself.

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Weekday};

use super::{Key, Lang};

impl Lang {
    /// `at` written with the `format.*` pattern `pattern` in this language. The directives
    /// (checked by build.rs) are `%A %a` (day), `%B %b` (month), `%d %-d %m %Y`, `%H %M`,
    /// `%I %-I %p` (12-hour clock) and `%%`.
    pub fn datetime(self, pattern: Key, at: NaiveDateTime) -> String {
        let mut out = String::new();
        let mut rest = self.text(pattern);
        while let Some(percent) = rest.find('%') {
            out.push_str(rest.get(..percent).unwrap_or_default());
            let directive = rest.get(percent..).unwrap_or_default();
            let (len, written) = self.directive(directive, at);
            out.push_str(&written);
            rest = directive.get(len..).unwrap_or_default();
        }
        out.push_str(rest);
        out
    }

    /// A date alone, with a pattern that has no time directives.
    pub fn date(self, pattern: Key, date: NaiveDate) -> String {
        self.datetime(pattern, date.and_time(NaiveTime::MIN))
    }

    /// A time of day alone, with a pattern that has no date directives.
    pub fn time(self, pattern: Key, time: NaiveTime) -> String {
        self.datetime(pattern, NaiveDate::MIN.and_time(time))
    }

    /// The day's name as a date shows it (`Monday`, `Pazartesi`).
    pub fn weekday(self, day: Weekday) -> &'static str {
        self.text(match day {
            Weekday::Mon => Key::DayMon,
            Weekday::Tue => Key::DayTue,
            Weekday::Wed => Key::DayWed,
            Weekday::Thu => Key::DayThu,
            Weekday::Fri => Key::DayFri,
            Weekday::Sat => Key::DaySat,
            Weekday::Sun => Key::DaySun,
        })
    }

    fn short_weekday(self, day: Weekday) -> &'static str {
        self.text(match day {
            Weekday::Mon => Key::DayShortMon,
            Weekday::Tue => Key::DayShortTue,
            Weekday::Wed => Key::DayShortWed,
            Weekday::Thu => Key::DayShortThu,
            Weekday::Fri => Key::DayShortFri,
            Weekday::Sat => Key::DayShortSat,
            Weekday::Sun => Key::DayShortSun,
        })
    }

    fn month(self, month: u32, short: bool) -> &'static str {
        const LONG: [Key; 12] = [
            Key::MonthJan,
            Key::MonthFeb,
            Key::MonthMar,
            Key::MonthApr,
            Key::MonthMay,
            Key::MonthJun,
            Key::MonthJul,
            Key::MonthAug,
            Key::MonthSep,
            Key::MonthOct,
            Key::MonthNov,
            Key::MonthDec,
        ];
        const SHORT: [Key; 12] = [
            Key::MonthShortJan,
            Key::MonthShortFeb,
            Key::MonthShortMar,
            Key::MonthShortApr,
            Key::MonthShortMay,
            Key::MonthShortJun,
            Key::MonthShortJul,
            Key::MonthShortAug,
            Key::MonthShortSep,
            Key::MonthShortOct,
            Key::MonthShortNov,
            Key::MonthShortDec,
        ];
        let names = if short { &SHORT } else { &LONG };
        month
            .checked_sub(1)
            .and_then(|i| names.get(i as usize))
            .map_or("", |key| self.text(*key))
    }

    /// One directive at the start of `s`: how many bytes it took, and what it writes.
    fn directive(self, s: &str, at: NaiveDateTime) -> (usize, String) {
        const KNOWN: [&str; 14] = [
            "%-d", "%-I", "%A", "%a", "%B", "%b", "%d", "%m", "%Y", "%H", "%M", "%I", "%p", "%%",
        ];
        // build.rs lets no other directive through; a lone `%` is written as it is.
        let Some(directive) = KNOWN.into_iter().find(|d| s.starts_with(d)) else {
            return (1, "%".to_owned());
        };
        let hour12 = match at.hour() % 12 {
            0 => 12,
            h => h,
        };
        let written = match directive {
            "%-d" => at.day().to_string(),
            "%-I" => hour12.to_string(),
            "%A" => self.weekday(at.weekday()).to_owned(),
            "%a" => self.short_weekday(at.weekday()).to_owned(),
            "%B" => self.month(at.month(), false).to_owned(),
            "%b" => self.month(at.month(), true).to_owned(),
            "%d" => format!("{:02}", at.day()),
            "%m" => format!("{:02}", at.month()),
            "%Y" => at.year().to_string(),
            "%H" => format!("{:02}", at.hour()),
            "%M" => format!("{:02}", at.minute()),
            "%I" => format!("{hour12:02}"),
            "%p" if at.hour() < 12 => self.text(Key::TimeAm).to_owned(),
            "%p" => self.text(Key::TimePm).to_owned(),
            _ => "%".to_owned(),
        };
        (directive.len(), written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|date| date.and_hms_opt(h, min, 0))
            .expect("valid test date")
    }

    /// English matches chrono's own formatting of the same pattern, so the English replies
    /// read exactly as before the catalogs.
    #[test]
    fn english_dates_read_as_chrono_writes_them() {
        let patterns = [
            Key::FormatDayTime,
            Key::FormatFull,
            Key::FormatDate,
            Key::FormatWeekdayDate,
            Key::FormatTime,
            Key::FormatTimeOnDay,
            Key::FormatShortDayTime,
            Key::FormatCommandDate,
        ];
        for moment in [
            at(2026, 12, 1, 15, 0),
            at(2026, 1, 4, 0, 5),
            at(2027, 6, 30, 12, 30),
            at(2026, 3, 8, 9, 7),
        ] {
            for pattern in patterns {
                let chrono = moment.format(Lang::En.text(pattern)).to_string();
                assert_eq!(
                    Lang::En.datetime(pattern, moment),
                    chrono,
                    "{} {moment}",
                    pattern.name()
                );
            }
        }
    }

    #[test]
    fn turkish_dates_use_turkish_names_and_the_24_hour_clock() {
        let cases = [
            (
                Key::FormatDayTime,
                at(2026, 12, 1, 15, 0),
                "1 Aralık Salı 15:00",
            ),
            (
                Key::FormatFull,
                at(2026, 12, 1, 9, 5),
                "1 Aralık 2026 Salı 09:05",
            ),
            (Key::FormatDate, at(2026, 12, 20, 0, 0), "20 Aralık 2026"),
            (Key::FormatTime, at(2026, 12, 20, 21, 30), "21:30"),
            (
                Key::FormatShortDayTime,
                at(2026, 2, 7, 8, 0),
                "7 Şub Cmt 08:00",
            ),
            (Key::FormatCommandDate, at(2026, 4, 3, 0, 0), "3 Nisan"),
        ];
        for (pattern, moment, want) in cases {
            assert_eq!(
                Lang::Tr.datetime(pattern, moment),
                want,
                "{}",
                pattern.name()
            );
        }
    }
}
