//! Acting on meetings already scheduled: list, cancel and change time. The same rules for the
//! typed commands and the buttons: who may act comes from the signed request's user id and
//! the stored record, never from a button's value; Zoom is the source of truth.

use chrono::{DateTime, Utc};
use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::app::meeting::{canceller, card_from_record};
use crate::app::state::AppState;
use crate::i18n::{Key, Lang, t};
use crate::slack::card::{Canceller, action};
use crate::slack::reply::neutralise;
use crate::slack::web::Posted;
use crate::slack::{ChannelId, Reply, ResponseUrl, TeamId, UserId};
use crate::store::{
    CANCELLED_IN_ZOOM, CancelOutcome, CardLocation, MeetingRecord, MeetingState, Schedule,
};
use crate::zoom::{Meeting, MeetingId, MeetingUpdate, Operation};

/// How many meetings `/zoom list` shows, and how many it checks in Zoom to find them.
const LIST_SHOWN: usize = 10;
const LIST_CHECKED: u32 = 25;

/// The person acting, from a signed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub team_id: TeamId,
    pub user_id: UserId,
}

/// Whether `actor` may cancel or move `record`: the person who scheduled it, or an admin.
pub fn may_change(state: &AppState, actor: &Actor, record: &MeetingRecord) -> bool {
    record.team_id == actor.team_id.as_str()
        && (record.scheduled_by == actor.user_id.as_str() || state.is_admin(actor.user_id.as_str()))
}

/// The stored meeting for `zoom_id` in the actor's workspace, or the sentence to say instead
/// (in the actor's `lang`).
pub async fn find(
    state: &AppState,
    actor: &Actor,
    zoom_id: u64,
    lang: Lang,
) -> Result<MeetingRecord, String> {
    match state.store().meetings().get(zoom_id).await {
        Ok(Some(record)) if record.team_id == actor.team_id.as_str() => Ok(record),
        Ok(_) => Err(t!(
            lang,
            ManageNotFound,
            id = MeetingId::new(zoom_id).grouped()
        )),
        Err(e) => {
            tracing::error!(error = %e, "store unavailable while looking up a meeting");
            Err(e.user_message_in(lang).to_owned())
        }
    }
}

/// "Only <@U…>, who scheduled it, or an admin can {cancel|move} it."
fn refusal(record: &MeetingRecord, what: Key, lang: Lang) -> String {
    lang.render(
        what,
        &[
            ("owner", &record.scheduled_by),
            ("topic", &neutralise(&record.topic)),
        ],
    )
}

/// Where the card of a meeting was clicked, when the click came from it.
#[derive(Debug, Clone)]
pub struct ClickedCard {
    pub channel: ChannelId,
    pub ts: String,
    /// The click's `response_url`: replacing the clicked message through it needs no bot token.
    pub response_url: Option<ResponseUrl>,
}

