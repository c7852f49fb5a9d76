//! Clicks and form submissions: answered within Slack's 3 s, the work done in the background,
//! and the same rules whether they arrive over HTTP or Socket Mode.

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::app::answer::ReplyTo;
use crate::app::handler::lookup_user;
use crate::app::intents;
use crate::app::manage::{self, Actor, ClickedCard};
use crate::app::metrics::CommandOutcome;
use crate::app::schedule::{self, Job};
use crate::app::state::AppState;
use crate::app::supervised;
use crate::command::{Field, MeetingRequest, Minutes};
use crate::i18n::{Key, Lang, t};
use crate::slack::card::action;
use crate::slack::interaction::{BlockActions, Interaction, ViewSubmission};
use crate::slack::modal::{self, FormValues, input};
use crate::slack::reply::neutralise;
use crate::slack::{ChannelId, Reply, ResponseUrl};
use crate::store::NewIntent;
use crate::time::Zone;

/// `action_id` of the "Open the form" button on a refused command.
pub const OPEN_FORM: &str = "open_form";

/// What travels in the form's `private_metadata`: where it was opened, the user's zone and
/// language.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct FormOrigin {
    /// The conversation the form was opened from.
    #[serde(rename = "c", default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// The user's zone when the form was opened.
    #[serde(rename = "z", default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// The language the form was drawn in (`Lang::code`), for its field errors.
    #[serde(rename = "l", default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
}

/// What an "Open the form" button carries: what was understood of a refused command.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Prefill {
    #[serde(rename = "t", default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    #[serde(rename = "d", default, skip_serializing_if = "Option::is_none")]
    pub minutes: Option<u16>,
    #[serde(rename = "s", default, skip_serializing_if = "Option::is_none")]
    pub start: Option<i64>,
    #[serde(rename = "c", default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
}

/// The answer to Slack: `None` is an empty 200 (or an ack without payload); a value is the
/// JSON body (field errors for a form).
pub async fn handle(state: &AppState, interaction: Interaction) -> Option<Value> {
    match interaction {
        Interaction::BlockActions(click) => {
            block_actions(state, click);
            None
        }
        Interaction::ViewSubmission(view) => view_submission(state, view).await,
        Interaction::Other(kind) => {
            tracing::debug!(%kind, "interaction ignored");
            None
        }
    }
}

/// Clicks: the URL buttons (Join, calendars) need nothing; the rest run in the background.
fn block_actions(state: &AppState, click: BlockActions) {
    let Some(first) = click.actions.first().cloned() else {
        return;
    };
    let actor = Actor {
        team_id: click.team_id.clone(),
        user_id: click.user_id.clone(),
    };
    let zoom_id = first.value.as_deref().and_then(|v| v.parse::<u64>().ok());
    // A click on a card (not on an ephemeral list) says where that card is.
    let clicked = match (&click.channel_id, &click.message_ts, click.is_ephemeral) {
        (Some(channel), Some(ts), false) => Some(ClickedCard {
            channel: channel.clone(),
            ts: ts.clone(),
            response_url: click.response_url.clone(),
        }),
        _ => None,
    };
    let (clicker, hook) = (click.user_id.clone(), click.response_url.clone());
    let state_for_task = state.clone();
    let work = async move {
        let state = &state_for_task;
        if let (Some(id), Some(card)) = (zoom_id.filter(|id| *id != 0), &clicked) {
            manage::learn_card(state, id, card).await;
        }
        let answers = [action::CANCEL, action::CHANGE_TIME, OPEN_FORM];
        if !answers.contains(&first.action_id.as_str()) {
            return;
        }
        // The clicker's language (cached), whoever scheduled the meeting.
        let lang = lookup_user(state, &actor.user_id).await.lang;
        match first.action_id.as_str() {
            action::CANCEL => {
                let text = match zoom_id {
                    Some(0) => lang.text(Key::ClickDryRunCancel).to_owned(),
                    Some(id) => manage::cancel(state, &actor, id, clicked, lang).await,
                    None => lang.text(Key::ClickNoMeeting).to_owned(),
                };
                tell(state, &click.response_url, text).await;
            }
            action::CHANGE_TIME => {
                let opened = match (zoom_id, &clicked, click.trigger_id.as_deref()) {
                    (Some(0), _, _) => Err(lang.text(Key::ClickDryRunMove).to_owned()),
                    (Some(id), Some(card), Some(trigger)) => {
                        match manage::change_time_form(state, &actor, id, card, lang).await {
                            Ok(view) => open(state, trigger, &view, lang).await,
                            Err(say) => Err(say),
                        }
                    }
                    _ => Err(lang.text(Key::ClickUseTheCard).to_owned()),
                };
                if let Err(say) = opened {
                    tell(state, &click.response_url, say).await;
                }
            }
            OPEN_FORM => {
                let prefill: Prefill = first
                    .value
                    .as_deref()
                    .and_then(|v| serde_json::from_str(v).ok())
                    .unwrap_or_default();
                let opened = match click.trigger_id.as_deref() {
                    Some(trigger) => {
                        let view = new_meeting_form(state, &actor, prefill).await;
                        open(state, trigger, &view, lang).await
                    }
                    None => Err(lang.text(Key::ClickNoTrigger).to_owned()),
                };
                if let Err(say) = opened {
                    tell(state, &click.response_url, say).await;
                }
            }
            _ => {}
        }
    };
    supervised::spawn(state, work, move |state| async move {
        let lang = lookup_user(&state, &clicker).await.lang;
        tell(&state, &hook, lang.text(Key::ReplyWentWrong).to_owned()).await;
    });
}

