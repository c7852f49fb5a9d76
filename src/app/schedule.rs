//! Background work for one command: wait for a creation slot, create the meeting in Zoom, then
//! post the card (or say plainly what happened). Every command ends with exactly one answer.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::sync::OwnedSemaphorePermit;

use crate::app::answer::{Answer, AnswerError, ReplyTo};
use crate::app::card_hold::CardHold;
use crate::app::meeting::{card_from_answer, preview_card, record, zoom_request};
use crate::app::outbox::{Undeliverable, keep_note};
use crate::app::state::{Again, AppState};
use crate::app::supervised;
use crate::command::MeetingRequest;
use crate::i18n::{Key, Lang, t};
use crate::slack::card::MeetingCard;
use crate::slack::reply::{escape, neutralise};
use crate::slack::{ChannelId, TeamId, UserId};
use crate::store::{CardLocation, Creation, Hold, NewCardPost, NewCreation, NewPendingNote};
use crate::zoom::{Meeting, Operation, ZoomClient, ZoomError};

/// Everything the background task needs, moved out of the request (a typed command or a
/// submitted form).
pub struct Job {
    pub team_id: TeamId,
    /// Where the card goes.
    pub channel_id: ChannelId,
    /// For Zoom's agenda ("in #general").
    pub channel_name: Option<String>,
    pub user_id: UserId,
    /// Where the user's answers go.
    pub reply_to: ReplyTo,
    pub request: MeetingRequest,
    /// The invoker's Slack email, when known (for `ZOOM_HOST_FROM_SLACK_EMAIL`).
    pub email: Option<String>,
    /// The invoker's name as Slack shows it, when known (for the agenda).
    pub real_name: Option<String>,
    /// Notes for the invoker that only arise while creating (host fallback, …); sent to them
    /// alone after the card, never on it.
    pub notes: Vec<String>,
    /// The invoker's Slack locale, when known: the language of their answers and of the card
    /// (kept with the meeting and in the outbox).
    pub locale: Option<String>,
    pub enqueued_at: Instant,
    /// When Slack sent the command (wall clock): its `response_url` takes posts for 30 minutes
    /// from then.
    pub received_at: DateTime<Utc>,
    /// The Zoom user that ended up hosting (set by [`create`]).
    pub host: Option<String>,
    /// With replicas on PostgreSQL: the command's intent row, settled when the job ends.
    pub intent: Option<Held>,
    /// An intent still being written when the command was acknowledged (the store was slow):
    /// the job waits for it before anything else.
    pub pending_intent: Option<PendingIntent>,
}

/// How writing a command's intent ended.
#[derive(Debug)]
pub enum IntentWrite {
    Held(Held),
    /// The command ran, or runs, already: it must not run here.
    Again(Again),
    /// The store failed (logged): the command runs on this replica alone.
    Failed,
}

/// The write of a command's intent, still under way when the command was acknowledged.
pub type PendingIntent = tokio::task::JoinHandle<IntentWrite>;

/// An intent this job settles, and what a replica taking it over must do first.
#[derive(Debug, Clone)]
pub struct Held {
    /// The intent, as this job holds it.
    pub hold: Hold,
    /// In the meeting's agenda, to find it in Zoom if its outcome was lost.
    pub tag: String,
    /// Set when another replica's job is taken over: look in Zoom before creating; when
    /// `only_look` (the first create got no answer and its user was told), never create.
    pub resume: Option<Resume>,
    /// For an intent written here: when its lease ends, as the store recorded it. No replica
    /// takes an intent over before its lease ends, so until then it is surely this one's and
    /// the store need not be asked. (The wall clock, as the store's own check uses: unlike a
    /// monotonic one, it keeps counting while the machine is suspended.)
    pub lease_ends: Option<DateTime<Utc>>,
}

/// Whether more than `needed` of a lease ending at `lease_ends` (known only for an intent
/// written here) is surely left at `now`, without asking the store.
fn surely_left(lease_ends: Option<DateTime<Utc>>, now: DateTime<Utc>, needed: Duration) -> bool {
    lease_ends.is_some_and(|ends| (ends - now).to_std().is_ok_and(|left| left > needed))
}

#[derive(Debug, Clone, Copy)]
pub struct Resume {
    pub only_look: bool,
}

/// How a job ended, for its intent.
enum Outcome {
    /// Nothing was sent to Zoom (waited too long, restarting, Zoom down); the user was told.
    NotSent,
    /// Zoom refused, or a dry run: settled, the user was told.
    Settled,
    /// Sent, and Zoom gave no answer: the meeting may exist; the user was told so.
    Uncertain,
    /// The meeting exists and its card is in the outbox (or was posted).
    Created(u64),
    /// Zoom could not be asked about a taken-over job, or it was not this replica's turn:
    /// try again after the lease.
    Retry,
    /// Nothing to record here: another replica holds the command now (this one's lease
    /// lapsed), or will (this one is shutting down and handed it back), or it was settled
    /// already on the way.
    Lost,
}

