//! A replica's hold on a card it is posting: checked, and renewed in the store, before each post that could outlast it, so a card is never posted by two replicas.
//!
//! A card in the outbox is held under a lease ([`AppState::card_lease`]). A post may wait for
//! a delivery slot first, and during a Slack slowdown that wait can outlast the lease; another
//! replica (or this one's sweep) then claims the card and posts it. So just before posting,
//! the holder makes sure it still holds the card for as long as the post can take: at once
//! when enough of the lease is left (no store write on the usual path), else by renewing it
//! in the store, which fails when the card was claimed since.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::app::state::AppState;
use crate::app::sweep::{after, delta};
use crate::slack::respond::{DeliveryError, DeliveryPolicy};
use crate::slack::{Reply, ResponseUrl};
use crate::store::OutboxId;

/// What a hold must have left beyond the longest post: the writes after it and the other
/// replicas' clocks. The card lease is at least the longest post plus this
/// ([`AppState::card_lease`]), so a renewal always leaves enough.
pub const MARGIN: Duration = Duration::from_secs(5);

/// A card this replica holds: from its own command (the first claim) or a sweep's claim.
#[derive(Debug, Clone)]
pub struct CardHold {
    id: OutboxId,
    /// The claim that gave the hold (the row's `attempts`): an older claim of this same
    /// replica must not pass for the current one.
    claim: u32,
    /// When the lease in the store runs out.
    until: DateTime<Utc>,
}

impl CardHold {
    /// The hold of claim `claim` on card `id`, taken at `since` for `lease`.
    pub fn new(id: OutboxId, claim: u32, since: DateTime<Utc>, lease: Duration) -> CardHold {
        CardHold {
            id,
            claim,
            until: after(since, delta(lease)),
        }
    }

    /// The card held.
    pub fn id(&self) -> OutboxId {
        self.id
    }

    /// Whether the card is still this replica's for `needed` more: at once when that much of
    /// the lease is left, else renewed. `false` when another claim took it: then it must not
    /// be posted here. A store error counts as held: a store failure never costs the user
    /// their card, and the rare duplicate it allows is logged.
    pub async fn keep_for(&mut self, state: &AppState, needed: Duration) -> bool {
        // Beyond the post itself: recording it, and the clocks of other replicas.
        let needed = delta(needed.saturating_add(MARGIN));
        if self.until - Utc::now() >= needed {
            return true;
        }
        let until = after(Utc::now(), delta(state.card_lease()));
        match state
            .store()
            .outbox()
            .keep(self.id, state.replica(), self.claim, until)
            .await
        {
            Ok(true) => {
                // The card lease leaves the margin twice over, so even a slow renewal leaves
                // enough.
                self.until = until;
                true
            }
            Ok(false) => {
                tracing::info!(
                    outbox_id = %self.id,
                    "card claimed by another replica while this one waited to post it; theirs to post"
                );
                false
            }
            Err(e) => {
                tracing::warn!(error = %e, outbox_id = %self.id, "could not renew the hold on a card; posting it regardless");
                true
            }
        }
    }
}

/// Posts `reply` (a card) to `url` if this replica still holds it when its turn to post
/// comes: `None`, with nothing sent, when another claim took it meanwhile.
pub async fn deliver_held(
    state: &AppState,
    url: &ResponseUrl,
    reply: &Reply,
    policy: DeliveryPolicy,
    hold: &mut CardHold,
) -> Option<Result<(), DeliveryError>> {
    let turn = state.delivery_turn().await;
    if !hold.keep_for(state, policy.longest()).await {
        return None;
    }
    Some(state.deliver_in(turn, url, reply, policy).await)
}
