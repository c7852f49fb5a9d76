//! Commands another replica acknowledged and never settled (it died, or lost Zoom's answer):
//! taken over once its lease lapsed, looked for in Zoom by their tag, and finished exactly once.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};

use crate::app::answer::{Answer, ReplyTo};
use crate::app::schedule::{self, Held, IntentWrite, Job, PendingIntent, Resume};
use crate::app::state::{Again, AppState, Guards};
use crate::command::{self, Context, MeetingRequest, Minutes, Parsed};
use crate::i18n::{Lang, t};
use crate::slack::reply::neutralise;
use crate::slack::{ChannelId, ResponseUrl, TeamId, UserId};
use crate::store::{Intent, NewIntent};
use crate::time::Zone;

/// Intents taken over per sweep (each becomes a background job, under the usual bounds).
const BATCH: usize = 10;
/// Takeovers before a command is given up (Zoom unreachable all along).
const MAX_ATTEMPTS: u32 = 10;
/// Slack accepts posts to a `response_url` for 30 minutes; one this close to that is treated
/// as spent, so the answer goes through the Web API instead.
const HOOK_LIFETIME: TimeDelta = TimeDelta::minutes(29);

/// A fresh tag for a command's intent (put in its meeting's Zoom agenda).
pub(crate) fn new_tag() -> String {
    format!("{:016x}", rand::random::<u64>())
}

/// Whether `request`, written in canonical form and read again as at `read_at`, is the same
/// meeting. Every form tried reads back (quotes, mentions, line breaks in the topic); should
/// one not, its intent is not written and its command runs on this replica alone, rather than
/// be taken over as another meeting.
pub(crate) fn reads_back(
    request: &MeetingRequest,
    read_at: DateTime<Utc>,
    default: Minutes,
) -> bool {
    let ctx = Context {
        now: read_at,
        zone: request.zone(),
        default_duration: default,
    };
    match command::parse(&request.to_canonical(), &ctx) {
        Ok(Parsed::Meeting(again)) => {
            again.start() == request.start()
                && again.duration() == request.duration()
                && again.topic().as_slack() == request.topic().as_slack()
                && again.zone().name() == request.zone().name()
                && again.recurrence() == request.recurrence()
        }
        _ => false,
    }
}

/// How long writing a command's intent may hold up its acknowledgement (Slack waits 3 s for
/// everything, the user lookup included).
const INTENT_BUDGET: Duration = Duration::from_millis(500);

/// Writes a new command's intent, held by this replica, when replicas share PostgreSQL
/// (`None` otherwise, or when the store fails: the command then runs on this replica alone, as
/// with SQLite), claiming the command's `guards` in the same statement (a form's submission
/// has none: its request's were claimed at the door). `Err` when the command must not run.
///
/// A write that takes longer than [`INTENT_BUDGET`] goes on in the background and is handed to
/// the job, which waits for it: Slack gets its answer in time (the guards decided in this
/// process meanwhile), and no command runs without its intent once one was written.
pub(crate) async fn open(
    state: &AppState,
    intent: NewIntent,
    guards: Option<&Guards>,
) -> Result<(Option<Held>, Option<PendingIntent>), Again> {
    if !state.shares_store() {
        return Ok((None, None));
    }
    // As the store records it (`available_at`).
    let lease_ends = TimeDelta::from_std(state.lease())
        .ok()
        .and_then(|lease| intent.created_at.checked_add_signed(lease));
    let mut writing = {
        let task_state = state.clone();
        let guards = guards.cloned();
        // On the task tracker, so shutdown waits for the write rather than cut it off.
        state.background().spawn(tracing::Instrument::instrument(
            async move {
                let state = task_state;
                let keys = guards.as_ref().map(Guards::keys).unwrap_or_default();
                let keys: Vec<_> = keys.iter().map(|(key, ttl)| (key.as_str(), *ttl)).collect();
                let opened = state
                    .store()
                    .intents()
                    .open_claiming(&intent, state.replica(), state.lease(), &keys, Utc::now())
                    .await;
                let opened = match opened {
                    Ok(opened) => opened,
                    Err(e) => {
                        tracing::error!(error = %e, "could not record the command before answering; it runs on this replica alone");
                        return IntentWrite::Failed;
                    }
                };
                if let Some(Err(again)) = guards.map(|g| g.replay(&opened.won).first()) {
                    return IntentWrite::Again(again);
                }
                match opened.hold {
                    Some(hold) => IntentWrite::Held(Held {
                        hold,
                        tag: intent.tag,
                        resume: None,
                        lease_ends,
                    }),
                    None => IntentWrite::Again(Again::Opened),
                }
            },
            tracing::Span::current(),
        ))
    };
    let decide_here = || {
        state.metrics().guard_fallback();
        guards.map_or(Ok(()), |guards| state.claim_guards_here(guards).first())
    };
    match tokio::time::timeout(INTENT_BUDGET, &mut writing).await {
        Ok(Ok(IntentWrite::Held(held))) => Ok((Some(held), None)),
        Ok(Ok(IntentWrite::Again(again))) => Err(again),
        Ok(Ok(IntentWrite::Failed) | Err(_)) => decide_here().map(|()| (None, None)),
        Err(_) => {
            tracing::warn!(budget = ?INTENT_BUDGET, "the store is slow: answering before the command is recorded");
            match decide_here() {
                Ok(()) => Ok((None, Some(writing))),
                Err(again) => {
                    let settling = settle_refused(state.clone(), writing);
                    state.background().spawn(tracing::Instrument::instrument(
                        settling,
                        tracing::Span::current(),
                    ));
                    Err(again)
                }
            }
        }
    }
}

