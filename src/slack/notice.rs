//! The start notice ("Starting now: *topic*" with a Join button), drawn from a meeting's card.
//!
//! Built from plain values like the card, so it knows nothing of Zoom or the store.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::i18n::{Key, t};
use crate::slack::Reply;
use crate::slack::card::MeetingCard;
use crate::slack::markup::{Segment, segments};
use crate::slack::reply::{escape, neutralise};

/// Within this much of the start, a notice says "Starting now".
const NOW_WINDOW: chrono::TimeDelta = chrono::TimeDelta::seconds(90);

/// Slack refuses a button whose `url` is longer than this.
const MAX_BUTTON_URL: usize = 3000;

/// What a notice may add about how sure it is of the time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checked {
    /// Zoom confirmed the meeting and its time just now.
    WithZoom,
    /// Zoom could not be asked: the time is the one the app recorded.
    NotWithZoom,
}

/// The notice for `card`'s meeting (its `start` being the start announced: for a series, the
/// occurrence), as posted at `now`. The wording follows the clock: "Starting now" near the
/// start, "Starting soon" before it (`START_NOTICE_MINUTES` ahead), "Started" when it is
/// posted late (after a restart, within the grace), so it never says something false.
pub fn start_notice(card: &MeetingCard, now: DateTime<Utc>, checked: Checked) -> Reply {
    let lang = card.lang;
    let until = card.start - now;
    let lead = lang.text(if until > NOW_WINDOW {
        Key::NoticeSoon
    } else if until < -NOW_WINDOW {
        Key::NoticeStarted
    } else {
        Key::NoticeNow
    });
    let organiser_time = escape(&card.organiser_time());
    let token = t!(
        lang,
        TokenShort,
        ts = card.start.timestamp(),
        fallback = organiser_time
    );
    let mut text = t!(
        lang,
        NoticeFallback,
        lead,
        topic = neutralise(&card.topic),
        time = organiser_time
    );
    if !card.join_url.is_empty() {
        text.push_str(&t!(lang, CardFallbackJoin, url = escape(&card.join_url)));
    }
    let mut heading = vec![
        json!({"type": "emoji", "name": "alarm_clock"}),
        json!({"type": "text", "text": format!(" {lead}: ")}),
    ];
    heading.extend(topic_elements(&card.topic));
    let mut when = json!({
        "type": "section",
        "text": {"type": "mrkdwn", "text": format!("{token} · {}", card.duration)},
    });
    if !card.join_url.is_empty() && card.join_url.len() <= MAX_BUTTON_URL {
        when["accessory"] = json!({
            "type": "button",
            "action_id": crate::slack::card::action::JOIN,
            "style": "primary",
            "text": {"type": "plain_text", "text": lang.text(Key::ButtonJoin)},
            "url": card.join_url,
        });
    }
    let mut blocks: Vec<Value> = vec![
        json!({"type": "rich_text", "elements": [{"type": "rich_text_section", "elements": heading}]}),
        when,
    ];
    if checked == Checked::NotWithZoom {
        blocks.push(json!({
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": lang.text(Key::NoticeUnconfirmed)}],
        }));
    }
    Reply::in_channel(text).with_blocks(blocks)
}