/// Opens a view with a trigger (valid for 3 s), or says why not (in `lang`).
async fn open(state: &AppState, trigger: &str, view: &Value, lang: Lang) -> Result<(), String> {
    state
        .slack_api()
        .open_view(trigger, view)
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "views.open failed");
            lang.text(if matches!(e, crate::slack::web::ApiError::NoToken) {
                Key::ReplyFormNeedsToken
            } else {
                Key::ClickFormNotOpened
            })
            .to_owned()
        })
}

/// An ephemeral message to the person who clicked.
async fn tell(state: &AppState, response_url: &Option<ResponseUrl>, text: String) {
    let Some(url) = response_url else {
        tracing::warn!("no response_url to answer a click on");
        return;
    };
    if let Err(e) = state
        .deliver(url, &Reply::ephemeral(text), state.delivery())
        .await
    {
        tracing::warn!(error = %e, "could not answer a click");
    }
}

/// The new-meeting form for `actor`, in their language: the next half hour in their zone, the
/// team's default length, and whatever a refused command already said.
pub async fn new_meeting_form(state: &AppState, actor: &Actor, prefill: Prefill) -> Value {
    let user = lookup_user(state, &actor.user_id).await;
    let now = Utc::now();
    let start = prefill
        .start
        .and_then(|s| DateTime::from_timestamp(s, 0))
        .filter(|s| *s > now)
        .unwrap_or_else(|| next_half_hour(now, user.zone));
    let values = FormValues {
        topic: prefill.topic,
        start,
        minutes: prefill
            .minutes
            .unwrap_or_else(|| state.default_duration().get()),
        channel: prefill.channel.as_deref().and_then(ChannelId::parse),
    };
    let origin = FormOrigin {
        channel: values.channel.as_ref().map(|c| c.as_str().to_owned()),
        zone: Some(user.zone.name().to_owned()),
        lang: Some(user.lang.code().to_owned()),
    };
    modal::new_meeting(
        user.lang,
        &values,
        &serde_json::to_string(&origin).unwrap_or_default(),
    )
}

/// The next :00 or :30 of the wall clock in `zone` (so India's :30 offset gets its own).
fn next_half_hour(now: DateTime<Utc>, zone: Zone) -> DateTime<Utc> {
    use chrono::Timelike;
    let local = now.with_timezone(&zone.tz());
    let minutes_past = i64::from(local.minute() % 30) * 60 + i64::from(local.second());
    now + chrono::Duration::seconds(30 * 60 - minutes_past)
        - chrono::Duration::nanoseconds(i64::from(local.nanosecond()))
}

async fn view_submission(state: &AppState, view: ViewSubmission) -> Option<Value> {
    match view.callback_id.as_str() {
        modal::NEW_MEETING => submit_new_meeting(state, view).await,
        modal::CHANGE_TIME => submit_change_time(state, view),
        other => {
            tracing::debug!(callback = other, "unknown view submitted");
            None
        }
    }
}

fn field_error(field: &'static str, message: impl Into<String>) -> Option<Value> {
    // (Each caller words `message` in the language the form was drawn in.)
    let mut errors = BTreeMap::new();
    errors.insert(field, message.into());
    Some(modal::errors(&errors))
}

