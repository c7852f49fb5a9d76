//! The command handler: a verified command → parsed request → immediate answer, with creation in the background.

use std::time::Instant;

use chrono::Utc;

use crate::app::answer::ReplyTo;
use crate::app::intents;
use crate::app::metrics::CommandOutcome;
use crate::app::schedule::{self, Held, Job, PendingIntent};
use crate::app::state::{Again, AppState, Guards};
use crate::app::supervised;
use crate::store::NewIntent;
use serde_json::json;

use crate::app::interactions::{self, Prefill};
use crate::app::manage::{self, Actor};
use crate::command::{self, Action, Context, MeetingRequest, Parsed, Understood};
use crate::i18n::{Key, Lang, t};
use crate::slack::reply::{escape, neutralise};
use crate::slack::respond::DeliveryError;
use crate::slack::users::UserInfo;
use crate::slack::web::ApiError;
use crate::slack::{Reply, SlashCommand, UserId};
use crate::time::Zone;

/// Decides the immediate answer to a verified command (`None`: an empty 200, when the
/// answer follows through `response_url` or a form opens). Never waits on Zoom: meeting
/// creation is handed to a tracked background task that reports through `response_url`.
///
/// Nothing runs before the command's `guards` are claimed: a meeting to schedule claims them
/// with its intent (one statement with replicas), every other answer first.
pub async fn handle(state: &AppState, command: SlashCommand, guards: Guards) -> Option<Reply> {
    // Every answer, help included, is in the user's language: the lookup comes first (cached
    // for an hour, and bounded by USER_LOOKUP_BUDGET like a meeting's).
    let user = lookup_user(state, command.user_id()).await;
    let ctx = Context {
        now: Utc::now(),
        zone: user.zone,
        default_duration: state.default_duration(),
    };
    let answer = match read(state, &command, &ctx, user.lang) {
        Ok(request) => match state.admit() {
            Some(admitted) => {
                return schedule_meeting(state, &command, request, &ctx, user, &guards, admitted)
                    .await;
            }
            None => Immediate::Busy,
        },
        Err(answer) => answer,
    };
    if let Err(again) = state.claim_guards(&guards).await.first() {
        return Some(not_again(state, again, user.lang));
    }
    tell_pending_notes(state, &command);
    let lang = user.lang;
    let metrics = state.metrics();
    match answer {
        Immediate::Usage => {
            metrics.command(CommandOutcome::Help);
            Some(Reply::ephemeral(command::usage_in(
                lang,
                state.default_duration(),
            )))
        }
        Immediate::Restarting => {
            metrics.command(CommandOutcome::Restarting);
            Some(Reply::ephemeral(lang.text(Key::ReplyRestarting)))
        }
        Immediate::Action(action) => {
            metrics.command(CommandOutcome::of_action(&action));
            act(state, &command, action, lang).await
        }
        Immediate::Refused(reply, why) => {
            metrics.command(CommandOutcome::Refused);
            match why {
                Refusal::Unreadable(e) => tracing::info!(error = ?e, "command refused"),
                Refusal::Unpinnable => {
                    tracing::info!("recurring meeting refused: no zone on Zoom's list fits");
                }
            }
            Some(reply)
        }
        Immediate::Busy => {
            metrics.command(CommandOutcome::Busy);
            tracing::warn!("background queue full; command refused as busy");
            Some(Reply::ephemeral(lang.text(Key::ReplyBusy)))
        }
    }
}

/// A command answered at once, with no meeting scheduled.
enum Immediate {
    Usage,
    /// Anything but help, while the service is shutting down.
    Restarting,
    Action(Action),
    Refused(Reply, Refusal),
    /// A meeting, with no place in the background queue.
    Busy,
}

/// Why a command was refused, for the log.
enum Refusal {
    Unreadable(command::CommandError),
    Unpinnable,
}

