//! The `caravan` command line: serve (default), migrate, and user administration.

use std::io::BufRead;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand, ValueEnum};

use crate::{
    accounts::{self, password, OrgRole},
    app::{self, Application},
    config::{Settings, SettingsArgs},
    db::Db,
    orgs,
    values::Email,
};

#[derive(Parser, Debug)]
#[command(
    name = "caravan",
    version,
    about = "Learning-content delivery server for micro-courses"
)]
pub struct Cli {
    #[command(flatten)]
    pub settings: SettingsArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the HTTP server (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Import a folder of lectures into a course: one unit per file, in name order. A running
    /// server (any node on the same database and store) processes them.
    Import {
        /// The folder.
        path: std::path::PathBuf,
        #[arg(long)]
        course: String,
        /// Import as this user (e-mail); default the course's author.
        #[arg(long = "as")]
        as_user: Option<String>,
    },
    /// Transcode a local file with Caravan's pipeline (ladder, fMP4, HLS) into a folder.
    Transcode {
        input: std::path::PathBuf,
        out_dir: std::path::PathBuf,
        /// Only print the single ffmpeg command Caravan would run.
        #[arg(long)]
        print_ffmpeg_args: bool,
        /// Only print one ffmpeg command per rung, as a per-rung pipeline would run them.
        #[arg(long, conflicts_with = "print_ffmpeg_args")]
        print_per_rung_args: bool,
    },
    /// Back up an SQLite deployment while it serves: the database (one consistent moment),
    /// the server secret and every blob, into a folder; again into the same folder copies only
    /// the new blobs.
    Backup { out: std::path::PathBuf },
    /// Bring a backup folder back into a new SQLite database (`--database-url`) and store
    /// (`--store`); the backup's secret goes beside the database.
    Restore { from: std::path::PathBuf },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create a user; the password is read as one line from standard input.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long, value_enum)]
        role: RoleArg,
        /// Organisation slug (required for admin, teacher and learner).
        #[arg(long)]
        org: Option<String>,
        #[arg(long)]
        display_name: Option<String>,
        /// Read the password from standard input (required: passwords never go on a command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoleArg {
    Superadmin,
    Admin,
    Teacher,
    Learner,
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::resolve(&cli.settings)?;
    crate::telemetry::init(settings.log_json);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings).await,
        Command::Migrate => {
            let db = Db::connect(settings.database_url.expose()).await?;
            db.migrate().await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::Import {
            path,
            course,
            as_user,
        } => import(&settings, &path, &course, as_user.as_deref()).await,
        Command::Backup { out } => {
            let s = crate::backup::backup(&settings, &out).await?;
            println!(
                "backed up the database, the secret and {} blobs into {} ({} copied now, {} bytes)",
                s.blobs,
                out.display(),
                s.copied,
                s.bytes_copied
            );
            Ok(())
        }
        Command::Restore { from } => {
            let s = crate::backup::restore(&settings, &from).await?;
            println!(
                "restored the database, the secret and {} blobs ({} bytes) from {}",
                s.blobs,
                s.bytes_copied,
                from.display()
            );
            Ok(())
        }
        Command::Transcode {
            input,
            out_dir,
            print_ffmpeg_args,
            print_per_rung_args,
        } => {
            use crate::media::{ladder::LadderConfig, local};
            let mode = if print_ffmpeg_args {
                local::Mode::PrintArgs
            } else if print_per_rung_args {
                local::Mode::PrintPerRungArgs
            } else {
                local::Mode::Run
            };
            let cfg = LadderConfig {
                preset: settings.ffmpeg_preset.clone(),
                ffmpeg: settings.ffmpeg.clone(),
                ..LadderConfig::default()
            };
            local::transcode(&input, &out_dir, &cfg, &settings.ffprobe, mode).await
        }
        Command::User {
            command:
                UserCommand::Create {
                    email,
                    role,
                    org,
                    display_name,
                    ..
                },
        } => {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("reading the password from stdin")?;
            let password = line.trim_end_matches(['\n', '\r']).to_owned();
            create_user(
                &settings,
                &email,
                role,
                org.as_deref(),
                display_name.as_deref(),
                password,
            )
            .await
        }
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    tracing::info!(?settings, "starting");
    let app = Application::build(settings).await?;
    tracing::info!(address = %app.local_addr(), "listening");
    app.run_until(app::shutdown_signal()).await
}

async fn create_user(
    settings: &Settings,
    email: &str,
    role: RoleArg,
    org: Option<&str>,
    display_name: Option<&str>,
    password: String,
) -> anyhow::Result<()> {
    let db = Db::connect(settings.database_url.expose()).await?;
    db.migrate().await?;
    let email = Email::parse(email).map_err(|m| anyhow::anyhow!("--email {m}"))?;
    let pw = password::Password::parse(&password).map_err(|m| anyhow::anyhow!("password {m}"))?;
    let name = password::display_name(
        display_name.unwrap_or_else(|| email.as_str().split('@').next().unwrap_or("user")),
    )
    .map_err(|m| anyhow::anyhow!("--display-name {m}"))?;
    let org_role = match role {
        RoleArg::Superadmin => None,
        RoleArg::Admin => Some(OrgRole::Admin),
        RoleArg::Teacher => Some(OrgRole::Teacher),
        RoleArg::Learner => Some(OrgRole::Learner),
    };
    let org = match (org_role, org) {
        (Some(_), None) => bail!("--org SLUG is required for the {role:?} role"),
        (_, Some(slug)) => Some(
            orgs::find_by_slug(&db, slug)
                .await?
                .with_context(|| format!("no organisation {slug:?}"))?,
        ),
        (None, None) => None,
    };
    let hash = password::hash(pw).await?;
    let user =
        accounts::create_user(&db, &email, &name, &hash, role == RoleArg::Superadmin).await?;
    if let (Some(role), Some(org)) = (org_role, org) {
        orgs::members::insert_membership(&db, &org.id, &user.id, role).await?;
    }
    println!("created user {} ({})", user.email, user.id);
    Ok(())
}

async fn import(
    settings: &Settings,
    path: &std::path::Path,
    course: &str,
    as_user: Option<&str>,
) -> anyhow::Result<()> {
    let db = Db::connect(settings.database_url.expose()).await?;
    db.migrate().await?;
    let store = crate::storage::Store::open(&settings.store, &settings.s3)?;
    let user = match as_user {
        Some(e) => {
            let email = Email::parse(e).map_err(|m| anyhow::anyhow!("--as {m}"))?;
            Some(
                accounts::find_by_email(&db, &email)
                    .await?
                    .with_context(|| format!("no user {e}"))?
                    .id,
            )
        }
        None => None,
    };
    let results = crate::import::folder(&db, &store, path, course, user.as_deref()).await?;
    let mut units = 0;
    for r in &results {
        match r {
            crate::import::Imported::Unit {
                file,
                unit_id,
                asset_id,
            } => {
                units += 1;
                println!("{file}: unit {unit_id}, asset {asset_id} (processing on the server)");
            }
            crate::import::Imported::Skipped { file, reason } => {
                println!("{file}: skipped: {reason}")
            }
        }
    }
    println!("{units} of {} files imported", results.len());
    Ok(())
}