/// A submitted new-meeting form: checked field by field (the modal stays open with the error
/// under the field), the channel probed (the bot must be able to post there, or nothing is
/// created), then the meeting is created exactly like a typed command's.
async fn submit_new_meeting(state: &AppState, view: ViewSubmission) -> Option<Value> {
    let origin: FormOrigin = serde_json::from_str(&view.private_metadata).unwrap_or_default();
    let lang = match origin.lang.as_deref().and_then(Lang::from_code) {
        Some(lang) => lang,
        None => lookup_user(state, &view.user_id).await.lang,
    };
    let topic = view
        .input(input::TOPIC, input::TOPIC)
        .and_then(|i| i.value.clone())
        .unwrap_or_default();
    let Some(start) = view
        .input(input::START, input::START)
        .and_then(|i| i.selected_date_time)
        .and_then(|s| DateTime::from_timestamp(s, 0))
    else {
        return field_error(input::START, lang.text(Key::FormPickStart));
    };
    let minutes = view
        .input(input::DURATION, input::DURATION)
        .and_then(|i| i.selected_option.as_deref())
        .and_then(|m| m.parse::<u32>().ok())
        .unwrap_or(0);
    let Some(channel) = view
        .input(input::CHANNEL, input::CHANNEL)
        .and_then(|i| i.selected_conversation.clone())
        .or(origin.channel)
        .as_deref()
        .and_then(ChannelId::parse)
    else {
        return field_error(input::CHANNEL, lang.text(Key::FormPickChannel));
    };
    let zone = match origin.zone.as_deref().map(Zone::parse) {
        Some(Ok(zone)) => zone,
        _ => lookup_user(state, &view.user_id).await.zone,
    };
    let request = match MeetingRequest::from_form_in(lang, &topic, start, minutes, zone, Utc::now())
    {
        Ok(request) => request,
        Err(e) => {
            let field = match e.field {
                Field::Topic => input::TOPIC,
                Field::Start => input::START,
                Field::Duration => input::DURATION,
            };
            return field_error(field, e.message);
        }
    };
    if state.is_shutting_down() {
        return field_error(input::TOPIC, lang.text(Key::ReplyRestarting));
    }
    // The bot must be able to post the card there; say so now, before anything is created.
    let probe = Reply::ephemeral(t!(
        lang,
        FormScheduling,
        topic = neutralise(request.topic().as_slack())
    ));
    if let Err(e) = state
        .slack_api()
        .post_ephemeral(&channel, &view.user_id, &probe)
        .await
    {
        tracing::info!(error = %e, channel = %channel, "the form's channel cannot be posted in");
        let why = lang.text(if e.cannot_post_here() {
            Key::FormCannotPost
        } else {
            Key::FormSlackUnreachable
        });
        return field_error(input::CHANNEL, why);
    }
    let Some(admitted) = state.admit() else {
        // Counted with the commands answered busy: one queue, one alert.
        state.metrics().command(CommandOutcome::Busy);
        // A form's error is plain text: no emoji code.
        let busy = lang.text(Key::ReplyBusy).trim_start_matches(":warning: ");
        return field_error(input::TOPIC, busy);
    };
    let user = lookup_user(state, &view.user_id).await;
    // With replicas, the submission is written down like a typed command, so another replica
    // finishes it if this one dies (it has no response_url: answers go to the channel).
    let now = Utc::now();
    let default = state.default_duration();
    let (intent, pending_intent) = if !state.shares_store() {
        (None, None)
    } else if intents::reads_back(&request, now, default) {
        let intent = NewIntent {
            delivery_key: format!("form:{}", view.view_id),
            tag: intents::new_tag(),
            team_id: view.team_id.as_str().to_owned(),
            channel_id: channel.as_str().to_owned(),
            channel_name: None,
            user_id: view.user_id.as_str().to_owned(),
            response_url: String::new(),
            command: request.to_canonical(),
            zone: request.zone().name().to_owned(),
            read_at: now,
            default_minutes: default.get(),
            email: user.info.email.clone(),
            real_name: user.info.real_name.clone(),
            locale: user.info.locale.clone(),
            created_at: now,
        };
        match intents::open(state, intent, None).await {
            Ok(opened) => opened,
            // The same view submitted again: the first submission is being handled.
            Err(_) => return None,
        }
    } else {
        tracing::warn!(
            "this form's meeting cannot be written down for other replicas; it runs here alone"
        );
        (None, None)
    };
    let job = Job {
        team_id: view.team_id.clone(),
        channel_id: channel.clone(),
        channel_name: None,
        user_id: view.user_id.clone(),
        reply_to: ReplyTo::Channel {
            channel,
            user: view.user_id.clone(),
        },
        request,
        email: user.info.email,
        real_name: user.info.real_name,
        notes: Vec::new(),
        locale: user.info.locale,
        enqueued_at: Instant::now(),
        received_at: chrono::Utc::now(),
        host: None,
        intent,
        pending_intent,
    };
    schedule::spawn(state, job, admitted);
    None
}

