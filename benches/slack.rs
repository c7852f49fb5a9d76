//! Micro-benchmarks of the inbound Slack path: signature verification and form decoding.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use secrecy::SecretString;
use slack_zoom::slack::{SignatureVerifier, SlashCommand};

const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
const TIMESTAMP: i64 = 1_796_160_000;

/// A command body shaped like Slack's, about 600 bytes once URL-encoded (Slack's real ones
/// carry a long `response_url` and `trigger_id`, so this is the typical size).
fn typical_body() -> String {
    serde_urlencoded::to_string([
        ("token", "gIkuvaNzQIHg97ATvDxqgjtO"),
        ("team_id", "T0001ABCDEF"),
        ("team_domain", "acme-engineering"),
        ("channel_id", "C2147483705"),
        ("channel_name", "design-reviews"),
        ("user_id", "U2147483697"),
        ("user_name", "ada.lovelace.engineering"),
        ("command", "/zoom"),
        (
            "text",
            "Design review of the Q3 roadmap 45m tomorrow 3pm America/Los_Angeles",
        ),
        ("api_app_id", "A0KRD7HC3"),
        ("is_enterprise_install", "false"),
        (
            "response_url",
            "https://hooks.slack.com/commands/T0001ABCDEF/1234567890123/aBcDeFgHiJkLmNoPqRsTuVwX",
        ),
        (
            "trigger_id",
            "13345224609.738474920.8088930838d88f008e0ab12cd34ef56a",
        ),
        ("enterprise_id", "E0001ABCDEF"),
        ("enterprise_name", "Acme Corporation International"),
    ])
    .expect("a list of string pairs always encodes")
}

fn signature(c: &mut Criterion) {
    let body = typical_body();
    let verifier = SignatureVerifier::new(SecretString::from(SECRET));
    let ts = TIMESTAMP.to_string();
    let sig = verifier.sign(TIMESTAMP, body.as_bytes());
    // A benchmark of a failing check would measure nothing useful; make sure it passes.
    verifier
        .verify(Some(&ts), Some(&sig), body.as_bytes(), TIMESTAMP)
        .expect("the benchmark body is correctly signed");

    let mut group = c.benchmark_group("slack");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function(format!("verify_signature/{}B", body.len()), |b| {
        b.iter(|| {
            verifier.verify(
                black_box(Some(ts.as_str())),
                black_box(Some(sig.as_str())),
                black_box(body.as_bytes()),
                black_box(TIMESTAMP),
            )
        });
    });

    let prefixes = vec!["https://hooks.slack.com/".to_owned()];
    SlashCommand::parse(body.as_bytes(), &prefixes).expect("the benchmark body is a valid form");
    group.bench_function(format!("decode_form/{}B", body.len()), |b| {
        b.iter(|| SlashCommand::parse(black_box(body.as_bytes()), black_box(&prefixes)));
    });
    group.finish();
}

criterion_group! {
    name = benches;
    // Short runs keep the whole `cargo bench` within a few minutes on a 2-core machine;
    // `--warm-up-time`/`--measurement-time` on the command line still override these.
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = signature
}
criterion_main!(benches);