impl Job {
    /// The invoker's language, for their answers and the card.
    pub fn lang(&self) -> Lang {
        Lang::from_user(self.locale.as_deref())
    }
}

/// Runs `job` on the state's task tracker, inside the request's span, so shutdown waits for it
/// and its log lines keep the request id. A panic or a path that forgets to answer is caught
/// here: the invoker is then told once that nothing could be confirmed. `admitted` is the
/// command's place in the bounded background queue, given back when the job ends.
pub fn spawn(state: &AppState, job: Job, admitted: OwnedSemaphorePermit) {
    let span = tracing::Span::current();
    state.background().spawn(tracing::Instrument::instrument(
        supervise(state.clone(), job, admitted),
        span,
    ));
}

/// A job from start to end; `admitted` is held until it ends.
///
/// Its steps are boxed where they begin: a job lives as long as its wait and Zoom take, a
/// thousand may be in flight, and a future's state keeps room for every future it awaits, so
/// a large step awaited in place (or a future built in one variable and moved into another)
/// is paid for by every job for its whole life (docs/PERFORMANCE.md, Memory).
async fn supervise(state: AppState, job: Job, admitted: OwnedSemaphorePermit) {
    supervise_with(state, job, admitted, run).await;
}

/// [`supervise`] with the job's work given: the tests run one that panics or never answers.
async fn supervise_with(
    state: AppState,
    mut job: Job,
    admitted: OwnedSemaphorePermit,
    work: impl AsyncFnOnce(&AppState, Job, Arc<AtomicBool>) -> Outcome,
) {
    if let Some(mut pending) = job.pending_intent.take() {
        let written = tokio::select! {
            biased;
            written = &mut pending => written,
            () = state.stopping() => {
                // The write may still land, and another replica then finish the command: all
                // that can be said is that nothing is confirmed.
                tracing::error!("shutting down while the store still had not recorded this command");
                let answer =
                    Answer::new(&state, job.reply_to.clone(), Arc::new(AtomicBool::new(false)));
                Box::pin(answer.say_quickly(t!(
                    job.lang(),
                    ScheduleWentWrong,
                    topic = neutralise(job.request.topic().as_slack())
                )))
                .await;
                return;
            }
        };
        match written {
            Ok(IntentWrite::Held(held)) => job.intent = Some(held),
            Ok(IntentWrite::Again(again)) => {
                // Answered "Scheduling…" already, as the store was slow. The command ran, or
                // runs, elsewhere (or through the intent its copy wrote, which a sweep takes
                // over): this job stops.
                tracing::warn!(?again, "the command ran, or runs, already; not run twice");
                return;
            }
            Ok(IntentWrite::Failed) | Err(_) => {}
        }
    }
    let reply_to = job.reply_to.clone();
    let topic = job.request.topic().as_slack().to_owned();
    let lang = job.lang();
    let answered = Arc::new(AtomicBool::new(false));
    let intent = job.intent.clone();
    let ended = Arc::new(std::sync::Mutex::new(None));
    let work = {
        let ended = Arc::clone(&ended);
        let state = &state;
        let held = job.intent.clone();
        let running = Box::pin(work(state, job, Arc::clone(&answered)));
        Box::pin(async move {
            let outcome = keep_leased(state, held.as_ref(), running).await;
            *ended.lock().unwrap_or_else(|e| e.into_inner()) = Some(outcome);
        })
    };
    let failure = unanswered(work, &answered).await;
    let outcome = ended.lock().unwrap_or_else(|e| e.into_inner()).take();
    if let Some(intent) = intent {
        Box::pin(settle(&state, &intent, outcome)).await;
    }
    if let Some(failure) = failure {
        tracing::error!(%failure, "meeting task gave no answer; telling the user nothing could be confirmed");
        let answer = Answer::new(&state, reply_to, answered);
        Box::pin(answer.say(t!(lang, ScheduleWentWrong, topic = neutralise(&topic)))).await;
    }
    drop(admitted);
}

/// Runs `work` while renewing this replica's lease on the job's intent, a third of a lease
/// before it would lapse, so no other replica takes over a command that is merely slow (a
/// long wait for a slot, a slow Zoom, a retried card). Renewing stops if the intent is no
/// longer this replica's; the work itself checks that again before it creates anything.
async fn keep_leased<F: Future>(state: &AppState, held: Option<&Held>, work: F) -> F::Output {
    let Some(held) = held else {
        return work.await;
    };
    let renewing = async {
        let every = state.lease() / 3;
        loop {
            tokio::time::sleep(every).await;
            match Box::pin(renew(state, held, state.lease())).await {
                Ok(true) => {}
                Ok(false) => {
                    tracing::warn!(intent = %held.hold.id, "this command's lease lapsed and another replica holds it now");
                    return;
                }
                Err(e) => {
                    tracing::warn!(error = %e, intent = %held.hold.id, "could not renew this command's lease");
                }
            }
        }
    };
    let mut work = std::pin::pin!(work);
    tokio::select! {
        biased;
        done = &mut work => return done,
        () = renewing => {}
    }
    work.await
}

