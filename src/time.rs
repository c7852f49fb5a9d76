//! Time: IANA zone names and local wall-clock → UTC resolution with the tz database.
