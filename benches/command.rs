//! Micro-benchmarks of the command language parser: typical, long, every shorthand, invalid.

use std::hint::black_box;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use slack_zoom::command::{Context, Minutes, Parsed, parse};
use slack_zoom::time::Zone;

/// The canonical example from the help text.
const CANONICAL: &str = "Design review 45m tomorrow 3pm";

/// One command per shorthand the language accepts (see `command::usage`), each with a short
/// topic so the time measured is mostly the shorthand's own reading. A date alone is refused
/// (it needs a time), so every date shorthand carries the same `10am`.
const SHORTHANDS: &[(&str, &str)] = &[
    ("bare_minutes", "Sync 45"),
    ("minutes_m", "Sync 45m"),
    ("minutes_word", "Sync 90 mins"),
    ("hours_minutes", "Sync 1h30m"),
    ("hours_space_minutes", "Sync 1h 30m"),
    ("decimal_hours", "Sync 1.5h"),
    ("hours_word", "Sync 2 hours"),
    ("today", "Sync today 10am"),
    ("tomorrow", "Sync tomorrow 10am"),
    ("weekday", "Sync fri 10am"),
    ("next_weekday", "Sync next friday 10am"),
    ("month_day", "Sync dec 1 10am"),
    ("day_month", "Sync 1 dec 10am"),
    ("month_ordinal", "Sync december 1st 10am"),
    ("iso_date", "Sync 2026-12-01 10am"),
    ("slash_date", "Sync 2026/12/01 10am"),
    ("clock_24h", "Sync 15:00"),
    ("clock_pm", "Sync 3pm"),
    ("clock_minutes_pm", "Sync 3:30 PM"),
    ("clock_h", "Sync 15h"),
    ("clock_h_minutes", "Sync 15h30"),
    ("noon", "Sync noon"),
    ("midnight", "Sync tomorrow midnight"),
    ("now", "Sync now"),
    ("empty", ""),
    ("repeat_weekly", "Standup every monday 10am x 8"),
    (
        "repeat_weekdays_until",
        "Standup 15m every weekday 9:30 until jul 20",
    ),
    ("repeat_days_list", "Sync every mon, wed, fri 3pm x 6"),
    ("repeat_monthly", "Review every month on the 1st 10:00 x 3"),
    ("repeat_open_ended", "Retro every 2 weeks on tue 4pm"),
    ("turkish", "Toplantı 45dk yarın 15:00"),
    (
        "turkish_letters_folded",
        "TOPLANTI 1,5 saat PAZARTESİ öğleden sonra 3",
    ),
    ("turkish_repeat", "Standup her hafta içi 9:30 8 kez"),
    ("quoted_topic", "\"Review 2pm changes\" 30m tomorrow 3pm"),
    ("explicit_zone", "Sync 45m tomorrow 3pm Europe/Berlin"),
    (
        "everything",
        "\"Q3 plan\" 1h30m 2026-12-01 15:00 Europe/Berlin",
    ),
];

/// Refused: a strong schedule word followed by topic words (the parser must say which word).
const INVALID: &str = "Design review 45m tomorrow 3pm with the whole team";

/// Refused: a misspelt date word (`tmrw`), which must never end up in the topic.
const MISSPELT: &str = "Design review 45m tmrw 3pm";

fn context() -> Context {
    // A fixed clock, so every run parses against the same calendar (a Monday in June 2026).
    let now: DateTime<Utc> = Utc
        .with_ymd_and_hms(2026, 6, 1, 12, 0, 0)
        .single()
        .expect("a valid UTC instant");
    Context {
        now,
        zone: Zone::parse("America/Los_Angeles").expect("a known zone"),
        default_duration: Minutes::new(30).expect("30 minutes is a valid duration"),
    }
}

/// About 190 characters of topic, then the canonical schedule.
fn long_topic() -> String {
    let topic = "Quarterly architecture review of the billing, invoicing and payments platform \
                 with the infrastructure, security and data teams, covering migrations, \
                 on-call load, hiring plans and next steps";
    assert!((180..=200).contains(&topic.chars().count()), "topic length");
    format!("{topic} 45m tomorrow 3pm")
}

/// Fails fast if an input does not parse the way its benchmark name claims.
fn expect_meeting(name: &str, text: &str, ctx: &Context) {
    match parse(text, ctx) {
        Ok(Parsed::Meeting(_)) => {}
        other => panic!("benchmark input {name} ({text:?}) did not parse as a meeting: {other:?}"),
    }
}

fn command(c: &mut Criterion) {
    let ctx = context();
    let long = long_topic();
    expect_meeting("canonical", CANONICAL, &ctx);
    expect_meeting("long_topic", &long, &ctx);
    for (name, text) in SHORTHANDS {
        expect_meeting(name, text, &ctx);
    }
    assert!(
        parse(INVALID, &ctx).is_err(),
        "the invalid input must be refused"
    );
    assert!(
        parse(MISSPELT, &ctx).is_err(),
        "the misspelt input must be refused"
    );

    let mut group = c.benchmark_group("parse");
    group.bench_function("canonical", |b| {
        b.iter(|| parse(black_box(CANONICAL), black_box(&ctx)));
    });
    group.bench_function("long_topic_190_chars", |b| {
        b.iter(|| parse(black_box(&long), black_box(&ctx)));
    });
    group.bench_function("invalid", |b| {
        b.iter(|| parse(black_box(INVALID), black_box(&ctx)));
    });
    group.bench_function("misspelt", |b| {
        b.iter(|| parse(black_box(MISSPELT), black_box(&ctx)));
    });
    group.finish();

    // Shorter runs per input: there are many of them and each is sub-microsecond.
    let mut shorthands = c.benchmark_group("parse_shorthand");
    shorthands.measurement_time(Duration::from_secs(2));
    for (name, text) in SHORTHANDS {
        shorthands.bench_function(*name, |b| {
            b.iter(|| parse(black_box(text), black_box(&ctx)));
        });
    }
    shorthands.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = command
}
criterion_main!(benches);