/// Extends this replica's lease on `held` to `lease` from now (zero hands it to another
/// replica at once); `false` if it is not this replica's any more.
async fn renew(
    state: &AppState,
    held: &Held,
    lease: Duration,
) -> Result<bool, crate::store::StoreError> {
    state
        .store()
        .intents()
        .renew(held.hold, state.replica(), Utc::now(), lease)
        .await
}

/// Whether this replica still holds `held` with time left for a create: two thirds of a lease
/// (more than a create takes, even with its fallback host: configuration makes a lease more
/// than twice the create timeout), else the lease is renewed. The renewals every third of a
/// lease while the job runs keep that much left. A lease this process took less than a third
/// of a lease ago is not even read: asking was a transaction per command on PostgreSQL.
async fn confirm(state: &AppState, held: &Held) -> Result<bool, crate::store::StoreError> {
    let lease = state.lease();
    let needed = lease * 2 / 3;
    let now = Utc::now();
    if surely_left(held.lease_ends, now, needed) {
        return Ok(true);
    }
    state
        .store()
        .intents()
        .confirm(held.hold, state.replica(), now, needed, lease)
        .await
}

/// Settles the job's intent as abandoned for `why`, while this replica holds it: `true` when
/// it did (and so may tell the user), `false` when another replica holds it now.
async fn give_up(state: &AppState, job: &Job, why: &str) -> Result<bool, crate::store::StoreError> {
    let Some(held) = &job.intent else {
        return Ok(false);
    };
    state
        .store()
        .intents()
        .abandon(held.hold, state.replica(), why, Utc::now())
        .await
}

/// Records how a command ended in its intent, so no replica settles it twice. Only the
/// intent's holder settles it: one whose lease lapsed leaves it to the replica holding it now.
async fn settle(state: &AppState, held: &Held, outcome: Option<Outcome>) {
    let intents = state.store().intents();
    let owner = state.replica();
    let now = Utc::now();
    let settled = match outcome {
        Some(Outcome::Created(zoom_id)) => {
            intents.finish(held.hold, owner, Some(zoom_id), now).await
        }
        Some(Outcome::Settled) => intents.finish(held.hold, owner, None, now).await,
        Some(Outcome::NotSent) => {
            intents
                .abandon(held.hold, owner, "not sent to Zoom", now)
                .await
        }
        Some(Outcome::Uncertain) => {
            intents
                .mark_uncertain(held.hold, owner, "the create got no answer")
                .await
        }
        // Left to lapse: another sweep (or replica) takes it over.
        Some(Outcome::Retry | Outcome::Lost) | None => return,
    };
    match settled {
        Ok(true) => {}
        Ok(false) => {
            tracing::warn!(intent = %held.hold.id, "command not settled here: another replica holds it now");
        }
        Err(e) => {
            tracing::error!(error = %e, intent = %held.hold.id, "could not record how the command ended");
        }
    }
}

/// Runs `work` and says why, if it ended or panicked before an answer went out.
async fn unanswered(work: impl Future<Output = ()>, answered: &AtomicBool) -> Option<String> {
    let outcome = supervised::caught(work).await;
    if answered.load(Ordering::SeqCst) {
        return None;
    }
    Some(match outcome {
        Err(panic) => format!("panicked: {panic}"),
        Ok(()) => "ended without answering".to_owned(),
    })
}

/// How the wait for a creation slot ended.
enum Turn<'a> {
    /// A slot (`None`: shutting down, so none will come).
    Slot(Option<tokio::sync::SemaphorePermit<'a>>),
    /// None within the create timeout.
    TimedOut,
}

/// Waits for the job's turn at Zoom, then goes on. A queued job holds only this small future;
/// the rest (Zoom, the store, Slack, with their buffers) is boxed and exists only once the
/// job's turn has come: thousands may be queued, a few hundred at most go on at once.
async fn run(state: &AppState, job: Job, answered: Arc<AtomicBool>) -> Outcome {
    // Wait for a slot, but never longer than a create may take: a command that waited that
    // long would reach Zoom after the user gave up on it. At SIGTERM, waiting ends at once.
    let waited_until = job.enqueued_at + state.create_timeout();
    let waiting = state.metrics().waiting_for_slot();
    let turn = tokio::select! {
        biased;
        () = state.shutting_down() => Turn::Slot(None),
        slot = tokio::time::timeout_at(waited_until.into(), state.zoom_slot()) => match slot {
            Ok(slot) => Turn::Slot(slot),
            Err(_) => Turn::TimedOut,
        },
    };
    drop(waiting);
    Box::pin(go_on(state, job, answered, turn)).await
}