/// What a command asks for, read before anything is claimed or run: a meeting to schedule,
/// or an answer at once.
fn read(
    state: &AppState,
    command: &SlashCommand,
    ctx: &Context,
    lang: Lang,
) -> Result<MeetingRequest, Immediate> {
    let text = command.text();
    if command::is_help(text) {
        return Err(Immediate::Usage);
    }
    if state.is_shutting_down() {
        return Err(Immediate::Restarting);
    }
    match command::parse(text, ctx) {
        Ok(Parsed::Help) => Err(Immediate::Usage),
        Ok(Parsed::Action(action)) => Err(Immediate::Action(action)),
        Ok(Parsed::Meeting(request)) => match unpinnable_series(&request, lang) {
            // The form makes one meeting: the refusal suggests scheduling them one by one.
            Some(refusal) => Err(Immediate::Refused(
                with_form_button(
                    state,
                    command,
                    escape(&refusal),
                    Understood::of(&request),
                    lang,
                ),
                Refusal::Unpinnable,
            )),
            None => Ok(request),
        },
        Err(e) => {
            // The message quotes what the user typed: escape it like any user text.
            let understood = command::understood(text, &e, ctx);
            let reply = with_form_button(
                state,
                command,
                escape(&e.user_message_in(lang)),
                understood,
                lang,
            );
            Err(Immediate::Refused(reply, Refusal::Unreadable(e)))
        }
    }
}

/// The answer to a command that ran, or runs, already.
fn not_again(state: &AppState, again: Again, lang: Lang) -> Reply {
    state.metrics().command(CommandOutcome::AlreadyHandled);
    match again {
        Again::Replayed => {
            tracing::warn!("replayed request ignored");
            // Only a replayed request's first delivery is answered in the user's language.
            return Reply::ephemeral(Lang::En.text(Key::ReplyAlreadyHandled));
        }
        Again::Delivered => {
            tracing::warn!("command delivered again (same trigger_id); not run twice");
        }
        Again::Opened => {
            tracing::warn!("another replica is settling this command; not run twice");
        }
    }
    Reply::ephemeral(lang.text(Key::ReplyAlreadyHandled))
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
        match state.deliver(&url, &reply, state.delivery()).await {
            Ok(()) => {}
            // They may have arrived: showing them twice is better avoided than a lost note.
            Err(e @ DeliveryError::Uncertain { .. }) => {
                tracing::warn!(error = %e, "the notes kept for the user may not have reached them");
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not hand over the notes kept for the user; they wait for the next command");
                kept.give_back(state).await;
            }
        }
    };
    state
        .background()
        .spawn(tracing::Instrument::instrument(work, span));
}

/// A meeting with a place in the background queue: its guards claimed (with its intent, with
/// replicas, so another replica can finish it if this one dies), acknowledged, and handed to
/// a job.
async fn schedule_meeting(
    state: &AppState,
    command: &SlashCommand,
    request: MeetingRequest,
    ctx: &Context,
    user: UserContext,
    guards: &Guards,
    admitted: tokio::sync::OwnedSemaphorePermit,
) -> Option<Reply> {
    let lang = user.lang;
    let (intent, pending_intent) =
        match open_intent(state, command, &request, ctx, &user, guards).await {
            Ok(intent) => intent,
            Err(again) => return Some(not_again(state, again, lang)),
        };
    tell_pending_notes(state, command);
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

/// Claims the command's guards, with its intent when replicas share PostgreSQL (see
/// [`intents::open`]).
async fn open_intent(
    state: &AppState,
    command: &SlashCommand,
    request: &MeetingRequest,
    ctx: &Context,
    user: &UserContext,
    guards: &Guards,
) -> Result<(Option<Held>, Option<PendingIntent>), Again> {
    // Nothing to build on SQLite, on every command's path.
    if !state.shares_store() {
        state.claim_guards(guards).await.first()?;
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
    intents::open(state, intent, Some(guards)).await
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
    // A dry run stores nothing: say what would happen rather than "no meetings".
    if state.zoom().is_none() {
        return Some(Reply::ephemeral(lang.text(match action {
            Action::Cancel(_) => Key::ReplyDryRunCancel,
            Action::List | Action::New => Key::ReplyDryRunList,
        })));
    }
    let url = command.response_url().clone();
    let state_for_task = state.clone();
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
    let hook = command.response_url().clone();
    supervised::spawn(state, work, move |state| async move {
        let reply = Reply::ephemeral(lang.text(Key::ReplyWentWrong));
        if let Err(e) = state.deliver(&hook, &reply, state.delivery()).await {
            tracing::warn!(error = %e, "could not tell the user their request went wrong");
        }
    });
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
/// clock changes, and one pinned in UTC would drift at each of them.
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
