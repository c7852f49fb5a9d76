//! Micro-benchmark of building the in-channel meeting card (Block Kit) and serialising it.

use std::hint::black_box;
use std::time::Duration;

use chrono::{NaiveDate, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use slack_zoom::slack::UserId;
use slack_zoom::slack::card::MeetingCard;

fn card() -> MeetingCard {
    MeetingCard {
        topic: "Design review <@U0002> & roadmap".into(),
        start: Utc
            .with_ymd_and_hms(2026, 12, 1, 23, 0, 0)
            .single()
            .expect("a valid UTC instant"),
        zone: "America/Los_Angeles".into(),
        local_start: NaiveDate::from_ymd_opt(2026, 12, 1)
            .and_then(|d| d.and_hms_opt(15, 0, 0))
            .expect("a valid local time"),
        duration: "45 minutes".into(),
        join_url: "https://us02web.zoom.us/j/85746065432?pwd=fakeEncryptedPwd123456".into(),
        meeting_id: "857 4606 5432".into(),
        passcode: Some("123456".into()),
        scheduled_by: UserId::parse("U1").expect("a valid user id"),
        minutes: 45,
        zoom_id: Some(85_746_065_432),
        series: None,
        cancelled_by: None,
        lang: slack_zoom::i18n::Lang::En,
    }
}

fn reply(c: &mut Criterion) {
    let card = card();
    let mut group = c.benchmark_group("reply");
    // What the background task does per meeting: build the Block Kit reply, then the JSON body.
    group.bench_function("in_channel_card_json", |b| {
        b.iter(|| {
            let reply = black_box(&card).in_channel();
            serde_json::to_vec(&reply).expect("a reply always serialises")
        });
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = reply
}
criterion_main!(benches);