async fn go_on(
    state: &AppState,
    mut job: Job,
    answered: Arc<AtomicBool>,
    turn: Turn<'_>,
) -> Outcome {
    let answer = Answer::new(state, job.reply_to.clone(), answered);
    let lang = job.lang();
    let topic = neutralise(job.request.topic().as_slack());
    // A job taken over from another replica was answered there already ("Scheduling…"): if it
    // cannot go on now, it is left for a later sweep, and its user hears nothing new yet.
    let resumed = job.intent.as_ref().and_then(|held| held.resume);
    let later = || {
        answer.owe_nothing();
        Outcome::Retry
    };
    let slot = match turn {
        Turn::Slot(slot) => slot,
        Turn::TimedOut if resumed.is_some() => return later(),
        Turn::TimedOut => {
            tracing::warn!(waited = ?job.enqueued_at.elapsed(), "no creation slot within the create timeout; not sent to Zoom");
            answer
                .say(t!(
                    lang,
                    ScheduleZoomSlow,
                    topic,
                    seconds = state.create_timeout().as_secs()
                ))
                .await;
            return Outcome::NotSent;
        }
    };
    // A slot may free up in the same instant as the signal: still start nothing new.
    if slot.is_none() || state.is_shutting_down() {
        return handed_back(state, &job, &answer).await;
    }
    if !state.zoom_health().may_send(Instant::now()) {
        tracing::warn!("Zoom has not been answering; not sending this create");
        if resumed.is_some() {
            return later();
        }
        answer.say(t!(lang, ScheduleZoomSilent, topic)).await;
        return Outcome::NotSent;
    }
    // Still this replica's command? Its lease may have lapsed during a long wait, and then
    // another replica may be creating it right now.
    if let Some(held) = &job.intent {
        match confirm(state, held).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(intent = %held.hold.id, "another replica took this command over; leaving it to that replica");
                answer.owe_nothing();
                return Outcome::Lost;
            }
            // Taken over: try again later rather than risk a second meeting.
            Err(e) if resumed.is_some() => {
                tracing::warn!(error = %e, "could not renew a command taken over; trying again later");
                return later();
            }
            // The store failing must not cost the user their meeting (the lease was taken
            // moments ago and has been renewed since).
            Err(e) => {
                tracing::warn!(error = %e, "could not renew this command's lease; creating anyway")
            }
        }
    }
    // A job taken over from another replica: its meeting may exist already.
    let found = match job
        .intent
        .as_ref()
        .and_then(|held| held.resume.map(|r| (held.tag.clone(), r)))
    {
        // Boxed, like the create and the record below: the job's own future stays small for
        // the many that never get this far (told at once that they waited too long).
        Some((tag, resume)) => match Box::pin(find_by_tag(state, &job, &tag)).await {
            Ok(Some((meeting, host))) => {
                if let Ok(Some(_)) = state.store().meetings().get(meeting.id().get()).await {
                    // Recorded already: its card is the outbox's to post, exactly once.
                    answer.owe_nothing();
                    return Outcome::Created(meeting.id().get());
                }
                job.host = Some(host);
                Some(meeting)
            }
            // The create that got no answer made no meeting. Its user was told the meeting may
            // exist, so they hear that it does not; settled first, so only the replica that
            // gives the command up tells them.
            // A dry run looked nowhere: a replica that calls Zoom takes it after the lease.
            Ok(None) if resume.only_look && state.zoom().is_none() => return later(),
            Ok(None) if resume.only_look => {
                let why = "Zoom has no such meeting after an unanswered create";
                match give_up(state, &job, why).await {
                    Ok(true) => answer.say(t!(lang, ScheduleNotCreated, topic)).await,
                    Ok(false) => answer.owe_nothing(),
                    Err(e) => {
                        tracing::error!(error = %e, "could not give up a command taken over; trying again later");
                        return later();
                    }
                }
                return Outcome::Lost;
            }
            Ok(None) => None,
            Err(e) if e.no_answer() => {
                tracing::warn!(error = %e, "could not ask Zoom about a command taken over; trying again later");
                return later();
            }
            // Zoom refuses the search (a missing scope, say): asking again will not help, and
            // creating blind could make a second meeting.
            Err(e) => {
                tracing::error!(error = %e, "Zoom refused to list meetings for a command taken over; giving it up");
                // Settled first: only the replica that gives it up tells its user.
                match give_up(state, &job, "Zoom refused to list its meetings").await {
                    Ok(true) => {
                        let reason = e.user_message_in(
                            lang,
                            Operation::List,
                            job.request.zone().tz(),
                            Utc::now(),
                        );
                        answer
                            .say(t!(
                                lang,
                                ScheduleTakeoverRefused,
                                topic,
                                reason = escape(&reason)
                            ))
                            .await;
                    }
                    Ok(false) => answer.owe_nothing(),
                    Err(e) => {
                        tracing::error!(error = %e, "could not give up a command taken over; trying again later");
                        answer.owe_nothing();
                    }
                }
                return Outcome::Lost;
            }
        },
        None => None,
    };
    let created = tokio::select! {
        created = async {
            match found {
                Some(meeting) => Ok(Some(meeting)),
                None => Box::pin(create(state, &mut job)).await,
            }
        } => created,
        () = state.stopping() => {
            // Zoom may still create it: say what was asked, so someone can check.
            tracing::error!(
                topic = job.request.topic().as_str(),
                start = %job.request.start(),
                channel = %job.channel_id,
                "shutting down before Zoom answered; the meeting may exist"
            );
            answer.say_quickly(t!(lang, ScheduleRestartedDuring, topic)).await;
            return Outcome::Uncertain;
        }
    };
    drop(slot);
    // Shutting down, Zoom's client sent no create (again): nothing was created.
    if let Err(ZoomError::Stopped) = created {
        return handed_back(state, &job, &answer).await;
    }
    if state.zoom().is_some() {
        state
            .zoom_health()
            .record(!matches!(&created, Err(e) if e.no_answer()));
    }
    let meeting = match created {
        Ok(Some(meeting)) => meeting,
        Ok(None) => {
            let preview = preview_card(&job.request, job.user_id.clone(), lang).preview();
            let sent = match &job.reply_to {
                // A preview is for the invoker alone, also from the form.
                ReplyTo::Channel { .. } => {
                    answer.say(preview.text().to_owned()).await;
                    Ok(None)
                }
                ReplyTo::Hook(_) => answer.post(&preview, None).await,
            };
            if let Err(e) = sent {
                tracing::warn!(error = %e, "could not deliver the preview to Slack");
            }
            return Outcome::Settled;
        }
        Err(e) => {
            tracing::warn!(error = %e, "meeting not created");
            // Zoom's own text may echo the topic: escape it like user text.
            answer
                .say(format!(
                    ":warning: {}",
                    escape(&e.user_message_in(
                        lang,
                        Operation::Create,
                        job.request.zone().tz(),
                        Utc::now()
                    ))
                ))
                .await;
            // A create Zoom answered 2xx made its meeting, though its answer could not be
            // read: the user was told so, and nobody may make it again or say it was not made.
            let created = matches!(e, ZoomError::MalformedResponse { .. });
            return if e.outcome_unknown() && !created {
                Outcome::Uncertain
            } else {
                Outcome::Settled
            };
        }
    };
    let (card, notes) = card_from_answer(&job.request, &job.user_id, &meeting, lang);
    job.notes.extend(notes);
    // The card is held in the outbox before it is posted: a replica that takes the command
    // over finds either the held card or nothing posted, and whoever clicks the card's
    // buttons finds the meeting stored.
    let mut hold = match Box::pin(remember(state, &job, &card)).await {
        Remembered::Recorded(hold) => hold,
        Remembered::Already => {
            // A taken-over job found the meeting as another replica recorded it: that
            // replica's card is in the outbox, and a second would be a duplicate.
            tracing::info!(
                meeting_id = meeting.id().get(),
                "meeting recorded meanwhile by another replica; its card is theirs"
            );
            answer.owe_nothing();
            return Outcome::Created(meeting.id().get());
        }
    };
    let outbox = hold.as_ref().map(CardHold::id);
    match answer.post(&card.in_channel(), hold.as_mut()).await {
        Err(AnswerError::TakenOver) => {
            // Its hold lapsed while it waited for a turn to post: whoever claimed it posts it
            // (with the notes kept in its row).
            answer.owe_nothing();
            return Outcome::Created(meeting.id().get());
        }
        Ok(posted) => {
            if let Some(posted) = posted {
                let location = CardLocation {
                    channel_id: posted.channel.as_str().to_owned(),
                    message_ts: posted.ts,
                };
                if let Err(e) = state
                    .store()
                    .meetings()
                    .set_card(meeting.id().get(), &location)
                    .await
                {
                    tracing::warn!(error = %e, "could not record where the card is");
                }
            }
            tracing::info!(
                meeting_id = meeting.id().get(),
                start = %card.start,
                zone = job.request.zone().name(),
                "meeting created and posted"
            );
            if let Some(id) = outbox
                && let Err(e) = state.store().outbox().complete(id, Utc::now()).await
            {
                tracing::error!(error = %e, "card posted but not marked posted in the store");
            }
            if !job.notes.is_empty() {
                let notes: Vec<String> = job
                    .notes
                    .iter()
                    .map(|n| format!("• {}", escape(n)))
                    .collect();
                answer.say(notes.join("\n")).await;
            }
        }
        Err(e) => {
            // The meeting exists but nobody was told: the outbox row lets a sweep try again
            // (chat.postMessage once the response_url is spent), and the log keeps the rest.
            tracing::error!(
                error = %e,
                meeting_id = meeting.id().get(),
                join_url = meeting.join_url().unwrap_or("none"),
                channel = %job.channel_id,
                "meeting created but the card could not be posted to Slack"
            );
            if let Some(id) = outbox {
                let outbox = state.store().outbox();
                // A card that may have arrived is not posted again (no duplicate cards);
                // one that surely did not is handed to the sweep.
                let handed = if e.may_have_arrived() {
                    // Its user hears at their next command where to find the meeting.
                    let unconfirmed = Undeliverable::Unconfirmed.recorded();
                    let note = NewPendingNote {
                        team_id: job.team_id.as_str().to_owned(),
                        user_id: job.user_id.as_str().to_owned(),
                        zoom_id: meeting.id().get(),
                        channel_id: job.channel_id.as_str().to_owned(),
                        undelivered: Some(unconfirmed.to_owned()),
                        notes: job.notes.clone(),
                        created_at: Utc::now(),
                    };
                    keep_note(state, &note).await;
                    outbox.abandon(id, Utc::now(), unconfirmed).await
                } else {
                    let retry_at = Utc::now() + chrono::Duration::minutes(1);
                    outbox
                        .release(id, state.replica(), retry_at, &e.to_string())
                        .await
                };
                if let Err(e) = handed {
                    tracing::error!(error = %e, "could not hand the unposted card back to the outbox");
                }
            }
        }
    }
    Outcome::Created(meeting.id().get())
}