/// The topic in bold, read like the card reads it: mentions and honest links stay live, and
/// `*`, `_` or `<!channel>` typed in it are shown as typed.
fn topic_elements(topic: &str) -> Vec<Value> {
    let bold = json!({"bold": true});
    segments(topic)
        .into_iter()
        .map(|segment| match segment {
            Segment::Text(text) => json!({"type": "text", "text": text, "style": bold}),
            Segment::User(id) => json!({"type": "user", "user_id": id, "style": bold}),
            Segment::Channel(id) => json!({"type": "channel", "channel_id": id, "style": bold}),
            Segment::Link { url, label } => {
                let mut link = json!({"type": "link", "url": url, "style": bold});
                if let Some(label) = label {
                    link["text"] = json!(label);
                }
                link
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slack::UserId;
    use chrono::TimeZone;

    fn card() -> MeetingCard {
        MeetingCard {
            topic: "<!channel> R&amp;D *sync* <@U999>".into(),
            start: Utc.with_ymd_and_hms(2026, 12, 1, 14, 0, 0).unwrap(),
            zone: "Europe/Berlin".into(),
            local_start: chrono::NaiveDate::from_ymd_opt(2026, 12, 1)
                .unwrap()
                .and_hms_opt(15, 0, 0)
                .unwrap(),
            duration: "45 minutes".into(),
            join_url: "https://zoom.us/j/85746065432?pwd=abc".into(),
            meeting_id: "857 4606 5432".into(),
            passcode: Some("secret1".into()),
            scheduled_by: UserId::parse("U0001").unwrap(),
            minutes: 45,
            zoom_id: Some(85_746_065_432),
            series: None,
            cancelled_by: None,
            lang: crate::i18n::Lang::En,
        }
    }

    #[test]
    fn the_wording_follows_the_clock() {
        let card = card();
        let cases = [
            ("ten minutes ahead", -600, "Starting soon"),
            ("a minute ahead", -60, "Starting now"),
            ("at the start", 0, "Starting now"),
            ("a minute late", 60, "Starting now"),
            ("five minutes late", 300, "Started"),
        ];
        for (case, offset, lead) in cases {
            let now = card.start + chrono::TimeDelta::seconds(offset);
            let notice = start_notice(&card, now, Checked::WithZoom);
            assert!(
                notice.text().starts_with(&format!("{lead}: ")),
                "{case}: {}",
                notice.text()
            );
            assert_eq!(
                notice.blocks_as_json()[0]["elements"][0]["elements"][1]["text"],
                format!(" {lead}: "),
                "{case}"
            );
        }
    }

    #[test]
    fn the_notice_has_the_topic_in_bold_the_time_as_a_date_token_and_a_join_button() {
        let card = card();
        let notice = start_notice(&card, card.start, Checked::WithZoom);
        let json = serde_json::to_value(&notice).unwrap();
        assert_eq!(json["response_type"], "in_channel");
        let heading = &notice.blocks_as_json()[0]["elements"][0]["elements"];
        assert_eq!(heading[2]["text"], "<!channel> R&D *sync* ");
        assert_eq!(heading[2]["style"]["bold"], true);
        assert_eq!(heading[3]["type"], "user", "mentions stay live");
        let when = &notice.blocks_as_json()[1];
        let text = when["text"]["text"].as_str().unwrap();
        assert!(
            text.starts_with(&format!("<!date^{}^", card.start.timestamp())),
            "{text}"
        );
        assert!(
            text.contains("(Europe/Berlin)") && text.ends_with("· 45 minutes"),
            "{text}"
        );
        assert_eq!(when["accessory"]["url"], card.join_url);
        assert_eq!(when["accessory"]["text"]["text"], "Join");
        assert_eq!(notice.blocks_as_json().len(), 2, "no doubt expressed");
        // In rich text `<!channel>` is shown as typed; in mrkdwn it must be escaped.
        assert!(!notice.text().contains("<!channel>"), "{}", notice.text());
        assert!(!text.contains("<!channel>"), "{text}");
        assert!(
            !json.to_string().contains("secret1"),
            "no passcode on a notice"
        );
        assert!(
            notice.text().contains("&lt;!channel&gt;"),
            "{}",
            notice.text()
        );
    }

    #[test]
    fn a_join_url_longer_than_slack_allows_gets_no_button_on_the_notice() {
        let card = MeetingCard {
            join_url: format!("https://zoom.us/j/1?pwd={}", "a".repeat(3000)),
            ..card()
        };
        let notice = start_notice(&card, card.start, Checked::WithZoom);
        assert!(notice.blocks_as_json()[1].get("accessory").is_none());
        assert!(
            notice.text().contains("zoom.us/j/1"),
            "the link is still in the text"
        );
    }

    #[test]
    fn a_notice_speaks_its_cards_language() {
        let card = MeetingCard {
            lang: crate::i18n::Lang::Tr,
            ..card()
        };
        let cases = [
            ("ten minutes ahead", -600, "Birazdan başlıyor"),
            ("at the start", 0, "Şimdi başlıyor"),
            ("five minutes late", 300, "Başladı"),
        ];
        for (case, offset, lead) in cases {
            let now = card.start + chrono::TimeDelta::seconds(offset);
            let notice = start_notice(&card, now, Checked::NotWithZoom);
            let text = notice.text();
            assert!(
                text.starts_with(&format!("{lead}: "))
                    && text.contains(" — 1 Aralık 2026 Salı 15:00 (Europe/Berlin). Katıl: "),
                "{case}: {text}"
            );
            let when = notice.blocks_as_json()[1]["text"]["text"]
                .as_str()
                .unwrap()
                .to_owned();
            assert!(
                when.contains("^{date_short_pretty} {time}|") && when.ends_with("· 45 minutes"),
                "{case}: {when}"
            );
            assert_eq!(
                notice.blocks_as_json()[1]["accessory"]["text"]["text"],
                "Katıl"
            );
            let doubt = notice.blocks_as_json()[2]["elements"][0]["text"]
                .as_str()
                .unwrap()
                .to_owned();
            assert!(doubt.starts_with("Bu saati doğrulamak için"), "{doubt}");
        }
    }

    #[test]
    fn a_notice_zoom_could_not_confirm_says_so() {
        let card = card();
        let notice = start_notice(&card, card.start, Checked::NotWithZoom);
        let context = &notice.blocks_as_json()[2]["elements"][0]["text"];
        assert!(
            context.as_str().unwrap().contains("could not be reached"),
            "{context}"
        );
    }
}