/// A copy refused here while its statement was still on its way. Should that statement still
/// write the intent, the command's first delivery lost the shared claims to it and stops (or
/// is stopping): the intent is handed back at once, so that a sweep takes it over, looks for
/// the meeting by its tag and finishes the command exactly once.
async fn settle_refused(state: AppState, writing: PendingIntent) {
    let Ok(IntentWrite::Held(held)) = writing.await else {
        return;
    };
    tracing::warn!(intent = %held.hold.id, "a copy refused here wrote the command's intent; handing it to a sweep");
    let released = state
        .store()
        .intents()
        .renew(held.hold, state.replica(), Utc::now(), Duration::ZERO)
        .await;
    if let Err(e) = released {
        tracing::error!(error = %e, intent = %held.hold.id, "could not hand back the intent of a refused copy; it is taken over once its lease lapses");
    }
}

/// Takes over the lapsed intents, when replicas share PostgreSQL. Only as many as this replica
/// has room for are claimed: a claim counts as an attempt, so a busy replica claims none.
pub(crate) async fn sweep(state: &AppState) {
    // A replica on its way out takes nothing new (it hands its own commands back).
    if !state.shares_store() || state.is_shutting_down() {
        return;
    }
    let mut room = Vec::with_capacity(BATCH);
    while room.len() < BATCH
        && let Some(admitted) = state.admit()
    {
        room.push(admitted);
    }
    if room.is_empty() {
        return;
    }
    let claimed = state
        .store()
        .intents()
        .claim(
            state.replica(),
            Utc::now(),
            state.lease(),
            u32::try_from(room.len()).unwrap_or(1),
        )
        .await;
    let intents = match claimed {
        Ok(intents) => intents,
        Err(e) => {
            tracing::warn!(error = %e, "could not look for unsettled commands");
            return;
        }
    };
    // Places not needed go back to the queue at once.
    room.truncate(intents.len());
    for (intent, admitted) in intents.into_iter().zip(room) {
        take_over(state, intent, admitted).await;
    }
}

async fn take_over(state: &AppState, intent: Intent, admitted: tokio::sync::OwnedSemaphorePermit) {
    // The job's log lines (and its answers') carry the intent, as a request's carry its id.
    let span = tracing::info_span!("takeover", intent = %intent.id);
    tracing::Instrument::instrument(resume(state, intent, admitted), span).await;
}

async fn resume(state: &AppState, intent: Intent, admitted: tokio::sync::OwnedSemaphorePermit) {
    let now = Utc::now();
    let Some(job) = job(state, &intent, now) else {
        tracing::error!("an unsettled command cannot be read back; giving it up");
        give_up(
            state,
            &intent,
            &neutralise(&intent.new.command),
            "cannot be read back",
            now,
        )
        .await;
        return;
    };
    if intent.attempts > MAX_ATTEMPTS {
        tracing::error!("an unsettled command was taken over too often; giving it up");
        let topic = neutralise(job.request.topic().as_slack());
        give_up(state, &intent, &topic, "taken over too often", now).await;
        return;
    }
    tracing::info!(
        only_look = intent.uncertain.is_some(),
        "taking over a command another replica left unsettled"
    );
    schedule::spawn(state, job, admitted);
}

