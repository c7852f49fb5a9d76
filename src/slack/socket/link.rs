//! One Socket Mode WebSocket: reads envelopes, acks them, pings Slack, and closes when retired.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::slack::socket::seen::{Delivery, FirstDelivery, SeenEnvelopes};
use crate::slack::socket::wire::{self, DisconnectReason, Inbound};
use crate::slack::socket::{Envelope, EnvelopeHandler, EnvelopeId};

pub(crate) type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Acks are sent by the deadline at the latest; this is the time they get to reach the link
/// task before a retiring link stops waiting for them.
const ACK_MARGIN: Duration = Duration::from_millis(500);

/// The longest a retired link takes to end: draining acks, the close frame, Slack's reply.
pub(crate) fn close_budget(shared: &Shared) -> Duration {
    shared.ack_deadline + ACK_MARGIN + shared.pong_timeout.saturating_mul(3)
}

/// What every link of one client shares.
pub(crate) struct Shared {
    pub handler: Box<dyn EnvelopeHandler>,
    pub seen: SeenEnvelopes,
    pub ping_interval: Duration,
    pub pong_timeout: Duration,
    pub ack_deadline: Duration,
}

/// What a link tells the supervisor.
#[derive(Debug)]
pub(crate) enum LinkEvent {
    Disconnect(DisconnectReason),
    Ended(End),
}

/// Why a link stopped.
#[derive(Debug)]
pub(crate) enum End {
    /// Slack closed it with a close frame.
    ClosedBySlack,
    /// The socket failed or ended without a close frame.
    Dropped(String),
    /// A ping went unanswered for the pong timeout: the link is dead even if TCP is not.
    MissedPong,
    /// We closed it: it was replaced, or the client is closing.
    Retired,
}

/// A running link. Dropping it retires it.
pub(crate) struct Link {
    pub id: u64,
    pub opened: Instant,
    retire: CancellationToken,
    task: JoinHandle<()>,
}

impl Link {
    /// Asks the link to ack what it is handling, send a close frame and stop.
    pub fn retire(&self) {
        self.retire.cancel();
    }

    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// Waits up to `within` for the task to end; aborts it after that.
    pub async fn finish(&mut self, within: Duration) {
        if tokio::time::timeout(within, &mut self.task).await.is_err() {
            tracing::warn!(link = self.id, "a Socket Mode link did not close in time");
            self.task.abort();
        }
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        self.retire.cancel();
    }
}

/// Starts the task that runs `ws`. `hello` fires when Slack's `hello` arrives.
pub(crate) fn spawn(
    id: u64,
    ws: Ws,
    shared: Arc<Shared>,
    events: mpsc::UnboundedSender<(u64, LinkEvent)>,
    hello: oneshot::Sender<Option<u64>>,
) -> Link {
    let retire = CancellationToken::new();
    let task = tokio::spawn(
        run(id, ws, shared, events, hello, retire.clone())
            .instrument(tracing::info_span!("socket_mode", link = id)),
    );
    Link {
        id,
        opened: Instant::now(),
        retire,
        task,
    }
}

/// An ack ready to send.
struct Ack {
    id: EnvelopeId,
    payload: Option<Value>,
}

