use super::*;
use chrono::NaiveDate;

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(y, m, d)
        .and_then(|date| date.and_hms_opt(h, min, 0))
        .expect("valid test date")
        .and_utc()
}

fn wall(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
    utc(y, m, d, h, min).naive_utc()
}

fn tz(name: &str) -> Tz {
    name.parse().expect("a tz database name")
}

#[test]
fn zoom_lists_about_140_zones_and_the_tz_database_knows_all_but_sst() {
    let raw: Vec<&str> = ZOOM_TIMEZONES
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .collect();
    assert_eq!(raw.len(), 136);
    let unknown: Vec<&&str> = raw.iter().filter(|n| n.parse::<Tz>().is_err()).collect();
    assert_eq!(unknown, [&"SST"]);
    assert_eq!(listed().len(), 135);
}

#[test]
fn zones_slack_profiles_carry_map_to_zooms_own_ids() {
    let july = utc(2026, 7, 15, 14, 0);
    let january = utc(2026, 1, 15, 14, 0);
    let cases = [
        ("America/Toronto", july, "America/Montreal"),
        ("America/Toronto", january, "America/Montreal"),
        ("Europe/Kyiv", july, "Europe/Kiev"),
        ("Asia/Ho_Chi_Minh", july, "Asia/Saigon"),
        ("America/Indiana/Indianapolis", july, "America/Indianapolis"),
        (
            "America/Indiana/Indianapolis",
            january,
            "America/Indianapolis",
        ),
        ("Australia/Melbourne", july, "Australia/Sydney"),
        ("Australia/Melbourne", january, "Australia/Sydney"),
        // Listed zones are sent as themselves (Zoom lists both Kolkata and Calcutta).
        ("Asia/Kolkata", july, "Asia/Kolkata"),
        ("Asia/Calcutta", july, "Asia/Calcutta"),
        ("America/Los_Angeles", july, "America/Los_Angeles"),
        ("Europe/Istanbul", january, "Europe/Istanbul"),
        ("UTC", july, "UTC"),
        ("Etc/UTC", july, "UTC"),
        ("Asia/Manila", july, "Asia/Hong_Kong"),
        ("Europe/Monaco", july, "Europe/Paris"),
        (
            "America/Argentina/Cordoba",
            july,
            "America/Argentina/Buenos_Aires",
        ),
        // No listed zone has +10:30 in July. In January Lord Howe is on +11 like Sydney and
        // Magadan; Magadan agrees half an hour longer (Lord Howe and Sydney change at
        // different instants), so the rule picks it.
        ("Australia/Lord_Howe", july, "UTC"),
        ("Australia/Lord_Howe", january, "Asia/Magadan"),
        ("Pacific/Chatham", july, "UTC"),
    ];
    for (zone, start, expected) in cases {
        let chosen = start_for(tz(zone), start);
        assert_eq!(chosen.zone_name(), expected, "{zone} at {start}");
        let utc_expected = expected == "UTC" && zone != "UTC" && zone != "Etc/UTC";
        assert_eq!(
            matches!(chosen, ZoomStart::Utc(_)),
            utc_expected,
            "{zone} at {start}: {chosen:?}"
        );
    }
}

#[test]
fn the_wire_forms_are_wall_clock_without_z_or_utc_with_z() {
    let start = utc(2026, 7, 15, 13, 30);
    let toronto = start_for(tz("America/Toronto"), start);
    assert_eq!(toronto.start_time(), "2026-07-15T09:30:00");
    let chatham = start_for(tz("Pacific/Chatham"), start);
    assert_eq!(chatham.start_time(), "2026-07-15T13:30:00Z");
    assert_eq!(chatham.zone_name(), "UTC");
}

#[test]
fn an_hour_that_happens_twice_is_not_sent_as_a_wall_clock_in_a_zone_that_repeats_it() {
    // London falls back at 01:00 UTC on 2026-10-25: 01:30 local happens at 00:30Z and 01:30Z.
    for start in [utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 30)] {
        let chosen = start_for(tz("Europe/London"), start);
        assert_ne!(chosen.zone_name(), "Europe/London", "{start}: {chosen:?}");
        let ZoomStart::Local { zone, wall } = chosen else {
            continue;
        };
        assert_eq!(
            zone.from_local_datetime(&wall).single().map(|t| t.to_utc()),
            Some(start),
            "{start}: {chosen:?}"
        );
    }
}

#[test]
fn the_choice_is_deterministic() {
    let start = utc(2026, 3, 3, 9, 0);
    for zone in chrono_tz::TZ_VARIANTS.iter().take(80) {
        assert_eq!(start_for(*zone, start), start_for(*zone, start), "{zone}");
    }
}

#[test]
fn sub_seconds_are_dropped() {
    let start = utc(2026, 7, 15, 13, 30) + chrono::Duration::milliseconds(999);
    assert_eq!(
        start_for(tz("Europe/Berlin"), start).start_time(),
        "2026-07-15T15:30:00"
    );
}

/// Weekly walls at `hh:mm` from `first`, `count` of them.
fn weekly(first: NaiveDateTime, count: i64) -> Vec<NaiveDateTime> {
    (0..count)
        .map(|week| first + chrono::Duration::weeks(week))
        .collect()
}

