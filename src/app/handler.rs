//! The command handler: a verified command → parsed request → immediate answer, with creation in the background.

use std::time::Instant;

use chrono::Utc;

use crate::app::answer::ReplyTo;
use crate::app::intents::{self, AlreadyOpen};
use crate::app::metrics::CommandOutcome;
use crate::app::schedule::{self, Held, Job, PendingIntent};
use crate::app::state::AppState;
use crate::store::NewIntent;
use serde_json::json;

use crate::app::interactions::{self, Prefill};
use crate::app::manage::{self, Actor};
use crate::command::{self, Action, Context, MeetingRequest, Parsed, Understood};
use crate::i18n::{Key, Lang, t};
use crate::slack::reply::{escape, neutralise};
use crate::slack::users::UserInfo;
use crate::slack::web::ApiError;
use crate::slack::{Reply, SlashCommand, UserId};
use crate::time::Zone;

/// Decides the immediate answer to a verified command (`None`: an empty 200, when the
/// answer follows through `response_url` or a form opens). Never waits on Zoom: meeting
/// creation is handed to a tracked background task that reports through `response_url`.
pub async fn handle(state: &AppState, command: SlashCommand) -> Option<Reply> {
    let first = state.first_delivery(&command.delivery_key()).await;
    handle_delivered(state, command, first).await
}

/// [`handle`], with the double-delivery guard claimed already (`first`: this is the command's
/// first delivery), as the HTTP door does together with the replay guard.
pub async fn handle_delivered(
    state: &AppState,
    command: SlashCommand,
    first: bool,
) -> Option<Reply> {
    // Slack may deliver one command twice, signed anew each time: the copy must not run.
    if !first {
        tracing::warn!("command delivered again (same trigger_id); not run twice");
        state.metrics().command(CommandOutcome::AlreadyHandled);
        // The first delivery looked the user up: this comes from the cache.
        let lang = lookup_user(state, command.user_id()).await.lang;
        return Some(Reply::ephemeral(lang.text(Key::ReplyAlreadyHandled)));
    }
    tell_pending_notes(state, &command);
    answer(state, command).await
}

/// What the user could not be told earlier (a card that could not be posted, notes that did
/// not arrive): handed over once, at their next command, only to them.
fn tell_pending_notes(state: &AppState, command: &SlashCommand) {
    // Nearly always: nothing is kept for anyone, and no task is needed to find that out.
    if !state.store().pending_notes().may_be_waiting() {
        return;
    }
    let state_for_task = state.clone();
    let team = command.team_id().as_str().to_owned();
    let user = command.user_id().clone();
    let url = command.response_url().clone();
    let span = tracing::Span::current();
    let work = async move {
        let state = &state_for_task;
        let kept = crate::app::outbox::take_pending_notes(state, &team, user.as_str()).await;
        if kept.is_empty() {
            return;
        }
        let lines = kept.render(lookup_user(state, &user).await.lang);
        let reply = Reply::ephemeral(lines.join("\n"));
        if let Err(e) = state.deliver(&url, &reply, state.delivery()).await {
            tracing::warn!(error = %e, "could not hand over the notes kept for the user");
        }
    };
    state
        .background()
        .spawn(tracing::Instrument::instrument(work, span));
}