/// A meeting Zoom made for `job` already, found by the tag in its agenda: among the host's
/// scheduled meetings with the same topic and a start Zoom could have given it, the one whose
/// agenda names the tag.
async fn find_by_tag(
    state: &AppState,
    job: &Job,
    tag: &str,
) -> Result<Option<(Meeting, String)>, ZoomError> {
    let Some(zoom) = state.zoom() else {
        return Ok(None);
    };
    let topic = job.request.topic().plain();
    let window = start_window(job.request.start(), Utc::now());
    let mut hosts = vec![state.zoom_host().to_owned()];
    if state.host_from_slack_email()
        && let Some(email) = &job.email
    {
        hosts.insert(0, email.clone());
    }
    for host in hosts {
        let listed = match zoom.list_scheduled(&host).await {
            Ok(listed) => listed,
            Err(e) if e.host_not_found() => continue,
            Err(e) => return Err(e),
        };
        let candidates = listed.into_iter().filter(|m| {
            m.topic()
                .is_some_and(|t| t == topic.chars().take(200).collect::<String>())
                && m.start_time().is_none_or(|s| window.contains(&s))
        });
        for candidate in candidates {
            let meeting = match zoom.get_meeting(candidate.id()).await {
                Ok(meeting) => meeting,
                Err(e) if e.meeting_not_found() => continue,
                Err(e) => return Err(e),
            };
            if meeting.agenda().is_some_and(|a| a.contains(tag)) {
                return Ok(Some((meeting, host)));
            }
        }
    }
    Ok(None)
}