/// Cancels a meeting for `actor`: checks, deletes it in Zoom, records it, and redraws its card
/// in place (in the scheduler's language) when the service knows where the card is. Returns
/// what to tell the actor, in their `lang`.
pub async fn cancel(
    state: &AppState,
    actor: &Actor,
    zoom_id: u64,
    clicked: Option<ClickedCard>,
    lang: Lang,
) -> String {
    let record = match find(state, actor, zoom_id, lang).await {
        Ok(record) => record,
        Err(say) => return say,
    };
    if !may_change(state, actor, &record) {
        return refusal(&record, Key::ManageOnlyOwnerCancel, lang);
    }
    let topic = neutralise(&record.topic);
    if let MeetingState::Cancelled { by, .. } = &record.state {
        // Nothing left to delete, but its card may still offer Join and Cancel (one found
        // deleted in Zoom by `/zoom list` was never redrawn): redraw it as the store has it.
        let first = already_cancelled(lang, &topic, by);
        let card = card_from_record(&record, None).in_channel();
        let redrawn = redraw(state, &record, clicked, &card).await;
        return with_card(lang, first, &record.channel_id, redrawn);
    }
    let Some(zoom) = state.zoom() else {
        return t!(lang, ManageDryRunCancel, topic);
    };
    let gone = match zoom.delete_meeting(MeetingId::new(zoom_id)).await {
        Ok(()) => false,
        Err(e) if e.meeting_not_found() => true,
        Err(e) => {
            tracing::warn!(error = %e, meeting_id = zoom_id, "Zoom refused to delete the meeting");
            // The store still says scheduled, as Zoom does.
            return format!(
                ":warning: {}",
                crate::slack::reply::escape(&e.user_message_in(
                    lang,
                    Operation::Cancel,
                    record.schedule.zone.parse().unwrap_or(chrono_tz::UTC),
                    Utc::now()
                ))
            );
        }
    };
    let now = Utc::now();
    // Already gone from Zoom: deleted there, not by the person who clicked.
    let by = if gone {
        CANCELLED_IN_ZOOM
    } else {
        actor.user_id.as_str()
    };
    let stored = state.store().meetings().cancel(zoom_id, by, now).await;
    if let Err(e) = &stored {
        tracing::error!(error = %e, meeting_id = zoom_id, "cancelled in Zoom but not recorded in the store");
    }
    // Zoom had nothing to delete because another cancel (a double click, `/zoom cancel`, a
    // `/zoom list` that found it gone) got there first and is recorded: that one is the truth,
    // on the card and in the answer.
    let first_cancel = match (&stored, gone) {
        (Ok(CancelOutcome::AlreadyCancelled), true) => {
            let current = state.store().meetings().get(zoom_id).await.ok().flatten();
            current.filter(|c| matches!(c.state, MeetingState::Cancelled { .. }))
        }
        _ => None,
    };
    let cancelled = first_cancel.clone().unwrap_or_else(|| MeetingRecord {
        state: MeetingState::Cancelled {
            at: now,
            by: by.to_owned(),
        },
        ..record.clone()
    });
    let card = card_from_record(&cancelled, None).in_channel();
    let redrawn = redraw(state, &record, clicked, &card).await;
    tracing::info!(meeting_id = zoom_id, gone, "meeting cancelled");
    let first =
        if let (Some(_), MeetingState::Cancelled { by, .. }) = (&first_cancel, &cancelled.state) {
            already_cancelled(lang, &topic, by)
        } else if gone {
            t!(lang, ManageDeletedInZoom, topic)
        } else if matches!(stored, Ok(CancelOutcome::AlreadyCancelled)) {
            t!(lang, ManageAlreadyCancelled, topic)
        } else {
            t!(lang, ManageCancelled, topic)
        };
    with_card(lang, first, &record.channel_id, redrawn)
}

/// "Already cancelled by @x", or "already deleted in Zoom", from the store's `by`.
fn already_cancelled(lang: Lang, topic: &str, by: &str) -> String {
    match canceller(by) {
        Canceller::User(by) => t!(lang, ManageAlreadyCancelledBy, topic, by),
        Canceller::Zoom => t!(lang, ManageAlreadyDeletedInZoom, topic),
    }
}

/// `first`, then whether the card in `channel` was redrawn (see [`redraw`]).
fn with_card(lang: Lang, first: String, channel: &str, redrawn: Option<bool>) -> String {
    match redrawn {
        Some(true) => t!(lang, ManageCardUpdated, first, channel),
        Some(false) => t!(lang, ManageCardNotUpdated, first, channel),
        None => first,
    }
}

/// Replaces the card in place: where it was clicked, or where the store says it is. `None`
/// when the service does not know where the card is.
async fn redraw(
    state: &AppState,
    record: &MeetingRecord,
    clicked: Option<ClickedCard>,
    card: &Reply,
) -> Option<bool> {
    if let Some(url) = clicked.as_ref().and_then(|c| c.response_url.as_ref()) {
        let replaced = state
            .deliver(url, &card.clone().replacing_original(), state.delivery())
            .await;
        return match replaced {
            Ok(()) => Some(true),
            Err(e) => {
                tracing::warn!(error = %e, meeting_id = record.zoom_id, "could not redraw the card");
                Some(false)
            }
        };
    }
    let location = clicked.map(|c| (c.channel, c.ts)).or_else(|| {
        record
            .card
            .as_ref()
            .and_then(|c| Some((ChannelId::parse(&c.channel_id)?, c.message_ts.clone())))
    })?;
    let posted = Posted {
        channel: location.0,
        ts: location.1,
    };
    match state.slack_api().update_message(&posted, card).await {
        Ok(()) => Some(true),
        Err(e) => {
            tracing::warn!(error = %e, meeting_id = record.zoom_id, "could not redraw the card");
            Some(false)
        }
    }
}

