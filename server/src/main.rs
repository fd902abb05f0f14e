//! The `confab` binary: parse the settings, start the server, wait for Ctrl-C or SIGTERM.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let config = server::config::Config::parse();
    server::telemetry::init(&config.log);
    match server::run(config).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "server stopped with an error");
            eprintln!("confab: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
