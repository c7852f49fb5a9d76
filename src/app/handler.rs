//! The command handler: a verified command → parsed request → immediate answer, with creation in the background.

use std::time::Instant;

use chrono::Utc;

use crate::app::answer::ReplyTo;
use crate::app::metrics::CommandOutcome;
use crate::app::schedule::{self, Held, Job};
use crate::app::state::AppState;
use crate::store::NewIntent;
use serde_json::json;

use crate::app::interactions::{self, Prefill};
use crate::app::manage::{self, Actor};
use crate::command::{self, Action, Context, MeetingRequest, Parsed, Understood};
use crate::slack::reply::{escape, neutralise};
use crate::slack::users::UserInfo;
use crate::slack::web::ApiError;
use crate::slack::{Reply, SlashCommand, UserId};
use crate::time::Zone;

/// The answer to a second delivery of the same command (and to a replayed request).
pub const ALREADY_HANDLED: &str = "This command was already handled, so it was not run again.";

/// The answer when the workspace is not on `SLACK_ALLOWED_TEAM_IDS`.
pub const TEAM_NOT_ALLOWED: &str = "Sorry, this Zoom integration is not enabled for this workspace. Ask the person who runs it to add your workspace.";

pub(crate) const RESTARTING: &str = ":warning: The service is restarting, so nothing was created. Please run the command again in a moment.";

pub(crate) const BUSY: &str = ":warning: I'm busy with too many meetings right now, so nothing was created. Please try again in a minute.";

/// Decides the immediate answer to a verified command (`None`: an empty 200, when the
/// answer follows through `response_url` or a form opens). Never waits on Zoom: meeting
/// creation is handed to a tracked background task that reports through `response_url`.
pub async fn handle(state: &AppState, command: SlashCommand) -> Option<Reply> {
    // Slack may deliver one command twice, signed anew each time: the copy must not run.
    if !state.first_delivery(&command.delivery_key()).await {
        tracing::warn!("command delivered again (same trigger_id); not run twice");
        state.metrics().command(CommandOutcome::AlreadyHandled);
        return Some(Reply::ephemeral(ALREADY_HANDLED));
    }
    tell_pending_notes(state, &command);
    answer(state, command).await
}

/// What the user could not be told earlier (a card that could not be posted, notes that did
/// not arrive): handed over once, at their next command, only to them.
fn tell_pending_notes(state: &AppState, command: &SlashCommand) {
    let state_for_task = state.clone();
    let team = command.team_id().as_str().to_owned();
    let user = command.user_id().as_str().to_owned();
    let url = command.response_url().clone();
    let span = tracing::Span::current();
    let work = async move {
        let state = &state_for_task;
        let lines = crate::app::outbox::take_pending_notes(state, &team, &user).await;
        if lines.is_empty() {
            return;
        }
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
    // Help needs no lookup, so it is answered without touching Slack's API.
    if command::is_help(text) {
        state.metrics().command(CommandOutcome::Help);
        return Some(Reply::ephemeral(command::usage(state.default_duration())));
    }
    if state.is_shutting_down() {
        state.metrics().command(CommandOutcome::Restarting);
        return Some(Reply::ephemeral(RESTARTING));
    }
    let user = lookup_user(state, command.user_id()).await;
    let ctx = Context {
        now: Utc::now(),
        zone: user.zone,
        default_duration: state.default_duration(),
    };
    let request = match command::parse(text, &ctx) {
        Ok(Parsed::Help) => {
            state.metrics().command(CommandOutcome::Help);
            return Some(Reply::ephemeral(command::usage(state.default_duration())));
        }
        Ok(Parsed::Action(action)) => {
            state.metrics().command(CommandOutcome::of_action(&action));
            return act(state, &command, action).await;
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
                escape(&e.user_message()),
                understood,
            ));
        }
    };
    if let Some(refusal) = unpinnable_series(&request) {
        tracing::info!("recurring meeting refused: no zone on Zoom's list fits");
        state.metrics().command(CommandOutcome::Refused);
        return Some(Reply::ephemeral(escape(&refusal)));
    }

    let Some(admitted) = state.admit() else {
        tracing::warn!("background queue full; command refused as busy");
        state.metrics().command(CommandOutcome::Busy);
        return Some(Reply::ephemeral(BUSY));
    };
    // With replicas, the command is written down before the user is answered, so another
    // replica can finish it if this one dies.
    let intent = match open_intent(state, &command, &request, &ctx, &user).await {
        Ok(intent) => intent,
        Err(AlreadyOpen) => {
            tracing::warn!("another replica is settling this command; not run twice");
            state.metrics().command(CommandOutcome::AlreadyHandled);
            return Some(Reply::ephemeral(ALREADY_HANDLED));
        }
    };
    let ack = acknowledgement(&request, user.zone_note);
    tracing::info!(start = %request.start(), zone = request.zone().name(), "scheduling meeting");
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
        host: None,
        intent,
    };
    schedule::spawn(state, job, admitted);
    state.metrics().command(CommandOutcome::Scheduled);
    Some(ack)
}

/// An intent for this command exists already: another replica is settling it.
struct AlreadyOpen;

/// Writes the command's intent when replicas share PostgreSQL (`None` otherwise, or when the
/// store fails: the command then runs on this replica alone, as with SQLite).
async fn open_intent(
    state: &AppState,
    command: &SlashCommand,
    request: &MeetingRequest,
    ctx: &Context,
    user: &UserContext,
) -> Result<Option<Held>, AlreadyOpen> {
    if state.store().engine() != crate::store::Engine::Postgres {
        return Ok(None);
    }
    let tag = format!("{:016x}", rand::random::<u64>());
    let now = chrono::Utc::now();
    let intent = NewIntent {
        delivery_key: command.delivery_key(),
        tag: tag.clone(),
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
        created_at: now,
    };
    match state
        .store()
        .intents()
        .open(&intent, state.replica(), state.lease())
        .await
    {
        Ok(Some(id)) => Ok(Some(Held {
            id,
            tag,
            resume: None,
        })),
        Ok(None) => Err(AlreadyOpen),
        Err(e) => {
            tracing::error!(error = %e, "could not record the command before answering; it runs on this replica alone");
            Ok(None)
        }
    }
}

