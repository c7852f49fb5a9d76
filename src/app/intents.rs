//! Commands another replica acknowledged and never settled (it died, or lost Zoom's answer):
//! taken over once its lease lapsed, looked for in Zoom by their tag, and finished exactly once.

use std::time::Instant;

use chrono::Utc;

use crate::app::answer::ReplyTo;
use crate::app::schedule::{self, Held, Job, Resume};
use crate::app::state::AppState;
use crate::command::{self, Context, Minutes, Parsed};
use crate::slack::{ChannelId, ResponseUrl, TeamId, UserId};
use crate::store::{Engine, Intent};
use crate::time::Zone;

/// Intents taken over per sweep (each becomes a background job, under the usual bounds).
const BATCH: u32 = 10;
/// Takeovers before a command is given up (Zoom unreachable all along).
const MAX_ATTEMPTS: u32 = 10;

/// Takes over the lapsed intents, when replicas share PostgreSQL.
pub(crate) async fn sweep(state: &AppState) {
    if state.store().engine() != Engine::Postgres {
        return;
    }
    let claimed = state
        .store()
        .intents()
        .claim(state.replica(), Utc::now(), state.lease(), BATCH)
        .await;
    let intents = match claimed {
        Ok(intents) => intents,
        Err(e) => {
            tracing::warn!(error = %e, "could not look for unsettled commands");
            return;
        }
    };
    for intent in intents {
        take_over(state, intent).await;
    }
}

async fn take_over(state: &AppState, intent: Intent) {
    let id = intent.id;
    let Some(job) = job(state, &intent) else {
        tracing::error!(intent = %id, "an unsettled command cannot be read back; giving it up");
        let _ = state
            .store()
            .intents()
            .abandon(id, "cannot be read back", Utc::now())
            .await;
        return;
    };
    if intent.attempts > MAX_ATTEMPTS {
        tracing::error!(intent = %id, "an unsettled command was taken over too often; giving it up");
        let _ = state
            .store()
            .intents()
            .abandon(id, "taken over too often", Utc::now())
            .await;
        return;
    }
    // Busy: leave it; the lease lapses again and a later sweep takes it.
    let Some(admitted) = state.admit() else {
        return;
    };
    tracing::info!(intent = %id, only_look = intent.uncertain.is_some(), "taking over a command another replica left unsettled");
    schedule::spawn(state, job, admitted);
}

/// The job the intent describes, read back exactly as when it was acknowledged.
fn job(state: &AppState, intent: &Intent) -> Option<Job> {
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
        reply_to: ReplyTo::Hook(ResponseUrl::parse(
            &new.response_url,
            state.response_url_prefixes(),
        )?),
        request,
        email: new.email.clone(),
        real_name: new.real_name.clone(),
        notes: Vec::new(),
        locale: new.locale.clone(),
        enqueued_at: Instant::now(),
        host: None,
        intent: Some(Held {
            id: intent.id,
            tag: new.tag.clone(),
            resume: Some(Resume {
                only_look: intent.uncertain.is_some(),
            }),
        }),
    })
}