#[test]
fn a_series_gets_a_listed_zone_that_follows_the_same_clock_changes() {
    let across_dst = weekly(wall(2026, 2, 2, 9, 0), 20);
    let cases = [
        ("America/Toronto", Some("America/Montreal")),
        ("Europe/Kyiv", Some("Europe/Kiev")),
        ("America/Los_Angeles", Some("America/Los_Angeles")),
        ("Asia/Manila", Some("Asia/Hong_Kong")),
        ("Australia/Melbourne", Some("Australia/Sydney")),
        // No listed zone has Lord Howe's half-hour daylight saving.
        ("Australia/Lord_Howe", None),
        // Nor Chatham's +12:45/+13:45.
        ("Pacific/Chatham", None),
        // Casablanca is listed; El Aaiun follows the same Ramadan changes.
        ("Africa/El_Aaiun", Some("Africa/Casablanca")),
    ];
    for (zone, expected) in cases {
        assert_eq!(
            series_zone(tz(zone), &across_dst).map(|z| z.name()),
            expected,
            "{zone}"
        );
    }
}

#[test]
fn a_series_whose_zone_is_matched_only_part_of_the_year_gets_none() {
    // Norfolk Island goes from +12 to +11 in April; listed zones with +12 (Fiji, Kamchatka)
    // stay there, and those with +11 (Magadan, Noumea) were there all along.
    let series = weekly(wall(2026, 3, 2, 10, 0), 10);
    assert_eq!(series_zone(tz("Pacific/Norfolk"), &series), None);
    // One occurrence only needs the offset that day.
    assert!(series_zone(tz("Pacific/Norfolk"), &series[..1]).is_some());
    assert!(series_zone(tz("Pacific/Norfolk"), &series[9..]).is_some());
    assert_eq!(series_zone(tz("Europe/Berlin"), &[]), None);
}

#[test]
fn every_series_zone_reads_every_occurrence_as_the_users_zone_does() {
    let series = weekly(wall(2026, 1, 4, 1, 30), 60);
    for zone in chrono_tz::TZ_VARIANTS {
        let Some(chosen) = series_zone(zone, &series) else {
            continue;
        };
        assert!(is_listed(chosen), "{zone} → {chosen}");
        for occurrence in &series {
            assert_eq!(
                Reading::of(chosen, occurrence),
                Reading::of(zone, occurrence),
                "{zone} → {chosen} at {occurrence}"
            );
        }
    }
}

/// The instant a Zoom that knows only its own list stores for `start_time` + `timezone`: a `Z`
/// time as is; a wall-clock time in a listed zone read there (it must be unambiguous); in any
/// other zone read in UTC.
fn instant_zoom_stores(start_time: &str, timezone: &str) -> Result<DateTime<Utc>, String> {
    if let Some(utc) = start_time.strip_suffix('Z') {
        return NaiveDateTime::parse_from_str(utc, WALL_CLOCK)
            .map(|t| t.and_utc())
            .map_err(|e| format!("bad Z time {start_time}: {e}"));
    }
    let local = NaiveDateTime::parse_from_str(start_time, WALL_CLOCK)
        .map_err(|e| format!("bad wall-clock time {start_time}: {e}"))?;
    let on_list = ZOOM_TIMEZONES.lines().any(|line| line.trim() == timezone);
    match timezone.parse::<Tz>() {
        Ok(zone) if on_list => match zone.from_local_datetime(&local) {
            LocalResult::Single(at) => Ok(at.to_utc()),
            other => Err(format!("{start_time} in {timezone} is {other:?}")),
        },
        _ => Ok(local.and_utc()),
    }
}

/// The first offset change of `zone` in 2026, to the second.
fn first_change_in_2026(zone: Tz) -> Option<i64> {
    let from = utc(2026, 1, 1, 0, 0).timestamp();
    let to = utc(2027, 1, 1, 0, 0).timestamp();
    let start_offset = offset_at(zone, from);
    let mut at = from;
    while at < to {
        let next = at + 3600;
        if offset_at(zone, next) != start_offset {
            let (mut low, mut high) = (at, next);
            while high - low > 1 {
                let middle = low + (high - low) / 2;
                if offset_at(zone, middle) == start_offset {
                    low = middle;
                } else {
                    high = middle;
                }
            }
            return Some(high);
        }
        at = next;
    }
    None
}

#[test]
fn every_tz_database_zone_lands_at_the_instant_asked_for() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for zone in chrono_tz::TZ_VARIANTS {
        let mut starts = vec![utc(2026, 1, 15, 14, 0), utc(2026, 7, 15, 14, 0)];
        if let Some(change) = first_change_in_2026(zone) {
            for delta in [-1800, -1, 0, 1800, 3599] {
                if let Some(at) = DateTime::from_timestamp(change + delta, 0) {
                    starts.push(at);
                }
            }
        }
        for start in starts {
            let meeting = crate::zoom::NewMeeting {
                topic: "Table".into(),
                start,
                zone,
                duration_minutes: 30,
                agenda: String::new(),
                recurrence: None,
            };
            let body = match crate::zoom::body::CreateMeetingBody::new(&meeting) {
                Ok(body) => serde_json::to_value(&body).expect("serializable"),
                Err(error) => {
                    failures.push(format!("{zone} at {start}: {error}"));
                    continue;
                }
            };
            let start_time = body["start_time"].as_str().unwrap_or_default();
            let timezone = body["timezone"].as_str().unwrap_or_default();
            checked += 1;
            match instant_zoom_stores(start_time, timezone) {
                Ok(stored) if stored == start => {}
                Ok(stored) => failures.push(format!(
                    "{zone} at {start}: sent {start_time} {timezone}, Zoom stores {stored}"
                )),
                Err(why) => failures.push(format!("{zone} at {start}: {why}")),
            }
        }
    }
    assert!(checked > 2 * chrono_tz::TZ_VARIANTS.len(), "{checked}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
