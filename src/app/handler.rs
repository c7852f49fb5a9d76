//! The command handler: a verified command → parsed request → immediate answer, with creation in the background.

use chrono::Utc;

use crate::app::schedule::{self, Job};
use crate::app::state::AppState;
use crate::command::{self, Context, Parsed};
use crate::slack::reply::{escape, neutralise};
use crate::slack::users::UserInfo;
use crate::slack::{Reply, SlashCommand};
use crate::time::Zone;

/// Decides the immediate answer to a verified command. Never waits on Zoom: meeting creation
/// is handed to a tracked background task that reports through `response_url`.
pub async fn handle(state: &AppState, command: SlashCommand) -> Reply {
    let text = command.text();
    // Help needs no lookup, so it is answered without touching Slack's API.
    if command::is_help(text) {
        return Reply::ephemeral(command::usage(state.default_duration()));
    }
    let user = lookup_user(state, &command).await;
    let ctx = Context {
        now: Utc::now(),
        zone: user.zone,
        default_duration: state.default_duration(),
    };
    let request = match command::parse(text, &ctx) {
        Ok(Parsed::Help) => return Reply::ephemeral(command::usage(state.default_duration())),
        Ok(Parsed::Meeting(request)) => request,
        Err(e) => {
            tracing::info!(error = ?e, "command refused");
            // The message quotes what the user typed: escape it like any user text.
            return Reply::ephemeral(escape(&e.user_message()));
        }
    };

    let mut notes: Vec<String> = request.notes().iter().map(ToString::to_string).collect();
    if !request.explicit_zone()
        && let Some(reason) = user.zone_note
    {
        notes.push(reason);
    }
    let when = if request.starts_now() {
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
    for note in &notes {
        ack.push_str("\n• ");
        ack.push_str(&escape(note));
    }
    tracing::info!(start = %request.start(), zone = request.zone().name(), "scheduling meeting");
    let job = Job {
        command,
        request,
        email: user.info.email,
        real_name: user.info.real_name,
        notes,
    };
    schedule::spawn(state, job);
    Reply::ephemeral(ack)
}

/// The invoker's zone (and email) as far as Slack can tell us within the lookup budget.
struct UserContext {
    zone: Zone,
    /// Why the default zone was assumed, for the reply; `None` when Slack told us the zone.
    zone_note: Option<String>,
    info: UserInfo,
}

async fn lookup_user(state: &AppState, command: &SlashCommand) -> UserContext {
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
    let info = match state.slack_api().user_info(command.user_id()).await {
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
