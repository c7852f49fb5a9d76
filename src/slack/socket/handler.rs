//! The app's side of Socket Mode: an envelope in, an optional ack payload out.

use std::future::Future;
use std::pin::Pin;

use serde_json::Value;

use crate::slack::socket::Envelope;

/// What a handler returns: the ack's `payload` (for a slash command, the same JSON as the
/// HTTP response body), or `None` for a bare ack.
pub type HandlerFuture = Pin<Box<dyn Future<Output = Option<Value>> + Send + 'static>>;

/// Receives every envelope once. Each call runs in its own task, so a slow one never delays
/// another's ack; one still running at the ack deadline is acked without a payload and left
/// to finish in the background.
///
/// Any `Fn(Envelope) -> impl Future<Output = Option<Value>>` is a handler.
pub trait EnvelopeHandler: Send + Sync + 'static {
    fn handle(&self, envelope: Envelope) -> HandlerFuture;
}

impl<F, Fut> EnvelopeHandler for F
where
    F: Fn(Envelope) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Option<Value>> + Send + 'static,
{
    fn handle(&self, envelope: Envelope) -> HandlerFuture {
        Box::pin(self(envelope))
    }
}
