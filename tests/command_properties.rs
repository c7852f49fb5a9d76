//! Properties of the `/zoom` command parser: no input panics, every accepted command
//! round-trips through its canonical form, and a series' occurrences agree with an
//! independent computation through the tz database.

use chrono::{
    DateTime, Datelike, Days, LocalResult, Months, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta,
    TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use slack_zoom::command::{
    self, CommandError, Context, Frequency, Minutes, Parsed, Recurrence, SeriesEnd, WeekdaySet,
};
use slack_zoom::time::Zone;

/// Zones with DST in either hemisphere, odd offsets and none at all.
const ZONES: [&str; 9] = [
    "America/New_York",
    "Europe/Berlin",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Pacific/Chatham",
    "America/St_Johns",
    "UTC",
];

/// Words of the language and things that resemble them, to build plausible commands.
const VOCABULARY: &[&str] = &[
    "Design",
    "review",
    "Sun",
    "team",
    "May",
    "planning",
    "Next",
    "steps",
    "Sprint",
    "42",
    "45",
    "45m",
    "45min",
    "minutes",
    "1h",
    "1h30m",
    "1.5h",
    "90",
    "mins",
    "2",
    "hours",
    "24h",
    "0m",
    "1441m",
    "99999999999999999999m",
    "45x",
    "today",
    "tomorrow",
    "fri",
    "friday",
    "next",
    "mon",
    "sun",
    "dec",
    "1",
    "1st",
    "december",
    "jan",
    "feb",
    "29",
    "2026",
    "2027",
    "2028",
    "2026-12-01",
    "2026/12/01",
    "2027-02-29",
    "2026-02-30",
    "03/04",
    "3/4/2026",
    "15:00",
    "3pm",
    "3:30",
    "PM",
    "15h",
    "09h",
    "15h30",
    "noon",
    "midnight",
    "now",
    "1:30am",
    "2:30am",
    "25:00",
    "13pm",
    "at",
    "on",
    "for",
    "UTC",
    "GMT",
    "EST",
    "IST",
    "Europe/Istanbul",
    "america/new_york",
    "Europe/Berln",
    "CI/CD",
    "UTC+3",
    "\"",
    "\u{201C}",
    "\u{201D}",
    "\"Q3",
    "plan\"",
    "<@U123>",
    "<#C1|eng>",
    "<https://x.io|the doc>",
    "&amp;",
    "&lt;",
    "&gt;",
    "\u{1F389}",
    "\u{5E9}\u{5DC}\u{5D5}\u{5DD}",
    "\u{202E}",
    "\u{0}",
    "\n",
    "\t",
    "help",
    "?",
    "-h",
    "",
    "é",
    "1:1",
    "5G",
    // Repeating meetings.
    "every",
    "monday",
    "weekday",
    "daily",
    "weekly",
    "monthly",
    "mon,wed",
    "tue,",
    "thu",
    "and",
    "other",
    "week",
    "weeks",
    "day",
    "month",
    "13",
    "the",
    "15th",
    "31st",
    "until",
    "x",
    "8",
    "61",
    "times",
    "6",
    "starting",
    "10am",
    "9:30",
    // Turkish.
    "her",
    "pazartesi",
    "PAZARTESİ",
    "SALI",
    "çarşamba",
    "gün",
    "hafta",
    "içi",
    "ay",
    "ayın",
    "1'inde",
    "kez",
    "20",
    "aralık'a",
    "kadar",
    "boyunca",
    "yarın",
    "bugün",
    "öbür",
    "45dk",
    "1,5",
    "saat",
    "dakika",
    "öğleden",
    "sonra",
    "sabah",
    "öğlen",
    "şimdi",
    "15.00",
    "15:00'te",
    "İ",
    "ı",
    // Words we refuse.
    "tmrw",
    "3p",
    "45perc",
    "nxt",
];

/// A context at any minute (and second) of 2025–2027 in one of [`ZONES`].
fn contexts() -> impl Strategy<Value = Context> {
    (0i64..3 * 365 * 24 * 3600, 0..ZONES.len(), 1u32..=120).prop_map(|(seconds, zone, minutes)| {
        let base = DateTime::parse_from_rfc3339("2025-01-01T00:00:00Z")
            .expect("valid base instant")
            .with_timezone(&Utc);
        Context {
            now: base + TimeDelta::seconds(seconds),
            zone: Zone::parse(ZONES[zone]).expect("listed zones are valid"),
            default_duration: Minutes::new(minutes).expect("1..=120 is in range"),
        }
    })
}

/// Commands built from the language's own words, so many of them are accepted.
fn commands() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(VOCABULARY), 0..10).prop_map(|words| words.join(" "))
}

