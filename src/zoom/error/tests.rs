use super::*;
use chrono::TimeZone;

fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

const OPERATIONS: [Operation; 5] = [
    Operation::Create,
    Operation::Update,
    Operation::Cancel,
    Operation::LookUp,
    Operation::List,
];

/// One of each variant.
fn every_error() -> Vec<ZoomError> {
    vec![
        ZoomError::Config("api_url is not an http(s) URL".into()),
        ZoomError::BadCredentials,
        ZoomError::BadAccountId,
        ZoomError::WrongAppType,
        ZoomError::TokenRefused {
            status: 400,
            error: "invalid_grant".into(),
        },
        ZoomError::TokenUnavailable { status: 500 },
        ZoomError::TokenUnreadable { status: 200 },
        ZoomError::TokenRejected,
        ZoomError::Unreachable,
        ZoomError::Unavailable { status: 502 },
        ZoomError::Timeout,
        ZoomError::ConnectionLost,
        ZoomError::RateLimited,
        ZoomError::DailyLimit { limit: Some(100) },
        ZoomError::MissingScope {
            message: "Invalid access token, does not contain scopes".into(),
        },
        ZoomError::HostNotAllowed {
            message: "no".into(),
        },
        ZoomError::HostNotFound {
            message: "User does not exist".into(),
        },
        ZoomError::MeetingNotFound,
        ZoomError::Validation {
            messages: vec!["duration: Invalid field.".into()],
        },
        ZoomError::Refused {
            status: 400,
            code: Some(3000),
            message: "Cannot schedule".into(),
        },
        ZoomError::MalformedResponse { status: 201 },
        ZoomError::TooManyMeetings { max: 6000 },
        ZoomError::Series(SeriesProblem::NoOccurrences),
        ZoomError::Stopped,
    ]
}

fn text(error: &ZoomError, operation: Operation) -> String {
    error.user_message(
        operation,
        chrono_tz::America::Los_Angeles,
        at(2026, 12, 1, 18, 0),
    )
}

#[test]
fn only_a_change_that_got_no_answer_may_say_it_happened() {
    for error in every_error() {
        for operation in OPERATIONS {
            let text = text(&error, operation);
            let says_maybe = ["created", "saved", "cancelled"]
                .iter()
                .any(|done| text.contains(&format!("may have been {done}")));
            // A create answered 2xx exists: said so, never "may".
            let created = operation == Operation::Create
                && matches!(error, ZoomError::MalformedResponse { .. });
            let may_exist = error.outcome_unknown()
                && !created
                && matches!(
                    operation,
                    Operation::Create | Operation::Update | Operation::Cancel
                );
            assert_eq!(says_maybe, may_exist, "{error:?} for {operation:?}: {text}");
        }
    }
}

#[test]
fn the_wording_fits_the_operation() {
    let cases = [
        (
            ZoomError::Unreachable,
            Operation::Cancel,
            "the meeting was not cancelled",
        ),
        (
            ZoomError::Unreachable,
            Operation::Create,
            "no meeting was created",
        ),
        (
            ZoomError::RateLimited,
            Operation::Update,
            "the meeting was not changed",
        ),
        (
            ZoomError::Timeout,
            Operation::LookUp,
            "the meeting could not be looked up",
        ),
        (
            ZoomError::Timeout,
            Operation::List,
            "the meetings could not be listed",
        ),
        (
            ZoomError::Timeout,
            Operation::Cancel,
            "may have been cancelled",
        ),
        (ZoomError::Timeout, Operation::Update, "may have been saved"),
        (
            ZoomError::Timeout,
            Operation::Create,
            "may have been created",
        ),
        (
            ZoomError::TokenUnavailable { status: 500 },
            Operation::Create,
            "no meeting was created",
        ),
        (
            ZoomError::TokenUnavailable { status: 500 },
            Operation::Cancel,
            "the meeting was not cancelled",
        ),
        (
            ZoomError::MeetingNotFound,
            Operation::Cancel,
            "nothing left to cancel",
        ),
        (
            ZoomError::MeetingNotFound,
            Operation::Update,
            "no longer exists in Zoom (it may have been deleted there), so the meeting was not changed",
        ),
        (
            ZoomError::MissingScope {
                message: String::new(),
            },
            Operation::Cancel,
            "may not cancel meetings, so the meeting was not cancelled: add the scope \
             meeting:delete:meeting:admin (or meeting:write:admin",
        ),
        (
            ZoomError::MissingScope {
                message: String::new(),
            },
            Operation::List,
            "meeting:read:list_meetings:admin (or meeting:read:admin",
        ),
        (
            ZoomError::Refused {
                status: 400,
                code: Some(3000),
                message: "Users in 'acme' have been blocked from joining meetings.".into(),
            },
            Operation::Create,
            "Zoom refused, so no meeting was created. Zoom said: Users in 'acme' have been \
             blocked from joining meetings. (HTTP 400, code 3000)",
        ),
        (
            ZoomError::Refused {
                status: 418,
                code: Some(9999),
                message: String::new(),
            },
            Operation::LookUp,
            "unexpected answer (HTTP 418, code 9999), so the meeting could not be looked up",
        ),
        (
            ZoomError::DailyLimit { limit: Some(100) },
            Operation::Update,
            "daily limit of meeting creations and changes (100 a day), so the meeting was not changed",
        ),
        (
            ZoomError::Series(SeriesProblem::NoZoomZone {
                zone: "Australia/Lord_Howe".into(),
            }),
            Operation::Create,
            "same local time in Australia/Lord_Howe",
        ),
    ];
    for (error, operation, expected) in cases {
        let text = text(&error, operation);
        assert!(
            text.contains(expected),
            "{error:?} for {operation:?}: {text}"
        );
    }
}

