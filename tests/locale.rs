//! Replies in the user's language: a `tr-TR` user gets Turkish help, acknowledgements (Turkish
//! date words and durations), refusals, notes, forms and answers to their clicks; a card
//! speaks its scheduler's language whoever acts on it; any other locale, or none, is English.
//!
//! Against the loopback fakes: Slack's `users.info` answers each user's `locale` as Slack does
//! with `include_locale=true`.

mod support;

use std::time::Duration;

use chrono::{Datelike, NaiveDateTime, TimeDelta, Utc};
use serde_json::{Value, json};
use support::fake_slack::FakeUser;
use support::{
    CHANNEL_ID, TEAM_ID, TestApp, json, new_meeting_values, spawn_app, spawn_app_with,
    spawn_app_with_config, submission,
};

const WAIT: Duration = Duration::from_secs(10);
const FIRST_ID: u64 = 85_746_065_432;

/// A user who reads Turkish, and one who reads English.
const TURKISH: &str = "U0TR0001";
const ENGLISH: &str = "U0EN0001";

/// The test's own Turkish names (not the catalog's), to read dates against.
const AYLAR: [&str; 12] = [
    "Ocak", "Şubat", "Mart", "Nisan", "Mayıs", "Haziran", "Temmuz", "Ağustos", "Eylül", "Ekim",
    "Kasım", "Aralık",
];
const GUNLER: [&str; 7] = [
    "Pazartesi",
    "Salı",
    "Çarşamba",
    "Perşembe",
    "Cuma",
    "Cumartesi",
    "Pazar",
];

/// `1 Aralık Salı 15:00`.
fn turkish_day_time(at: NaiveDateTime) -> String {
    format!(
        "{} {} {} {}",
        at.day(),
        AYLAR[at.month0() as usize],
        GUNLER[at.weekday().num_days_from_monday() as usize],
        at.format("%H:%M")
    )
}

fn user(tz: Option<&str>, locale: Option<&str>) -> FakeUser {
    FakeUser {
        tz: tz.map(str::to_owned),
        locale: locale.map(str::to_owned),
        ..Default::default()
    }
}

/// The service with a Turkish user and an English one, both in Istanbul.
async fn app() -> TestApp {
    let app = spawn_app().await;
    add_users(&app);
    app
}

fn add_users(app: &TestApp) {
    let istanbul = Some("Europe/Istanbul");
    app.slack.add_user(TURKISH, user(istanbul, Some("tr-TR")));
    app.slack.add_user(ENGLISH, user(istanbul, Some("en-US")));
}

/// `/zoom {text}` typed by `user`: its response_url and the immediate answer.
async fn command_as(app: &TestApp, user: &str, text: &str) -> (String, Value) {
    let url = app
        .slack
        .response_url(&format!("{user}-{:08x}", rand::random::<u32>()));
    let body = support::command_body_for(TEAM_ID, user, text, &url);
    let response = app.post_signed(&body).await;
    assert_eq!(response.status(), 200, "`{text}`");
    let body = response.text().await.unwrap();
    // An empty 200 when the answer follows elsewhere (a form, a list through the hook).
    let answer = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&body).unwrap()
    };
    (url, answer)
}

/// Every message posted to the hook `url`, waiting until there are `n`.
async fn messages(app: &TestApp, url: &str, n: usize) -> Vec<Value> {
    let path = url.split_once("/hooks/").unwrap().1.to_owned();
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let found: Vec<Value> = app
            .slack
            .deliveries()
            .into_iter()
            .filter(|d| d.path.ends_with(&path))
            .map(|d| d.body)
            .collect();
        if found.len() >= n || tokio::time::Instant::now() >= deadline {
            return found;
        }
        app.slack
            .wait_for_deliveries(app.slack.deliveries().len() + 1, Duration::from_millis(200))
            .await;
    }
}