/// Repeating-meeting commands built from the grammar, so most of them are accepted.
fn series_commands() -> impl Strategy<Value = String> {
    let topics = prop::sample::select(vec![
        "Standup",
        "Daily standup",
        "\"Q3 plan\"",
        "Toplantı",
        "",
    ]);
    let durations = prop::sample::select(vec!["", "15m", "45dk", "1 saat", "1h30m"]);
    let repeats = prop::sample::select(vec![
        "every monday",
        "every weekday",
        "every mon, wed",
        "every monday and friday",
        "every 2 weeks on tue",
        "every 3 weeks on tue, thu",
        "weekly on fri",
        "weekly",
        "daily",
        "every day",
        "every 3 days",
        "every month on the 1st",
        "monthly on the 31st",
        "every 2 months on the 15th",
        "monthly",
        "her pazartesi",
        "her gün",
        "her hafta içi",
        "her ay ayın 1'inde",
    ]);
    let times = prop::sample::select(vec![
        "9am",
        "9:30",
        "1:30am",
        "2:30am",
        "12:00",
        "15:00",
        "öğleden sonra 3",
        "11:59pm",
        "00:00",
    ]);
    let starts = prop::sample::select(vec![
        "",
        "tomorrow",
        "starting dec 1",
        "next mon",
        "2026-03-08",
    ]);
    let ends = prop::sample::select(vec![
        "",
        "x 1",
        "x 8",
        "8 times",
        "x 60",
        "until dec 20",
        "until 2027-01-31",
        "for 6 weeks",
        "for 2 months",
        "8 kez",
        "20 aralık'a kadar",
    ]);
    let zones = prop::sample::select(vec!["", "UTC", "Europe/Berlin", "America/Santiago"]);
    (topics, durations, repeats, times, starts, ends, zones).prop_map(
        |(topic, duration, repeat, time, start, end, zone)| {
            [topic, duration, repeat, time, start, end, zone]
                .iter()
                .filter(|w| !w.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(" ")
        },
    )
}

/// Parses `text`; when accepted, checks that the canonical form means the same meeting.
fn check_round_trip(text: &str, ctx: &Context) -> Result<(), TestCaseError> {
    let Ok(Parsed::Meeting(request)) = command::parse(text, ctx) else {
        return Ok(());
    };
    let canonical = request.to_canonical();
    let again = match command::parse(&canonical, ctx) {
        Ok(Parsed::Meeting(again)) => again,
        other => {
            return Err(TestCaseError::fail(format!(
                "{text:?} → {canonical:?} → {other:?}"
            )));
        }
    };
    prop_assert_eq!(
        again.topic(),
        request.topic(),
        "{:?} → {:?}",
        text,
        canonical
    );
    prop_assert_eq!(
        again.duration(),
        request.duration(),
        "{:?} → {:?}",
        text,
        canonical
    );
    prop_assert_eq!(
        again.start(),
        request.start(),
        "{:?} → {:?}",
        text,
        canonical
    );
    prop_assert_eq!(again.zone(), request.zone(), "{:?} → {:?}", text, canonical);
    prop_assert_eq!(
        again.local_start(),
        request.local_start(),
        "{:?} → {:?}",
        text,
        canonical
    );
    prop_assert_eq!(
        again.recurrence(),
        request.recurrence(),
        "{:?} → {:?}",
        text,
        canonical
    );
    if request.recurrence().is_some() {
        prop_assert_eq!(
            again.notes(),
            request.notes(),
            "{:?} → {:?}",
            text,
            canonical
        );
    }
    Ok(())
}

/// Zones whose clocks change twice a year: north and south, America, Europe and Oceania.
const DST_ZONES: [Tz; 4] = [
    Tz::America__New_York,
    Tz::Europe__Berlin,
    Tz::Australia__Sydney,
    Tz::America__Santiago,
];

/// The dates of a series, computed the long way: whole weeks from the Sunday of the first
/// week, whole months from the first month. `count` dates at most.
fn expected_dates(
    frequency: Frequency,
    interval: u32,
    first: NaiveDate,
    count: usize,
) -> Vec<NaiveDate> {
    let mut out = Vec::new();
    let mut k: u32 = 0;
    while out.len() < count && k < 10_000 {
        match frequency {
            Frequency::Daily => {
                out.extend(first.checked_add_days(Days::new(u64::from(k * interval))));
            }
            Frequency::Weekly(days) => {
                let sunday = first - Days::new(u64::from(first.weekday().num_days_from_sunday()));
                let week = sunday + Days::new(u64::from(7 * k * interval));
                for offset in 0..7 {
                    let date = week + Days::new(offset);
                    if date >= first && days.contains(date.weekday()) && out.len() < count {
                        out.push(date);
                    }
                }
            }
            Frequency::Monthly { day } => {
                let month = first
                    .with_day(1)
                    .and_then(|d| d.checked_add_months(Months::new(k * interval)));
                out.extend(month.and_then(|m| m.with_day(u32::from(day))));
            }
        }
        k += 1;
    }
    out
}

/// Rules whose 60 occurrences span more than a year and fall in both halves of it, so they
/// cross at least two DST changes in every zone of [`DST_ZONES`].
fn long_rules() -> impl Strategy<Value = (Frequency, u32)> {
    let days = prop::sample::subsequence(
        vec![
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
            Weekday::Sat,
            Weekday::Sun,
        ],
        1..=2,
    );
    prop_oneof![
        (7u32..=90).prop_map(|i| (Frequency::Daily, i)),
        (days, 2u32..=12).prop_map(|(days, i)| {
            let set = WeekdaySet::new(days).expect("one or two days");
            (Frequency::Weekly(set), i)
        }),
        // Every 3 months on the 31st can visit only March and December (both summer in
        // Sydney), so long quarterly series use days that every month has.
        (1u8..=31, 1u32..=2).prop_map(|(day, i)| (Frequency::Monthly { day }, i)),
        (1u8..=28).prop_map(|day| (Frequency::Monthly { day }, 3)),
    ]
}

/// A wall-clock time of day, often on the hour or half hour when the clocks change.
fn times_of_day() -> impl Strategy<Value = NaiveTime> {
    (0u32..24, prop::sample::select(vec![0u32, 15, 30, 45, 59]))
        .prop_map(|(h, m)| NaiveTime::from_hms_opt(h, m, 0).expect("valid time"))
}

/// The first day on or after `from` the rule allows (at most 62 days on).
fn first_match(frequency: Frequency, from: NaiveDate) -> NaiveDate {
    (0..=62)
        .filter_map(|d| from.checked_add_days(Days::new(d)))
        .find(|date| match frequency {
            Frequency::Daily => true,
            Frequency::Weekly(days) => days.contains(date.weekday()),
            Frequency::Monthly { day } => date.day() == u32::from(day),
        })
        .expect("every rule matches within two months")
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        // Integration tests have no lib.rs beside them, so name the regressions file.
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/command_properties.txt",
        ))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn arbitrary_unicode_never_panics_and_accepted_input_round_trips(text in any::<String>(), ctx in contexts()) {
        check_round_trip(&text, &ctx)?;
    }

    #[test]
    fn printable_text_never_panics_and_accepted_input_round_trips(text in "\\PC{0,80}", ctx in contexts()) {
        check_round_trip(&text, &ctx)?;
    }

    #[test]
    fn commands_from_the_language_round_trip(text in commands(), ctx in contexts()) {
        check_round_trip(&text, &ctx)?;
    }

    #[test]
    fn repeating_meetings_round_trip(text in series_commands(), ctx in contexts()) {
        check_round_trip(&text, &ctx)?;
    }

    #[test]
    fn very_long_commands_never_panic(words in prop::collection::vec(prop::sample::select(VOCABULARY), 300..900), ctx in contexts()) {
        check_round_trip(&words.join(" "), &ctx)?;
    }

    #[test]
    fn series_occurrences_match_the_tz_database_across_dst_changes(
        (frequency, interval) in long_rules(),
        time in times_of_day(),
        days_from_2025 in 0u64..3 * 365,
        zone in prop::sample::select(DST_ZONES.to_vec()),
    ) {
        let from = NaiveDate::from_ymd_opt(2025, 1, 1).expect("valid") + Days::new(days_from_2025);
        let got = Recurrence::new(frequency, interval, None, from.and_time(time), Zone::from(zone));
        let dates = expected_dates(frequency, interval, first_match(frequency, from), 60);
        prop_assert_eq!(dates.len(), 60);
        // The first date whose wall-clock time does not exist must be the one refused.
        let gap = dates
            .iter()
            .map(|d| d.and_time(time))
            .find(|local| matches!(zone.from_local_datetime(local), LocalResult::None));
        match (got, gap) {
            (Err(CommandError::SeriesGap { local, .. }), Some(gap)) => prop_assert_eq!(local, gap),
            (Ok(series), None) => {
                let occurrences = series.occurrences();
                prop_assert_eq!(occurrences.len(), 60);
                prop_assert!(series.open_ended());
                let mut offset_changes = 0;
                let mut previous: Option<TimeDelta> = None;
                for (occurrence, date) in occurrences.iter().zip(&dates) {
                    let local: NaiveDateTime = date.and_time(time);
                    prop_assert_eq!(occurrence.local(), local);
                    let instant = zone
                        .from_local_datetime(&local)
                        .earliest()
                        .map(|t| t.with_timezone(&Utc));
                    prop_assert_eq!(Some(occurrence.start()), instant, "{}", local);
                    let offset = local - occurrence.start().naive_utc();
                    if previous.is_some_and(|p| p != offset) {
                        offset_changes += 1;
                    }
                    previous = Some(offset);
                }
                prop_assert!(offset_changes >= 2, "only {} DST changes crossed", offset_changes);
            }
            (got, gap) => prop_assert!(false, "got {:?}, expected gap {:?}", got, gap),
        }
    }

    #[test]
    fn series_ends_count_and_cap_like_an_independent_walk(
        (frequency, interval) in long_rules(),
        days_from_2025 in 0u64..3 * 365,
        end in prop_oneof![
            (1u8..=60).prop_map(SeriesEnd::Count),
            (0u64..2000).prop_map(|d| SeriesEnd::Until(NaiveDate::MIN + Days::new(d))),
        ],
    ) {
        let from = NaiveDate::from_ymd_opt(2025, 1, 1).expect("valid") + Days::new(days_from_2025);
        let first = first_match(frequency, from);
        // `Until` is drawn as an offset from the first meeting.
        let end = match end {
            SeriesEnd::Until(offset) => {
                let days = u64::try_from((offset - NaiveDate::MIN).num_days()).unwrap_or(0);
                SeriesEnd::Until(first + Days::new(days))
            }
            count => count,
        };
        let time = NaiveTime::from_hms_opt(12, 0, 0).expect("valid");
        let got = Recurrence::new(frequency, interval, Some(end), from.and_time(time), Zone::utc());
        let all = expected_dates(frequency, interval, first, 61);
        let want: Vec<NaiveDate> = match end {
            SeriesEnd::Count(n) => all.into_iter().take(usize::from(n)).collect(),
            SeriesEnd::Until(until) => all.into_iter().filter(|d| *d <= until).collect(),
        };
        match got {
            Ok(series) => {
                let dates: Vec<NaiveDate> = series.occurrences().iter().map(|o| o.local().date()).collect();
                prop_assert_eq!(dates, want);
                prop_assert_eq!(series.end(), end);
            }
            Err(CommandError::TooManyOccurrences { max: 60, last_allowed }) => {
                prop_assert_eq!(want.len(), 61);
                prop_assert_eq!(Some(&last_allowed), want.get(59));
            }
            Err(err) => prop_assert!(false, "{:?}", err),
        }
    }

    #[test]
    fn every_refusal_has_a_message_with_an_example(text in commands(), ctx in contexts()) {
        if let Err(err) = command::parse(&text, &ctx) {
            let message = err.user_message();
            prop_assert!(message.contains("`/zoom "), "{:?}: {:?}", text, message);
        }
    }
}
