//! The HTTP surface: `POST /slack/commands`, `POST /slack/interactions`, `GET /healthz`,
//! `GET /readyz`, `GET /metrics` (unless it has a port of its own), and the request pipeline's guards.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderName, Request, StatusCode};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use tracing::field::Empty;

use crate::app::metrics::{self, Ack};
use crate::app::state::{AppState, Guards};
use crate::app::{handler, interactions, readiness};
use crate::i18n::{Key, Lang};
use crate::slack::command::is_ssl_check;
use crate::slack::interaction::Interaction;
use crate::slack::signature::VerifiedSignature;
use crate::slack::{PayloadError, Rejection, Reply, SlashCommand};

/// Slash-command bodies are well under 4 KiB; anything far larger is not from Slack.
pub const BODY_LIMIT_BYTES: usize = 16 * 1024;

const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// `with_metrics`: serve `GET /metrics` here too.
pub fn router(state: AppState, with_metrics: bool) -> Router {
    let routes = Router::new()
        .route("/slack/commands", post(slash_command))
        .route("/slack/interactions", post(interaction))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readiness::readyz));
    let routes = if with_metrics {
        routes.route("/metrics", get(metrics::scrape))
    } else {
        routes
    };
    routes
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        // Slack gives up after 3 s; a request still being read or handled after 10 s is a
        // slow or hostile client, and must not hold a connection (or shutdown) hostage.
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                let request_id = request
                    .headers()
                    .get(&REQUEST_ID)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                tracing::info_span!(
                    "request",
                    id = %request_id,
                    method = %request.method(),
                    path = %request.uri().path(),
                    team = Empty,
                    user = Empty,
                    channel = Empty,
                )
            }),
        )
        // Outermost, so the id exists before the span is made and is echoed in the response.
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .with_state(state)
}

/// A slash command: verified, decoded and vetted before the handler sees it.
async fn slash_command(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    // Slack's SSL check carries no signature and triggers nothing, so it is safe to answer first.
    if is_ssl_check(&body) {
        return StatusCode::OK.into_response();
    }
    let arrived = Instant::now();
    match accept(&state, &headers, &body) {
        Ok((command, guards)) => {
            let reply = handler::handle(&state, command, guards).await;
            state.metrics().acked(Ack::Command, arrived);
            match reply {
                Some(reply) => Json(reply).into_response(),
                None => StatusCode::OK.into_response(),
            }
        }
        Err(rejection) => {
            state.metrics().refused(Ack::Command, &rejection, arrived);
            rejection.into_response()
        }
    }
}

/// A click or a form submission: verified like a command, answered within Slack's 3 s.
async fn interaction(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let arrived = Instant::now();
    let accepted = verify(&state, &headers, &body).and_then(|signature| {
        let interaction = Interaction::parse_form(&body, state.response_url_prefixes())?;
        if let Some(team) = interaction.team_id() {
            tracing::Span::current().record("team", team.as_str());
        }
        if let Interaction::BlockActions(click) = &interaction {
            tracing::Span::current().record("user", click.user_id.as_str());
        }
        Ok((signature, interaction))
    });
    let accepted = match accepted {
        Ok((signature, interaction)) if state.first_signature(signature).await => Ok(interaction),
        Ok(_) => Err(Rejection::Replayed),
        Err(rejection) => Err(rejection),
    }
    .and_then(|interaction| {
        if interaction
            .team_id()
            .is_some_and(|team| !state.team_allowed(team.as_str()))
        {
            return Err(Rejection::TeamNotAllowed);
        }
        Ok(interaction)
    });
    match accepted {
        Ok(interaction) => {
            let answer = interactions::handle(&state, interaction).await;
            state.metrics().acked(Ack::Interaction, arrived);
            match answer {
                Some(answer) => Json(answer).into_response(),
                None => StatusCode::OK.into_response(),
            }
        }
        Err(rejection) => {
            state
                .metrics()
                .refused(Ack::Interaction, &rejection, arrived);
            rejection.into_response()
        }
    }
}

/// The request's signature and timestamp (the check every Slack request passes first).
fn verify(
    state: &AppState,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<VerifiedSignature, Rejection> {
    Ok(state.verifier().verify(
        header(headers, "x-slack-request-timestamp"),
        header(headers, "x-slack-signature"),
        body,
        unix_now(),
    )?)
}

/// Everything that must hold before a command may run, cheapest and most general first;
/// the command's guards against running twice are claimed by the handler (with its intent,
/// when it writes one).
fn accept(
    state: &AppState,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(SlashCommand, Guards), Rejection> {
    let signature = verify(state, headers, body)?;
    let command = SlashCommand::parse(body, state.response_url_prefixes())?;
    let span = tracing::Span::current();
    span.record("team", command.team_id().as_str());
    span.record("user", command.user_id().as_str());
    span.record("channel", command.channel_id().as_str());
    if !state.team_allowed(command.team_id().as_str()) {
        return Err(Rejection::TeamNotAllowed);
    }
    let guards = Guards::new(Some(signature), command.delivery_key());
    Ok((command, guards))
}

/// The one place a refused request becomes a log line and an answer.
impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        match &self {
            Rejection::Signature(check) => {
                tracing::warn!(%check, "rejected: request signature check failed");
                // Generic on purpose: the caller is not Slack, or not this app's Slack.
                (StatusCode::UNAUTHORIZED, "invalid request signature").into_response()
            }
            Rejection::Payload(PayloadError::ResponseUrlNotAllowed) => {
                // The URL itself is attacker-controlled: log that it was refused, not its text.
                tracing::warn!("rejected: response_url is not on the allow-list");
                (StatusCode::BAD_REQUEST, self.to_string()).into_response()
            }
            Rejection::Payload(e) => {
                tracing::warn!(error = %e, "rejected: malformed slash-command payload");
                (StatusCode::BAD_REQUEST, self.to_string()).into_response()
            }
            Rejection::Replayed => {
                tracing::warn!("replayed request ignored");
                // A replayed signature names no user we may look up: the fallback language.
                Json(Reply::ephemeral(Lang::En.text(Key::ReplyAlreadyHandled))).into_response()
            }
            Rejection::TeamNotAllowed => {
                tracing::warn!("refused: workspace is not on SLACK_ALLOWED_TEAM_IDS");
                // This app's bot token cannot look up another workspace's users: English.
                Json(Reply::ephemeral(Lang::En.text(Key::ReplyTeamNotAllowed))).into_response()
            }
        }
    }
}

/// A header's value; a value that is not visible ASCII becomes `""` so it fails as malformed
/// rather than as missing.
fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).map(|v| v.to_str().unwrap_or(""))
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