/// `list`, `cancel <id>`, `new`: answered through `response_url` (or a form), so the
/// immediate answer is empty unless something is wrong at once.
async fn act(state: &AppState, command: &SlashCommand, action: Action) -> Option<Reply> {
    let actor = Actor {
        team_id: command.team_id().clone(),
        user_id: command.user_id().clone(),
    };
    if let Action::New = action {
        let Some(trigger) = command.trigger_id() else {
            return Some(Reply::ephemeral(
                "Slack did not send what opens a form; type the meeting instead, like `/zoom Design review 45m tomorrow 3pm`.",
            ));
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
                Some(Reply::ephemeral(if matches!(e, ApiError::NoToken) {
                    "The form needs the app's bot token (SLACK_BOT_TOKEN). Type the meeting instead, like `/zoom Design review 45m tomorrow 3pm`."
                } else {
                    "Slack did not open the form in time. Please try `/zoom new` again."
                }))
            }
        };
    }
    let url = command.response_url().clone();
    let state_for_task = state.clone();
    let span = tracing::Span::current();
    let work = async move {
        let state = &state_for_task;
        let reply = match action {
            Action::List => manage::list(state, &actor).await,
            Action::Cancel(id) => Reply::ephemeral(manage::cancel(state, &actor, id, None).await),
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
            "text": {"type": "plain_text", "text": "Open the form"},
            "value": value,
        }]}),
    ];
    Reply::ephemeral(refusal).with_blocks(blocks)
}

/// A series Zoom could not keep at its wall-clock time: no zone on Zoom's list has the user's
/// clock changes, and one pinned in UTC would drift an hour at each daylight-saving change.
pub fn unpinnable_series(request: &MeetingRequest) -> Option<String> {
    let series = request.recurrence()?;
    if crate::app::meeting::series_zone_exists(series) {
        return None;
    }
    Some(format!(
        "I can't schedule \"{}\" as a recurring meeting: Zoom doesn't know the time zone {} or any zone with the same clock changes, and a series pinned to UTC would move by an hour at each daylight-saving change. Schedule the meetings one by one, or name a zone Zoom knows that keeps your clock, such as `Europe/Berlin` or `America/New_York`.",
        series.describe(),
        series.zone().name()
    ))
}

/// The notes the invoker must see about choices made for them: the parser's (moved to
/// tomorrow, a repeated hour) and why their zone was assumed, unless the command named one.
pub fn invoker_notes(request: &MeetingRequest, zone_note: Option<String>) -> Vec<String> {
    let mut notes: Vec<String> = request.notes().iter().map(ToString::to_string).collect();
    if !request.explicit_zone()
        && let Some(reason) = zone_note
    {
        notes.push(reason);
    }
    notes
}

/// The immediate, ephemeral answer to an accepted command: what is being scheduled, with the
/// invoker's notes. The card itself follows in the channel.
pub fn acknowledgement(request: &MeetingRequest, zone_note: Option<String>) -> Reply {
    let when = if let Some(series) = request.recurrence() {
        series.describe()
    } else if request.starts_now() {
        "now".to_owned()
    } else {
        format!(
            "{} ({})",
            request.local_start().format("%A, %B %-d at %-I:%M %p"),
            request.zone().name()
        )
    };
    let mut ack = format!(
        ":hourglass_flowing_sand: Scheduling *{}* for {}, {}…",
        neutralise(request.topic().as_slack()),
        when,
        request.duration()
    );
    for note in invoker_notes(request, zone_note) {
        ack.push_str("\n• ");
        ack.push_str(&escape(&note));
    }
    Reply::ephemeral(ack)
}

/// The invoker's zone (and email) as far as Slack can tell us within the lookup budget.
pub(crate) struct UserContext {
    pub(crate) zone: Zone,
    /// Why the default zone was assumed, for the reply; `None` when Slack told us the zone.
    pub(crate) zone_note: Option<String>,
    pub(crate) info: UserInfo,
}

pub(crate) async fn lookup_user(state: &AppState, user: &UserId) -> UserContext {
    let default = state.default_zone();
    let assumed = |why: &str, info: UserInfo| UserContext {
        zone: default,
        zone_note: Some(format!(
            "Times are read in {} because {why}. Add a timezone such as `Europe/Berlin` to the command to use another.",
            default.name()
        )),
        info,
    };
    if !state.slack_api().has_token() {
        return assumed(
            "this app cannot look up Slack timezones (no bot token)",
            UserInfo::default(),
        );
    }
    // The Slack client's own timeout (USER_LOOKUP_BUDGET) keeps this inside Slack's 3 s.
    let info = match state.slack_api().user_info(user).await {
        Ok(info) => info,
        Err(e) => {
            tracing::warn!(error = %e, "users.info failed; using the default timezone");
            return assumed(
                "your Slack timezone could not be looked up",
                UserInfo::default(),
            );
        }
    };
    match info.tz.as_deref().map(Zone::parse) {
        Some(Ok(zone)) => UserContext {
            zone,
            zone_note: None,
            info,
        },
        Some(Err(_)) => assumed("your Slack timezone is not one this app knows", info),
        None => assumed("your Slack profile has no timezone", info),
    }
}
