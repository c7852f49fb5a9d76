//! Time: IANA zone names and local wall-clock → UTC resolution with the tz database.
// Placeholder until the command-language branch lands; the real module replaces this file.

/// An IANA timezone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zone(chrono_tz::Tz);

impl Zone {
    pub fn parse(name: &str) -> Result<Zone, String> {
        chrono_tz::Tz::from_str_insensitive(name)
            .map(Zone)
            .map_err(|e| e.to_string())
    }
    pub fn utc() -> Zone {
        Zone(chrono_tz::UTC)
    }
    pub fn tz(&self) -> chrono_tz::Tz {
        self.0
    }
    pub fn name(&self) -> &'static str {
        self.0.name()
    }
}
