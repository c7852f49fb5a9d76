//! Zoom client: Server-to-Server OAuth token cache and meeting creation (no Slack types here).
