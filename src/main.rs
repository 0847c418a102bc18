//! The `mutual-aid` binary: parses the command line and hands over to the `api` library.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    api::cli::run(api::config::Cli::parse()).await
}
