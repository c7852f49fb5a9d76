//! A recurring meeting as Zoom will read it: from the request body Zoom receives (wall-clock
//! start, `timezone`, `recurrence`), Zoom's occurrences land on the same instants as the user's
//! series in the tz database, through DST changes in three hemispheres.

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;
use serde_json::Value;
use slack_zoom::app::meeting::zoom_request;
use slack_zoom::command::{self, Context, Minutes, Parsed};
use slack_zoom::time::Zone;

/// Zones with DST on different calendars: North America, Europe, Australia and South America.
const ZONES: [&str; 4] = [
    "America/New_York",
    "Europe/Berlin",
    "Australia/Sydney",
    "America/Santiago",
];
const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// The local wall-clock starts Zoom derives from a `type: 8` body, read independently of the
/// service's code: weeks counted Sunday to Saturday from the first start's week, `weekly_days`
/// numbered 1 = Sunday, `end_times` occurrences counting the first start when it matches.
fn zoom_occurrences(body: &Value) -> Vec<NaiveDateTime> {
    let start =
        NaiveDateTime::parse_from_str(body["start_time"].as_str().unwrap(), "%Y-%m-%dT%H:%M:%S")
            .expect("a series goes out as wall-clock time");
    let recurrence = &body["recurrence"];
    let interval = recurrence["repeat_interval"].as_u64().unwrap();
    let count = recurrence["end_times"].as_u64().unwrap() as usize;
    assert_eq!(recurrence["type"], 2, "weekly series in this test");
    let days: Vec<u32> = recurrence["weekly_days"]
        .as_str()
        .unwrap()
        .split(',')
        .map(|d| d.parse().unwrap())
        .collect();
    let week_of = |d: NaiveDate| d - Days::new(u64::from(d.weekday().num_days_from_sunday()));
    let first_week = week_of(start.date());
    let mut out = Vec::new();
    let mut day = start.date();
    while out.len() < count {
        let weeks = (week_of(day) - first_week).num_days() / 7;
        let zoom_day = day.weekday().num_days_from_sunday() + 1;
        if (weeks as u64).is_multiple_of(interval) && days.contains(&zoom_day) {
            out.push(day.and_time(start.time()));
        }
        day = day.succ_opt().unwrap();
    }
    out
}

/// A wall-clock time in `zone` as Zoom stores it (the first of a repeated hour).
fn instant(zone: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    zone.from_local_datetime(&local)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn zoom_reads_every_occurrence_at_the_users_wall_clock_instant(
        zone in 0..ZONES.len(),
        first_day in 0u64..365,
        day_a in 0..7usize,
        day_b in proptest::option::of(0..7usize),
        hour in 7u32..20,
        half in any::<bool>(),
        every in 1u32..3,
    ) {
        let name = ZONES[zone];
        let tz: Tz = name.parse().unwrap();
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + chrono::Duration::days(first_day as i64);
        let mut days = vec![DAYS[day_a]];
        if let Some(b) = day_b.filter(|b| *b != day_a) {
            days.push(DAYS[b]);
        }
        // 60 meetings (Zoom's most) spanning over a year, so two DST changes always fall inside.
        let count = 60;
        let every = if days.len() == 2 { 2 } else { every };
        let time = format!("{hour}:{}", if half { "30" } else { "00" });
        let every = if every == 1 { "every".to_owned() } else { format!("every {every} weeks on") };
        let text = format!("Sync 30m {every} {} {time} x {count} {name}", days.join(","));
        let ctx = Context { now, zone: Zone::utc(), default_duration: Minutes::new(30).unwrap() };
        let request = match command::parse(&text, &ctx) {
            Ok(Parsed::Meeting(request)) => request,
            // A series the language refuses (e.g. running past Zoom's limits) is not this test's subject.
            _ => { prop_assume!(false); unreachable!() }
        };
        let series = request.recurrence().expect("a series");
        // Each generated series spans at least two DST changes.
        let changes = series.occurrences().windows(2).filter(|w| {
            let offset = |t: DateTime<Utc>| t.with_timezone(&tz).offset().to_string();
            offset(w[0].start()) != offset(w[1].start())
        }).count();
        prop_assert!(changes >= 2, "{text}: only {changes} DST changes");
        let body = match zoom_request(&request, String::new()).and_then(|m| m.request_body()) {
            Ok(body) => body,
            // No listed zone keeps this clock: refused before anything is sent (tested elsewhere).
            Err(_) => { prop_assume!(false); unreachable!() }
        };
        let zoom_zone: Tz = body["timezone"].as_str().unwrap().parse().unwrap();
        let zoom: Vec<Option<DateTime<Utc>>> = zoom_occurrences(&body)
            .into_iter()
            .map(|local| instant(zoom_zone, local))
            .collect();
        let wanted: Vec<Option<DateTime<Utc>>> = series.occurrences().iter().map(|o| Some(o.start())).collect();
        prop_assert_eq!(zoom, wanted, "{} sent as {}: {}", text, zoom_zone, body);
        // And the tz database agrees with the series at each wall-clock time in the user's zone.
        for o in series.occurrences() {
            prop_assert_eq!(instant(tz, o.local()), Some(o.start()), "{}", text);
        }
    }
}
