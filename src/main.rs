use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    caravan::cli::run(caravan::cli::Cli::parse()).await
}