/// Remembers where a meeting's card is, learnt from a click on it.
pub async fn learn_card(state: &AppState, zoom_id: u64, clicked: &ClickedCard) {
    let location = CardLocation {
        channel_id: clicked.channel.as_str().to_owned(),
        message_ts: clicked.ts.clone(),
    };
    if let Err(e) = state.store().meetings().set_card(zoom_id, &location).await {
        tracing::warn!(error = %e, meeting_id = zoom_id, "could not record where the card is");
    }
}

/// One meeting as Zoom has it now (or as stored, when Zoom could not be asked).
struct Listed {
    record: MeetingRecord,
    /// Zoom's topic: it may have been renamed in Zoom's own UI.
    topic: String,
    start: DateTime<Utc>,
    join_url: String,
    checked: bool,
}

/// `/zoom list`: the actor's next meetings scheduled through the app, as Zoom has them now. A
/// meeting deleted in Zoom is marked cancelled, its known card redrawn, and left out; one moved
/// in Zoom is shown (and stored) at its new time. In the actor's `lang`.
pub async fn list(state: &AppState, actor: &Actor, lang: Lang) -> Reply {
    let now = Utc::now();
    let records = match state
        .store()
        .meetings()
        .upcoming(
            actor.team_id.as_str(),
            actor.user_id.as_str(),
            now,
            LIST_CHECKED,
        )
        .await
    {
        Ok(records) => records,
        Err(e) => {
            tracing::error!(error = %e, "store unavailable for /zoom list");
            return Reply::ephemeral(e.user_message_in(lang));
        }
    };
    let checked = join_all(records.into_iter().map(|record| check(state, record, now))).await;
    let mut shown: Vec<Listed> = checked.into_iter().flatten().collect();
    shown.sort_by_key(|l| l.start);
    shown.truncate(LIST_SHOWN);
    render_list(&shown, lang)
}

/// Asks Zoom about one stored meeting and brings the store in line with the answer.
async fn check(state: &AppState, record: MeetingRecord, now: DateTime<Utc>) -> Option<Listed> {
    let Some(zoom) = state.zoom() else {
        return Some(Listed {
            topic: record.topic.clone(),
            start: record.schedule.start,
            join_url: record.join_url.clone(),
            record,
            checked: false,
        });
    };
    match zoom.get_meeting(MeetingId::new(record.zoom_id)).await {
        Ok(meeting) => Some(agree(state, record, &meeting, now).await),
        Err(e) if e.meeting_not_found() => {
            tracing::info!(
                meeting_id = record.zoom_id,
                "deleted in Zoom; marking it cancelled"
            );
            match state
                .store()
                .meetings()
                .cancel(record.zoom_id, CANCELLED_IN_ZOOM, now)
                .await
            {
                // Its card still offers Join: redraw it, without holding up the list.
                Ok(CancelOutcome::Cancelled) if record.card.is_some() => {
                    let mut cancelled = record;
                    cancelled.state = MeetingState::Cancelled {
                        at: now,
                        by: CANCELLED_IN_ZOOM.to_owned(),
                    };
                    let task_state = state.clone();
                    let redrawing = async move {
                        let card = card_from_record(&cancelled, None).in_channel();
                        redraw(&task_state, &cancelled, None, &card).await;
                    };
                    state
                        .background()
                        .spawn(tracing::Instrument::in_current_span(redrawing));
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "could not record a meeting deleted in Zoom"),
            }
            None
        }
        Err(e) => {
            tracing::warn!(error = %e, meeting_id = record.zoom_id, "could not check a meeting in Zoom");
            Some(Listed {
                topic: record.topic.clone(),
                start: record.schedule.start,
                join_url: record.join_url.clone(),
                record,
                checked: false,
            })
        }
    }
}

/// Zoom's current start (for a series, its next occurrence) and link; a meeting moved in Zoom
/// is moved in the store too.
async fn agree(
    state: &AppState,
    record: MeetingRecord,
    meeting: &Meeting,
    now: DateTime<Utc>,
) -> Listed {
    let next_occurrence = meeting
        .occurrences()
        .iter()
        .filter_map(|o| o.start_time())
        .find(|start| *start > now);
    let start = next_occurrence
        .or_else(|| meeting.start_time())
        .unwrap_or(record.schedule.start);
    let minutes = meeting
        .duration_minutes()
        .unwrap_or(record.schedule.duration_minutes);
    if !record.is_recurring()
        && (start != record.schedule.start || minutes != record.schedule.duration_minutes)
    {
        let schedule = Schedule {
            start,
            duration_minutes: minutes,
            zone: record.schedule.zone.clone(),
        };
        let notice = state
            .start_notice()
            .map(|before| start - chrono::Duration::from_std(before).unwrap_or_default());
        if let Err(e) = state
            .store()
            .meetings()
            .reschedule(record.zoom_id, &schedule, now, notice)
            .await
        {
            tracing::warn!(error = %e, "could not record a meeting moved in Zoom");
        }
    }
    Listed {
        topic: meeting
            .topic()
            .filter(|t| !t.trim().is_empty())
            .unwrap_or(&record.topic)
            .to_owned(),
        join_url: meeting.join_url().unwrap_or(&record.join_url).to_owned(),
        start,
        record,
        checked: true,
    }
}

