//! Fuzz target: `command::parse` on arbitrary UTF-8 must never panic, and accepted input
//! (repeating meetings included) must round-trip through its canonical form.
#![no_main]

use chrono::{DateTime, Utc};
use libfuzzer_sys::fuzz_target;
use slack_zoom::command::{self, Context, Minutes, Parsed};
use slack_zoom::time::Zone;

fuzz_target!(|text: &str| {
    // Fixed context: the day before New York falls back, so DST paths are reachable.
    let (Ok(now), Ok(zone), Ok(default_duration)) = (
        DateTime::parse_from_rfc3339("2026-10-31T15:00:00Z"),
        Zone::parse("America/New_York"),
        Minutes::new(30),
    ) else {
        return;
    };
    let ctx = Context {
        now: now.with_timezone(&Utc),
        zone,
        default_duration,
    };
    if let Ok(Parsed::Meeting(request)) = command::parse(text, &ctx) {
        let canonical = request.to_canonical();
        match command::parse(&canonical, &ctx) {
            Ok(Parsed::Meeting(again)) => {
                assert_eq!(again.topic(), request.topic());
                assert_eq!(again.start(), request.start());
                assert_eq!(again.duration(), request.duration());
                assert_eq!(again.zone(), request.zone());
                assert_eq!(again.local_start(), request.local_start());
                assert_eq!(again.recurrence(), request.recurrence());
                if request.recurrence().is_some() {
                    assert_eq!(again.notes(), request.notes());
                }
            }
            other => panic!("{text:?} → {canonical:?} → {other:?}"),
        }
    }
});
