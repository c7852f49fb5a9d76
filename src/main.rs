//! The `slack-zoom` binary: load configuration, set up logging, build the service and run it;
//! or, with `try`, show how a command is read without Slack or Zoom.

use std::io::Write;
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use slack_zoom::command::Minutes;
use slack_zoom::explain::{Explained, ZoneSource, explain};
use slack_zoom::i18n::Lang;
use slack_zoom::time::Zone;

/// Slack slash command `/zoom` that schedules Zoom meetings.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// Do everything except calling Zoom; replies are marked as previews (also ZOOM_DRY_RUN=true).
    #[arg(long)]
    dry_run: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Show how a `/zoom` command is read (topic, length, start, zone, notes and the card),
    /// with no Slack and no Zoom. Example: slack-zoom try "Design review 45m tomorrow 3pm"
    Try {
        /// What you would type after `/zoom`.
        text: String,
        /// The user's timezone (their Slack profile's); default DEFAULT_TIMEZONE, else UTC.
        #[arg(long)]
        tz: Option<String>,
        /// The user's Slack language (`tr`, or a locale such as `tr-TR`): the replies and the
        /// card in it. Default English.
        #[arg(long, alias = "locale")]
        lang: Option<String>,
        /// Print the facts and the card's Block Kit JSON instead of text.
        #[arg(long)]
        json: bool,
        /// Pretend it is this instant (RFC 3339), for reproducible examples.
        #[arg(long, hide = true)]
        now: Option<DateTime<Utc>>,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // A missing .env is normal in production, where the environment is set by the platform.
    let _ = dotenvy::dotenv();
    if let Some(Command::Try {
        text,
        tz,
        lang,
        json,
        now,
    }) = cli.command
    {
        let lang = match lang.as_deref().map(|code| (code, Lang::from_code(code))) {
            None => Lang::En,
            Some((_, Some(lang))) => lang,
            Some((code, None)) => {
                let known: Vec<&str> = Lang::ALL.iter().map(|l| l.code()).collect();
                eprintln!(
                    "slack-zoom try: no catalog for `{code}` (locales/ has {}); Slack users with that locale get English",
                    known.join(", ")
                );
                return ExitCode::from(2);
            }
        };
        return try_command(
            &text,
            tz.as_deref(),
            lang,
            json,
            now.unwrap_or_else(Utc::now),
        );
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        // Colour codes only for a person at a terminal, never in collected logs.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .init();

    // Before the configuration reads it: the connection cap follows the descriptor limit.
    slack_zoom::app::raise_descriptor_limit();
    let config = match slack_zoom::config::Config::from_env(cli.dry_run) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("slack-zoom: {e}");
            return ExitCode::from(2);
        }
    };
    let app = match slack_zoom::app::build(config).await {
        Ok(app) => app,
        Err(e) => {
            eprintln!("slack-zoom: {e}");
            return ExitCode::FAILURE;
        }
    };
    match app.run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "server error");
            ExitCode::FAILURE
        }
    }
}

/// `slack-zoom try`: prints how `text` is read (or the usage); a refusal prints the user's
/// message, exit 1.
fn try_command(
    text: &str,
    tz: Option<&str>,
    lang: Lang,
    json: bool,
    now: DateTime<Utc>,
) -> ExitCode {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let (zone, source) = match tz.map(str::to_owned).or_else(|| env("DEFAULT_TIMEZONE")) {
        Some(name) => match Zone::parse(&name) {
            Ok(zone) if tz.is_some() => (zone, ZoneSource::Given),
            Ok(zone) => (zone, ZoneSource::Assumed),
            Err(e) => {
                eprintln!("slack-zoom try: {e}");
                return ExitCode::from(2);
            }
        },
        None => (Zone::utc(), ZoneSource::Assumed),
    };
    let default_duration = env("DEFAULT_DURATION_MINUTES")
        .and_then(|v| v.parse::<u32>().ok())
        .and_then(|m| Minutes::new(m).ok())
        .unwrap_or_else(|| Minutes::new(30).unwrap_or_else(|_| unreachable!("30 is in range")));
    let (output, code) = match explain(text, zone, source, default_duration, now, lang) {
        Ok(Explained::Meeting(explained)) if json => {
            (format!("{:#}", explained.to_json()), ExitCode::SUCCESS)
        }
        Ok(Explained::Meeting(explained)) => (explained.to_text(), ExitCode::SUCCESS),
        Ok(Explained::Help(usage)) => (usage, ExitCode::SUCCESS),
        Err(refusal) => (refusal, ExitCode::FAILURE),
    };
    // Not `println!`, which panics when the reader has gone (`slack-zoom try … | head`).
    let mut stdout = std::io::stdout().lock();
    match writeln!(stdout, "{output}").and_then(|()| stdout.flush()) {
        Ok(()) => code,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => code,
        Err(e) => {
            eprintln!("slack-zoom try: cannot write the answer: {e}");
            ExitCode::FAILURE
        }
    }
}