async fn run(
    id: u64,
    mut ws: Ws,
    shared: Arc<Shared>,
    events: mpsc::UnboundedSender<(u64, LinkEvent)>,
    hello: oneshot::Sender<Option<u64>>,
    retire: CancellationToken,
) {
    let mut hello = Some(hello);
    let (ack_tx, mut ack_rx) = mpsc::unbounded_channel::<Ack>();
    // Envelopes read on this link whose ack has not been sent yet.
    let mut in_flight: usize = 0;
    let write_timeout = shared.pong_timeout;
    let mut ping =
        tokio::time::interval_at(Instant::now() + shared.ping_interval, shared.ping_interval);
    ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut pings_sent: u64 = 0;
    let mut awaiting_pong: Option<(u64, Instant)> = None;
    let mut retiring_until: Option<Instant> = None;
    let mut slack_closed = false;

    let end = loop {
        if retiring_until.is_some() && in_flight == 0 {
            break End::Retired;
        }
        let pong_due = awaiting_pong.map(|(_, due)| due);
        // An ack to send right away (redeliveries, unreadable envelopes).
        let mut immediate: Option<Ack> = None;
        tokio::select! {
            Some(ack) = ack_rx.recv() => {
                in_flight = in_flight.saturating_sub(1);
                immediate = Some(ack);
            }
            message = ws.next() => match message {
                None if slack_closed => break End::ClosedBySlack,
                None => break End::Dropped("the connection ended without a close frame".into()),
                Some(Err(_)) if slack_closed => break End::ClosedBySlack,
                Some(Err(e)) => break End::Dropped(e.to_string()),
                Some(Ok(Message::Text(text))) => match wire::parse(text.as_str()) {
                    Err(e) => tracing::warn!(error = %e, "skipped a message from Slack that is not a JSON object"),
                    Ok(Inbound::Hello { num_connections }) => {
                        if let Some(hello) = hello.take() {
                            let _ = hello.send(num_connections);
                        }
                    }
                    Ok(Inbound::Disconnect(reason)) => {
                        tracing::info!(reason = reason.as_str(), "Slack asked to disconnect this link");
                        let _ = events.send((id, LinkEvent::Disconnect(reason)));
                    }
                    Ok(Inbound::Envelope(envelope)) => {
                        in_flight += 1;
                        receive(&shared, envelope, ack_tx.clone());
                    }
                    Ok(Inbound::Unreadable { id, why }) => {
                        tracing::warn!(envelope_id = %id, why, "acked an envelope that cannot be handled");
                        immediate = Some(Ack { id, payload: None });
                    }
                    Ok(Inbound::Ignored(what)) => tracing::debug!(what, "skipped a message from Slack"),
                },
                Some(Ok(Message::Ping(_))) => {
                    // tungstenite queued the pong while reading; send it now, not with the next write.
                    if let Err(e) = within(write_timeout, ws.flush()).await {
                        break End::Dropped(e);
                    }
                }
                Some(Ok(Message::Pong(data))) => {
                    if awaiting_pong.is_some_and(|(n, _)| data.as_ref() == n.to_be_bytes()) {
                        awaiting_pong = None;
                    }
                }
                Some(Ok(Message::Close(frame))) => {
                    tracing::info!(code = ?frame.map(|f| f.code), "Slack closed the link");
                    // tungstenite answers it; the stream then ends.
                    slack_closed = true;
                }
                Some(Ok(_)) => tracing::debug!("skipped a binary frame from Slack"),
            },
            _ = ping.tick() => {
                if awaiting_pong.is_none() && !slack_closed {
                    pings_sent += 1;
                    let payload = pings_sent.to_be_bytes().to_vec();
                    if let Err(e) = within(write_timeout, ws.send(Message::Ping(payload.into()))).await {
                        break End::Dropped(e);
                    }
                    awaiting_pong = Some((pings_sent, Instant::now() + shared.pong_timeout));
                }
            }
            () = sleep_until(pong_due), if pong_due.is_some() => break End::MissedPong,
            () = retire.cancelled(), if retiring_until.is_none() => {
                retiring_until = Some(Instant::now() + shared.ack_deadline + ACK_MARGIN);
            }
            () = sleep_until(retiring_until), if retiring_until.is_some() => {
                tracing::warn!(in_flight, "closing a link with acks still pending; Slack will redeliver those envelopes");
                break End::Retired;
            }
        }
        if let Some(ack) = immediate {
            let text = wire::ack(&ack.id, ack.payload.as_ref());
            if let Err(e) = within(write_timeout, ws.send(Message::text(text))).await {
                tracing::warn!(envelope_id = %ack.id, "the link failed before an ack could be sent; Slack will redeliver it");
                break End::Dropped(e);
            }
            tracing::debug!(envelope_id = %ack.id, with_payload = ack.payload.is_some(), "acked");
        }
    };
    if matches!(end, End::Retired) {
        close(&mut ws, write_timeout).await;
    }
    match &end {
        End::Retired => tracing::info!("link closed"),
        End::ClosedBySlack => tracing::info!("link closed by Slack"),
        End::Dropped(why) => tracing::warn!(why = %why, "link dropped"),
        End::MissedPong => tracing::warn!(
            timeout = ?shared.pong_timeout,
            "no pong from Slack in time; treating the link as dead"
        ),
    }
    let _ = events.send((id, LinkEvent::Ended(end)));
}