/// What the change-time form carries: the meeting, where its card is, and the language the
/// form was drawn in.
#[derive(Deserialize)]
struct ChangeTimeOrigin {
    id: u64,
    ch: String,
    ts: String,
    #[serde(default)]
    l: Option<String>,
}

/// A submitted change-time form: the new start and length checked, then the move done in the
/// background, and the mover told in the card's channel.
fn submit_change_time(state: &AppState, view: ViewSubmission) -> Option<Value> {
    let Ok(origin) = serde_json::from_str::<ChangeTimeOrigin>(&view.private_metadata) else {
        return field_error(input::START, Lang::En.text(Key::FormLostTrack));
    };
    let lang = origin
        .l
        .as_deref()
        .and_then(Lang::from_code)
        .unwrap_or_default();
    let Some(start) = view
        .input(input::START, input::START)
        .and_then(|i| i.selected_date_time)
        .and_then(|s| DateTime::from_timestamp(s, 0))
    else {
        return field_error(input::START, lang.text(Key::FormPickStart));
    };
    let minutes = view
        .input(input::DURATION, input::DURATION)
        .and_then(|i| i.selected_option.as_deref())
        .and_then(|m| m.parse::<u32>().ok())
        .unwrap_or(0);
    // The same rules as a new meeting (past, a year ahead, 1 minute to 24 hours).
    if let Err(e) = MeetingRequest::from_form_in(lang, "-", start, minutes, Zone::utc(), Utc::now())
    {
        let field = match e.field {
            Field::Duration => input::DURATION,
            Field::Topic | Field::Start => input::START,
        };
        return field_error(field, e.message);
    }
    let Ok(minutes) = Minutes::new(minutes) else {
        return field_error(input::DURATION, lang.text(Key::FormPickLength));
    };
    let Some(channel) = ChannelId::parse(&origin.ch) else {
        return field_error(input::START, lang.text(Key::FormLostTrack));
    };
    let actor = Actor {
        team_id: view.team_id.clone(),
        user_id: view.user_id.clone(),
    };
    let card = ClickedCard {
        channel: channel.clone(),
        ts: origin.ts,
        response_url: None,
    };
    let (to, mover) = (channel.clone(), view.user_id.clone());
    let state_for_task = state.clone();
    let work = async move {
        let state = &state_for_task;
        let text = manage::change_time(
            state,
            &actor,
            origin.id,
            start,
            minutes.get(),
            Some(card),
            lang,
        )
        .await;
        if let Err(e) = state
            .slack_api()
            .post_ephemeral(&channel, &actor.user_id, &Reply::ephemeral(text))
            .await
        {
            tracing::warn!(error = %e, "could not tell the mover");
        }
    };
    supervised::spawn(state, work, move |state| async move {
        let said = Reply::ephemeral(lang.text(Key::ReplyWentWrong));
        if let Err(e) = state.slack_api().post_ephemeral(&to, &mover, &said).await {
            tracing::warn!(error = %e, "could not tell the mover their change went wrong");
        }
    });
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_form_starts_at_the_next_half_hour_of_the_users_clock() {
        let cases = [
            ("UTC", (9, 10, 0), (9, 30)),
            ("UTC", (9, 30, 0), (10, 0)),
            ("UTC", (9, 59, 59), (10, 0)),
            // India is UTC+5:30: 09:10 UTC is 14:40 there, so 15:00 there, 09:30 UTC.
            ("Asia/Kolkata", (9, 10, 0), (9, 30)),
            // Nepal is UTC+5:45: 09:10 UTC is 14:55 there, so 15:00 there, 09:15 UTC.
            ("Asia/Kathmandu", (9, 10, 0), (9, 15)),
        ];
        for (zone, (h, m, s), (eh, em)) in cases {
            let now = Utc.with_ymd_and_hms(2026, 12, 1, h, m, s).unwrap();
            let got = next_half_hour(now, Zone::parse(zone).unwrap());
            assert_eq!(
                got,
                Utc.with_ymd_and_hms(2026, 12, 1, eh, em, 0).unwrap(),
                "{zone} {h}:{m}:{s}"
            );
        }
    }
}
