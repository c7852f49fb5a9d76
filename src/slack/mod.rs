//! Inbound Slack: request signatures, the slash-command payload, and replies.