/// Settles an intent that will not be finished, and tells its user that nothing could be
/// confirmed (the meeting may exist: its first holder may have sent the create).
async fn give_up(state: &AppState, intent: &Intent, topic: &str, reason: &str, now: DateTime<Utc>) {
    let abandoned = state
        .store()
        .intents()
        .abandon(intent.hold(), state.replica(), reason, now)
        .await;
    match abandoned {
        Ok(true) => {}
        Ok(false) => return,
        Err(e) => {
            tracing::error!(error = %e, intent = %intent.id, "could not give up an unsettled command");
            return;
        }
    }
    let new = &intent.new;
    let lang = Lang::from_user(new.locale.as_deref());
    let Some(to) = reply_to(state, intent, now) else {
        tracing::error!(intent = %intent.id, "an unsettled command was given up, and its user cannot be told");
        return;
    };
    Answer::new(state, to, Arc::new(AtomicBool::new(false)))
        .say(t!(lang, ScheduleWentWrong, topic))
        .await;
}

/// Where the user's answers go: the command's `response_url` while Slack still takes posts
/// to it, then the channel through the Web API (the card with `chat.postMessage`, notes
/// ephemeral).
fn reply_to(state: &AppState, intent: &Intent, now: DateTime<Utc>) -> Option<ReplyTo> {
    let new = &intent.new;
    if now - new.created_at < HOOK_LIFETIME
        && let Some(url) = ResponseUrl::parse(&new.response_url, state.response_url_prefixes())
    {
        return Some(ReplyTo::Hook(url));
    }
    Some(ReplyTo::Channel {
        channel: ChannelId::parse(&new.channel_id)?,
        user: UserId::parse(&new.user_id)?,
    })
}

/// The job the intent describes, read back exactly as when it was acknowledged.
fn job(state: &AppState, intent: &Intent, now: DateTime<Utc>) -> Option<Job> {
    let new = &intent.new;
    let zone = Zone::parse(&new.zone).ok()?;
    let ctx = Context {
        now: new.read_at,
        zone,
        default_duration: Minutes::new(u32::from(new.default_minutes)).ok()?,
    };
    let Ok(Parsed::Meeting(request)) = command::parse(&new.command, &ctx) else {
        return None;
    };
    Some(Job {
        team_id: TeamId::parse(&new.team_id)?,
        channel_id: ChannelId::parse(&new.channel_id)?,
        channel_name: new.channel_name.clone(),
        user_id: UserId::parse(&new.user_id)?,
        reply_to: reply_to(state, intent, now)?,
        request,
        email: new.email.clone(),
        real_name: new.real_name.clone(),
        notes: Vec::new(),
        locale: new.locale.clone(),
        enqueued_at: Instant::now(),
        received_at: new.created_at,
        host: None,
        intent: Some(Held {
            hold: intent.hold(),
            tag: new.tag.clone(),
            resume: Some(Resume {
                only_look: intent.uncertain.is_some(),
            }),
            // Taken over: the store says how much of the lease is left.
            lease_ends: None,
        }),
        pending_intent: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_forms_meeting_reads_back_the_same_whatever_its_topic_so_another_replica_can_take_it_over()
    {
        let now = "2026-11-29T10:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let start = "2026-12-01T14:30:00Z".parse::<DateTime<Utc>>().unwrap();
        let default = Minutes::new(30).unwrap();
        // (topic, zone, reads back)
        let cases = [
            ("Design review", "Europe/Istanbul", true),
            ("Sync 45m tomorrow 3pm", "America/Toronto", true),
            ("Yıllık plan: <@U123> & co", "Asia/Kolkata", true),
            ("He said \"ship it\"", "UTC", true),
            ("x\" 30m now UTC \"y", "UTC", true),
            ("ends with a quote\"", "UTC", true),
            ("line\nbreak", "UTC", true),
        ];
        for (topic, zone, expected) in cases {
            let request = MeetingRequest::from_form_in(
                Lang::En,
                topic,
                start,
                45,
                Zone::parse(zone).unwrap(),
                now,
            )
            .unwrap_or_else(|e| panic!("{topic}: {}", e.message));
            assert_eq!(
                reads_back(&request, now, default),
                expected,
                "{topic} in {zone}: {}",
                request.to_canonical()
            );
        }
    }
}
