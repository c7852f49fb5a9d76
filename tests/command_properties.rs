//! Properties of the `/zoom` command parser: no input panics, and every accepted command
//! round-trips through its canonical form.

use chrono::{DateTime, TimeDelta, Utc};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use slack_zoom::command::{self, Context, Minutes, Parsed};
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
    Ok(())
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
    fn very_long_commands_never_panic(words in prop::collection::vec(prop::sample::select(VOCABULARY), 300..900), ctx in contexts()) {
        check_round_trip(&words.join(" "), &ctx)?;
    }

    #[test]
    fn every_refusal_has_a_message_with_an_example(text in commands(), ctx in contexts()) {
        if let Err(err) = command::parse(&text, &ctx) {
            let message = err.user_message();
            prop_assert!(message.contains("`/zoom "), "{:?}: {:?}", text, message);
        }
    }
}
