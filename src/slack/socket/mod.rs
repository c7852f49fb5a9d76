//! Socket Mode: Slack delivers commands over a WebSocket the service opens, so no public URL is needed.
//!
//! The second door into the same handler as HTTP. [`SocketModeClient`] asks
//! `apps.connections.open` for a single-use URL, connects, waits for `hello`, and hands every
//! envelope to the app's [`EnvelopeHandler`] as a typed [`Envelope`]; whatever the handler
//! returns within the ack deadline goes back in the envelope's ack. It keeps one link up:
//! a `disconnect` warning opens the next link before the old one is let go, a dead link
//! (dropped, or silent past the pong timeout) is replaced with jittered backoff, and a refused
//! token or a disabled link is retried slowly. Slack's wire format stays in this module.
//!
//! Neither the app-level token nor a link URL's ticket is logged here. tungstenite itself
//! logs the handshake request (ticket included) at `trace` through the `log` bridge, so keep
//! `tungstenite` below trace in `RUST_LOG` in production.

mod backoff;
mod client;
mod config;
mod envelope;
mod error;
mod handler;
mod link;
mod open;
mod seen;
mod tls;
mod wire;

pub use client::{SocketModeClient, SocketModeHandle};
pub use config::SocketModeConfig;
pub use envelope::{Envelope, EnvelopeId, EnvelopeKind};
pub use error::SocketModeError;
pub use handler::{EnvelopeHandler, HandlerFuture};
