//! slack-zoom: a Slack slash command that schedules Zoom meetings.
//!
//! Data flows one way through these modules:
//! HTTP request → [`slack`] (verified [`slack::SlashCommand`]) → [`command`] (typed
//! [`command::MeetingRequest`], using [`time`]) → [`zoom`] → [`slack`] reply.
//! [`app`] wires them into a running service; [`config`] reads the environment; [`store`] keeps
//! meetings, claims, notices and the card outbox in SQLite or PostgreSQL; [`explain`] is
//! `slack-zoom try`, the same path without Slack or Zoom; [`i18n`] holds every sentence a user
//! reads, in each language of `locales/`.

pub mod app;
pub mod cache;
pub mod command;
pub mod config;
pub mod explain;
pub mod i18n;
pub mod slack;
pub mod store;
pub mod time;
pub mod zoom;
