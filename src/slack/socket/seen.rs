//! Envelopes already handed to the handler in this process, so a redelivery is acked, not rerun.

use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::watch;

use crate::cache::ExpiringCache;
use crate::slack::socket::EnvelopeId;

/// Slack redelivers within minutes; an hour is ample.
const TTL: Duration = Duration::from_secs(3600);
/// The remembered ack payloads are small replies (~1 KiB); this caps the memory near 20 MB
/// and still covers the hour at 5 envelopes per second.
const CAPACITY: usize = 20_000;

/// The handler's answer once known: `Some(payload)` (itself optional).
type Answer = Option<Option<Value>>;

/// What is known about an envelope handed to the handler earlier.
#[derive(Clone, Debug)]
pub(crate) enum Seen {
    /// The handler is still running; its answer arrives on the channel.
    Running(watch::Receiver<Answer>),
    /// The handler answered (or missed the deadline) and the envelope was acked with this.
    Acked(Option<Value>),
}

impl Seen {
    /// The payload to ack a redelivery with: the first delivery's, waiting up to `within`
    /// for a handler still running, because the first ack may have been lost with its link.
    pub async fn payload(self, within: Duration) -> Option<Value> {
        match self {
            Seen::Acked(payload) => payload,
            Seen::Running(mut answer) => {
                match tokio::time::timeout(within, answer.wait_for(Option::is_some)).await {
                    Ok(Ok(answer)) => answer.clone().flatten(),
                    _ => None,
                }
            }
        }
    }
}

/// Held by the task running the first delivery; publishes its answer to redeliveries.
pub(crate) struct FirstDelivery(watch::Sender<Answer>);

pub(crate) enum Delivery {
    First(FirstDelivery),
    Again(Seen),
}

pub(crate) struct SeenEnvelopes(ExpiringCache<EnvelopeId, Seen>);

impl SeenEnvelopes {
    pub fn new() -> Self {
        Self(ExpiringCache::new(TTL, CAPACITY))
    }

    /// `First` the first time `id` is seen (it is then marked running); otherwise what is
    /// known about the earlier delivery.
    pub fn deliver(&self, id: &EnvelopeId) -> Delivery {
        let now = Instant::now();
        let (tx, rx) = watch::channel(None);
        if self.0.insert_if_absent(id.clone(), Seen::Running(rx), now) {
            return Delivery::First(FirstDelivery(tx));
        }
        // It may expire between the two calls; it was handled all the same.
        Delivery::Again(self.0.get(id, now).unwrap_or(Seen::Acked(None)))
    }

    /// Records what the first delivery was acked with.
    pub fn acked(&self, id: &EnvelopeId, first: FirstDelivery, payload: Option<Value>) {
        self.0
            .insert(id.clone(), Seen::Acked(payload.clone()), Instant::now());
        first.0.send_replace(Some(payload));
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn id(raw: &str) -> EnvelopeId {
        EnvelopeId::parse(raw).unwrap()
    }

    #[tokio::test]
    async fn an_envelope_is_first_once_then_remembered_with_its_payload() {
        let seen = SeenEnvelopes::new();
        let Delivery::First(first) = seen.deliver(&id("e1")) else {
            panic!("first delivery");
        };
        seen.acked(&id("e1"), first, Some(json!({"text": "hi"})));
        let Delivery::Again(earlier) = seen.deliver(&id("e1")) else {
            panic!("second delivery");
        };
        let payload = earlier.payload(Duration::ZERO).await;
        assert_eq!(payload, Some(json!({"text": "hi"})));
    }

    #[tokio::test]
    async fn a_redelivery_while_the_handler_runs_gets_its_answer_when_it_comes() {
        let seen = std::sync::Arc::new(SeenEnvelopes::new());
        let Delivery::First(first) = seen.deliver(&id("e1")) else {
            panic!("first delivery");
        };
        let Delivery::Again(running) = seen.deliver(&id("e1")) else {
            panic!("second delivery");
        };
        assert!(matches!(running, Seen::Running(_)));
        let waiting = tokio::spawn(running.payload(Duration::from_secs(30)));
        seen.acked(&id("e1"), first, Some(json!({"text": "late"})));
        assert_eq!(waiting.await.unwrap(), Some(json!({"text": "late"})));
    }

    #[tokio::test]
    async fn a_redelivery_gets_a_bare_ack_when_the_first_handler_never_answers() {
        let seen = SeenEnvelopes::new();
        let Delivery::First(first) = seen.deliver(&id("e1")) else {
            panic!("first delivery");
        };
        let Delivery::Again(running) = seen.deliver(&id("e1")) else {
            panic!("second delivery");
        };
        drop(first);
        assert_eq!(running.payload(Duration::from_secs(30)).await, None);
    }
}