/// A click on the card's `action_id` button by `user`; the click's own response_url.
async fn click(app: &TestApp, user: &str, action_id: &str, value: &str) -> String {
    let response_url = app
        .slack
        .response_url(&format!("click-{user}-{:08x}", rand::random::<u32>()));
    let payload = json!({
        "type": "block_actions",
        "user": {"id": user, "username": "someone", "team_id": TEAM_ID},
        "team": {"id": TEAM_ID, "domain": "acme"},
        "container": {"type": "message", "message_ts": "1700000000.000100", "channel_id": CHANNEL_ID, "is_ephemeral": false},
        "channel": {"id": CHANNEL_ID, "name": "general"},
        "response_url": response_url,
        "trigger_id": "13345224609.738474920.click",
        "actions": [{"action_id": action_id, "block_id": "meeting_actions", "type": "button", "value": value}],
    });
    assert_eq!(app.interact(&payload).await.status(), 200);
    response_url
}

/// Every text a person reads on a message: its fallback, mrkdwn and plain-text objects.
fn texts(message: &Value) -> Vec<String> {
    fn walk(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                if let Some(text) = map.get("text").and_then(Value::as_str) {
                    out.push(text.to_owned());
                }
                map.values().for_each(|v| walk(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(message, &mut out);
    out
}

fn assert_contains_all(message: &Value, needles: &[&str], case: &str) {
    let all = texts(message).join("\n");
    for needle in needles {
        assert!(
            all.contains(needle),
            "{case}: `{needle}` missing from:\n{all}"
        );
    }
}

fn assert_contains_none(message: &Value, needles: &[&str], case: &str) {
    let all = texts(message).join("\n");
    for needle in needles {
        assert!(!all.contains(needle), "{case}: `{needle}` found in:\n{all}");
    }
}

#[tokio::test]
async fn help_is_in_the_users_language_and_english_for_any_other_or_no_locale() {
    // Not the default of 30: the help must name the length this service is configured with.
    let app = spawn_app_with(|env, _| {
        env.insert("DEFAULT_DURATION_MINUTES".into(), "45".into());
    })
    .await;
    let turkish = "*Zoom toplantısı planlayın*";
    let english = "*Schedule a Zoom meeting*";
    let cases = [
        ("tr-TR", "U0C1", Some("tr-TR"), "help", turkish),
        (
            "tr-TR typing yardım",
            "U0C2",
            Some("tr-TR"),
            "yardım",
            turkish,
        ),
        ("plain tr", "U0C3", Some("tr"), "--help", turkish),
        ("en-US", "U0C4", Some("en-US"), "help", english),
        ("de-DE: no catalog", "U0C5", Some("de-DE"), "help", english),
        ("no locale from Slack", "U0C6", None, "help", english),
        ("unknown to Slack", "U0C7NOBODY", None, "help", english),
    ];
    for (case, id, locale, _, _) in cases {
        if case != "unknown to Slack" {
            app.slack.add_user(id, user(Some("UTC"), locale));
        }
    }
    for (case, id, _, text, heading) in cases {
        let (_, help) = command_as(&app, id, text).await;
        let shown = help["text"].as_str().unwrap();
        assert!(shown.starts_with(heading), "{case}: {shown}");
        let default = if heading == turkish {
            "Varsayılan: 45 dakika."
        } else {
            "Default: 45 minutes."
        };
        assert!(shown.contains(default), "{case}: {shown}");
    }
}

#[tokio::test]
async fn a_turkish_user_is_acknowledged_in_turkish_and_gets_a_card_with_turkish_words() {
    let app = app().await;
    let (url, ack) = command_as(&app, TURKISH, "Tasarım incelemesi 45dk yarın 15:00").await;
    let tomorrow = Utc::now()
        .with_timezone(&chrono_tz::Europe::Istanbul)
        .date_naive()
        + TimeDelta::days(1);
    let local = tomorrow.and_hms_opt(15, 0, 0).unwrap();
    assert_eq!(
        ack["text"],
        format!(
            ":hourglass_flowing_sand: *Tasarım incelemesi* planlanıyor: {} (Europe/Istanbul), 45 dakika…",
            turkish_day_time(local)
        )
    );
    let card = messages(&app, &url, 1).await.remove(0);
    assert_eq!(card["response_type"], "in_channel", "{card}");
    assert_contains_all(
        &card,
        &[
            "Zoom toplantısı: Tasarım incelemesi — ",
            " · 45 dakika",
            "*Toplantı Kimliği*\n`857 4606 5432`",
            "*Parola*\n",
            "Katıl",
            "Google Takvim",
            "Outlook",
            "Saati değiştir…",
            "Toplantıyı iptal et",
            "Toplantı iptal edilsin mi?",
            "Kalsın",
            &format!("Planlayan: <@{TURKISH}>"),
            &format!(
                "{} {} {}",
                tomorrow.day(),
                AYLAR[tomorrow.month0() as usize],
                tomorrow.year()
            ),
        ],
        "Turkish card",
    );
    assert_contains_none(
        &card,
        &["Join", "Meeting ID", "Scheduled by", " minutes", "Passcode"],
        "Turkish card",
    );
    // The date stays a Slack date token, which every reader's client shows in their own
    // language and zone; only the fallback is written out, in Turkish.
    let when = card["blocks"][1]["text"]["text"].as_str().unwrap();
    let start = local
        .and_local_timezone(chrono_tz::Europe::Istanbul)
        .unwrap()
        .timestamp();
    assert!(
        when.starts_with(&format!(
            "<!date^{start}^{{date_long_pretty}} {{time}}|{} ",
            tomorrow.day()
        )),
        "{when}"
    );
    let record = app.store().await.meetings().get(FIRST_ID).await.unwrap();
    assert_eq!(
        record.and_then(|r| r.locale).as_deref(),
        Some("tr-TR"),
        "the scheduler's locale is kept with the meeting"
    );
}

#[tokio::test]
async fn any_other_locale_or_none_is_acknowledged_in_english() {
    let app = spawn_app().await;
    let cases = [
        ("de-DE", "U0DE0001", Some("de-DE")),
        ("no locale", "U0NO0001", None),
        ("en-GB", "U0GB0001", Some("en-GB")),
    ];
    for (case, id, locale) in cases {
        app.slack.add_user(id, user(Some("UTC"), locale));
        let (url, ack) = command_as(&app, id, "Sync 45m tomorrow 3pm").await;
        let text = ack["text"].as_str().unwrap();
        assert!(
            text.starts_with(":hourglass_flowing_sand: Scheduling *Sync* for ")
                && text.ends_with(" at 3:00 PM (UTC), 45 minutes…"),
            "{case}: {text}"
        );
        let card = messages(&app, &url, 1).await.remove(0);
        assert_contains_all(
            &card,
            &["Join", "*Meeting ID*", "Cancel meeting", "Scheduled by <@"],
            case,
        );
    }
}

#[tokio::test]
async fn refusals_and_notes_are_in_turkish_for_a_turkish_user() {
    let app = spawn_app().await;
    // No zone in the profile: the zone note is one of the notes.
    app.slack.add_user(TURKISH, user(None, Some("tr-TR")));
    let refusals = [
        ("45x yarın", "Plan 45x yarın 15:00", "`45x` ifadesini"),
        (
            "EST",
            "Plan 30dk yarın 15:00 EST",
            "`EST` birden çok yeri gösterebilen",
        ),
        (
            "03/04",
            "Plan 30dk 03/04 15:00",
            "`03/04` gün/ay mı yoksa ay/gün mü",
        ),
        (
            "no time",
            "Plan her pazartesi",
            "`her pazartesi` saat kaçta başlasın?",
        ),
    ];
    for (case, text, needle) in refusals {
        let (_, refusal) = command_as(&app, TURKISH, text).await;
        assert_eq!(refusal["response_type"], "ephemeral", "{case}");
        assert_contains_all(&refusal, &[needle, "Formu aç"], case);
        assert_contains_none(&refusal, &["Open the form", "I couldn't", "Example:"], case);
    }
    let (_, ack) = command_as(&app, TURKISH, "Plan 30dk her pazartesi 10:00").await;
    assert_contains_all(
        &ack,
        &[
            "*Plan* planlanıyor: Her pazartesi 10:00 (UTC), 60 kez, 30 dakika…",
            "\n• Bitiş verilmediği için seri Zoom'un 60 toplantı sınırında duruyor (sonuncusu ",
            "\n• Saatler UTC saat dilimine göre okundu, çünkü Slack profilinizde saat dilimi yok.",
        ],
        "notes",
    );
}

#[tokio::test]
async fn a_turkish_user_cancels_in_turkish_and_an_english_admin_leaves_the_card_turkish() {
    let app = spawn_app_with(|env, _| {
        env.insert("ADMIN_USER_IDS".into(), ENGLISH.into());
    })
    .await;
    add_users(&app);
    let cases = [
        (
            "the Turkish scheduler",
            TURKISH,
            ":white_check_mark: *Retro* iptal edildi. <#C0001> kanalındaki kart da artık bunu gösteriyor.",
        ),
        (
            "an English admin",
            ENGLISH,
            ":white_check_mark: Cancelled *Retro*. The card in <#C0001> now says so.",
        ),
    ];
    for (i, (case, clicker, answer)) in cases.into_iter().enumerate() {
        let (url, _) = command_as(&app, TURKISH, "Retro 30dk yarın 10:00").await;
        messages(&app, &url, 1).await;
        let id = FIRST_ID + i as u64;
        let click_url = click(&app, clicker, "cancel", &id.to_string()).await;
        let [redrawn, told] = <[Value; 2]>::try_from(messages(&app, &click_url, 2).await)
            .unwrap_or_else(|got| panic!("{case}: {got:?}"));
        assert_eq!(told["text"], answer, "{case}: the clicker's language");
        assert_eq!(redrawn["replace_original"], true, "{case}");
        assert_contains_all(
            &redrawn,
            &[
                &format!(":no_entry: İptal eden: <@{clicker}> · planlayan: <@{TURKISH}>"),
                "Toplantı Kimliği",
            ],
            &format!("{case}: the card stays in its scheduler's language"),
        );
        assert_contains_none(&redrawn, &["Cancelled by", "Meeting ID"], case);
    }
}

#[tokio::test]
async fn a_turkish_user_gets_the_form_and_its_field_errors_in_turkish() {
    let app = app().await;
    let (_, answer) = command_as(&app, TURKISH, "yeni").await;
    assert_eq!(answer, Value::Null, "nothing but the form");
    let calls = app.slack.wait_for_calls("views.open", 1, WAIT).await;
    let view = calls[0].body["view"].clone();
    assert_eq!(view["title"]["text"], "Yeni Zoom toplantısı");
    assert_eq!(view["submit"]["text"], "Planla");
    assert_eq!(view["close"]["text"], "Vazgeç");
    let labels: Vec<&str> = view["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["label"]["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        labels,
        ["Konu", "Başlangıç", "Süre", "Kartın paylaşılacağı yer"]
    );
    let lengths: Vec<&str> = view["blocks"][2]["element"]["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["text"]["text"].as_str().unwrap())
        .collect();
    assert!(
        lengths.contains(&"1 saat 30 dakika") && lengths.contains(&"45 dakika"),
        "{lengths:?}"
    );
    let past = Utc::now().timestamp() - 3600;
    let submission = submission(
        &view,
        TURKISH,
        new_meeting_values("Plan", past, "30", CHANNEL_ID),
    );
    let errors = json(app.interact(&submission).await).await;
    assert_eq!(
        errors,
        json!({"response_action": "errors", "errors": {"start": "Bu saat geçti. Şu andan sonraki bir saat seçin."}})
    );
}

#[tokio::test]
async fn a_turkish_schedulers_start_notice_is_in_turkish() {
    let app = spawn_app_with_config(
        Default::default(),
        |_, _| {},
        |config| config.sweep_interval = Duration::from_millis(100),
    )
    .await;
    add_users(&app);
    let (url, _) = command_as(&app, TURKISH, "Retro şimdi").await;
    messages(&app, &url, 1).await;
    let notices = app.slack.wait_for_calls("chat.postMessage", 1, WAIT).await;
    let notice = &notices.first().expect("a start notice").body;
    let text = notice["text"].as_str().unwrap();
    assert!(text.starts_with("Şimdi başlıyor: Retro — "), "{text}");
    assert_contains_all(
        notice,
        &[" Şimdi başlıyor: ", "Katıl", " · 30 dakika"],
        "notice",
    );
}

#[tokio::test]
async fn an_english_admin_moves_a_turkish_card_in_english_and_the_thread_says_so_in_turkish() {
    let app = spawn_app_with(|env, _| {
        env.insert("ADMIN_USER_IDS".into(), ENGLISH.into());
    })
    .await;
    add_users(&app);
    let (url, _) = command_as(&app, TURKISH, "Retro 30dk yarın 10:00").await;
    messages(&app, &url, 1).await;
    click(&app, ENGLISH, "change_time", &FIRST_ID.to_string()).await;
    let calls = app.slack.wait_for_calls("views.open", 1, WAIT).await;
    let view = calls.first().expect("the form opens").body["view"].clone();
    assert_eq!(
        view["title"]["text"], "Change meeting time",
        "the clicker's"
    );
    let new_start = (Utc::now() + TimeDelta::days(2)).timestamp() / 60 * 60;
    let submission = submission(
        &view,
        ENGLISH,
        json!({
            "start": {"start": {"type": "datetimepicker", "selected_date_time": new_start}},
            "duration": {"duration": {"type": "static_select", "selected_option": {"value": "60"}}},
        }),
    );
    assert_eq!(app.interact(&submission).await.status(), 200);
    let thread = app.slack.wait_for_calls("chat.postMessage", 1, WAIT).await;
    let said = thread.first().expect("a reply under the card").body["text"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        said.starts_with(&format!(
            ":arrows_counterclockwise: <@{ENGLISH}> toplantıyı <!date^"
        )) && said.ends_with(" saatine taşıdı."),
        "{said}"
    );
    let told = app
        .slack
        .wait_for_calls("chat.postEphemeral", 1, WAIT)
        .await;
    let told = told.last().unwrap().body["text"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        told.starts_with(":white_check_mark: Moved *Retro* to <!date^"),
        "{told}"
    );
    let redrawn = app.slack.wait_for_calls("chat.update", 1, WAIT).await;
    assert_contains_all(
        &redrawn.first().expect("the card redrawn").body,
        &["1 saat", "Saati değiştir…", "Planlayan: "],
        "the card stays in its scheduler's language",
    );
}

#[tokio::test]
async fn a_turkish_users_list_is_in_turkish() {
    let app = app().await;
    let (url, _) = command_as(&app, TURKISH, "liste").await;
    let empty = messages(&app, &url, 1).await.remove(0);
    assert_eq!(
        empty["text"],
        "/zoom ile planlanmış yaklaşan toplantınız yok. `/zoom Tasarım incelemesi 45dk yarın 15:00` ile bir tane planlayın ya da form için `/zoom yeni` yazın."
    );
    let (url, _) = command_as(&app, TURKISH, "Retro 30dk yarın 10:00").await;
    messages(&app, &url, 1).await;
    let (url, _) = command_as(&app, TURKISH, "listele").await;
    let list = messages(&app, &url, 1).await.remove(0);
    assert_contains_all(
        &list,
        &[
            "*Yaklaşan toplantılarınız*",
            "Kimlik 857 4606 5432",
            "{date_short_pretty} {time}|",
            "Katıl",
            "İptal et",
            "Toplantı iptal edilsin mi?",
        ],
        "list",
    );
    assert_contains_none(&list, &["Your upcoming", " at {time}"], "list");
}
