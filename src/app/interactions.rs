//! Clicks and form submissions: answered within Slack's 3 s, the work done in the background,
//! and the same rules whether they arrive over HTTP or Socket Mode.

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::app::answer::ReplyTo;
use crate::app::handler::{BUSY, RESTARTING, lookup_user};
use crate::app::manage::{self, Actor, ClickedCard};
use crate::app::schedule::{self, Job};
use crate::app::state::AppState;
use crate::command::{Field, MeetingRequest, Minutes};
use crate::slack::card::action;
use crate::slack::interaction::{BlockActions, Interaction, ViewSubmission};
use crate::slack::modal::{self, FormValues, input};
use crate::slack::reply::neutralise;
use crate::slack::{ChannelId, Reply, ResponseUrl};
use crate::time::Zone;

/// `action_id` of the "Open the form" button on a refused command.
pub const OPEN_FORM: &str = "open_form";

/// What travels in the form's `private_metadata`: where it was opened and the user's zone.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct FormOrigin {
    /// The conversation the form was opened from.
    #[serde(rename = "c", default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// The user's zone when the form was opened.
    #[serde(rename = "z", default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
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
    let state_for_task = state.clone();
    let span = tracing::Span::current();
    let work = async move {
        let state = &state_for_task;
        if let (Some(id), Some(card)) = (zoom_id.filter(|id| *id != 0), &clicked) {
            manage::learn_card(state, id, card).await;
        }
        match first.action_id.as_str() {
            action::CANCEL => {
                let text = match zoom_id {
                    Some(0) => ":eyes: Dry run: this would delete the meeting in Zoom and mark its card cancelled. Nothing was changed.".to_owned(),
                    Some(id) => manage::cancel(state, &actor, id, clicked).await,
                    None => "That button does not name a meeting.".to_owned(),
                };
                tell(state, &click.response_url, text).await;
            }
            action::CHANGE_TIME => {
                let opened = match (zoom_id, &clicked, click.trigger_id.as_deref()) {
                    (Some(0), _, _) => Err(
                        ":eyes: Dry run: this would open the form to move the meeting in Zoom."
                            .to_owned(),
                    ),
                    (Some(id), Some(card), Some(trigger)) => {
                        match manage::change_time_form(state, &actor, id, card).await {
                            Ok(view) => open(state, trigger, &view).await,
                            Err(say) => Err(say),
                        }
                    }
                    _ => Err(
                        "Use the button on the meeting's card in its channel to change its time."
                            .to_owned(),
                    ),
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
                        open(state, trigger, &view).await
                    }
                    None => Err(
                        "Slack did not say which click this was; type `/zoom new` instead."
                            .to_owned(),
                    ),
                };
                if let Err(say) = opened {
                    tell(state, &click.response_url, say).await;
                }
            }
            _ => {}
        }
    };
    state
        .background()
        .spawn(tracing::Instrument::instrument(work, span));
}

