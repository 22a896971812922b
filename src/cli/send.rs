//! `lever-hooks send` (being written).

/// Arguments of `send`.
#[derive(Debug, clap::Args)]
pub struct SendArgs {}

/// Runs `send`.
pub async fn run(_args: SendArgs) -> anyhow::Result<std::process::ExitCode> {
    anyhow::bail!("send is not built yet")
}
