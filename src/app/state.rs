//! Shared state of the running service: verifier, replay guard, policy and background tasks.

use std::collections::BTreeSet;
use std::sync::Arc;

use tokio_util::task::TaskTracker;

use crate::app::StartupError;
use crate::config::Config;
use crate::slack::SignatureVerifier;
use crate::slack::replay::ReplayGuard;

/// Cheap to clone: everything lives behind one `Arc`.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    verifier: SignatureVerifier,
    replay: ReplayGuard,
    allowed_teams: Option<BTreeSet<String>>,
    response_url_prefixes: Vec<String>,
    background: TaskTracker,
}

impl AppState {
    pub fn new(config: &Config) -> Result<Self, StartupError> {
        Ok(Self(Arc::new(Inner {
            verifier: SignatureVerifier::new(config.slack_signing_secret.clone()),
            replay: ReplayGuard::default(),
            allowed_teams: config.slack_allowed_team_ids.clone(),
            response_url_prefixes: config.slack_response_url_prefixes.clone(),
            background: TaskTracker::new(),
        })))
    }

    pub fn verifier(&self) -> &SignatureVerifier {
        &self.0.verifier
    }

    pub fn replay(&self) -> &ReplayGuard {
        &self.0.replay
    }

    /// `true` when the workspace may use the command (any workspace when no list is configured).
    pub fn team_allowed(&self, team_id: &str) -> bool {
        self.0
            .allowed_teams
            .as_ref()
            .is_none_or(|allowed| allowed.contains(team_id))
    }

    pub fn response_url_prefixes(&self) -> &[String] {
        &self.0.response_url_prefixes
    }

    /// Work that outlives the HTTP response; shutdown waits for it.
    pub fn background(&self) -> &TaskTracker {
        &self.0.background
    }
}
