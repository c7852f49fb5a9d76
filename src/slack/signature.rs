//! Slack request signatures: `v0=` HMAC-SHA256 over `v0:{timestamp}:{raw body}`, checked in constant time.

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

/// How far a request's timestamp may be from our clock, in either direction (Slack's advice).
pub const MAX_SKEW_SECONDS: i64 = 300;

/// Why a request was not accepted as coming from Slack. The variant names which check failed
/// (for the log); none of them carries secret material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("missing X-Slack-Request-Timestamp header")]
    MissingTimestamp,
    #[error("missing X-Slack-Signature header")]
    MissingSignature,
    #[error("X-Slack-Request-Timestamp is not a whole number of seconds")]
    MalformedTimestamp,
    #[error("X-Slack-Signature is not `v0=` followed by 64 hex digits")]
    MalformedSignature,
    #[error("timestamp is {0} s old (limit {MAX_SKEW_SECONDS} s)")]
    Stale(i64),
    #[error("timestamp is {0} s in the future (limit {MAX_SKEW_SECONDS} s)")]
    Future(i64),
    #[error("signature does not match the body")]
    Mismatch,
}

/// A request that passed every check; its signature identifies it for replay protection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VerifiedSignature([u8; 32]);

impl VerifiedSignature {
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

/// Verifies requests with the app's signing secret.
#[derive(Clone)]
pub struct SignatureVerifier {
    secret: SecretString,
}

impl std::fmt::Debug for SignatureVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SignatureVerifier { secret: [REDACTED] }")
    }
}

impl SignatureVerifier {
    pub fn new(secret: SecretString) -> Self {
        Self { secret }
    }

    /// Checks the two header values against `body` at Unix time `now`.
    ///
    /// The timestamp is checked before the HMAC so that a stale request costs no hashing.
    pub fn verify(
        &self,
        timestamp: Option<&str>,
        signature: Option<&str>,
        body: &[u8],
        now: i64,
    ) -> Result<VerifiedSignature, SignatureError> {
        let timestamp = timestamp.ok_or(SignatureError::MissingTimestamp)?;
        let signature = signature.ok_or(SignatureError::MissingSignature)?;
        let seconds = parse_timestamp(timestamp)?;
        let expected = parse_signature(signature)?;
        let age = now.saturating_sub(seconds);
        if age > MAX_SKEW_SECONDS {
            return Err(SignatureError::Stale(age));
        }
        if age < -MAX_SKEW_SECONDS {
            return Err(SignatureError::Future(-age));
        }
        let mut mac = self.mac();
        mac.update(b"v0:");
        mac.update(timestamp.as_bytes());
        mac.update(b":");
        mac.update(body);
        // `verify_slice` compares in constant time.
        mac.verify_slice(&expected)
            .map_err(|_| SignatureError::Mismatch)?;
        Ok(VerifiedSignature(expected))
    }

    /// Signs a body the way Slack does (`v0=` + hex); used by tests, benchmarks and the load harness.
    pub fn sign(&self, timestamp: i64, body: &[u8]) -> String {
        let mut mac = self.mac();
        mac.update(format!("v0:{timestamp}:").as_bytes());
        mac.update(body);
        format!("v0={}", hex::encode(mac.finalize().into_bytes()))
    }

    fn mac(&self) -> Hmac<Sha256> {
        // HMAC accepts keys of any length, so this cannot fail.
        Hmac::<Sha256>::new_from_slice(self.secret.expose_secret().as_bytes())
            .expect("HMAC takes keys of any length")
    }
}

/// Digits only: `i64::from_str` would also accept a leading `+` or `-`.
fn parse_timestamp(raw: &str) -> Result<i64, SignatureError> {
    if raw.is_empty() || raw.len() > 12 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SignatureError::MalformedTimestamp);
    }
    raw.parse().map_err(|_| SignatureError::MalformedTimestamp)
}

