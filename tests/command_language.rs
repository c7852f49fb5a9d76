//! The `/zoom` command language, case by case: one table row per input form and edge case.

use chrono::{DateTime, NaiveDateTime, Utc};
use slack_zoom::command::{self, Context, Minutes, Note, Parsed};
use slack_zoom::time::Zone;

// Fixed "now" instants (UTC) and the weekday/wall clock they are in the context zone.
/// Monday 2026-06-01, 10:07:30 in New York (EDT, UTC-4).
const MON: &str = "2026-06-01T14:07:30Z";
/// Saturday before New York springs forward (2026-03-08 02:00 → 03:00).
const NY_SPRING: &str = "2026-03-07T15:00:00Z";
/// Saturday before New York falls back (2026-11-01 02:00 → 01:00).
const NY_FALL: &str = "2026-10-31T15:00:00Z";
/// 01:10 EST on 2026-11-01: inside the repeated hour, second time round.
const NY_REPEAT: &str = "2026-11-01T06:10:00Z";
/// Day before Berlin springs forward (2026-03-29 02:00 → 03:00).
const BER_SPRING: &str = "2026-03-28T12:00:00Z";
/// Day before Berlin falls back (2026-10-25 03:00 → 02:00).
const BER_FALL: &str = "2026-10-24T12:00:00Z";
/// Day before Sydney and Lord Howe fall back (2026-04-05; Lord Howe by 30 minutes).
const AU_FALL: &str = "2026-04-04T00:00:00Z";
/// Day before Sydney and Lord Howe spring forward (2026-10-04; Lord Howe by 30 minutes).
const AU_SPRING: &str = "2026-10-03T00:00:00Z";
/// 11:30 in Kolkata (UTC+5:30), 11:45 in Kathmandu (UTC+5:45).
const SOUTH_ASIA: &str = "2026-06-01T06:00:00Z";
/// Thursday 2026-12-31, 15:00 UTC.
const NYE: &str = "2026-12-31T15:00:00Z";
/// Two minutes before the year ends in UTC.
const NYE_LATE: &str = "2026-12-31T23:58:00Z";
/// Monday 2026-12-28, noon UTC.
const LATE_DEC: &str = "2026-12-28T12:00:00Z";
/// 19:30 on Monday 2026-06-01 in New York, already Tuesday 08:30 in Tokyo.
const NY_EVENING: &str = "2026-06-01T23:30:00Z";
/// Within a year of the 2028 leap day.
const MID_2027: &str = "2027-06-01T12:00:00Z";
/// The day before the 2028 leap day.
const LEAP_EVE: &str = "2028-02-28T12:00:00Z";
/// Thursday 2026-10-01, 08:00 in New York: eleven weeks of weekdays before Dec 20, across
/// the November fall-back.
const OCT: &str = "2026-10-01T12:00:00Z";
/// Thursday 2026-03-05, before New York springs forward on Sunday 2026-03-08.
const NY_MARCH: &str = "2026-03-05T15:00:00Z";

const NY: &str = "America/New_York";
const BER: &str = "Europe/Berlin";
const SYD: &str = "Australia/Sydney";
const LHI: &str = "Australia/Lord_Howe";
const KOL: &str = "Asia/Kolkata";
const KTM: &str = "Asia/Kathmandu";
const IST: &str = "Europe/Istanbul";
const UTC: &str = "UTC";