/// The starts Zoom may have stored for a meeting asked to start at `start`: that minute, or,
/// for a start already past when Zoom got the create ("now"), any time until `now` (Zoom makes
/// a past start "now"). A minute either side for Zoom's rounding.
fn start_window(
    start: DateTime<Utc>,
    now: DateTime<Utc>,
) -> std::ops::RangeInclusive<DateTime<Utc>> {
    let slack = chrono::TimeDelta::minutes(1);
    (start - slack)..=(start.max(now) + slack)
}

/// What [`remember`] did.
enum Remembered {
    /// Recorded now (with its card held in the outbox, unless the store failed; a store error
    /// never costs the user their meeting: it is logged, and the card goes out regardless).
    Recorded(Option<CardHold>),
    /// Recorded already, by another replica that took the command over: its card is theirs.
    Already,
}

/// Shutting down before the command's create went out. With replicas it is handed to another
/// one (or to this one once it is back), and its user gets the card rather than "run it
/// again"; otherwise its user is told that nothing was created.
async fn handed_back(state: &AppState, job: &Job, answer: &Answer<'_>) -> Outcome {
    // A command written down is another replica's to finish (or this one's once it is back),
    // however the hand-over went: telling its user "run it again" could make it twice.
    if let Some(held) = &job.intent {
        match renew(state, held, Duration::ZERO).await {
            Ok(true) => {
                tracing::warn!(intent = %held.hold.id, "shutting down before this meeting was sent; handed to another replica");
            }
            Ok(false) => {
                tracing::warn!(intent = %held.hold.id, "shutting down; another replica holds this command already");
            }
            Err(e) => {
                tracing::error!(error = %e, intent = %held.hold.id, "shutting down; could not hand this command back, so another replica takes it over once its lease lapses");
            }
        }
        answer.owe_nothing();
        return Outcome::Lost;
    }
    tracing::warn!(
        channel = %job.channel_id,
        "shutting down before this meeting was sent; nothing was sent to Zoom"
    );
    let topic = neutralise(job.request.topic().as_slack());
    answer
        .say(t!(job.lang(), ScheduleRestartedBefore, topic))
        .await;
    Outcome::NotSent
}