async fn answer(state: &AppState, command: SlashCommand) -> Option<Reply> {
    let text = command.text();
    // Every answer, help included, is in the user's language: the lookup comes first (cached
    // for an hour, and bounded by USER_LOOKUP_BUDGET like a meeting's).
    let user = lookup_user(state, command.user_id()).await;
    let lang = user.lang;
    if command::is_help(text) {
        state.metrics().command(CommandOutcome::Help);
        return Some(Reply::ephemeral(command::usage_in(
            lang,
            state.default_duration(),
        )));
    }
    if state.is_shutting_down() {
        state.metrics().command(CommandOutcome::Restarting);
        return Some(Reply::ephemeral(lang.text(Key::ReplyRestarting)));
    }
    let ctx = Context {
        now: Utc::now(),
        zone: user.zone,
        default_duration: state.default_duration(),
    };
    let request = match command::parse(text, &ctx) {
        Ok(Parsed::Help) => {
            state.metrics().command(CommandOutcome::Help);
            return Some(Reply::ephemeral(command::usage_in(
                lang,
                state.default_duration(),
            )));
        }
        Ok(Parsed::Action(action)) => {
            state.metrics().command(CommandOutcome::of_action(&action));
            return act(state, &command, action, lang).await;
        }
        Ok(Parsed::Meeting(request)) => request,
        Err(e) => {
            tracing::info!(error = ?e, "command refused");
            state.metrics().command(CommandOutcome::Refused);
            // The message quotes what the user typed: escape it like any user text.
            let understood = command::understood(text, &e, &ctx);
            return Some(with_form_button(
                state,
                &command,
                escape(&e.user_message_in(lang)),
                understood,
                lang,
            ));
        }
    };
    if let Some(refusal) = unpinnable_series(&request, lang) {
        tracing::info!("recurring meeting refused: no zone on Zoom's list fits");
        state.metrics().command(CommandOutcome::Refused);
        return Some(Reply::ephemeral(escape(&refusal)));
    }

    let Some(admitted) = state.admit() else {
        tracing::warn!("background queue full; command refused as busy");
        state.metrics().command(CommandOutcome::Busy);
        return Some(Reply::ephemeral(lang.text(Key::ReplyBusy)));
    };
    // With replicas, the command is written down before the user is answered, so another
    // replica can finish it if this one dies.
    let (intent, pending_intent) = match open_intent(state, &command, &request, &ctx, &user).await {
        Ok(intent) => intent,
        Err(AlreadyOpen) => {
            tracing::warn!("another replica is settling this command; not run twice");
            state.metrics().command(CommandOutcome::AlreadyHandled);
            return Some(Reply::ephemeral(lang.text(Key::ReplyAlreadyHandled)));
        }
    };
    let ack = acknowledgement(&request, user.zone_note, lang);
    // One info line per meeting, when it is posted (it carries these fields too): a line per
    // step cost measurable CPU per command (docs/PERFORMANCE.md, "A typed card, one log line").
    tracing::debug!(start = %request.start(), zone = request.zone().name(), "scheduling meeting");
    let job = Job {
        team_id: command.team_id().clone(),
        channel_id: command.channel_id().clone(),
        channel_name: command.channel_name().map(str::to_owned),
        user_id: command.user_id().clone(),
        reply_to: ReplyTo::Hook(command.response_url().clone()),
        request,
        email: user.info.email,
        real_name: user.info.real_name,
        notes: Vec::new(),
        locale: user.info.locale.clone(),
        enqueued_at: Instant::now(),
        received_at: chrono::Utc::now(),
        host: None,
        intent,
        pending_intent,
    };
    schedule::spawn(state, job, admitted);
    state.metrics().command(CommandOutcome::Scheduled);
    Some(ack)
}

/// Writes the command's intent when replicas share PostgreSQL (see [`intents::open`]).
async fn open_intent(
    state: &AppState,
    command: &SlashCommand,
    request: &MeetingRequest,
    ctx: &Context,
    user: &UserContext,
) -> Result<(Option<Held>, Option<PendingIntent>), AlreadyOpen> {
    // Nothing to build on SQLite, on every command's path.
    if !state.shares_store() {
        return Ok((None, None));
    }
    let intent = NewIntent {
        delivery_key: command.delivery_key(),
        tag: intents::new_tag(),
        team_id: command.team_id().as_str().to_owned(),
        channel_id: command.channel_id().as_str().to_owned(),
        channel_name: command.channel_name().map(str::to_owned),
        user_id: command.user_id().as_str().to_owned(),
        response_url: command.response_url().as_str().to_owned(),
        command: request.to_canonical(),
        zone: ctx.zone.name().to_owned(),
        read_at: ctx.now,
        default_minutes: ctx.default_duration.get(),
        email: user.info.email.clone(),
        real_name: user.info.real_name.clone(),
        locale: user.info.locale.clone(),
        created_at: chrono::Utc::now(),
    };
    intents::open(state, intent).await
}

/// `list`, `cancel <id>`, `new`: answered through `response_url` (or a form), so the
/// immediate answer is empty unless something is wrong at once.
async fn act(
    state: &AppState,
    command: &SlashCommand,
    action: Action,
    lang: Lang,
) -> Option<Reply> {
    let actor = Actor {
        team_id: command.team_id().clone(),
        user_id: command.user_id().clone(),
    };
    if let Action::New = action {
        let Some(trigger) = command.trigger_id() else {
            return Some(Reply::ephemeral(lang.text(Key::ReplyNoTrigger)));
        };
        let prefill = Prefill {
            channel: Some(command.channel_id().as_str().to_owned()),
            ..Prefill::default()
        };
        let view = interactions::new_meeting_form(state, &actor, prefill).await;
        return match state.slack_api().open_view(trigger, &view).await {
            Ok(()) => None,
            Err(e) => {
                tracing::warn!(error = %e, "views.open failed for /zoom new");
                Some(Reply::ephemeral(lang.text(
                    if matches!(e, ApiError::NoToken) {
                        Key::ReplyFormNeedsToken
                    } else {
                        Key::ReplyFormNotOpened
                    },
                )))
            }
        };
    }
    let url = command.response_url().clone();
    let state_for_task = state.clone();
    let span = tracing::Span::current();
    let work = async move {
        let state = &state_for_task;
        let reply = match action {
            Action::List => manage::list(state, &actor, lang).await,
            Action::Cancel(id) => {
                Reply::ephemeral(manage::cancel(state, &actor, id, None, lang).await)
            }
            Action::New => return,
        };
        if let Err(e) = state.deliver(&url, &reply, state.delivery()).await {
            tracing::warn!(error = %e, "could not deliver the answer to Slack");
        }
    };
    state
        .background()
        .spawn(tracing::Instrument::instrument(work, span));
    None
}