fn parse_signature(raw: &str) -> Result<[u8; 32], SignatureError> {
    let hex_digits = raw
        .strip_prefix("v0=")
        .ok_or(SignatureError::MalformedSignature)?;
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(hex_digits, &mut bytes).map_err(|_| SignatureError::MalformedSignature)?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Slack's documented test vector (../shared/reference/slack.md), verbatim.
    const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
    const TIMESTAMP: &str = "1531420618";
    const BODY: &str = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    const SIGNATURE: &str = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
    const NOW: i64 = 1531420618;

    fn verifier() -> SignatureVerifier {
        SignatureVerifier::new(SecretString::from(SECRET))
    }

    fn verify(
        ts: &str,
        sig: &str,
        body: &[u8],
        now: i64,
    ) -> Result<VerifiedSignature, SignatureError> {
        verifier().verify(Some(ts), Some(sig), body, now)
    }

    /// Flips one bit of the byte at `index`, keeping it a printable/hex character where it was one.
    fn flip(s: &str, index: usize) -> String {
        let mut bytes = s.as_bytes().to_vec();
        bytes[index] = match bytes[index] {
            b'0' => b'1',
            b'9' => b'8',
            b'a' => b'b',
            other => other ^ 0x01,
        };
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn slacks_documented_test_vector_verifies() {
        assert!(verify(TIMESTAMP, SIGNATURE, BODY.as_bytes(), NOW).is_ok());
        assert_eq!(verifier().sign(NOW, BODY.as_bytes()), SIGNATURE);
    }

    #[test]
    fn one_flipped_byte_anywhere_fails() {
        for i in [0, 1, BODY.len() / 2, BODY.len() - 1] {
            let body = flip(BODY, i);
            assert_eq!(
                verify(TIMESTAMP, SIGNATURE, body.as_bytes(), NOW),
                Err(SignatureError::Mismatch),
                "body byte {i}"
            );
        }
        for i in 0..TIMESTAMP.len() {
            let ts = flip(TIMESTAMP, i);
            let now = ts.parse().unwrap();
            assert_eq!(
                verify(&ts, SIGNATURE, BODY.as_bytes(), now),
                Err(SignatureError::Mismatch),
                "timestamp byte {i}"
            );
        }
        for i in 3..SIGNATURE.len() {
            let sig = flip(SIGNATURE, i);
            assert_eq!(
                verify(TIMESTAMP, &sig, BODY.as_bytes(), NOW),
                Err(SignatureError::Mismatch),
                "signature byte {i}"
            );
        }
    }

    #[test]
    fn the_timestamp_window_is_300_seconds_in_both_directions() {
        let cases = [
            (NOW + 300, Ok(())),
            (NOW - 300, Ok(())),
            (NOW + 301, Err(SignatureError::Stale(301))),
            (NOW - 301, Err(SignatureError::Future(301))),
            (NOW + 100_000, Err(SignatureError::Stale(100_000))),
        ];
        for (now, expected) in cases {
            let got = verify(TIMESTAMP, SIGNATURE, BODY.as_bytes(), now).map(|_| ());
            assert_eq!(got, expected, "clock at timestamp{:+}", now - NOW);
        }
    }

    #[test]
    fn garbled_headers_are_rejected_without_panicking() {
        let long_hex = format!("v0={}", "a".repeat(66));
        let short_hex = format!("v0={}", "a".repeat(62));
        let cases: &[(&str, Option<&str>, Option<&str>, SignatureError)] = &[
            (
                "no timestamp",
                None,
                Some(SIGNATURE),
                SignatureError::MissingTimestamp,
            ),
            (
                "no signature",
                Some(TIMESTAMP),
                None,
                SignatureError::MissingSignature,
            ),
            (
                "empty timestamp",
                Some(""),
                Some(SIGNATURE),
                SignatureError::MalformedTimestamp,
            ),
            (
                "words",
                Some("yesterday"),
                Some(SIGNATURE),
                SignatureError::MalformedTimestamp,
            ),
            (
                "negative",
                Some("-1531420618"),
                Some(SIGNATURE),
                SignatureError::MalformedTimestamp,
            ),
            (
                "plus sign",
                Some("+1531420618"),
                Some(SIGNATURE),
                SignatureError::MalformedTimestamp,
            ),
            (
                "float",
                Some("1531420618.5"),
                Some(SIGNATURE),
                SignatureError::MalformedTimestamp,
            ),
            (
                "overflow",
                Some("99999999999999999999999"),
                Some(SIGNATURE),
                SignatureError::MalformedTimestamp,
            ),
            (
                "v1 scheme",
                Some(TIMESTAMP),
                Some("v1=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"),
                SignatureError::MalformedSignature,
            ),
            (
                "no scheme",
                Some(TIMESTAMP),
                Some("a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"),
                SignatureError::MalformedSignature,
            ),
            (
                "non-hex",
                Some(TIMESTAMP),
                Some("v0=z2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"),
                SignatureError::MalformedSignature,
            ),
            (
                "too long",
                Some(TIMESTAMP),
                Some(&long_hex),
                SignatureError::MalformedSignature,
            ),
            (
                "too short",
                Some(TIMESTAMP),
                Some(&short_hex),
                SignatureError::MalformedSignature,
            ),
            (
                "empty",
                Some(TIMESTAMP),
                Some(""),
                SignatureError::MalformedSignature,
            ),
            (
                "multibyte",
                Some(TIMESTAMP),
                Some("v0=ééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééé"),
                SignatureError::MalformedSignature,
            ),
        ];
        for (name, ts, sig, expected) in cases {
            let got = verifier().verify(*ts, *sig, BODY.as_bytes(), NOW);
            assert_eq!(got.as_ref(), Err(expected), "case `{name}`");
        }
    }

    #[test]
    fn debug_output_hides_the_secret() {
        assert!(!format!("{:?}", verifier()).contains(SECRET));
    }
}