/// Records the meeting, its start notice and the card about to be posted.
async fn remember(state: &AppState, job: &Job, card: &MeetingCard) -> Remembered {
    let now = Utc::now();
    let Some(record) = record(
        card,
        job.request.recurrence(),
        job.team_id.as_str(),
        job.channel_id.as_str(),
        job.request.zone().name(),
        job.host.as_deref().unwrap_or(state.zoom_host()),
        job.locale.as_deref(),
        now,
    ) else {
        return Remembered::Recorded(None);
    };
    let notice_due = state
        .start_notice()
        .map(|before| card.start - chrono::Duration::from_std(before).unwrap_or_default());
    // A form has no response_url: the outbox then posts with chat.postMessage.
    let (response_url, expires_at) = match &job.reply_to {
        ReplyTo::Hook(url) => (
            url.as_str().to_owned(),
            job.received_at + chrono::Duration::minutes(30),
        ),
        ReplyTo::Channel { .. } => (String::new(), now),
    };
    let post = NewCardPost {
        zoom_id: record.zoom_id,
        team_id: record.team_id.clone(),
        channel_id: record.channel_id.clone(),
        user_id: job.user_id.as_str().to_owned(),
        response_url,
        response_url_expires_at: expires_at,
        notes: job.notes.clone(),
        locale: job.locale.clone(),
        created_at: now,
    };
    let zoom_id = record.zoom_id;
    let creation = NewCreation {
        meeting: record,
        notice_due,
        card: post,
        owner: state.replica().to_owned(),
        lease: state.card_lease(),
    };
    match state.store().record_creation(creation).await {
        Ok(Creation::Recorded(id)) => {
            Remembered::Recorded(Some(CardHold::new(id, 1, now, state.card_lease())))
        }
        Ok(Creation::Already) => Remembered::Already,
        Err(e) => {
            tracing::error!(error = %e, meeting_id = zoom_id, "meeting created but not recorded in the store");
            Remembered::Recorded(None)
        }
    }
}

/// Creates the meeting; `Ok(None)` in dry-run mode.
async fn create(state: &AppState, job: &mut Job) -> Result<Option<Meeting>, ZoomError> {
    let Some(zoom) = state.zoom() else {
        return Ok(None);
    };
    let lang = job.lang();
    let meeting = zoom_request(&job.request, agenda(job))?;
    let email = match job.email.as_deref() {
        Some(email) if state.host_from_slack_email() => Some(email),
        None if state.host_from_slack_email() => {
            job.notes
                .push(lang.text(Key::ScheduleHostNoEmail).to_owned());
            None
        }
        _ => None,
    };
    if let Some(email) = email {
        match zoom.create_meeting(email, &meeting).await {
            Err(e) if e.host_not_found() => {
                tracing::info!("no Zoom user for the Slack email; falling back to ZOOM_HOST");
                job.notes
                    .push(lang.text(Key::ScheduleHostNoZoomUser).to_owned());
            }
            other => {
                let created = other?;
                job.host = Some(email.to_owned());
                return Ok(Some(with_join_url(zoom, created).await));
            }
        }
    }
    let created = zoom.create_meeting(state.zoom_host(), &meeting).await?;
    job.host = Some(state.zoom_host().to_owned());
    Ok(Some(with_join_url(zoom, created).await))
}

/// A 201 without a `join_url`: the meeting exists, so look it up once for the link.
async fn with_join_url(zoom: &ZoomClient, created: Meeting) -> Meeting {
    if created.join_url().is_some() {
        return created;
    }
    match zoom.get_meeting(created.id()).await {
        Ok(found) if found.join_url().is_some() => found,
        Ok(_) => created,
        Err(e) => {
            tracing::warn!(error = %e, meeting_id = created.id().get(), "could not look up the join link");
            created
        }
    }
}