#[test]
fn zoom_text_is_capped_on_a_char_boundary_and_has_no_control_characters() {
    let cases = [
        (
            "  Meeting\ndoes not exist.\t",
            "Meeting does not exist.".to_owned(),
        ),
        ("", String::new()),
        (&"é".repeat(1000), "é".repeat(1000)),
        (&"🙂".repeat(1001), format!("{}…", "🙂".repeat(1000))),
    ];
    for (raw, expected) in cases {
        assert_eq!(zoom_text(raw), expected, "{raw:?}");
    }
}

#[test]
fn the_daily_limit_reset_is_given_in_utc_and_the_users_zone() {
    let cases = [
        // (zone, now UTC, expected suffix)
        (
            chrono_tz::America::Los_Angeles,
            at(2026, 12, 1, 18, 0),
            "00:00 UTC (4:00 PM in America/Los_Angeles).",
        ),
        (
            chrono_tz::America::Los_Angeles,
            at(2026, 12, 2, 1, 0),
            "00:00 UTC (4:00 PM tomorrow in America/Los_Angeles).",
        ),
        (
            chrono_tz::Asia::Kolkata,
            at(2026, 12, 1, 12, 0),
            "00:00 UTC (5:30 AM tomorrow in Asia/Kolkata).",
        ),
        (chrono_tz::UTC, at(2026, 12, 1, 12, 0), "00:00 UTC."),
    ];
    for (zone, now, expected) in cases {
        let text =
            ZoomError::DailyLimit { limit: Some(100) }.user_message(Operation::Create, zone, now);
        assert!(text.ends_with(expected), "{zone}: {text}");
        assert!(text.contains("daily limit of meeting creations"), "{text}");
    }
}

#[test]
fn only_host_not_found_allows_falling_back_to_another_host() {
    for error in every_error() {
        assert_eq!(
            error.host_not_found(),
            matches!(error, ZoomError::HostNotFound { .. }),
            "{error:?}"
        );
        assert_eq!(
            error.meeting_not_found(),
            error == ZoomError::MeetingNotFound,
            "{error:?}"
        );
    }
}

#[test]
fn every_error_reads_in_turkish_with_what_was_not_done() {
    let zone = chrono_tz::Europe::Istanbul;
    let now = at(2026, 12, 1, 12, 0);
    for operation in OPERATIONS {
        for error in every_error() {
            let text = error.user_message_in(Lang::Tr, operation, zone, now);
            let english = error.user_message(operation, zone, now);
            assert_ne!(text, english, "{operation:?} {error:?}");
            for word in [" so ", "Please", "meeting was"] {
                assert!(!text.contains(word), "{operation:?} {error:?}: {text}");
            }
        }
    }
    let text = ZoomError::DailyLimit { limit: Some(100) }.user_message_in(
        Lang::Tr,
        Operation::Create,
        chrono_tz::America::Los_Angeles,
        at(2026, 12, 2, 1, 0),
    );
    assert_eq!(
        text,
        "Toplantı sahibi, Zoom'un günlük toplantı oluşturma ve değiştirme sınırına ulaştı (günde 100), bu yüzden toplantı oluşturulmadı. Sınır 00:00 UTC'de sıfırlanır (America/Los_Angeles saatiyle yarın 16:00)."
    );
    let text = ZoomError::Timeout.user_message_in(Lang::Tr, Operation::Cancel, zone, now);
    assert_eq!(
        text,
        "Zoom zamanında yanıt vermedi. Toplantı yine de iptal edilmiş olabilir: yeniden denemeden önce Zoom toplantılarınıza bakın."
    );
}