/// `(input, now, context zone, expected)`; the context's default duration is 30 minutes.
///
/// Expected is one of:
/// - `"<UTC start> | <local start> <zone> | <minutes> | <topic>[ | flags]"`, flags being
///   `now` (starts now), `explicit` (zone named in the command), `tomorrow` and
///   `ambiguous` (the notes, in that order);
/// - `"!<CommandError variant>[ <text the user message must contain>]"`;
/// - `"help"`.
#[rustfmt::skip]
const CASES: &[(&str, &str, &str, &str)] = &[
    // Empty input and help.
    ("", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 30 | Zoom meeting | now"),
    ("   \t ", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 30 | Zoom meeting | now"),
    ("\u{0}\u{7}", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 30 | Zoom meeting | now"),
    ("help", MON, NY, "help"),
    ("HELP", MON, NY, "help"),
    ("-h", MON, NY, "help"),
    ("--help", MON, NY, "help"),
    (" ? ", MON, NY, "help"),
    ("yardım", MON, NY, "help"),
    ("YARDIM", MON, NY, "help"),
    ("Help me plan", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 30 | Help me plan | now"),
    // The canonical form and topic-only forms.
    ("Design review 45m tomorrow 3pm", MON, NY, "2026-06-02 19:00 | 2026-06-02 15:00 America/New_York | 45 | Design review"),
    ("Design review 45m 2026-06-02 15:00 America/New_York", MON, NY, "2026-06-02 19:00 | 2026-06-02 15:00 America/New_York | 45 | Design review | explicit"),
    ("Design review", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 30 | Design review | now"),
    // Durations.
    ("Sync 45", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 45 | Sync | now"),
    ("Sync 45m", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 45 | Sync | now"),
    ("Sync 45min", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 45 | Sync | now"),
    ("Sync 45 minutes", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 45 | Sync | now"),
    ("Sync 1h", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 60 | Sync | now"),
    ("Sync 1h30m", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 90 | Sync | now"),
    ("Sync 1h 30m", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 90 | Sync | now"),
    ("Sync 1.5h", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 90 | Sync | now"),
    ("Sync 90 mins", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 90 | Sync | now"),
    ("Sync 2 hours", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 120 | Sync | now"),
    ("Sync 1 hour 30 minutes", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 90 | Sync | now"),
    ("Sync 1m", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 1 | Sync | now"),
    ("Sync 1440m", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 1440 | Sync | now"),
    ("Sync for 20m", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 20 | Sync | now"),
    ("Sync 0m", MON, NY, "!DurationOutOfRange `0m`"),
    ("Sync 1441m", MON, NY, "!DurationOutOfRange `1441m`"),
    ("Sync 25h", MON, NY, "!DurationOutOfRange `25h`"),
    ("Sync 99999999999999999999m", MON, NY, "!DurationOutOfRange `99999999999999999999m`"),
    ("Sync 99999999999999999999.5h", MON, NY, "!DurationOutOfRange"),
    ("Design review 45x tomorrow 3pm", MON, NY, "!InvalidDuration I couldn't read `45x` as a duration. Use minutes or hours, like `45m` or `1h30m`. If it's part of the topic, put the topic in quotes, like `/zoom \"Review 2pm changes\" 30m`"),
    ("Sync 1.33h", MON, NY, "!InvalidDuration `1.33h`"),
    ("Sync 45mn", MON, NY, "!UnknownWord `45mn`"),
    ("Sync 45x 3pm", MON, NY, "!InvalidDuration `45x`"),
    ("Intro to 5G tomorrow 3pm", MON, NY, "!InvalidDuration `5G` as a duration. Use minutes or hours, like `45m` or `1h30m`. If it's part of the topic, put the topic in quotes"),
    ("Discuss 5G", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 30 | Discuss 5G | now"),
    ("\"Q3\" 45x", MON, NY, "!InvalidDuration `45x`"),
    ("Sync 1h75m", MON, NY, "!InvalidDuration `1h75m`"),
    ("Sync 30m 45m", MON, NY, "!Duplicate `30m` and `45m`"),
    ("Sync 1h tomorrow 3pm 45m", MON, NY, "!Duplicate `1h` and `45m`"),
    // Numbers that stay in the topic, and the consequence of bare numbers being durations.
    ("Roadmap 2026", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 30 | Roadmap 2026 | now"),
    ("Sprint 42 review", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 30 | Sprint 42 review | now"),
    ("Sprint 42 review 30m tomorrow 3pm", MON, NY, "2026-06-02 19:00 | 2026-06-02 15:00 America/New_York | 30 | Sprint 42 review"),
    ("Top 10 45m", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 45 | Top 10 | now"),
    ("Sprint 42", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 42 | Sprint | now"),
    ("Weekly 1:1 tomorrow 3pm", MON, NY, "2026-06-02 19:00 | 2026-06-02 15:00 America/New_York | 30 | Weekly 1:1"),
    // Dates.
    ("Plan 2026-12-01 3pm", MON, NY, "2026-12-01 20:00 | 2026-12-01 15:00 America/New_York | 30 | Plan"),
    ("Plan 2026/12/01 3pm", MON, NY, "2026-12-01 20:00 | 2026-12-01 15:00 America/New_York | 30 | Plan"),
    ("Plan today 3pm", MON, NY, "2026-06-01 19:00 | 2026-06-01 15:00 America/New_York | 30 | Plan"),
    ("Plan tomorrow 3pm", MON, NY, "2026-06-02 19:00 | 2026-06-02 15:00 America/New_York | 30 | Plan"),
    ("Plan fri 3pm", MON, NY, "2026-06-05 19:00 | 2026-06-05 15:00 America/New_York | 30 | Plan"),
    ("Plan friday 3pm", MON, NY, "2026-06-05 19:00 | 2026-06-05 15:00 America/New_York | 30 | Plan"),
    ("Plan Friday 3pm", MON, NY, "2026-06-05 19:00 | 2026-06-05 15:00 America/New_York | 30 | Plan"),
    ("Plan next friday 3pm", MON, NY, "2026-06-12 19:00 | 2026-06-12 15:00 America/New_York | 30 | Plan"),
    ("Plan next fri 3pm", MON, NY, "2026-06-12 19:00 | 2026-06-12 15:00 America/New_York | 30 | Plan"),
    ("Plan mon 3pm", MON, NY, "2026-06-01 19:00 | 2026-06-01 15:00 America/New_York | 30 | Plan"),
    ("Plan mon 9am", MON, NY, "2026-06-08 13:00 | 2026-06-08 09:00 America/New_York | 30 | Plan"),
    ("Plan next mon 9am", MON, NY, "2026-06-08 13:00 | 2026-06-08 09:00 America/New_York | 30 | Plan"),
    ("Plan next mon 3pm", MON, NY, "2026-06-08 19:00 | 2026-06-08 15:00 America/New_York | 30 | Plan"),
    ("Plan sun 9am", MON, NY, "2026-06-07 13:00 | 2026-06-07 09:00 America/New_York | 30 | Plan"),
    ("Plan next sun 9am", MON, NY, "2026-06-14 13:00 | 2026-06-14 09:00 America/New_York | 30 | Plan"),
    ("Plan thurs 9am", MON, NY, "2026-06-04 13:00 | 2026-06-04 09:00 America/New_York | 30 | Plan"),
    ("Plan on fri at 3pm", MON, NY, "2026-06-05 19:00 | 2026-06-05 15:00 America/New_York | 30 | Plan"),
    ("Plan dec 1 3pm", MON, NY, "2026-12-01 20:00 | 2026-12-01 15:00 America/New_York | 30 | Plan"),
    ("Plan 1 dec 3pm", MON, NY, "2026-12-01 20:00 | 2026-12-01 15:00 America/New_York | 30 | Plan"),
    ("Plan december 1st 3pm", MON, NY, "2026-12-01 20:00 | 2026-12-01 15:00 America/New_York | 30 | Plan"),
    ("Plan Dec 1, 2026 3pm", MON, NY, "2026-12-01 20:00 | 2026-12-01 15:00 America/New_York | 30 | Plan"),
    ("Plan 1st December 2026 3pm", MON, NY, "2026-12-01 20:00 | 2026-12-01 15:00 America/New_York | 30 | Plan"),
    ("Plan may 1 3pm", MON, NY, "2027-05-01 19:00 | 2027-05-01 15:00 America/New_York | 30 | Plan"),
    ("Planning may 5 3pm", MON, NY, "2027-05-05 19:00 | 2027-05-05 15:00 America/New_York | 30 | Planning"),
    ("Plan jun 1 3pm", MON, NY, "2026-06-01 19:00 | 2026-06-01 15:00 America/New_York | 30 | Plan"),
    ("Plan jun 1 9am", MON, NY, "!InPast that was 1 hour ago"),
    ("Plan today 9am", MON, NY, "!InPast that was 1 hour ago"),
    ("Plan 2026-05-01 3pm", MON, NY, "!InPast that was 30 days ago"),
    ("Plan 03/04 3pm", MON, NY, "!AmbiguousDate `03/04`"),
    ("Plan 3/4/2026 3pm", MON, NY, "!AmbiguousDate `2026-04-03` or `apr 3`"),
    ("Plan 12/25 3pm", MON, NY, "!AmbiguousDate `2026-12-25` or `dec 25`"),
    ("Plan 3.4.2026 3pm", MON, NY, "!AmbiguousDate `3.4.2026`"),
    ("Plan 2026-02-30 3pm", MON, NY, "!InvalidDate `2026-02-30`"),
    ("Plan 2026-13-01 3pm", MON, NY, "!InvalidDate `2026-13-01`"),
    ("Plan feb 30 3pm", MON, NY, "!InvalidDate `feb 30`"),
    ("Plan apr 31 3pm", MON, NY, "!InvalidDate `apr 31`"),
    ("Plan 2027-06-01 10:07", MON, NY, "2027-06-01 14:07 | 2027-06-01 10:07 America/New_York | 30 | Plan"),
    ("Plan 2027-06-01 10:08", MON, NY, "!TooFarAhead `2027-06-01 10:08`"),
    ("Plan 2027-06-02 3pm", MON, NY, "!TooFarAhead more than 365 days"),
    ("Plan fri", MON, NY, "!MissingTime `fri 3pm`"),
    ("Plan tomorrow", MON, NY, "!MissingTime `tomorrow`"),
    ("Plan today", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 30 | Plan | now"),
    ("Plan mon", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 30 | Plan | now"),
    ("Plan today now", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 30 | Plan | now"),
    ("Plan tomorrow now", MON, NY, "!NowWithDate `tomorrow`"),
    ("Plan 2026-12-01 tomorrow 3pm", MON, NY, "!Duplicate `2026-12-01` and `tomorrow`"),
    ("Plan tomorrow fri 3pm", MON, NY, "!Duplicate `tomorrow` and `fri`"),
    // Weekday, month and "next" words that are topic words.
    ("May planning", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 30 | May planning | now"),
    ("Sun team sync", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 30 | Sun team sync | now"),
    ("Next steps", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 30 | Next steps | now"),
    ("Sun team sync 3pm", MON, NY, "2026-06-01 19:00 | 2026-06-01 15:00 America/New_York | 30 | Sun team sync"),
    // Times of day, no date: today, or tomorrow once passed (now is 10:07 local).
    ("Sync 15:00", MON, NY, "2026-06-01 19:00 | 2026-06-01 15:00 America/New_York | 30 | Sync"),
    ("Sync 3pm", MON, NY, "2026-06-01 19:00 | 2026-06-01 15:00 America/New_York | 30 | Sync"),
    ("Sync 3PM", MON, NY, "2026-06-01 19:00 | 2026-06-01 15:00 America/New_York | 30 | Sync"),
    ("Sync 3:30pm", MON, NY, "2026-06-01 19:30 | 2026-06-01 15:30 America/New_York | 30 | Sync"),
    ("Sync 3:30 PM", MON, NY, "2026-06-01 19:30 | 2026-06-01 15:30 America/New_York | 30 | Sync"),
    ("Sync 3 pm", MON, NY, "2026-06-01 19:00 | 2026-06-01 15:00 America/New_York | 30 | Sync"),
    ("Sync 3p.m.", MON, NY, "2026-06-01 19:00 | 2026-06-01 15:00 America/New_York | 30 | Sync"),
    ("Sync 15h", MON, NY, "2026-06-01 19:00 | 2026-06-01 15:00 America/New_York | 30 | Sync"),
    ("Sync 15h30", MON, NY, "2026-06-01 19:30 | 2026-06-01 15:30 America/New_York | 30 | Sync"),
    ("Sync noon", MON, NY, "2026-06-01 16:00 | 2026-06-01 12:00 America/New_York | 30 | Sync"),
    ("Sync midnight", MON, NY, "2026-06-02 04:00 | 2026-06-02 00:00 America/New_York | 30 | Sync | tomorrow"),
    ("Sync now", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 30 | Sync | now"),
    ("Sync 9am", MON, NY, "2026-06-02 13:00 | 2026-06-02 09:00 America/New_York | 30 | Sync | tomorrow"),
    ("Sync 10:05", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 30 | Sync | now"),
    ("Sync 10:02", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 30 | Sync | now"),
    ("Sync 10:01", MON, NY, "2026-06-02 14:01 | 2026-06-02 10:01 America/New_York | 30 | Sync | tomorrow"),
    ("Sync 10:07", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 30 | Sync | now"),
    ("Sync 10:08", MON, NY, "2026-06-01 14:08 | 2026-06-01 10:08 America/New_York | 30 | Sync"),
    ("Sync 25:00", MON, NY, "!InvalidTime `25:00`"),
    ("Sync 13pm", MON, NY, "!InvalidTime `13pm`"),
    ("Sync 9:60", MON, NY, "!InvalidTime `9:60`"),
    ("Sync 3pm 4pm", MON, NY, "!Duplicate `3pm` and `4pm`"),
    ("Coffee at 3pm", MON, NY, "2026-06-01 19:00 | 2026-06-01 15:00 America/New_York | 30 | Coffee"),
    ("Lunch at noon 1h", MON, NY, "2026-06-01 16:00 | 2026-06-01 12:00 America/New_York | 60 | Lunch"),
    // The `Nh` rule: two-digit hours 00–23 are times, everything else is a duration.
    ("Sync 15h", MON, UTC, "2026-06-01 15:00 | 2026-06-01 15:00 UTC | 30 | Sync"),
    ("Sync 09h", MON, UTC, "2026-06-02 09:00 | 2026-06-02 09:00 UTC | 30 | Sync | tomorrow"),
    ("Sync 23h59", MON, UTC, "2026-06-01 23:59 | 2026-06-01 23:59 UTC | 30 | Sync"),
    ("Sync 1h", MON, UTC, "2026-06-01 14:07 | 2026-06-01 14:07 UTC | 60 | Sync | now"),
    ("Sync 9h", MON, UTC, "2026-06-01 14:07 | 2026-06-01 14:07 UTC | 540 | Sync | now"),
    ("Sync 24h", MON, UTC, "2026-06-01 14:07 | 2026-06-01 14:07 UTC | 1440 | Sync | now"),
    ("Sync 16h 45m", MON, UTC, "2026-06-01 16:00 | 2026-06-01 16:00 UTC | 45 | Sync"),
    ("Sync 16h 1.5h", MON, UTC, "2026-06-01 16:00 | 2026-06-01 16:00 UTC | 90 | Sync"),
    // Order is forgiving; topic words after strong schedule words are not.
    ("standup tomorrow 9:30 15m", MON, NY, "2026-06-02 13:30 | 2026-06-02 09:30 America/New_York | 15 | standup"),
    ("standup 15m 9:30 tomorrow", MON, NY, "2026-06-02 13:30 | 2026-06-02 09:30 America/New_York | 15 | standup"),
    ("standup 9:30 15m tomorrow", MON, NY, "2026-06-02 13:30 | 2026-06-02 09:30 America/New_York | 15 | standup"),
    ("Review 2pm changes 30m", MON, NY, "!UnexpectedWord `changes` after `2pm`"),
    ("Standup tomorrow foo 3pm", MON, NY, "!UnexpectedWord `foo` after `tomorrow`"),
    ("standup 30m tomorrow foo", MON, NY, "!UnexpectedWord `foo` after `tomorrow`"),
    ("plan 30m tomorrow 3pm foo bar", MON, NY, "!UnexpectedWord `foo` after `3pm`"),
    ("Retro 30m Q3 planning", MON, NY, "!UnexpectedWord `Q3` after `30m`"),
    ("Plan 2026-12-01 kickoff", MON, NY, "!UnexpectedWord `kickoff`"),
    // Time zones.
    ("Sync tomorrow 3pm Europe/Istanbul", MON, NY, "2026-06-02 12:00 | 2026-06-02 15:00 Europe/Istanbul | 30 | Sync | explicit"),
    ("Sync tomorrow 3pm europe/istanbul", MON, NY, "2026-06-02 12:00 | 2026-06-02 15:00 Europe/Istanbul | 30 | Sync | explicit"),
    ("Sync tomorrow 3pm UTC", MON, NY, "2026-06-02 15:00 | 2026-06-02 15:00 UTC | 30 | Sync | explicit"),
    ("Sync tomorrow 3pm gmt", MON, NY, "2026-06-02 15:00 | 2026-06-02 15:00 GMT | 30 | Sync | explicit"),
    ("Sync 3pm Europe/Berlin tomorrow", MON, NY, "2026-06-02 13:00 | 2026-06-02 15:00 Europe/Berlin | 30 | Sync | explicit"),
    ("Sync 3pm Asia/Kolkata", MON, NY, "2026-06-02 09:30 | 2026-06-02 15:00 Asia/Kolkata | 30 | Sync | explicit | tomorrow"),
    ("Sync Europe/Berlin", MON, NY, "2026-06-01 14:07 | 2026-06-01 16:07 Europe/Berlin | 30 | Sync | now | explicit"),
    ("Sync 3pm EST", MON, NY, "!ZoneAbbreviation `EST` is an ambiguous time zone abbreviation. Use an IANA zone name instead, like `America/New_York`"),
    ("Sync 3pm ist", MON, NY, "!ZoneAbbreviation `ist`"),
    ("Sync tomorrow CST", MON, NY, "!ZoneAbbreviation `CST`"),
    ("Sync 3pm Europe/Berln", MON, NY, "!UnknownZone `Europe/Berln`"),
    ("Sync 3pm UTC+3", MON, NY, "!UnknownZone `UTC+3`"),
    ("Sync GMT-5 3pm", MON, NY, "!UnknownZone `GMT-5`"),
    ("Talk about UTC", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 30 | Talk about UTC | now"),
    ("Go west", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 30 | Go west | now"),
    ("Discuss CI/CD", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 30 | Discuss CI/CD | now"),
    ("Sync today 3pm Asia/Tokyo", NY_EVENING, NY, "2026-06-02 06:00 | 2026-06-02 15:00 Asia/Tokyo | 30 | Sync | explicit"),
    ("Sync today 3pm", NY_EVENING, NY, "!InPast that was 4 hours ago"),
    ("Sync tomorrow 9am Asia/Tokyo", NY_EVENING, NY, "2026-06-03 00:00 | 2026-06-03 09:00 Asia/Tokyo | 30 | Sync | explicit"),
    ("Sync tomorrow 9am", NY_EVENING, NY, "2026-06-02 13:00 | 2026-06-02 09:00 America/New_York | 30 | Sync"),
    // Quoted topics, mentions, escapes, whitespace, unusual text.
    ("\"Q3 plan\" 30m tomorrow 3pm", MON, NY, "2026-06-02 19:00 | 2026-06-02 15:00 America/New_York | 30 | Q3 plan"),
    ("\u{201C}Q3 plan\u{201D} 45m", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 45 | Q3 plan | now"),
    ("\"Review 2pm changes\" 30m", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 30 | Review 2pm changes | now"),
    ("\"Q3\" plan 30m", MON, NY, "!UnexpectedWord `plan` after `\"Q3\"`"),
    ("\"Q3\" 30m plan", MON, NY, "!UnexpectedWord `plan` after `30m`"),
    ("\"Q3 plan 30m", MON, NY, "!UnclosedQuote"),
    ("\"", MON, NY, "!UnclosedQuote"),
    ("\"\" 30m", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 30 | Zoom meeting | now"),
    ("\"Top 10\" 10 45m", MON, NY, "!Duplicate `10` and `45m`"),
    ("Sync with <@U123> and <#C1|eng> 30m", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 30 | Sync with <@U123> and <#C1|eng> | now"),
    ("Read <https://x.io|the doc> now", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 30 | Read <https://x.io|the doc> | now"),
    ("Q&amp;A &lt;draft&gt; 30m", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 30 | Q&A <draft> | now"),
    ("  lots   of\tspace  ", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 30 | lots of space | now"),
    ("Line one\nline two 30m", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 30 | Line one line two | now"),
    ("\u{1F389} Launch party 1h tomorrow 6pm", MON, NY, "2026-06-02 22:00 | 2026-06-02 18:00 America/New_York | 60 | \u{1F389} Launch party"),
    ("\u{627}\u{62C}\u{62A}\u{645}\u{627}\u{639} 30m", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 30 | \u{627}\u{62C}\u{62A}\u{645}\u{627}\u{639} | now"),
    ("R\u{e9}union d\u{2019}\u{e9}quipe 15h", MON, NY, "2026-06-01 19:00 | 2026-06-01 15:00 America/New_York | 30 | R\u{e9}union d\u{2019}\u{e9}quipe"),
    // New York: spring forward (gap) and fall back (overlap).
    ("Sync tomorrow 2:30am", NY_SPRING, NY, "!NonexistentTime next valid time is `03:00`"),
    ("Sync 2026-03-08 2am", NY_SPRING, NY, "!NonexistentTime `2026-03-08 02:00`"),
    ("Sync tomorrow 3am", NY_SPRING, NY, "2026-03-08 07:00 | 2026-03-08 03:00 America/New_York | 30 | Sync"),
    ("Sync tomorrow 1:59am", NY_SPRING, NY, "2026-03-08 06:59 | 2026-03-08 01:59 America/New_York | 30 | Sync"),
    ("Sync tomorrow 3pm", NY_SPRING, NY, "2026-03-08 19:00 | 2026-03-08 15:00 America/New_York | 30 | Sync"),
    ("Sync tomorrow 1:30am", NY_FALL, NY, "2026-11-01 05:30 | 2026-11-01 01:30 America/New_York | 30 | Sync | ambiguous"),
    ("Sync tomorrow 1am", NY_FALL, NY, "2026-11-01 05:00 | 2026-11-01 01:00 America/New_York | 30 | Sync | ambiguous"),
    ("Sync tomorrow 2:30am", NY_FALL, NY, "2026-11-01 07:30 | 2026-11-01 02:30 America/New_York | 30 | Sync"),
    ("Sync tomorrow 12:30am", NY_FALL, NY, "2026-11-01 04:30 | 2026-11-01 00:30 America/New_York | 30 | Sync"),
    // During the repeated hour the first occurrence of 1:30 has passed (Zoom would read the
    // wall-clock time as that one), so with no date the time moves to tomorrow.
    ("Sync 1:30am", NY_REPEAT, NY, "2026-11-02 06:30 | 2026-11-02 01:30 America/New_York | 30 | Sync | tomorrow"),
    ("Sync 2026-11-01 1:30am", NY_REPEAT, NY, "!InPast"),
    ("", NY_REPEAT, NY, "2026-11-01 06:10 | 2026-11-01 01:10 America/New_York | 30 | Zoom meeting | now"),
    ("Sync 1:08am", NY_REPEAT, NY, "2026-11-02 06:08 | 2026-11-02 01:08 America/New_York | 30 | Sync | tomorrow"),
    ("Sync now", NY_REPEAT, NY, "2026-11-01 06:10 | 2026-11-01 01:10 America/New_York | 30 | Sync | now"),
    ("Sync 12:30am", NY_REPEAT, NY, "2026-11-02 05:30 | 2026-11-02 00:30 America/New_York | 30 | Sync | tomorrow"),
    // Berlin.
    ("Sync tomorrow 2:30", BER_SPRING, BER, "!NonexistentTime next valid time is `03:00`"),
    ("Sync tomorrow 3:00", BER_SPRING, BER, "2026-03-29 01:00 | 2026-03-29 03:00 Europe/Berlin | 30 | Sync"),
    ("Sync tomorrow 1:59", BER_SPRING, BER, "2026-03-29 00:59 | 2026-03-29 01:59 Europe/Berlin | 30 | Sync"),
    ("Sync tomorrow 2:30", BER_FALL, BER, "2026-10-25 00:30 | 2026-10-25 02:30 Europe/Berlin | 30 | Sync | ambiguous"),
    ("Sync 2026-10-25 02:00", BER_FALL, BER, "2026-10-25 00:00 | 2026-10-25 02:00 Europe/Berlin | 30 | Sync | ambiguous"),
    ("Sync tomorrow 3:30", BER_FALL, BER, "2026-10-25 02:30 | 2026-10-25 03:30 Europe/Berlin | 30 | Sync"),
    ("Sync tomorrow 1:30", BER_FALL, BER, "2026-10-24 23:30 | 2026-10-25 01:30 Europe/Berlin | 30 | Sync"),
    // Sydney (southern hemisphere: falls back in April, springs forward in October).
    ("Sync tomorrow 2:30am", AU_FALL, SYD, "2026-04-04 15:30 | 2026-04-05 02:30 Australia/Sydney | 30 | Sync | ambiguous"),
    ("Sync tomorrow 3:30am", AU_FALL, SYD, "2026-04-04 17:30 | 2026-04-05 03:30 Australia/Sydney | 30 | Sync"),
    ("Sync tomorrow 1:30am", AU_FALL, SYD, "2026-04-04 14:30 | 2026-04-05 01:30 Australia/Sydney | 30 | Sync"),
    ("Sync tomorrow 2:30am", AU_SPRING, SYD, "!NonexistentTime next valid time is `03:00`"),
    ("Sync tomorrow 3am", AU_SPRING, SYD, "2026-10-03 16:00 | 2026-10-04 03:00 Australia/Sydney | 30 | Sync"),
    ("Sync tomorrow 1:30am", AU_SPRING, SYD, "2026-10-03 15:30 | 2026-10-04 01:30 Australia/Sydney | 30 | Sync"),
    // Lord Howe: UTC+10:30, with a 30-minute DST shift.
    ("Sync tomorrow 2:10am", AU_SPRING, LHI, "!NonexistentTime next valid time is `02:30`"),
    ("Sync tomorrow 2:30am", AU_SPRING, LHI, "2026-10-03 15:30 | 2026-10-04 02:30 Australia/Lord_Howe | 30 | Sync"),
    ("Sync tomorrow 1:59am", AU_SPRING, LHI, "2026-10-03 15:29 | 2026-10-04 01:59 Australia/Lord_Howe | 30 | Sync"),
    ("Sync tomorrow 1:45am", AU_FALL, LHI, "2026-04-04 14:45 | 2026-04-05 01:45 Australia/Lord_Howe | 30 | Sync | ambiguous"),
    ("Sync tomorrow 1:29am", AU_FALL, LHI, "2026-04-04 14:29 | 2026-04-05 01:29 Australia/Lord_Howe | 30 | Sync"),
    ("Sync tomorrow 2am", AU_FALL, LHI, "2026-04-04 15:30 | 2026-04-05 02:00 Australia/Lord_Howe | 30 | Sync"),
    // Kolkata (UTC+5:30) and Kathmandu (UTC+5:45).
    ("Sync 3pm", SOUTH_ASIA, KOL, "2026-06-01 09:30 | 2026-06-01 15:00 Asia/Kolkata | 30 | Sync"),
    ("Sync tomorrow 9am", SOUTH_ASIA, KOL, "2026-06-02 03:30 | 2026-06-02 09:00 Asia/Kolkata | 30 | Sync"),
    ("Sync 11:27", SOUTH_ASIA, KOL, "2026-06-01 06:00 | 2026-06-01 11:30 Asia/Kolkata | 30 | Sync | now"),
    ("Sync 11am", SOUTH_ASIA, KOL, "2026-06-02 05:30 | 2026-06-02 11:00 Asia/Kolkata | 30 | Sync | tomorrow"),
    ("Sync 3pm Asia/Kathmandu", SOUTH_ASIA, KOL, "2026-06-01 09:15 | 2026-06-01 15:00 Asia/Kathmandu | 30 | Sync | explicit"),
    ("Sync noon", SOUTH_ASIA, KTM, "2026-06-01 06:15 | 2026-06-01 12:00 Asia/Kathmandu | 30 | Sync"),
    ("Sync midnight", SOUTH_ASIA, KTM, "2026-06-01 18:15 | 2026-06-02 00:00 Asia/Kathmandu | 30 | Sync | tomorrow"),
    ("", SOUTH_ASIA, KTM, "2026-06-01 06:00 | 2026-06-01 11:45 Asia/Kathmandu | 30 | Zoom meeting | now"),
    // Year end.
    ("Sync tomorrow 10am", NYE, UTC, "2027-01-01 10:00 | 2027-01-01 10:00 UTC | 30 | Sync"),
    ("Sync jan 2 10am", NYE, UTC, "2027-01-02 10:00 | 2027-01-02 10:00 UTC | 30 | Sync"),
    ("Sync 1 jan 9am", NYE, UTC, "2027-01-01 09:00 | 2027-01-01 09:00 UTC | 30 | Sync"),
    ("Sync dec 31 4pm", NYE, UTC, "2026-12-31 16:00 | 2026-12-31 16:00 UTC | 30 | Sync"),
    ("Sync dec 30 4pm", NYE, UTC, "2027-12-30 16:00 | 2027-12-30 16:00 UTC | 30 | Sync"),
    ("Sync fri 10am", NYE, UTC, "2027-01-01 10:00 | 2027-01-01 10:00 UTC | 30 | Sync"),
    ("Sync next mon 10am", NYE, UTC, "2027-01-04 10:00 | 2027-01-04 10:00 UTC | 30 | Sync"),
    ("Sync thu 2pm", NYE, UTC, "2027-01-07 14:00 | 2027-01-07 14:00 UTC | 30 | Sync"),
    ("Sync 2pm", NYE, UTC, "2027-01-01 14:00 | 2027-01-01 14:00 UTC | 30 | Sync | tomorrow"),
    ("Sync today 9am", NYE, SYD, "2026-12-31 22:00 | 2027-01-01 09:00 Australia/Sydney | 30 | Sync"),
    ("Sync 11:55pm", NYE_LATE, UTC, "2026-12-31 23:58 | 2026-12-31 23:58 UTC | 30 | Sync | now"),
    ("Sync 11:50pm", NYE_LATE, UTC, "2027-01-01 23:50 | 2027-01-01 23:50 UTC | 30 | Sync | tomorrow"),
    ("Sync jan 2 3pm", LATE_DEC, UTC, "2027-01-02 15:00 | 2027-01-02 15:00 UTC | 30 | Sync"),
    ("Sync 2 jan 3pm", LATE_DEC, UTC, "2027-01-02 15:00 | 2027-01-02 15:00 UTC | 30 | Sync"),
    // Leap days.
    ("Sync 2028-02-29 10am", MID_2027, UTC, "2028-02-29 10:00 | 2028-02-29 10:00 UTC | 30 | Sync"),
    ("Sync 29 feb 2028 10am", MID_2027, UTC, "2028-02-29 10:00 | 2028-02-29 10:00 UTC | 30 | Sync"),
    ("Sync feb 29 10am", MID_2027, UTC, "2028-02-29 10:00 | 2028-02-29 10:00 UTC | 30 | Sync"),
    ("Sync 2027-02-29 10am", MID_2027, UTC, "!InvalidDate `2027-02-29`"),
    ("Sync feb 29 2027 10am", MID_2027, UTC, "!InvalidDate `feb 29 2027`"),
    ("Sync feb 29 10am", MON, NY, "!TooFarAhead `2028-02-29 10:00`"),
    ("Sync tomorrow 10am", LEAP_EVE, UTC, "2028-02-29 10:00 | 2028-02-29 10:00 UTC | 30 | Sync"),
    // English words in capitals; a few new English date forms.
    ("Plan FRIDAY 3PM", MON, NY, "2026-06-05 19:00 | 2026-06-05 15:00 America/New_York | 30 | Plan"),
    ("PLAN NEXT FRIDAY 3PM", MON, NY, "2026-06-12 19:00 | 2026-06-12 15:00 America/New_York | 30 | PLAN"),
    ("Plan this fri 3pm", MON, NY, "2026-06-05 19:00 | 2026-06-05 15:00 America/New_York | 30 | Plan"),
    ("Plan day after tomorrow 3pm", MON, NY, "2026-06-03 19:00 | 2026-06-03 15:00 America/New_York | 30 | Plan"),
    ("Plan on the 15th 3pm", MON, NY, "2026-06-15 19:00 | 2026-06-15 15:00 America/New_York | 30 | Plan"),
    ("Plan the 1st 9am", MON, NY, "!InPast"),
    ("Plan the 32nd 9am", MON, NY, "!InvalidDate `the 32nd`"),
    ("Plan starting tomorrow 3pm", MON, NY, "2026-06-02 19:00 | 2026-06-02 15:00 America/New_York | 30 | Plan"),
    ("Plan starting tomorrow fri 3pm", MON, NY, "!Duplicate"),
    ("Sync 3.30pm", MON, NY, "2026-06-01 19:30 | 2026-06-01 15:30 America/New_York | 30 | Sync"),
    // Turkish: the tried example, then every word class. Istanbul is UTC+3 all year; now is
    // Monday 17:07 there.
    ("Toplantı 45dk yarın 15:00", MON, IST, "2026-06-02 12:00 | 2026-06-02 15:00 Europe/Istanbul | 45 | Toplantı"),
    ("Toplantı 45dk yarın 15:00'te", MON, IST, "2026-06-02 12:00 | 2026-06-02 15:00 Europe/Istanbul | 45 | Toplantı"),
    ("Toplantı 45 dk YARIN saat 15:00", MON, IST, "2026-06-02 12:00 | 2026-06-02 15:00 Europe/Istanbul | 45 | Toplantı"),
    ("Toplantı yarin 15.00", MON, IST, "2026-06-02 12:00 | 2026-06-02 15:00 Europe/Istanbul | 30 | Toplantı"),
    ("Toplantı yarın'a 15:00", MON, IST, "2026-06-02 12:00 | 2026-06-02 15:00 Europe/Istanbul | 30 | Toplantı"),
    ("Planlama 30 dakika bugün saat 18:00", MON, IST, "2026-06-01 15:00 | 2026-06-01 18:00 Europe/Istanbul | 30 | Planlama"),
    ("Planlama bugun 18:00", MON, IST, "2026-06-01 15:00 | 2026-06-01 18:00 Europe/Istanbul | 30 | Planlama"),
    ("Planlama öbür gün 10:00", MON, IST, "2026-06-03 07:00 | 2026-06-03 10:00 Europe/Istanbul | 30 | Planlama"),
    ("Planlama obur gun 10:00", MON, IST, "2026-06-03 07:00 | 2026-06-03 10:00 Europe/Istanbul | 30 | Planlama"),
    ("Retro 1 saat cuma 16:00", MON, IST, "2026-06-05 13:00 | 2026-06-05 16:00 Europe/Istanbul | 60 | Retro"),
    ("Retro 1,5 saat PAZARTESİ 10:00", MON, IST, "2026-06-08 07:00 | 2026-06-08 10:00 Europe/Istanbul | 90 | Retro"),
    ("Retro 1sa30dk SALI 10.00", MON, IST, "2026-06-02 07:00 | 2026-06-02 10:00 Europe/Istanbul | 90 | Retro"),
    ("Retro 1 saat 30 dakika çarşamba öğleden sonra 3", MON, IST, "2026-06-03 12:00 | 2026-06-03 15:00 Europe/Istanbul | 90 | Retro"),
    ("Retro 2 sa carsamba ogleden sonra 3", MON, IST, "2026-06-03 12:00 | 2026-06-03 15:00 Europe/Istanbul | 120 | Retro"),
    ("Demo perşembe sabah 10", MON, IST, "2026-06-04 07:00 | 2026-06-04 10:00 Europe/Istanbul | 30 | Demo"),
    ("Demo persembe öğleden önce 10", MON, IST, "2026-06-04 07:00 | 2026-06-04 10:00 Europe/Istanbul | 30 | Demo"),
    ("Demo cumartesi akşam 7", MON, IST, "2026-06-06 16:00 | 2026-06-06 19:00 Europe/Istanbul | 30 | Demo"),
    ("Demo pazar öğlen", MON, IST, "2026-06-07 09:00 | 2026-06-07 12:00 Europe/Istanbul | 30 | Demo"),
    ("Demo gelecek cuma öğlen", MON, IST, "2026-06-12 09:00 | 2026-06-12 12:00 Europe/Istanbul | 30 | Demo"),
    ("Demo haftaya cuma 9:30", MON, IST, "2026-06-12 06:30 | 2026-06-12 09:30 Europe/Istanbul | 30 | Demo"),
    ("Demo 20 aralık 15:00", MON, IST, "2026-12-20 12:00 | 2026-12-20 15:00 Europe/Istanbul | 30 | Demo"),
    ("Demo aralık 20 15:00", MON, IST, "2026-12-20 12:00 | 2026-12-20 15:00 Europe/Istanbul | 30 | Demo"),
    ("Demo 20 ARALIK 15:00", MON, IST, "2026-12-20 12:00 | 2026-12-20 15:00 Europe/Istanbul | 30 | Demo"),
    ("Demo 20 aralik 15:00", MON, IST, "2026-12-20 12:00 | 2026-12-20 15:00 Europe/Istanbul | 30 | Demo"),
    ("Demo 1 ocak 10:00", MON, IST, "2027-01-01 07:00 | 2027-01-01 10:00 Europe/Istanbul | 30 | Demo"),
    ("Demo 14 şubat 10:00", MON, IST, "2027-02-14 07:00 | 2027-02-14 10:00 Europe/Istanbul | 30 | Demo"),
    ("Demo 1 MART 10:00", MON, IST, "2027-03-01 07:00 | 2027-03-01 10:00 Europe/Istanbul | 30 | Demo"),
    ("Demo 1 nisan 10:00", MON, IST, "2027-04-01 07:00 | 2027-04-01 10:00 Europe/Istanbul | 30 | Demo"),
    ("Demo 1 MAYIS 10:00", MON, IST, "2027-05-01 07:00 | 2027-05-01 10:00 Europe/Istanbul | 30 | Demo"),
    ("Demo 2 haziran 10:00", MON, IST, "2026-06-02 07:00 | 2026-06-02 10:00 Europe/Istanbul | 30 | Demo"),
    ("Demo 1 temmuz 10:00", MON, IST, "2026-07-01 07:00 | 2026-07-01 10:00 Europe/Istanbul | 30 | Demo"),
    ("Demo 1 AĞUSTOS 10:00", MON, IST, "2026-08-01 07:00 | 2026-08-01 10:00 Europe/Istanbul | 30 | Demo"),
    ("Demo 1 eylul 10:00", MON, IST, "2026-09-01 07:00 | 2026-09-01 10:00 Europe/Istanbul | 30 | Demo"),
    ("Demo 1 ekim 10:00", MON, IST, "2026-10-01 07:00 | 2026-10-01 10:00 Europe/Istanbul | 30 | Demo"),
    ("Demo 1 kasım 10:00", MON, IST, "2026-11-01 07:00 | 2026-11-01 10:00 Europe/Istanbul | 30 | Demo"),
    ("Sync şimdi", MON, IST, "2026-06-01 14:07 | 2026-06-01 17:07 Europe/Istanbul | 30 | Sync | now"),
    ("Sync gece yarısı", MON, IST, "2026-06-01 21:00 | 2026-06-02 00:00 Europe/Istanbul | 30 | Sync | tomorrow"),
    ("Sync saat 15", MON, IST, "2026-06-02 12:00 | 2026-06-02 15:00 Europe/Istanbul | 30 | Sync | tomorrow"),
    ("Sync saat 21", MON, IST, "2026-06-01 18:00 | 2026-06-01 21:00 Europe/Istanbul | 30 | Sync"),
    ("Sync saat 3", MON, IST, "!AmbiguousHour `saat 3` could be 03:00 or 15:00"),
    ("Sync 15.00", MON, IST, "2026-06-02 12:00 | 2026-06-02 15:00 Europe/Istanbul | 30 | Sync | tomorrow"),
    ("Sync 45 dakika", MON, IST, "2026-06-01 14:07 | 2026-06-01 17:07 Europe/Istanbul | 45 | Sync | now"),
    ("Toplantı", MON, IST, "2026-06-01 14:07 | 2026-06-01 17:07 Europe/Istanbul | 30 | Toplantı | now"),
    ("Pazar araştırması", MON, IST, "2026-06-01 14:07 | 2026-06-01 17:07 Europe/Istanbul | 30 | Pazar araştırması | now"),
    ("Her şey yolunda", MON, IST, "2026-06-01 14:07 | 2026-06-01 17:07 Europe/Istanbul | 30 | Her şey yolunda | now"),
    ("Ekim planı 1 saat yarın 10:00", MON, IST, "2026-06-02 07:00 | 2026-06-02 10:00 Europe/Istanbul | 60 | Ekim planı"),
    // Topic words that look a little like schedule words stay in the topic.
    ("Intro to 3D", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 30 | Intro to 3D | now"),
    ("Daily standup", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 30 | Daily standup | now"),
    ("Daily standup 15m 9:30", MON, NY, "2026-06-02 13:30 | 2026-06-02 09:30 America/New_York | 15 | Daily standup | tomorrow"),
    ("Every day counts", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 30 | Every day counts | now"),
    ("Weekly sync", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 30 | Weekly sync | now"),
    ("Lunch with her monday noon", MON, NY, "2026-06-01 16:00 | 2026-06-01 12:00 America/New_York | 30 | Lunch with her"),
    ("Meet her tomorrow 3pm", MON, NY, "2026-06-02 19:00 | 2026-06-02 15:00 America/New_York | 30 | Meet her"),
    ("Review Monday's", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 30 | Review Monday's | now"),
    ("Party 80s", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 30 | Party 80s | now"),
    ("Setup 2FA", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 30 | Setup 2FA | now"),
    ("Watch 4K", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 30 | Watch 4K | now"),
    ("Weekly 1on1", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 30 | Weekly 1on1 | now"),
    ("Sync 30mins.", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 30 | Sync | now"),
    ("Run 5k", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 30 | Run 5k | now"),
    ("Retro x", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 30 | Retro x | now"),
    ("Top 10 list", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 30 | Top 10 list | now"),
    // An hour with a capital A or P is a name mid-topic (a lower-case one is refused, below).
    ("Room 4A sync tomorrow 3pm", MON, NY, "2026-06-02 19:00 | 2026-06-02 15:00 America/New_York | 30 | Room 4A sync"),
    ("Gate 2A handover 30m", MON, NY, "2026-06-01 14:07 | 2026-06-01 10:07 America/New_York | 30 | Gate 2A handover | now"),
    // Shapes we cannot place stay in the topic when topic words follow them.
    ("Cut 200ms latency tomorrow 3pm", MON, NY, "2026-06-02 19:00 | 2026-06-02 15:00 America/New_York | 30 | Cut 200ms latency"),
    ("Intro to 5G networks tomorrow 3pm", MON, NY, "2026-06-02 19:00 | 2026-06-02 15:00 America/New_York | 30 | Intro to 5G networks"),
    ("1080p video review tomorrow 3pm", MON, NY, "2026-06-02 19:00 | 2026-06-02 15:00 America/New_York | 30 | 1080p video review"),
    ("24/7 support plan tomorrow 3pm", MON, NY, "2026-06-02 19:00 | 2026-06-02 15:00 America/New_York | 30 | 24/7 support plan"),
    // Repeating meetings that are refused (accepted ones are in SERIES).
    ("Standup daily", MON, NY, "!RepeatWithoutTime What time should `daily` start?"),
    ("Standup every monday now", MON, NY, "!RepeatWithoutTime `every monday`"),
    ("Sync every 13 weeks 10am", MON, NY, "!RepeatIntervalOutOfRange Zoom repeats a meeting every 1 to 12 weeks, so every 13 weeks won't work."),
    ("Sync every 91 days 10am", MON, NY, "!RepeatIntervalOutOfRange every 1 to 90 days"),
    ("Sync every 4 months on the 1st 10am", MON, NY, "!RepeatIntervalOutOfRange every 1 to 3 months"),
    ("Sync every 0 days 10am", MON, NY, "!RepeatIntervalOutOfRange every 0 days"),
    ("Sync every day 10am x 61", MON, NY, "!OccurrenceCount `x 61`: a Zoom series has 1 to 60 meetings."),
    ("Sync every day 10am x 0", MON, NY, "!OccurrenceCount `x 0`"),
    ("Sync every day 10am 100 times", MON, NY, "!OccurrenceCount `100 times`"),
    ("Sync every day 10am until dec 20", MON, NY, "!TooManyOccurrences That series would have more than 60 meetings, Zoom's limit. End it on or before Jul 31, 2026, or use `x 60`."),
    ("Sync every day 10am for 100 weeks", MON, NY, "!TooManyOccurrences Jul 31, 2026"),
    ("Sync every day 10am for 0 weeks", MON, NY, "!InvalidSeriesLength `for 0 weeks`"),
    ("Sync every monday 10am until jun 1", MON, NY, "!SeriesEndsBeforeStart The series would end on Jun 1, 2026 but its first meeting is on Jun 8, 2026."),
    ("Sync every monday on tue 10am", MON, NY, "!RepeatConflict `every monday` and `tue` name different days"),
    ("Sync every day on the 1st 10am", MON, NY, "!RepeatConflict `the 1st`"),
    ("Sync monthly on fri 10am", MON, NY, "!RepeatConflict `fri`"),
    ("Sync monthly on the 32nd 9am", MON, NY, "!InvalidDate `the 32nd`"),
    ("Sync mon, wed 10am", MON, NY, "!DaysWithoutRepeat `mon, wed` names several days"),
    ("Sync 10am until dec 20", MON, NY, "!EndWithoutRepeat `until dec 20` ends a repeating meeting"),
    ("Sync tomorrow 10am x 8", MON, NY, "!EndWithoutRepeat `x 8`"),
    ("Sync every monday 10am starting 2026-05-01", MON, NY, "!InPast"),
    ("Sync every day 10am starting dec 1 tomorrow", MON, NY, "!Duplicate"),
    ("Sync every 2 weeks on weekend 10am", MON, NY, "!UnexpectedWord `on` after `every 2 weeks`"),
    // A meeting of the series whose wall-clock time does not exist (spring forward).
    ("Sync every day 2:30am", NY_SPRING, NY, "!SeriesGap `02:30` doesn't exist in America/New_York on Sun, Mar 8, 2026 (the clocks jump forward)"),
    ("Sync every day 2:30am x 5", NY_MARCH, NY, "!SeriesGap on Sun, Mar 8, 2026"),
    ("Sync every sunday 2:30am x 5", "2026-02-20T12:00:00Z", NY, "!SeriesGap on Sun, Mar 8, 2026"),
];

/// Words that look like schedule words but are not ones we read are refused, never left in
/// the topic: `(input, the word quoted, what we suggest)`. The message also tells people to
/// quote the topic when the word belongs to it.
#[rustfmt::skip]
const NOT_SWALLOWED: &[(&str, &str, Option<&str>)] = &[
    ("Sync tmrw 3pm", "tmrw", Some("tomorrow")),
    ("Sync TMRW 3pm", "TMRW", Some("tomorrow")),
    ("Sync tmr 3pm", "tmr", Some("tomorrow")),
    ("Sync 2moro 3pm", "2moro", Some("tomorrow")),
    ("Sync tomorow 3pm", "tomorow", Some("tomorrow")),
    ("Sync 45m tommorow", "tommorow", Some("tomorrow")),
    ("Plan tmrw with the team 3pm", "tmrw", Some("tomorrow")),
    ("Sync wensday 3pm", "wensday", Some("wednesday")),
    ("Drinks tonight", "tonight", Some("today")),
    ("Sync nxt fri 3pm", "nxt fri", Some("next fri")),
    ("Sync 3p", "3p", Some("3pm")),
    ("Sync tomorrow 3p", "3p", Some("3pm")),
    ("Sync 10a", "10a", Some("10am")),
    ("Sync 10:30a tomorrow", "10:30a", Some("10:30am")),
    ("Sync 45perc", "45perc", Some("45m")),
    ("Sync 45 perc tomorrow 3pm", "45 perc", Some("45m")),
    ("Sync 45mn", "45mn", Some("45m")),
    ("Sync 30mnis", "30mnis", Some("30m")),
    ("Sync 30minz 3pm", "30minz", Some("30m")),
    ("Sync 2hrz", "2hrz", Some("2h")),
    ("Sync 2óra", "2óra", Some("2h")),
    ("Sync 2 stunden", "2 stunden", Some("2h")),
    ("Toplantı 45dakka yarın", "45dakka", Some("45m")),
    ("Sync 30sec", "30sec", None),
    // Anywhere in the topic, not only right before the schedule.
    ("Sync 10:30a morgen", "10:30a", Some("10:30am")),
    ("Call 9.30p with Bob tomorrow", "9.30p", Some("9.30pm")),
    ("Sync 45perc holnap 15:00", "45perc", Some("45m")),
    ("Sync 30мин завтра", "30мин", Some("30m")),
    ("Planung 2 stunden morgen früh", "2 stunden", Some("2h")),
    ("Review 3p deps tomorrow 3pm", "3p", Some("3pm")),
    ("Phase 2a review", "2a", Some("2am")),
    ("Sync 3p morgen", "3p", Some("3pm")),
];

#[test]
fn schedule_looking_words_we_do_not_read_are_refused_not_swallowed() {
    let ctx = context(MON, NY);
    for (input, word, suggestion) in NOT_SWALLOWED {
        let err = match command::parse(input, &ctx) {
            Err(err) => err,
            Ok(ok) => panic!("{input:?} was accepted: {ok:?}"),
        };
        let message = err.user_message();
        assert!(
            matches!(&err, command::CommandError::UnknownWord { word: w, suggestion: s, .. }
                if w == word && s.as_deref() == *suggestion),
            "{input:?}: got {err:?}"
        );
        let mut wanted = vec![
            format!("I couldn't read `{word}` as"),
            "put the topic in quotes, like `/zoom \"Review 2pm changes\" 30m`".to_owned(),
        ];
        match suggestion {
            Some(s) => wanted.push(format!("Did you mean `{s}`?")),
            None => wanted.push("I read minutes and hours".to_owned()),
        }
        for want in wanted {
            assert!(
                message.contains(&want),
                "{input:?}: {message:?} lacks {want:?}"
            );
        }
    }
}

#[test]
fn an_unread_word_is_explained_in_full() {
    let err = command::parse("Sync tmrw 3pm", &context(MON, NY)).expect_err("tmrw is refused");
    assert_eq!(
        err.user_message(),
        "I couldn't read `tmrw` as a date. Did you mean `tomorrow`? If it's part of the topic, put the topic in quotes, like `/zoom \"Review 2pm changes\" 30m`"
    );
}

#[test]
fn a_quoted_topic_may_contain_words_we_would_otherwise_refuse() {
    let got = command::parse("\"Plan tmrw 3p 45perc\" 30m", &context(MON, NY));
    assert!(
        matches!(&got, Ok(Parsed::Meeting(r)) if r.topic().as_str() == "Plan tmrw 3p 45perc"),
        "got {got:?}"
    );
}

#[test]
fn series_notes_explain_the_cap_and_skipped_months() {
    let ctx = context(MON, NY);
    let notes = |text: &str| match command::parse(text, &ctx) {
        Ok(Parsed::Meeting(r)) => r
            .notes()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        other => panic!("{text:?}: {other:?}"),
    };
    assert_eq!(
        notes("Retro every 2 weeks on tue 4pm"),
        [
            "No end was given, so the series stops at Zoom's limit of 60 meetings (the last on Tue, Sep 5, 2028). Add an end like `until dec 20` or `x 8` to stop sooner."
        ]
    );
    assert_eq!(
        notes("Review monthly on the 31st 9am x 3"),
        ["Months without a 31st are skipped."]
    );
}

#[test]
fn the_next_occurrence_is_found_from_any_instant() {
    let ctx = context(MON, NY);
    let Ok(Parsed::Meeting(request)) = command::parse("Standup every monday 10am x 3", &ctx) else {
        panic!("should parse");
    };
    let series = request.recurrence().expect("a series");
    let at = |t: &str| instant(t);
    let next = |t: &str| series.next_after(at(t)).map(|o| o.local().to_string());
    assert_eq!(
        next("2026-06-01T00:00:00Z").as_deref(),
        Some("2026-06-08 10:00:00")
    );
    assert_eq!(
        next("2026-06-08T14:00:00Z").as_deref(),
        Some("2026-06-08 10:00:00")
    );
    assert_eq!(
        next("2026-06-08T14:01:00Z").as_deref(),
        Some("2026-06-15 10:00:00")
    );
    assert_eq!(next("2026-06-22T14:01:00Z"), None);
}

/// Repeating meetings: `(input, now, context zone, expected)`, the default duration 30.
///
/// Expected is `"<first UTC> | <first local> <zone> | <minutes> | <topic> | <description> |
/// <occurrences> | <last local> | <last UTC>[ | flags]"`, flags being `explicit` (zone named)
/// and the notes in order: `ambiguous`, `skipped` (months without the day), `capped` (no end).
#[rustfmt::skip]
const SERIES: &[(&str, &str, &str, &str)] = &[
    // Weekly on one day; 10am has passed this Monday, so the first is next Monday.
    ("Standup every monday 10am x 8", MON, NY, "2026-06-08 14:00 | 2026-06-08 10:00 America/New_York | 30 | Standup | Every Monday at 10:00 AM (America/New_York), 8 times | 8 | 2026-07-27 10:00 | 2026-07-27 14:00"),
    ("Standup every monday 10am x 8", MON, BER, "2026-06-08 08:00 | 2026-06-08 10:00 Europe/Berlin | 30 | Standup | Every Monday at 10:00 AM (Europe/Berlin), 8 times | 8 | 2026-07-27 10:00 | 2026-07-27 08:00"),
    ("Standup EVERY MONDAY 10AM X 8", MON, NY, "2026-06-08 14:00 | 2026-06-08 10:00 America/New_York | 30 | Standup | Every Monday at 10:00 AM (America/New_York), 8 times | 8 | 2026-07-27 10:00 | 2026-07-27 14:00"),
    // The README example: weekdays until Dec 20, keeping 9:30 across the November fall-back.
    ("Standup 15m every weekday 9:30 until dec 20", OCT, NY, "2026-10-01 13:30 | 2026-10-01 09:30 America/New_York | 15 | Standup | Every weekday at 9:30 AM (America/New_York), until Dec 20, 2026 | 57 | 2026-12-18 09:30 | 2026-12-18 14:30"),
    ("Standup every weekday at 9:30 x 5", MON, NY, "2026-06-02 13:30 | 2026-06-02 09:30 America/New_York | 30 | Standup | Every weekday at 9:30 AM (America/New_York), 5 times | 5 | 2026-06-08 09:30 | 2026-06-08 13:30"),
    ("Standup weekdays 9:30 x 5", MON, NY, "2026-06-02 13:30 | 2026-06-02 09:30 America/New_York | 30 | Standup | Every weekday at 9:30 AM (America/New_York), 5 times | 5 | 2026-06-08 09:30 | 2026-06-08 13:30"),
    ("Standup every workday 9:30 x 5", MON, NY, "2026-06-02 13:30 | 2026-06-02 09:30 America/New_York | 30 | Standup | Every weekday at 9:30 AM (America/New_York), 5 times | 5 | 2026-06-08 09:30 | 2026-06-08 13:30"),
    // No end: Zoom's cap of 60, with a note.
    ("Retro every 2 weeks on tue 4pm", MON, NY, "2026-06-02 20:00 | 2026-06-02 16:00 America/New_York | 30 | Retro | Every 2 weeks on Tuesday at 4:00 PM (America/New_York), 60 times | 60 | 2028-09-05 16:00 | 2028-09-05 20:00 | capped"),
    ("Retro every other week on fri 4pm x 2", MON, NY, "2026-06-05 20:00 | 2026-06-05 16:00 America/New_York | 30 | Retro | Every 2 weeks on Friday at 4:00 PM (America/New_York), 2 times | 2 | 2026-06-19 16:00 | 2026-06-19 20:00"),
    ("Retro fortnightly on fri 4pm x 2", MON, NY, "2026-06-05 20:00 | 2026-06-05 16:00 America/New_York | 30 | Retro | Every 2 weeks on Friday at 4:00 PM (America/New_York), 2 times | 2 | 2026-06-19 16:00 | 2026-06-19 20:00"),
    // Several days; today (Monday) at 15:00 is still ahead.
    ("Sync every mon,wed 15:00 x 4", MON, NY, "2026-06-01 19:00 | 2026-06-01 15:00 America/New_York | 30 | Sync | Every Monday and Wednesday at 3:00 PM (America/New_York), 4 times | 4 | 2026-06-10 15:00 | 2026-06-10 19:00"),
    ("Sync every mon, wed 15:00 x 4", MON, NY, "2026-06-01 19:00 | 2026-06-01 15:00 America/New_York | 30 | Sync | Every Monday and Wednesday at 3:00 PM (America/New_York), 4 times | 4 | 2026-06-10 15:00 | 2026-06-10 19:00"),
    ("Sync every monday and wednesday 15:00 x 4", MON, NY, "2026-06-01 19:00 | 2026-06-01 15:00 America/New_York | 30 | Sync | Every Monday and Wednesday at 3:00 PM (America/New_York), 4 times | 4 | 2026-06-10 15:00 | 2026-06-10 19:00"),
    ("Sync every monday, wednesday and friday 3pm x 6", MON, NY, "2026-06-01 19:00 | 2026-06-01 15:00 America/New_York | 30 | Sync | Every Monday, Wednesday and Friday at 3:00 PM (America/New_York), 6 times | 6 | 2026-06-12 15:00 | 2026-06-12 19:00"),
    ("Sync every 2 weeks on weekdays 4pm x 6", MON, NY, "2026-06-01 20:00 | 2026-06-01 16:00 America/New_York | 30 | Sync | Every 2 weeks on weekdays at 4:00 PM (America/New_York), 6 times | 6 | 2026-06-15 16:00 | 2026-06-15 20:00"),
    ("Sync every 2 weeks on tue, thu 4pm x 4", MON, NY, "2026-06-02 20:00 | 2026-06-02 16:00 America/New_York | 30 | Sync | Every 2 weeks on Tuesday and Thursday at 4:00 PM (America/New_York), 4 times | 4 | 2026-06-18 16:00 | 2026-06-18 20:00"),
    ("Sync every weekend 10am x 2", MON, NY, "2026-06-06 14:00 | 2026-06-06 10:00 America/New_York | 30 | Sync | Every Saturday and Sunday at 10:00 AM (America/New_York), 2 times | 2 | 2026-06-07 10:00 | 2026-06-07 14:00"),
    // Weekly without a day: the day of the start.
    ("Sync weekly 3pm x 2", MON, NY, "2026-06-01 19:00 | 2026-06-01 15:00 America/New_York | 30 | Sync | Every Monday at 3:00 PM (America/New_York), 2 times | 2 | 2026-06-08 15:00 | 2026-06-08 19:00"),
    ("Review weekly on fri 4pm x 4", MON, NY, "2026-06-05 20:00 | 2026-06-05 16:00 America/New_York | 30 | Review | Every Friday at 4:00 PM (America/New_York), 4 times | 4 | 2026-06-26 16:00 | 2026-06-26 20:00"),
    ("Review weekly on fri at 4pm x 4", MON, NY, "2026-06-05 20:00 | 2026-06-05 16:00 America/New_York | 30 | Review | Every Friday at 4:00 PM (America/New_York), 4 times | 4 | 2026-06-26 16:00 | 2026-06-26 20:00"),
    // Daily.
    ("Standup daily 9am for 2 weeks", MON, NY, "2026-06-02 13:00 | 2026-06-02 09:00 America/New_York | 30 | Standup | Every day at 9:00 AM (America/New_York), until Jun 15, 2026 | 14 | 2026-06-15 09:00 | 2026-06-15 13:00"),
    ("Standup every day 9am x 3", MON, NY, "2026-06-02 13:00 | 2026-06-02 09:00 America/New_York | 30 | Standup | Every day at 9:00 AM (America/New_York), 3 times | 3 | 2026-06-04 09:00 | 2026-06-04 13:00"),
    ("Standup every day 9am 3 times", MON, NY, "2026-06-02 13:00 | 2026-06-02 09:00 America/New_York | 30 | Standup | Every day at 9:00 AM (America/New_York), 3 times | 3 | 2026-06-04 09:00 | 2026-06-04 13:00"),
    ("Sync every 3 days 10am x 3", MON, NY, "2026-06-02 14:00 | 2026-06-02 10:00 America/New_York | 30 | Sync | Every 3 days at 10:00 AM (America/New_York), 3 times | 3 | 2026-06-08 10:00 | 2026-06-08 14:00"),
    ("Sync every day 10am x 1", MON, NY, "2026-06-02 14:00 | 2026-06-02 10:00 America/New_York | 30 | Sync | Every day at 10:00 AM (America/New_York), once | 1 | 2026-06-02 10:00 | 2026-06-02 14:00"),
    ("Sync every day tomorrow 9am x 2", MON, NY, "2026-06-02 13:00 | 2026-06-02 09:00 America/New_York | 30 | Sync | Every day at 9:00 AM (America/New_York), 2 times | 2 | 2026-06-03 09:00 | 2026-06-03 13:00"),
    // Monthly; the 1st at 10:00 has passed today, and months without a 31st are skipped.
    ("Review every month on the 1st 10:00 x 3", MON, NY, "2026-07-01 14:00 | 2026-07-01 10:00 America/New_York | 30 | Review | Every month on the 1st at 10:00 AM (America/New_York), 3 times | 3 | 2026-09-01 10:00 | 2026-09-01 14:00"),
    ("Review monthly on the 15th 9am x 2", MON, NY, "2026-06-15 13:00 | 2026-06-15 09:00 America/New_York | 30 | Review | Every month on the 15th at 9:00 AM (America/New_York), 2 times | 2 | 2026-07-15 09:00 | 2026-07-15 13:00"),
    ("Review monthly on the 31st 9am x 3", MON, NY, "2026-07-31 13:00 | 2026-07-31 09:00 America/New_York | 30 | Review | Every month on the 31st at 9:00 AM (America/New_York), 3 times | 3 | 2026-10-31 09:00 | 2026-10-31 13:00 | skipped"),
    ("Review monthly 9am x 2", MON, NY, "2026-07-01 13:00 | 2026-07-01 09:00 America/New_York | 30 | Review | Every month on the 1st at 9:00 AM (America/New_York), 2 times | 2 | 2026-08-01 09:00 | 2026-08-01 13:00"),
    ("Review monthly 9am dec 15 x 2", MON, NY, "2026-12-15 14:00 | 2026-12-15 09:00 America/New_York | 30 | Review | Every month on the 15th at 9:00 AM (America/New_York), 2 times | 2 | 2027-01-15 09:00 | 2027-01-15 14:00"),
    ("Review every 3 months on the 15th 9am x 2", MON, NY, "2026-06-15 13:00 | 2026-06-15 09:00 America/New_York | 30 | Review | Every 3 months on the 15th at 9:00 AM (America/New_York), 2 times | 2 | 2026-09-15 09:00 | 2026-09-15 13:00"),
    // Ends and starts.
    ("Sync every monday 10am until jun 22", MON, NY, "2026-06-08 14:00 | 2026-06-08 10:00 America/New_York | 30 | Sync | Every Monday at 10:00 AM (America/New_York), until Jun 22, 2026 | 3 | 2026-06-22 10:00 | 2026-06-22 14:00"),
    ("Sync every monday 10am until 2026-06-22", MON, NY, "2026-06-08 14:00 | 2026-06-08 10:00 America/New_York | 30 | Sync | Every Monday at 10:00 AM (America/New_York), until Jun 22, 2026 | 3 | 2026-06-22 10:00 | 2026-06-22 14:00"),
    // A weekday or day of the month right after the rule picks its day; a date is the start.
    ("Standup weekly on fri 9am tomorrow x 2", MON, NY, "2026-06-05 13:00 | 2026-06-05 09:00 America/New_York | 30 | Standup | Every Friday at 9:00 AM (America/New_York), 2 times | 2 | 2026-06-12 09:00 | 2026-06-12 13:00"),
    ("Standup every 2 weeks on tue 9am next mon x 2", MON, NY, "2026-06-09 13:00 | 2026-06-09 09:00 America/New_York | 30 | Standup | Every 2 weeks on Tuesday at 9:00 AM (America/New_York), 2 times | 2 | 2026-06-23 09:00 | 2026-06-23 13:00"),
    ("Review monthly on the 15th 9am dec 1 x 2", MON, NY, "2026-12-15 14:00 | 2026-12-15 09:00 America/New_York | 30 | Review | Every month on the 15th at 9:00 AM (America/New_York), 2 times | 2 | 2027-01-15 09:00 | 2027-01-15 14:00"),
    ("Sync every monday 10am starting dec 1 x 2", MON, NY, "2026-12-07 15:00 | 2026-12-07 10:00 America/New_York | 30 | Sync | Every Monday at 10:00 AM (America/New_York), 2 times | 2 | 2026-12-14 10:00 | 2026-12-14 15:00"),
    ("Sync every monday 10am Europe/Berlin x 2", MON, NY, "2026-06-08 08:00 | 2026-06-08 10:00 Europe/Berlin | 30 | Sync | Every Monday at 10:00 AM (Europe/Berlin), 2 times | 2 | 2026-06-15 10:00 | 2026-06-15 08:00 | explicit"),
    ("Sync 45m every friday at 4pm x 8 UTC", MON, NY, "2026-06-05 16:00 | 2026-06-05 16:00 UTC | 45 | Sync | Every Friday at 4:00 PM (UTC), 8 times | 8 | 2026-07-24 16:00 | 2026-07-24 16:00 | explicit"),
    ("Sync daily every monday 10am x 2", MON, NY, "2026-06-08 14:00 | 2026-06-08 10:00 America/New_York | 30 | Sync daily | Every Monday at 10:00 AM (America/New_York), 2 times | 2 | 2026-06-15 10:00 | 2026-06-15 14:00"),
    ("\"Every day counts\" 1h every day 10am x 2", MON, NY, "2026-06-02 14:00 | 2026-06-02 10:00 America/New_York | 60 | Every day counts | Every day at 10:00 AM (America/New_York), 2 times | 2 | 2026-06-03 10:00 | 2026-06-03 14:00"),
    // DST: the wall clock is kept, so the UTC instant moves; a repeated hour takes the first.
    ("Sync every day 1:30am x 3", NY_FALL, NY, "2026-11-01 05:30 | 2026-11-01 01:30 America/New_York | 30 | Sync | Every day at 1:30 AM (America/New_York), 3 times | 3 | 2026-11-03 01:30 | 2026-11-03 06:30 | ambiguous"),
    ("Sync every day 9pm x 3", AU_FALL, SYD, "2026-04-04 10:00 | 2026-04-04 21:00 Australia/Sydney | 30 | Sync | Every day at 9:00 PM (Australia/Sydney), 3 times | 3 | 2026-04-06 21:00 | 2026-04-06 11:00"),
    ("Sync every day 2:30am x 2", NY_MARCH, NY, "2026-03-06 07:30 | 2026-03-06 02:30 America/New_York | 30 | Sync | Every day at 2:30 AM (America/New_York), 2 times | 2 | 2026-03-07 02:30 | 2026-03-07 07:30"),
    // Turkish.
    ("Standup her pazartesi 10:00", MON, IST, "2026-06-08 07:00 | 2026-06-08 10:00 Europe/Istanbul | 30 | Standup | Every Monday at 10:00 AM (Europe/Istanbul), 60 times | 60 | 2027-07-26 10:00 | 2027-07-26 07:00 | capped"),
    ("Standup HER PAZARTESİ 10:00 x 2", MON, IST, "2026-06-08 07:00 | 2026-06-08 10:00 Europe/Istanbul | 30 | Standup | Every Monday at 10:00 AM (Europe/Istanbul), 2 times | 2 | 2026-06-15 10:00 | 2026-06-15 07:00"),
    ("Standup her gün 9:30 8 kez", MON, IST, "2026-06-02 06:30 | 2026-06-02 09:30 Europe/Istanbul | 30 | Standup | Every day at 9:30 AM (Europe/Istanbul), 8 times | 8 | 2026-06-09 09:30 | 2026-06-09 06:30"),
    ("Standup her gun 9:30 6 hafta boyunca", MON, IST, "2026-06-02 06:30 | 2026-06-02 09:30 Europe/Istanbul | 30 | Standup | Every day at 9:30 AM (Europe/Istanbul), until Jul 13, 2026 | 42 | 2026-07-13 09:30 | 2026-07-13 06:30"),
    ("Standup 15dk her hafta içi 9:30 19 haziran'a kadar", MON, IST, "2026-06-02 06:30 | 2026-06-02 09:30 Europe/Istanbul | 15 | Standup | Every weekday at 9:30 AM (Europe/Istanbul), until Jun 19, 2026 | 14 | 2026-06-19 09:30 | 2026-06-19 06:30"),
    ("İnceleme her ay ayın 1'inde 10:00 x 3", MON, IST, "2026-07-01 07:00 | 2026-07-01 10:00 Europe/Istanbul | 30 | İnceleme | Every month on the 1st at 10:00 AM (Europe/Istanbul), 3 times | 3 | 2026-09-01 10:00 | 2026-09-01 07:00"),
    ("Sync her pazartesi ve çarşamba 15:00 x 4", MON, IST, "2026-06-03 12:00 | 2026-06-03 15:00 Europe/Istanbul | 30 | Sync | Every Monday and Wednesday at 3:00 PM (Europe/Istanbul), 4 times | 4 | 2026-06-15 15:00 | 2026-06-15 12:00"),
    ("Sync her gün 9:30 1 temmuz'dan itibaren x 2", MON, IST, "2026-07-01 06:30 | 2026-07-01 09:30 Europe/Istanbul | 30 | Sync | Every day at 9:30 AM (Europe/Istanbul), 2 times | 2 | 2026-07-02 09:30 | 2026-07-02 06:30"),
    ("Sync her 2 haftada bir cuma 16:00 x 2", MON, IST, "2026-06-05 13:00 | 2026-06-05 16:00 Europe/Istanbul | 30 | Sync | Every 2 weeks on Friday at 4:00 PM (Europe/Istanbul), 2 times | 2 | 2026-06-19 16:00 | 2026-06-19 13:00"),
];

fn instant(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("bad instant {text:?} in the table: {e}"))
        .with_timezone(&Utc)
}

fn wall_clock(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M")
        .unwrap_or_else(|e| panic!("bad wall clock {text:?} in the table: {e}"))
}

fn context(now: &str, zone: &str) -> Context {
    Context {
        now: instant(now),
        zone: Zone::parse(zone).unwrap_or_else(|e| panic!("bad zone {zone:?} in the table: {e}")),
        default_duration: Minutes::new(30).expect("30 minutes is valid"),
    }
}

/// Compares one row; `Err` describes the mismatch.
fn check(input: &str, ctx: &Context, expected: &str) -> Result<(), String> {
    let got = command::parse(input, ctx);
    if expected == "help" {
        return match got {
            Ok(Parsed::Help) => Ok(()),
            other => Err(format!("expected help, got {other:?}")),
        };
    }
    if let Some(error) = expected.strip_prefix('!') {
        let (variant, must_contain) = error.split_once(' ').unwrap_or((error, ""));
        let err = match got {
            Err(err) => err,
            Ok(ok) => return Err(format!("expected error {variant}, got {ok:?}")),
        };
        let debug = format!("{err:?}");
        let message = err.user_message();
        if !debug.starts_with(variant) {
            return Err(format!("expected error {variant}, got {debug}"));
        }
        if !message.contains(must_contain) {
            return Err(format!("message {message:?} lacks {must_contain:?}"));
        }
        if !message.contains("`/zoom ") {
            return Err(format!("message {message:?} shows no example"));
        }
        return Ok(());
    }
    let fields: Vec<&str> = expected.split(" | ").collect();
    let [utc, local, minutes, topic, flags @ ..] = fields.as_slice() else {
        return Err(format!("malformed expectation {expected:?}"));
    };
    let (local, zone) = local.rsplit_once(' ').ok_or("local start has no zone")?;
    let request = match got {
        Ok(Parsed::Meeting(request)) => request,
        other => return Err(format!("expected a meeting, got {other:?}")),
    };
    if request.recurrence().is_some() && !flags.contains(&"series") {
        return Err(format!(
            "expected a one-off meeting, got {:?}",
            request.recurrence()
        ));
    }
    let mut expected_notes = Vec::new();
    if flags.contains(&"tomorrow") {
        expected_notes.push("MovedToTomorrow");
    }
    if flags.contains(&"ambiguous") {
        expected_notes.push("AmbiguousLocalTime");
    }
    let notes: Vec<String> = request
        .notes()
        .iter()
        .map(|n| match n {
            Note::MovedToTomorrow => "MovedToTomorrow".to_owned(),
            Note::AmbiguousLocalTime { .. } => "AmbiguousLocalTime".to_owned(),
            Note::SeriesCapped { .. } => "SeriesCapped".to_owned(),
            Note::MonthsSkipped { .. } => "MonthsSkipped".to_owned(),
        })
        .collect();
    let checks = [
        (
            "start",
            request.start().format("%Y-%m-%d %H:%M").to_string(),
            utc.to_string(),
        ),
        (
            "local start",
            request.local_start().format("%Y-%m-%d %H:%M").to_string(),
            wall_clock(local).format("%Y-%m-%d %H:%M").to_string(),
        ),
        ("zone", request.zone().name().to_owned(), zone.to_string()),
        (
            "minutes",
            request.duration().get().to_string(),
            minutes.to_string(),
        ),
        (
            "topic",
            request.topic().as_str().to_owned(),
            topic.to_string(),
        ),
        (
            "starts now",
            request.starts_now().to_string(),
            flags.contains(&"now").to_string(),
        ),
        (
            "explicit zone",
            request.explicit_zone().to_string(),
            flags.contains(&"explicit").to_string(),
        ),
        ("notes", notes.join(","), expected_notes.join(",")),
    ];
    for (what, got, want) in checks {
        if got != want {
            return Err(format!("{what}: got {got:?}, want {want:?}"));
        }
    }
    Ok(())
}

#[test]
fn every_row_of_the_language_table_parses_as_expected() {
    assert!(
        CASES.len() >= 150,
        "the table has only {} cases",
        CASES.len()
    );
    let failures: Vec<String> = CASES
        .iter()
        .filter_map(|(input, now, zone, expected)| {
            check(input, &context(now, zone), expected)
                .err()
                .map(|why| format!("{input:?} (now {now}, zone {zone}): {why}"))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}

/// Compares one row of [`SERIES`]; `Err` describes the mismatch.
fn check_series(input: &str, ctx: &Context, expected: &str) -> Result<(), String> {
    let fields: Vec<&str> = expected.split(" | ").collect();
    let [
        first_utc,
        first_local,
        minutes,
        topic,
        description,
        count,
        last_local,
        last_utc,
        flags @ ..,
    ] = fields.as_slice()
    else {
        return Err(format!("malformed expectation {expected:?}"));
    };
    let (first_local, zone) = first_local
        .rsplit_once(' ')
        .ok_or("first local start has no zone")?;
    let request = match command::parse(input, ctx) {
        Ok(Parsed::Meeting(request)) => request,
        other => return Err(format!("expected a series, got {other:?}")),
    };
    let Some(series) = request.recurrence() else {
        return Err(format!("expected a series, got a one-off {request:?}"));
    };
    let occurrences = series.occurrences();
    let (Some(first), Some(last)) = (occurrences.first(), occurrences.last()) else {
        return Err("a series without occurrences".to_owned());
    };
    let minute = |t: DateTime<Utc>| t.format("%Y-%m-%d %H:%M").to_string();
    let local = |t: NaiveDateTime| t.format("%Y-%m-%d %H:%M").to_string();
    let notes: Vec<&str> = request
        .notes()
        .iter()
        .map(|n| match n {
            Note::MovedToTomorrow => "tomorrow",
            Note::AmbiguousLocalTime { .. } => "ambiguous",
            Note::MonthsSkipped { .. } => "skipped",
            Note::SeriesCapped { .. } => "capped",
        })
        .collect();
    let want_notes: Vec<&str> = flags.iter().copied().filter(|f| *f != "explicit").collect();
    let checks = [
        ("start", minute(request.start()), first_utc.to_string()),
        (
            "first occurrence",
            minute(first.start()),
            first_utc.to_string(),
        ),
        (
            "local start",
            local(request.local_start()),
            first_local.to_string(),
        ),
        ("first local", local(first.local()), first_local.to_string()),
        ("zone", request.zone().name().to_owned(), zone.to_string()),
        (
            "series zone",
            series.zone().name().to_owned(),
            zone.to_string(),
        ),
        (
            "minutes",
            request.duration().get().to_string(),
            minutes.to_string(),
        ),
        (
            "topic",
            request.topic().as_str().to_owned(),
            topic.to_string(),
        ),
        ("description", series.describe(), description.to_string()),
        (
            "occurrences",
            occurrences.len().to_string(),
            count.to_string(),
        ),
        ("last local", local(last.local()), last_local.to_string()),
        ("last start", minute(last.start()), last_utc.to_string()),
        (
            "starts now",
            request.starts_now().to_string(),
            "false".to_owned(),
        ),
        (
            "explicit zone",
            request.explicit_zone().to_string(),
            flags.contains(&"explicit").to_string(),
        ),
        ("notes", notes.join(","), want_notes.join(",")),
    ];
    for (what, got, want) in checks {
        if got != want {
            return Err(format!("{what}: got {got:?}, want {want:?}"));
        }
    }
    // Every occurrence keeps the wall-clock time and is in order.
    let time = first.local().time();
    if let Some(odd) = occurrences.iter().find(|o| o.local().time() != time) {
        return Err(format!("occurrence {odd:?} is not at {time}"));
    }
    if occurrences.windows(2).any(|w| match w {
        [a, b] => a.start() >= b.start(),
        _ => false,
    }) {
        return Err("occurrences are not in order".to_owned());
    }
    Ok(())
}

#[test]
fn every_row_of_the_series_table_parses_as_expected() {
    let failures: Vec<String> = SERIES
        .iter()
        .filter_map(|(input, now, zone, expected)| {
            check_series(input, &context(now, zone), expected)
                .err()
                .map(|why| format!("{input:?} (now {now}, zone {zone}): {why}"))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        SERIES.len(),
        failures.join("\n")
    );
}

#[test]
fn every_accepted_row_round_trips_through_its_canonical_form() {
    for (input, now, zone, _) in CASES.iter().chain(SERIES) {
        let ctx = context(now, zone);
        let Ok(Parsed::Meeting(request)) = command::parse(input, &ctx) else {
            continue;
        };
        let canonical = request.to_canonical();
        match command::parse(&canonical, &ctx) {
            Ok(Parsed::Meeting(again)) => {
                assert_eq!(
                    again.topic(),
                    request.topic(),
                    "input {input:?} → {canonical:?}"
                );
                assert_eq!(
                    again.duration(),
                    request.duration(),
                    "input {input:?} → {canonical:?}"
                );
                assert_eq!(
                    again.start(),
                    request.start(),
                    "input {input:?} → {canonical:?}"
                );
                assert_eq!(
                    again.zone(),
                    request.zone(),
                    "input {input:?} → {canonical:?}"
                );
                assert_eq!(
                    again.local_start(),
                    request.local_start(),
                    "input {input:?} → {canonical:?}"
                );
                assert_eq!(
                    again.recurrence(),
                    request.recurrence(),
                    "input {input:?} → {canonical:?}"
                );
                // A one-off's "moved to tomorrow" note cannot survive: the canonical form
                // names the date. A series' notes (cap, skipped months) must.
                if request.recurrence().is_some() {
                    assert_eq!(
                        again.notes(),
                        request.notes(),
                        "input {input:?} → {canonical:?}"
                    );
                }
            }
            other => panic!("input {input:?} → {canonical:?} → {other:?}"),
        }
    }
}

#[test]
fn a_topic_of_exactly_200_characters_is_accepted() {
    let topic = "\u{e9}".repeat(200);
    let got = command::parse(&format!("{topic} 30m"), &context(MON, NY));
    assert!(
        matches!(&got, Ok(Parsed::Meeting(r)) if r.topic().as_str() == topic),
        "got {got:?}"
    );
}

#[test]
fn a_topic_over_200_characters_is_refused_naming_the_limit() {
    let err = command::parse(&format!("{} 30m", "a".repeat(201)), &context(MON, NY))
        .expect_err("201 characters is over the limit");
    assert!(
        err.user_message().contains("200"),
        "message {:?}",
        err.user_message()
    );
}

#[test]
fn overlong_input_is_refused_up_front() {
    let err = command::parse(&"x".repeat(4000), &context(MON, NY)).expect_err("too long");
    assert!(
        matches!(err, command::CommandError::TooLong { chars: 4000, .. }),
        "got {err:?}"
    );
}

#[test]
fn ambiguous_time_notes_say_which_occurrence_was_used() {
    let ctx = context(NY_FALL, NY);
    let Ok(Parsed::Meeting(request)) = command::parse("Sync tomorrow 1:30am", &ctx) else {
        panic!("fall-back time should parse");
    };
    let notes: Vec<String> = request.notes().iter().map(ToString::to_string).collect();
    assert_eq!(
        notes,
        [
            "01:30 on Sun Nov 1 happens twice in America/New_York because the clocks go back; I used the first one (UTC-04:00)."
        ]
    );
}

#[test]
fn moved_to_tomorrow_notes_explain_themselves() {
    assert_eq!(
        Note::MovedToTomorrow.to_string(),
        "That time has already passed today, so I scheduled it for tomorrow."
    );
}

#[test]
fn the_canonical_form_quotes_the_topic_and_names_the_zone() {
    let Ok(Parsed::Meeting(request)) =
        command::parse("Q&amp;A <@U1> 45m tomorrow 3pm", &context(MON, NY))
    else {
        panic!("should parse");
    };
    assert_eq!(
        request.to_canonical(),
        "\"Q&amp;A <@U1>\" 45m 2026-06-02 15:00 America/New_York"
    );
}

#[test]
fn usage_lists_the_examples_it_promises() {
    let help = command::usage(Minutes::new(30).expect("30 minutes is valid"));
    assert!(!help.contains("usual length"), "usage still vague: {help}");
    for example in [
        "Default: 30 minutes.",
        "/zoom Standup 15m every weekday 9:30 until dec 20",
        "/zoom Toplantı 45dk yarın 15:00",
        "`every 2 weeks on tue`",
        "`monthly on the 15th`",
        "`her hafta içi`",
        "`tmrw`",
        "/zoom Design review 45m tomorrow 3pm",
        "next fri",
        "`09h`",
        "`1.5h`",
        "`03/04`",
        "`America/New_York`",
    ] {
        assert!(help.contains(example), "usage lacks {example:?}");
    }
}
