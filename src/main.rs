//! The `slack-zoom` binary: load configuration, set up logging, build the service and run it.

use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

/// Slack slash command `/zoom` that schedules Zoom meetings.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// Do everything except calling Zoom; replies are marked as previews (also ZOOM_DRY_RUN=true).
    #[arg(long)]
    dry_run: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // A missing .env is normal in production, where the environment is set by the platform.
    let _ = dotenvy::dotenv();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        // Colour codes only for a person at a terminal, never in collected logs.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .init();

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