/// What Zoom's agenda says about where the meeting came from (in the scheduler's language:
/// Zoom shows it to the people in the meeting).
fn agenda(job: &Job) -> String {
    let lang = job.lang();
    let channel = job
        .channel_name
        .as_deref()
        .filter(|name| !name.is_empty() && *name != "privategroup" && *name != "directmessage")
        .map_or_else(
            || t!(lang, ScheduleAgendaChannel, id = job.channel_id),
            |name| format!("#{name}"),
        );
    let who = match job.real_name.as_deref() {
        Some(name) => format!("{name} ({})", job.user_id),
        None => t!(lang, ScheduleAgendaUser, id = job.user_id),
    };
    let text = t!(lang, ScheduleAgenda, who, channel);
    // The tag lets another replica find this meeting in Zoom if this one dies mid-create.
    match job.intent.as_ref() {
        Some(held) => format!("{text} (ref {})", held.tag),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_task_that_panics_or_forgets_to_answer_is_caught_once() {
        let answered = AtomicBool::new(false);
        let failure =
            unanswered(async { panic!("overflow adding to an Instant") }, &answered).await;
        assert_eq!(
            failure.as_deref(),
            Some("panicked: overflow adding to an Instant")
        );
        let failure = unanswered(async {}, &answered).await;
        assert_eq!(failure.as_deref(), Some("ended without answering"));
    }

    #[test]
    fn a_lease_taken_here_is_trusted_only_while_more_than_needed_of_it_is_surely_left() {
        let now = Utc::now();
        let needed = Duration::from_secs(80);
        let at = |seconds| Some(now + chrono::TimeDelta::seconds(seconds));
        let cases = [
            ("taken here moments ago", at(119), true),
            ("just over what is needed", at(81), true),
            ("exactly what is needed", at(80), false),
            ("a third of a lease gone", at(60), false),
            ("ended", at(-1), false),
            ("taken over: only the store knows", None, false),
        ];
        for (case, lease_ends, trusted) in cases {
            assert_eq!(surely_left(lease_ends, now, needed), trusted, "{case}");
        }
    }

    /// Runs one job through [`supervise_with`] with `work` in place of the real one, inside a
    /// request span, against a loopback `response_url`; returns what the hook received and
    /// what was logged.
    async fn supervised_job(
        work: impl AsyncFnOnce(&AppState, Job, Arc<AtomicBool>) -> Outcome,
    ) -> (Vec<serde_json::Value>, String) {
        use std::sync::Mutex;
        let received = Arc::new(Mutex::new(Vec::new()));
        let hook = axum::Router::new().fallback({
            let received = Arc::clone(&received);
            move |body: axum::Json<serde_json::Value>| async move {
                received.lock().unwrap().push(body.0);
                "ok"
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let prefix = format!("http://{}/hooks/", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, hook).await });
        let path = std::env::temp_dir().join(format!(
            "slack-zoom-supervise-{}-{}.db",
            std::process::id(),
            rand::random::<u64>()
        ));
        let database = format!("sqlite://{}", path.display());
        let env = [
            ("SLACK_SIGNING_SECRET", "x"),
            ("ZOOM_DRY_RUN", "true"),
            ("SLACK_RESPONSE_URL_PREFIXES", &prefix),
            ("DATABASE_URL", &database),
        ];
        let config = crate::config::Config::from_lookup(
            |name| {
                env.iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).to_owned())
            },
            false,
        )
        .unwrap();
        let store = crate::store::Store::open(&database).await.unwrap();
        let state = AppState::new(&config, store).unwrap();
        let ctx = crate::command::Context {
            now: Utc::now(),
            zone: crate::time::Zone::utc(),
            default_duration: crate::command::Minutes::new(30).unwrap(),
        };
        let Ok(crate::command::Parsed::Meeting(request)) =
            crate::command::parse("Launch review 30m tomorrow 3pm", &ctx)
        else {
            panic!("a meeting")
        };
        let url = crate::slack::ResponseUrl::parse(
            &format!("{prefix}T1/1/abc"),
            std::slice::from_ref(&prefix),
        )
        .unwrap();
        let job = Job {
            team_id: crate::slack::TeamId::parse("T0001").unwrap(),
            channel_id: crate::slack::ChannelId::parse("C0001").unwrap(),
            channel_name: None,
            user_id: crate::slack::UserId::parse("U0001").unwrap(),
            reply_to: ReplyTo::Hook(url),
            request,
            email: None,
            real_name: None,
            notes: Vec::new(),
            locale: None,
            enqueued_at: Instant::now(),
            received_at: Utc::now(),
            host: None,
            intent: None,
            pending_intent: None,
        };
        let admitted = Arc::new(tokio::sync::Semaphore::new(1))
            .acquire_owned()
            .await
            .unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer({
                let log = Arc::clone(&log);
                move || LogWriter(Arc::clone(&log))
            })
            .finish();
        let _logging = tracing::subscriber::set_default(subscriber);
        let span = tracing::info_span!("request", id = "req-42");
        tracing::Instrument::instrument(supervise_with(state, job, admitted, work), span).await;
        let received = received.lock().unwrap().clone();
        let log = String::from_utf8_lossy(&log.lock().unwrap()).into_owned();
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
        (received, log)
    }

    struct LogWriter(Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for LogWriter {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_job_that_panics_or_ends_silently_is_told_once_and_logged_with_its_request_id() {
        let panicked = supervised_job(
            async |_: &AppState, _: Job, _: Arc<AtomicBool>| -> Outcome {
                panic!("overflow adding to an Instant")
            },
        )
        .await;
        let silent =
            supervised_job(async |_: &AppState, _: Job, _: Arc<AtomicBool>| Outcome::Settled).await;
        for (case, (received, log), why) in [
            (
                "panicked",
                panicked,
                "panicked: overflow adding to an Instant",
            ),
            ("silent", silent, "ended without answering"),
        ] {
            assert_eq!(received.len(), 1, "{case}: told once: {received:?}");
            let text = received[0]["text"].as_str().unwrap_or_default();
            assert!(
                text.contains("could not confirm whether the meeting was created")
                    && text.contains("Launch review"),
                "{case}: {text}"
            );
            assert_eq!(received[0]["response_type"], "ephemeral", "{case}");
            let error = log
                .lines()
                .find(|l| l.contains("ERROR") && l.contains("meeting task gave no answer"))
                .unwrap_or_else(|| panic!("{case}: no error line in:\n{log}"));
            assert!(error.contains("req-42"), "{case}: {error}");
            assert!(error.contains(why), "{case}: {error}");
        }
    }

    #[tokio::test]
    async fn a_task_that_answered_before_panicking_gets_no_second_answer() {
        let answered = AtomicBool::new(false);
        let work = async {
            answered.store(true, Ordering::SeqCst);
            panic!("after the card");
        };
        assert_eq!(unanswered(work, &answered).await, None);
    }
}