fn render_list(shown: &[Listed], lang: Lang) -> Reply {
    if shown.is_empty() {
        return Reply::ephemeral(lang.text(Key::ManageListEmpty));
    }
    let mut blocks = vec![json!({
        "type": "section",
        "text": {"type": "mrkdwn", "text": lang.text(Key::ManageListTitle)},
    })];
    let mut lines = Vec::new();
    for listed in shown {
        let record = &listed.record;
        let topic = neutralise(&listed.topic);
        let when = t!(
            lang,
            TokenShort,
            ts = listed.start.timestamp(),
            fallback = listed.start.format("%Y-%m-%d %H:%M UTC")
        );
        let mut text = t!(
            lang,
            ManageListItem,
            topic,
            when,
            channel = record.channel_id,
            id = MeetingId::new(record.zoom_id).grouped()
        );
        if let Some(series) = &record.recurrence {
            text.push_str(&format!("\n{}", crate::slack::reply::escape(series)));
        }
        if !listed.checked {
            text.push('\n');
            text.push_str(lang.text(Key::ManageListUnchecked));
        }
        lines.push(format!(
            "{topic} — {}",
            listed.start.format("%Y-%m-%d %H:%M UTC")
        ));
        blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": text}}));
        blocks.push(list_actions(listed, lang));
    }
    Reply::ephemeral(t!(lang, ManageListFallback, meetings = lines.join("; "))).with_blocks(blocks)
}

fn list_actions(listed: &Listed, lang: Lang) -> Value {
    let id = listed.record.zoom_id;
    let text = |key| json!({"type": "plain_text", "text": lang.text(key)});
    let mut elements = Vec::new();
    if !listed.join_url.is_empty() && listed.join_url.len() <= 3000 {
        elements.push(json!({
            "type": "button",
            "action_id": action::JOIN,
            "text": text(Key::ButtonJoin),
            "url": listed.join_url,
        }));
    }
    elements.push(json!({
        "type": "button",
        "action_id": action::CANCEL,
        "style": "danger",
        "text": text(Key::ButtonCancel),
        "value": id.to_string(),
        "confirm": {
            "title": text(Key::CardConfirmMeeting),
            "text": {"type": "plain_text", "text": t!(lang, ManageListConfirmText, id = MeetingId::new(id).grouped())},
            "confirm": text(Key::CardCancelMeeting),
            "deny": text(Key::ButtonKeep),
            "style": "danger",
        },
    }));
    json!({"type": "actions", "block_id": format!("list_{id}"), "elements": elements})
}

