//! Background work for one command: create the meeting in Zoom, then post the card (or the error).

use chrono::Utc;

use crate::app::state::AppState;
use crate::command::MeetingRequest;
use crate::slack::card::MeetingCard;
use crate::slack::reply::escape;
use crate::slack::respond::{DeliveryError, deliver};
use crate::slack::{Reply, SlashCommand};
use crate::zoom::{Meeting, NewMeeting, Operation, ZoomClient, ZoomError};

/// Everything the background task needs, moved out of the request.
pub struct Job {
    pub command: SlashCommand,
    pub request: MeetingRequest,
    /// The invoker's Slack email, when known (for `ZOOM_HOST_FROM_SLACK_EMAIL`).
    pub email: Option<String>,
    /// The invoker's name as Slack shows it, when known (for the agenda).
    pub real_name: Option<String>,
    /// Sentences for the card's context line.
    pub notes: Vec<String>,
}

/// Runs `job` on the state's task tracker, inside the request's span, so shutdown waits for it
/// and its log lines keep the request id.
pub fn spawn(state: &AppState, job: Job) {
    let state_for_task = state.clone();
    let span = tracing::Span::current();
    state.background().spawn(tracing::Instrument::instrument(
        async move { run(&state_for_task, job).await },
        span,
    ));
}

async fn run(state: &AppState, mut job: Job) {
    let _slot = tokio::select! {
        slot = state.zoom_slot() => slot,
        () = state.stopping() => {
            tracing::warn!(
                topic = job.request.topic().as_str(),
                channel = %job.command.channel_id(),
                "shutting down before this meeting's turn; nothing was sent to Zoom"
            );
            return;
        }
    };
    let created = tokio::select! {
        created = create(state, &mut job) => created,
        () = state.stopping() => {
            // Zoom may still create it: say what was asked, so someone can check.
            tracing::error!(
                topic = job.request.topic().as_str(),
                start = %job.request.start(),
                channel = %job.command.channel_id(),
                "shutting down before Zoom answered; the meeting may exist and nobody was told"
            );
            return;
        }
    };
    let reply = match &created {
        Ok(Some(meeting)) => card(
            &job,
            &join_url(meeting),
            meeting.id().grouped(),
            meeting.password(),
        )
        .in_channel(),
        Ok(None) => card(&job, "https://zoom.us/", "000 0000 0000".to_owned(), None).preview(),
        Err(e) => {
            tracing::warn!(error = %e, "meeting not created");
            // Zoom's validation text may echo the topic: escape it like user text.
            Reply::ephemeral(format!(
                ":warning: {}",
                escape(&e.user_message(Operation::Create, job.request.zone().tz(), Utc::now()))
            ))
        }
    };
    let delivered = tokio::select! {
        delivered = deliver(state.http(), job.command.response_url(), &reply, state.delivery()) => delivered,
        () = state.stopping() => Err(DeliveryError::Interrupted),
    };
    match (delivered, created) {
        (Ok(()), Ok(Some(meeting))) => {
            tracing::info!(
                meeting_id = meeting.id().get(),
                "meeting created and posted"
            );
        }
        (Ok(()), _) => {}
        (Err(e), Ok(Some(meeting))) => {
            // The meeting exists but nobody was told: leave what is needed to recover it.
            tracing::error!(
                error = %e,
                meeting_id = meeting.id().get(),
                join_url = join_url(&meeting),
                channel = %job.command.channel_id(),
                "meeting created but the card could not be posted to Slack"
            );
        }
        (Err(e), _) => {
            tracing::warn!(error = %e, channel = %job.command.channel_id(), "could not deliver the reply to Slack");
        }
    }
}

/// Creates the meeting; `Ok(None)` in dry-run mode.
async fn create(state: &AppState, job: &mut Job) -> Result<Option<Meeting>, ZoomError> {
    let Some(zoom) = state.zoom() else {
        return Ok(None);
    };
    let request = &job.request;
    let meeting = NewMeeting {
        topic: request.topic().plain(),
        start: request.start(),
        zone: request.zone().tz(),
        duration_minutes: request.duration().get(),
        agenda: agenda(&job.command, job.real_name.as_deref()),
        recurrence: None,
    };
    let email = match job.email.as_deref() {
        Some(email) if state.host_from_slack_email() => Some(email),
        None if state.host_from_slack_email() => {
            job.notes.push(
                "Hosted by the team's Zoom account, because your Slack email could not be looked up"
                    .to_owned(),
            );
            None
        }
        _ => None,
    };
    if let Some(email) = email {
        match zoom.create_meeting(email, &meeting).await {
            Err(e) if e.host_not_found() => {
                tracing::info!("no Zoom user for the Slack email; falling back to ZOOM_HOST");
                job.notes.push(
                    "Hosted by the team's Zoom account, because your Slack email has no Zoom user in this account"
                        .to_owned(),
                );
            }
            other => return with_join_url(zoom, other?).await.map(Some),
        }
    }
    let created = zoom.create_meeting(state.zoom_host(), &meeting).await?;
    with_join_url(zoom, created).await.map(Some)
}

/// A create answer without a `join_url`: look the meeting up once (it exists either way).
async fn with_join_url(zoom: &ZoomClient, created: Meeting) -> Result<Meeting, ZoomError> {
    if created.join_url().is_some() {
        return Ok(created);
    }
    match zoom.get_meeting(created.id()).await {
        Ok(found) if found.join_url().is_some() => Ok(found),
        _ => Ok(created),
    }
}

/// Zoom's join link, or the generic one for the meeting id (it asks for the passcode).
fn join_url(meeting: &Meeting) -> String {
    meeting.join_url().map_or_else(
        || format!("https://zoom.us/j/{}", meeting.id()),
        str::to_owned,
    )
}

/// What Zoom's agenda says about where the meeting came from.
fn agenda(command: &SlashCommand, real_name: Option<&str>) -> String {
    let channel = command
        .channel_name()
        .filter(|name| !name.is_empty() && *name != "privategroup" && *name != "directmessage")
        .map_or_else(
            || format!("channel {}", command.channel_id()),
            |name| format!("#{name}"),
        );
    let who = match real_name {
        Some(name) => format!("{name} ({})", command.user_id()),
        None => format!("Slack user {}", command.user_id()),
    };
    format!("Scheduled from Slack by {who} in {channel}.")
}

fn card(job: &Job, join_url: &str, meeting_id: String, passcode: Option<&str>) -> MeetingCard {
    let request = &job.request;
    MeetingCard {
        topic: request.topic().as_slack().to_owned(),
        start: request.start(),
        zone: request.zone().name().to_owned(),
        local_start: request.local_start(),
        duration: request.duration().to_string(),
        join_url: join_url.to_owned(),
        meeting_id,
        passcode: passcode.map(str::to_owned),
        scheduled_by: job.command.user_id().clone(),
        notes: job.notes.clone(),
    }
}