/// Hands a new envelope to the handler in its own task, or acks a redelivery without
/// running the handler again. Either way exactly one `Ack` comes back on `acks`.
fn receive(shared: &Arc<Shared>, envelope: Envelope, acks: mpsc::UnboundedSender<Ack>) {
    let id = envelope.id().clone();
    let span = tracing::info_span!(
        "envelope",
        envelope_id = %id,
        kind = envelope.kind().name(),
        retry_attempt = envelope.retry_attempt(),
    );
    let shared = shared.clone();
    let task = async move {
        let payload = match shared.seen.deliver(&id) {
            Delivery::First(first) => handle(&shared, envelope, &id, first).await,
            Delivery::Again(earlier) => {
                tracing::info!(
                    retry_reason = envelope.retry_reason(),
                    "a redelivered envelope was acked again without running the handler"
                );
                let payload = earlier.payload(shared.ack_deadline).await;
                usable(payload, envelope.accepts_response_payload())
            }
        };
        if acks.send(Ack { id, payload }).is_err() {
            tracing::info!("the link ended before the ack could be sent; Slack will redeliver");
        }
    };
    tokio::spawn(task.instrument(span));
}

/// Runs the handler for a first delivery, bounded by the ack deadline.
async fn handle(
    shared: &Shared,
    envelope: Envelope,
    id: &EnvelopeId,
    first: FirstDelivery,
) -> Option<Value> {
    let accepts = envelope.accepts_response_payload();
    // Its own task, so it can outlive the deadline (the app's work is not cut short) and a
    // panic in it is contained.
    let work = tokio::spawn(shared.handler.handle(envelope).in_current_span());
    let answer = match tokio::time::timeout(shared.ack_deadline, work).await {
        Ok(Ok(answer)) => answer,
        Ok(Err(e)) => {
            tracing::error!(
                panicked = e.is_panic(),
                "the envelope handler failed; acked without a payload"
            );
            None
        }
        Err(_) => {
            tracing::warn!(
                deadline = ?shared.ack_deadline,
                "the envelope handler did not answer within the ack deadline; acked without a payload"
            );
            None
        }
    };
    let payload = usable(answer, accepts);
    shared.seen.acked(id, first, payload.clone());
    payload
}

/// Slack takes an object as the payload, and only on envelopes that accept one.
fn usable(answer: Option<Value>, accepts: bool) -> Option<Value> {
    match answer {
        None => None,
        Some(_) if !accepts => {
            tracing::debug!("dropped a payload for an envelope that accepts none");
            None
        }
        Some(Value::Object(fields)) => Some(Value::Object(fields)),
        Some(_) => {
            tracing::warn!("the handler's payload is not a JSON object; acked without it");
            None
        }
    }
}

/// Sends a close frame and waits briefly for Slack's reply, so the link ends cleanly.
async fn close(ws: &mut Ws, wait: Duration) {
    let frame = CloseFrame {
        code: CloseCode::Normal,
        reason: "".into(),
    };
    if within(wait, ws.close(Some(frame))).await.is_err() {
        return;
    }
    let drain = async {
        while let Some(Ok(message)) = ws.next().await {
            if matches!(message, Message::Text(_)) {
                // Nothing can be acked after a close frame; Slack redelivers elsewhere.
                tracing::info!("a message arrived after the close frame and was left to Slack");
            }
        }
    };
    let _ = tokio::time::timeout(wait, drain).await;
}

async fn within<E: std::fmt::Display>(
    limit: Duration,
    write: impl std::future::Future<Output = Result<(), E>>,
) -> Result<(), String> {
    match tokio::time::timeout(limit, write).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("a write did not complete within {limit:?}")),
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn only_object_payloads_for_envelopes_that_accept_them_are_sent() {
        let object = json!({"text": "hi"});
        for (case, answer, accepts, want) in [
            (
                "object, accepted",
                Some(object.clone()),
                true,
                Some(object.clone()),
            ),
            ("object, not accepted", Some(object.clone()), false, None),
            ("string", Some(json!("hi")), true, None),
            ("none", None, true, None),
        ] {
            assert_eq!(usable(answer, accepts), want, "{case}");
        }
    }
}