/// Moves a meeting for `actor` to `start` for `minutes`: PATCH in Zoom, read Zoom's answer
/// back, update the store, redraw the card in place and say so in a thread under it (both in
/// the scheduler's language). Returns what to tell the actor, in their `lang`.
pub async fn change_time(
    state: &AppState,
    actor: &Actor,
    zoom_id: u64,
    start: DateTime<Utc>,
    minutes: u16,
    clicked: Option<ClickedCard>,
    lang: Lang,
) -> String {
    let record = match find(state, actor, zoom_id, lang).await {
        Ok(record) => record,
        Err(say) => return say,
    };
    if !may_change(state, actor, &record) {
        return refusal(&record, Key::ManageOnlyOwnerMove, lang);
    }
    let topic = neutralise(&record.topic);
    if matches!(record.state, MeetingState::Cancelled { .. }) {
        return t!(lang, ManageCancelledCannotMove, topic);
    }
    let zone: chrono_tz::Tz = record.schedule.zone.parse().unwrap_or(chrono_tz::UTC);
    let Some(zoom) = state.zoom() else {
        return t!(lang, ManageDryRunMove, topic);
    };
    let update = MeetingUpdate {
        topic: None,
        start: Some((start, zone)),
        duration_minutes: Some(minutes),
        agenda: None,
    };
    let id = MeetingId::new(zoom_id);
    if let Err(e) = zoom.update_meeting(id, &update).await {
        tracing::warn!(error = %e, meeting_id = zoom_id, "Zoom refused to move the meeting");
        return format!(
            ":warning: {}",
            crate::slack::reply::escape(&e.user_message_in(
                lang,
                Operation::Update,
                zone,
                Utc::now()
            ))
        );
    }
    // Zoom's answer is the truth: read back what it stored.
    let now = Utc::now();
    let meeting = zoom.get_meeting(id).await.ok();
    let new_start = meeting
        .as_ref()
        .and_then(Meeting::start_time)
        .unwrap_or(start);
    let new_minutes = meeting
        .as_ref()
        .and_then(Meeting::duration_minutes)
        .unwrap_or(u32::from(minutes));
    let schedule = Schedule {
        start: new_start,
        duration_minutes: new_minutes,
        zone: record.schedule.zone.clone(),
    };
    let notice = state
        .start_notice()
        .map(|before| new_start - chrono::Duration::from_std(before).unwrap_or_default());
    if let Err(e) = state
        .store()
        .meetings()
        .reschedule(zoom_id, &schedule, now, notice)
        .await
    {
        tracing::error!(error = %e, meeting_id = zoom_id, "moved in Zoom but not recorded in the store");
    }
    let mut moved = record.clone();
    moved.schedule = schedule;
    let card = card_from_record(&moved, meeting.as_ref()).in_channel();
    let location = clicked.clone().or_else(|| {
        record.card.as_ref().and_then(|c| {
            Some(ClickedCard {
                channel: ChannelId::parse(&c.channel_id)?,
                ts: c.message_ts.clone(),
                response_url: None,
            })
        })
    });
    let redrawn = redraw(state, &record, location.clone(), &card).await;
    if let Some(card) = location {
        // Under the card, in the card's (the scheduler's) language.
        let card_lang = Lang::from_user(record.locale.as_deref());
        let note = Reply::in_channel(t!(
            card_lang,
            ManageMovedThread,
            from = when(record.schedule.start, zone, card_lang),
            to = when(new_start, zone, card_lang),
            user = actor.user_id
        ));
        if let Err(e) = state
            .slack_api()
            .post_message(&card.channel, &note, Some(&card.ts))
            .await
        {
            tracing::warn!(error = %e, "could not reply under the card");
        }
    }
    tracing::info!(meeting_id = zoom_id, "meeting moved");
    let to = when(new_start, zone, lang);
    match redrawn {
        Some(false) => t!(lang, ManageMovedCardNotUpdated, topic, to),
        _ => t!(lang, ManageMoved, topic, to),
    }
}

/// A date token with the meeting's zone in the fallback.
fn when(at: DateTime<Utc>, zone: chrono_tz::Tz, lang: Lang) -> String {
    let local = lang.datetime(
        Key::FormatShortDayTime,
        at.with_timezone(&zone).naive_local(),
    );
    t!(
        lang,
        TokenShort,
        ts = at.timestamp(),
        fallback = format!("{local} ({})", zone.name())
    )
}

/// The change-time form prefilled for a stored meeting, or why it cannot be opened; in the
/// actor's `lang`.
pub async fn change_time_form(
    state: &AppState,
    actor: &Actor,
    zoom_id: u64,
    clicked: &ClickedCard,
    lang: Lang,
) -> Result<Value, String> {
    let record = find(state, actor, zoom_id, lang).await?;
    if !may_change(state, actor, &record) {
        return Err(refusal(&record, Key::ManageOnlyOwnerMove, lang));
    }
    if record.is_recurring() {
        return Err(t!(
            lang,
            ManageSeriesCannotMove,
            topic = neutralise(&record.topic)
        ));
    }
    let values = crate::slack::modal::FormValues {
        topic: None,
        start: record.schedule.start,
        minutes: u16::try_from(record.schedule.duration_minutes).unwrap_or(30),
        channel: None,
    };
    let metadata =
        json!({"id": zoom_id, "ch": clicked.channel.as_str(), "ts": clicked.ts, "l": lang.code()})
            .to_string();
    let topic = format!(":video_camera: *{}*", neutralise(&record.topic));
    Ok(crate::slack::modal::change_time(
        lang, &topic, &values, &metadata,
    ))
}