/// Opens a view with a trigger (valid for 3 s), or says why not.
async fn open(state: &AppState, trigger: &str, view: &Value) -> Result<(), String> {
    state.slack_api().open_view(trigger, view).await.map_err(|e| {
        tracing::warn!(error = %e, "views.open failed");
        if matches!(e, crate::slack::web::ApiError::NoToken) {
            "The form needs the app's bot token (SLACK_BOT_TOKEN). Type the meeting instead, like `/zoom Design review 45m tomorrow 3pm`.".to_owned()
        } else {
            "Slack did not open the form in time. Please click again, or type `/zoom new`.".to_owned()
        }
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

/// The new-meeting form for `actor`: the next half hour in their zone, the team's default
/// length, and whatever a refused command already said.
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
    };
    modal::new_meeting(&values, &serde_json::to_string(&origin).unwrap_or_default())
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
    let mut errors = BTreeMap::new();
    errors.insert(field, message.into());
    Some(modal::errors(&errors))
}

/// A submitted new-meeting form: checked field by field (the modal stays open with the error
/// under the field), the channel probed (the bot must be able to post there, or nothing is
/// created), then the meeting is created exactly like a typed command's.
async fn submit_new_meeting(state: &AppState, view: ViewSubmission) -> Option<Value> {
    let origin: FormOrigin = serde_json::from_str(&view.private_metadata).unwrap_or_default();
    let topic = view
        .input(input::TOPIC, input::TOPIC)
        .and_then(|i| i.value.clone())
        .unwrap_or_default();
    let Some(start) = view
        .input(input::START, input::START)
        .and_then(|i| i.selected_date_time)
        .and_then(|s| DateTime::from_timestamp(s, 0))
    else {
        return field_error(input::START, "Pick a date and time.");
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
        return field_error(input::CHANNEL, "Pick where to post the meeting.");
    };
    let zone = match origin.zone.as_deref().map(Zone::parse) {
        Some(Ok(zone)) => zone,
        _ => lookup_user(state, &view.user_id).await.zone,
    };
    let request = match MeetingRequest::from_form(&topic, start, minutes, zone, Utc::now()) {
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
        return field_error(input::TOPIC, RESTARTING);
    }
    // The bot must be able to post the card there; say so now, before anything is created.
    let probe = Reply::ephemeral(format!(
        ":hourglass_flowing_sand: Scheduling *{}*…",
        neutralise(request.topic().as_slack())
    ));
    if let Err(e) = state
        .slack_api()
        .post_ephemeral(&channel, &view.user_id, &probe)
        .await
    {
        tracing::info!(error = %e, channel = %channel, "the form's channel cannot be posted in");
        let why = if e.cannot_post_here() {
            "I can't post in that conversation. Invite me first (type `/invite @Zoom` there), or pick another channel."
        } else {
            "I couldn't reach Slack to post there just now. Please try again."
        };
        return field_error(input::CHANNEL, why);
    }
    let Some(admitted) = state.admit() else {
        return field_error(input::TOPIC, BUSY);
    };
    let user = lookup_user(state, &view.user_id).await;
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
        host: None,
        intent: None,
    };
    schedule::spawn(state, job, admitted);
    None
}

/// What the change-time form carries: the meeting and where its card is.
#[derive(Deserialize)]
struct ChangeTimeOrigin {
    id: u64,
    ch: String,
    ts: String,
}

/// A submitted change-time form: the new start and length checked, then the move done in the
/// background, and the mover told in the card's channel.
fn submit_change_time(state: &AppState, view: ViewSubmission) -> Option<Value> {
    let Ok(origin) = serde_json::from_str::<ChangeTimeOrigin>(&view.private_metadata) else {
        return field_error(
            input::START,
            "This form lost track of its meeting; open it again from the card.",
        );
    };
    let Some(start) = view
        .input(input::START, input::START)
        .and_then(|i| i.selected_date_time)
        .and_then(|s| DateTime::from_timestamp(s, 0))
    else {
        return field_error(input::START, "Pick a date and time.");
    };
    let minutes = view
        .input(input::DURATION, input::DURATION)
        .and_then(|i| i.selected_option.as_deref())
        .and_then(|m| m.parse::<u32>().ok())
        .unwrap_or(0);
    // The same rules as a new meeting (past, a year ahead, 1 minute to 24 hours).
    if let Err(e) = MeetingRequest::from_form("-", start, minutes, Zone::utc(), Utc::now()) {
        let field = match e.field {
            Field::Duration => input::DURATION,
            Field::Topic | Field::Start => input::START,
        };
        return field_error(field, e.message);
    }
    let Ok(minutes) = Minutes::new(minutes) else {
        return field_error(input::DURATION, "Pick a length from 1 minute to 24 hours.");
    };
    let Some(channel) = ChannelId::parse(&origin.ch) else {
        return field_error(
            input::START,
            "This form lost track of its meeting; open it again from the card.",
        );
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
    let state_for_task = state.clone();
    let span = tracing::Span::current();
    let work = async move {
        let state = &state_for_task;
        let text =
            manage::change_time(state, &actor, origin.id, start, minutes.get(), Some(card)).await;
        if let Err(e) = state
            .slack_api()
            .post_ephemeral(&channel, &actor.user_id, &Reply::ephemeral(text))
            .await
        {
            tracing::warn!(error = %e, "could not tell the mover");
        }
    };
    state
        .background()
        .spawn(tracing::Instrument::instrument(work, span));
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