/// A refusal, with a button that opens the form filled in with whatever was understood
/// (when the app can open forms at all).
fn with_form_button(
    state: &AppState,
    command: &SlashCommand,
    refusal: String,
    understood: Understood,
    lang: Lang,
) -> Reply {
    if !state.slack_api().has_token() {
        return Reply::ephemeral(refusal);
    }
    let prefill = Prefill {
        topic: understood.topic,
        minutes: understood.minutes,
        start: understood.start.map(|s| s.timestamp()),
        channel: Some(command.channel_id().as_str().to_owned()),
    };
    let value = serde_json::to_string(&prefill).unwrap_or_default();
    let blocks = vec![
        json!({"type": "section", "text": {"type": "mrkdwn", "text": refusal}}),
        json!({"type": "actions", "elements": [{
            "type": "button",
            "action_id": interactions::OPEN_FORM,
            "text": {"type": "plain_text", "text": lang.text(Key::ReplyOpenForm)},
            "value": value,
        }]}),
    ];
    Reply::ephemeral(refusal).with_blocks(blocks)
}

/// A series Zoom could not keep at its wall-clock time: no zone on Zoom's list has the user's
/// clock changes, and one pinned in UTC would drift an hour at each daylight-saving change.
pub fn unpinnable_series(request: &MeetingRequest, lang: Lang) -> Option<String> {
    let series = request.recurrence()?;
    if crate::app::meeting::series_zone_exists(series) {
        return None;
    }
    Some(t!(
        lang,
        ReplyUnpinnableSeries,
        series = series.describe_in(lang),
        zone = series.zone().name()
    ))
}

/// The notes the invoker must see about choices made for them (in their `lang`): the
/// parser's (moved to tomorrow, a repeated hour) and why their zone was assumed, unless the
/// command named one.
pub fn invoker_notes(
    request: &MeetingRequest,
    zone_note: Option<String>,
    lang: Lang,
) -> Vec<String> {
    let mut notes: Vec<String> = request.notes().iter().map(|n| n.message(lang)).collect();
    if !request.explicit_zone()
        && let Some(reason) = zone_note
    {
        notes.push(reason);
    }
    notes
}

/// The immediate, ephemeral answer to an accepted command, in the invoker's `lang`: what is
/// being scheduled, with their notes. The card itself follows in the channel.
pub fn acknowledgement(request: &MeetingRequest, zone_note: Option<String>, lang: Lang) -> Reply {
    let when = if let Some(series) = request.recurrence() {
        series.describe_in(lang)
    } else if request.starts_now() {
        lang.text(Key::ReplyAckNow).to_owned()
    } else {
        t!(
            lang,
            ReplyAckWhen,
            date = lang.datetime(Key::FormatDayTime, request.local_start()),
            zone = request.zone().name()
        )
    };
    let mut ack = t!(
        lang,
        ReplyAck,
        topic = neutralise(request.topic().as_slack()),
        when,
        duration = request.duration().in_words(lang)
    );
    for note in invoker_notes(request, zone_note, lang) {
        ack.push_str("\n• ");
        ack.push_str(&escape(&note));
    }
    Reply::ephemeral(ack)
}

/// The invoker's zone, language (and email) as far as Slack can tell us within the lookup
/// budget.
pub(crate) struct UserContext {
    pub(crate) zone: Zone,
    /// Why the default zone was assumed, for the reply; `None` when Slack told us the zone.
    pub(crate) zone_note: Option<String>,
    /// From their Slack locale; English when it is unknown or has no catalog.
    pub(crate) lang: Lang,
    pub(crate) info: UserInfo,
}

pub(crate) async fn lookup_user(state: &AppState, user: &UserId) -> UserContext {
    let default = state.default_zone();
    let assumed = |why: Key, info: UserInfo| {
        let lang = Lang::from_user(info.locale.as_deref());
        UserContext {
            zone: default,
            zone_note: Some(t!(
                lang,
                ReplyZoneNote,
                zone = default.name(),
                why = lang.text(why)
            )),
            lang,
            info,
        }
    };
    if !state.slack_api().has_token() {
        return assumed(Key::ReplyZoneWhyNoToken, UserInfo::default());
    }
    // The Slack client's own timeout (USER_LOOKUP_BUDGET) keeps this inside Slack's 3 s.
    let info = match state.slack_api().user_info(user).await {
        Ok(info) => info,
        Err(e) => {
            tracing::warn!(error = %e, "users.info failed; using the default timezone");
            return assumed(Key::ReplyZoneWhyLookupFailed, UserInfo::default());
        }
    };
    match info.tz.as_deref().map(Zone::parse) {
        Some(Ok(zone)) => UserContext {
            zone,
            zone_note: None,
            lang: Lang::from_user(info.locale.as_deref()),
            info,
        },
        Some(Err(_)) => assumed(Key::ReplyZoneWhyUnknownZone, info),
        None => assumed(Key::ReplyZoneWhyNoZone, info),
    }
}
