//! Layered configuration: defaults → TOML file (`--config`) → environment (`CARAVAN_*`) → flags.
//!
//! clap already gives flags precedence over their `CARAVAN_*` variables, so the layering here is
//! "clap value, else file value, else default". `DATABASE_URL` is honoured as a lower-priority
//! environment alias because every sqlx tool and hosting platform sets it.

use std::{fmt, net::SocketAddr, path::PathBuf, time::Duration};

use anyhow::{bail, Context};
use clap::Args;
use serde::Deserialize;

/// A value that must never reach a log line or a `Debug` dump.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Self {
        Self(value)
    }
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(\"[redacted]\")")
    }
}

/// Where blobs live.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreLocation {
    Local(PathBuf),
    S3 { bucket: String, prefix: String },
}

impl StoreLocation {
    pub fn parse(s: &str) -> anyhow::Result<Self> {
        if let Some(rest) = s.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                bail!("store URL {s:?} names no bucket (expected s3://bucket[/prefix])");
            }
            return Ok(Self::S3 {
                bucket: bucket.to_owned(),
                prefix: prefix.trim_matches('/').to_owned(),
            });
        }
        if s.contains("://") {
            bail!("unsupported store {s:?}: use a local folder or s3://bucket[/prefix]");
        }
        Ok(Self::Local(PathBuf::from(s)))
    }
}

/// Explicit S3 settings; anything left `None` comes from the usual `AWS_*` variables.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Options {
    pub endpoint: Option<String>,
    pub access_key_id: Option<String>,
    #[serde(default, deserialize_with = "secret_opt")]
    pub secret_access_key: Option<Secret<String>>,
    pub region: Option<String>,
    pub allow_http: Option<bool>,
}

fn secret_opt<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Secret<String>>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.map(Secret::new))
}

/// Settings that flags and `CARAVAN_*` variables can set; shared by every subcommand.
#[derive(Args, Debug, Clone, Default)]
pub struct SettingsArgs {
    /// Optional TOML file with any of the settings below (snake_case keys).
    #[arg(long, global = true, env = "CARAVAN_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long, global = true, env = "CARAVAN_BIND")]
    pub bind: Option<SocketAddr>,
    /// sqlite://FILE or postgres://… (DATABASE_URL is read too).
    #[arg(
        long,
        global = true,
        env = "CARAVAN_DATABASE_URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// A local folder or s3://bucket[/prefix] (credentials from the usual AWS_* variables).
    #[arg(long, global = true, env = "CARAVAN_STORE")]
    pub store: Option<String>,
    /// Origins allowed by CORS, comma-separated; `*` allows any.
    #[arg(
        long,
        global = true,
        env = "CARAVAN_CORS_ORIGINS",
        value_delimiter = ','
    )]
    pub cors_origins: Option<Vec<String>>,
    /// Seed a demo organisation and course into an empty database.
    #[arg(long, global = true, env = "CARAVAN_SEED_DEMO")]
    pub seed_demo: Option<bool>,
    /// Log as JSON lines instead of human-readable text.
    #[arg(long, global = true, env = "CARAVAN_LOG_JSON")]
    pub log_json: Option<bool>,
    /// Trust the first address of X-Forwarded-For (only behind a proxy you run).
    #[arg(long, global = true, env = "CARAVAN_TRUST_FORWARDED_FOR")]
    pub trust_forwarded_for: Option<bool>,
    /// Media jobs run at once on this node (0: this node runs no jobs).
    #[arg(long, global = true, env = "CARAVAN_WORKERS")]
    pub workers: Option<usize>,
    /// Largest accepted upload in bytes.
    #[arg(long, global = true, env = "CARAVAN_MAX_UPLOAD_BYTES")]
    pub max_upload_bytes: Option<u64>,
    /// Bytes each organisation may store (sources and uploads in progress); unlimited if unset.
    #[arg(long, global = true, env = "CARAVAN_ORG_QUOTA_BYTES")]
    pub org_quota_bytes: Option<u64>,
    /// The ffmpeg binary (default: `ffmpeg` on PATH).
    #[arg(long, global = true, env = "CARAVAN_FFMPEG")]
    pub ffmpeg: Option<PathBuf>,
    /// The ffprobe binary (default: `ffprobe` on PATH).
    #[arg(long, global = true, env = "CARAVAN_FFPROBE")]
    pub ffprobe: Option<PathBuf>,
    /// libx264 preset of the ladder (ultrafast … veryslow).
    #[arg(long, global = true, env = "CARAVAN_FFMPEG_PRESET")]
    pub ffmpeg_preset: Option<String>,
    /// The address learners and other systems reach this server at (identifiers in xAPI
    /// statements and credentials are built from it, so keep it stable).
    #[arg(long, global = true, env = "CARAVAN_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// The server secret that seals the organisations' credential signing keys and derives
    /// share links (any string of 32+ characters; every node must use the same one). Without
    /// it, a secret is created in `caravan.secret` beside the SQLite database.
    #[arg(
        long,
        global = true,
        env = "CARAVAN_SECRET_KEY",
        hide_env_values = true
    )]
    pub secret_key: Option<String>,
    /// Where `scripts/web-libs` put the optional browser libraries (three.js for the 360° and
    /// 3D viewers); pages work without them.
    #[arg(long, global = true, env = "CARAVAN_WEB_LIBS")]
    pub web_libs: Option<PathBuf>,
    /// The xAPI version the LRS names when a request leaves out `X-Experience-API-Version`
    /// (such a request is refused either way): `2.0.0` or `1.0.3`.
    #[arg(long, global = true, env = "CARAVAN_XAPI_DEFAULT_VERSION")]
    pub xapi_default_version: Option<String>,
    /// Anyone may register an account (confirmed by e-mail) without a join code; an
    /// organisation can also open registration into itself.
    #[arg(long, global = true, env = "CARAVAN_OPEN_REGISTRATION")]
    pub open_registration: Option<bool>,
    /// Where the server sends mail (confirmation links): `smtp://host:port` (STARTTLS when the
    /// server offers it), `smtps://host:port`, with `user:password@` if it needs them. Without
    /// it, mail is written to the log instead.
    #[arg(long, global = true, env = "CARAVAN_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// The sender of the server's mail, e.g. `Caravan <noreply@learn.example.edu>`.
    #[arg(long, global = true, env = "CARAVAN_MAIL_FROM")]
    pub mail_from: Option<String>,
}

/// The same settings as read from the TOML file.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    bind: Option<SocketAddr>,
    database_url: Option<String>,
    store: Option<String>,
    cors_origins: Option<Vec<String>>,
    seed_demo: Option<bool>,
    log_json: Option<bool>,
    trust_forwarded_for: Option<bool>,
    max_json_bytes: Option<usize>,
    request_timeout_secs: Option<u64>,
    session_ttl_hours: Option<u64>,
    s3: Option<S3Options>,
    workers: Option<usize>,
    max_upload_bytes: Option<u64>,
    org_quota_bytes: Option<u64>,
    ffmpeg_preset: Option<String>,
    ffmpeg: Option<PathBuf>,
    ffprobe: Option<PathBuf>,
    job_lease_secs: Option<u64>,
    upload_expiry_hours: Option<u64>,
    max_media_duration_secs: Option<u64>,
    public_url: Option<String>,
    secret_key: Option<String>,
    web_libs: Option<PathBuf>,
    xapi_default_version: Option<String>,
    open_registration: Option<bool>,
    smtp_url: Option<String>,
    mail_from: Option<String>,
}

/// Fully resolved settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub bind: SocketAddr,
    pub database_url: Secret<String>,
    pub store: StoreLocation,
    pub cors_origins: Vec<String>,
    pub seed_demo: bool,
    pub log_json: bool,
    pub trust_forwarded_for: bool,
    pub max_json_bytes: usize,
    pub request_timeout: Duration,
    pub session_ttl: Duration,
    pub s3: S3Options,
    pub workers: usize,
    pub job_lease: Duration,
    pub job_poll: Duration,
    pub max_upload_bytes: u64,
    pub org_quota_bytes: Option<u64>,
    pub upload_expiry: Duration,
    /// A long PATCH is stored as parts of at most this size, each acknowledged durably.
    pub upload_part_bytes: u64,
    pub ffmpeg_preset: String,
    pub ffmpeg: PathBuf,
    pub ffprobe: PathBuf,
    pub max_media_duration: Duration,
    /// Base URL without a trailing slash, e.g. `https://learn.example.edu`.
    pub public_url: String,
    /// Seals credential signing keys at rest and derives share links.
    pub secret_key: Secret<Vec<u8>>,
    /// The folder of optional browser libraries (`node_modules` layout).
    pub web_libs: PathBuf,
    /// `2.0.0` or `1.0.3`: the version the LRS answers by when a request names none.
    pub xapi_default_version: &'static str,
    /// Self-registration without a join code (organisations may open it for themselves).
    pub open_registration: bool,
    /// The SMTP server for outgoing mail; `None` writes mail to the log.
    pub smtp_url: Option<Secret<String>>,
    pub mail_from: String,
}

/// The xAPI versions `xapi_default_version` may name.
pub const XAPI_VERSIONS: [&str; 2] = ["2.0.0", "1.0.3"];

impl Settings {
    /// Settings for tests and embedding: defaults with the given database and store.
    pub fn new(database_url: impl Into<String>, store: StoreLocation) -> Self {
        Self {
            bind: ([127, 0, 0, 1], 8080).into(),
            database_url: Secret::new(database_url.into()),
            store,
            // Media and the token-authenticated API are safe to read from any origin: `*` never
            // carries cookies, so another site cannot use a learner's session.
            cors_origins: vec!["*".to_owned()],
            seed_demo: false,
            log_json: false,
            trust_forwarded_for: false,
            max_json_bytes: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            session_ttl: Duration::from_secs(30 * 24 * 3600),
            s3: S3Options::default(),
            workers: 1,
            job_lease: Duration::from_secs(30),
            job_poll: Duration::from_secs(1),
            max_upload_bytes: 4 << 30,
            org_quota_bytes: None,
            upload_expiry: Duration::from_secs(24 * 3600),
            upload_part_bytes: 64 << 20,
            ffmpeg_preset: "veryfast".to_owned(),
            ffmpeg: PathBuf::from("ffmpeg"),
            ffprobe: PathBuf::from("ffprobe"),
            max_media_duration: Duration::from_secs(4 * 3600),
            public_url: "http://localhost:8080".to_owned(),
            secret_key: Secret::new(rand::random::<[u8; 32]>().to_vec()),
            web_libs: PathBuf::from("web/node_modules"),
            xapi_default_version: XAPI_VERSIONS[0],
            open_registration: false,
            smtp_url: None,
            mail_from: "Caravan <noreply@localhost>".to_owned(),
        }
    }

    pub fn resolve(args: &SettingsArgs) -> anyhow::Result<Self> {
        let file = match &args.config {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading config file {}", path.display()))?;
                toml::from_str::<FileSettings>(&text)
                    .with_context(|| format!("parsing config file {}", path.display()))?
            }
            None => FileSettings::default(),
        };
        let database_url = args
            .database_url
            .clone()
            .or_else(|| std::env::var("DATABASE_URL").ok().filter(|s| !s.is_empty()))
            .or(file.database_url)
            .unwrap_or_else(|| "sqlite://caravan.db".to_owned());
        let store = args
            .store
            .clone()
            .or(file.store)
            .unwrap_or_else(|| "media".to_owned());
        let mut settings = Self::new(database_url, StoreLocation::parse(&store)?);
        if let Some(bind) = args.bind.or(file.bind) {
            settings.bind = bind;
        }
        if let Some(origins) = args.cors_origins.clone().or(file.cors_origins) {
            settings.cors_origins = origins;
        }
        settings.seed_demo = args.seed_demo.or(file.seed_demo).unwrap_or(true);
        settings.log_json = args.log_json.or(file.log_json).unwrap_or(false);
        settings.trust_forwarded_for = args
            .trust_forwarded_for
            .or(file.trust_forwarded_for)
            .unwrap_or(false);
        if let Some(n) = file.max_json_bytes {
            settings.max_json_bytes = n;
        }
        if let Some(s) = file.request_timeout_secs {
            settings.request_timeout = Duration::from_secs(s);
        }
        if let Some(h) = file.session_ttl_hours {
            settings.session_ttl = Duration::from_secs(h * 3600);
        }
        settings.s3 = file.s3.unwrap_or_default();
        if let Some(n) = args.workers.or(file.workers) {
            settings.workers = n;
        }
        if let Some(n) = args.max_upload_bytes.or(file.max_upload_bytes) {
            settings.max_upload_bytes = n;
        }
        settings.org_quota_bytes = args.org_quota_bytes.or(file.org_quota_bytes);
        if let Some(p) = args.ffmpeg_preset.clone().or(file.ffmpeg_preset) {
            settings.ffmpeg_preset = p;
        }
        if let Some(p) = args.ffmpeg.clone().or(file.ffmpeg) {
            settings.ffmpeg = p;
        }
        if let Some(p) = args.ffprobe.clone().or(file.ffprobe) {
            settings.ffprobe = p;
        }
        if let Some(s) = file.job_lease_secs {
            settings.job_lease = Duration::from_secs(s.max(3));
        }
        if let Some(h) = file.upload_expiry_hours {
            settings.upload_expiry = Duration::from_secs(h * 3600);
        }
        if let Some(s) = file.max_media_duration_secs {
            settings.max_media_duration = Duration::from_secs(s);
        }
        if let Some(p) = args.web_libs.clone().or(file.web_libs) {
            settings.web_libs = p;
        }
        if let Some(v) = args
            .xapi_default_version
            .clone()
            .or(file.xapi_default_version)
        {
            settings.xapi_default_version = XAPI_VERSIONS
                .into_iter()
                .find(|known| *known == v.trim())
                .with_context(|| format!("xapi_default_version must be 2.0.0 or 1.0.3, not {v}"))?;
        }
        settings.open_registration = args
            .open_registration
            .or(file.open_registration)
            .unwrap_or(false);
        settings.smtp_url = args
            .smtp_url
            .clone()
            .or(file.smtp_url)
            .filter(|u| !u.is_empty())
            .map(Secret::new);
        if let Some(from) = args.mail_from.clone().or(file.mail_from) {
            settings.mail_from = from;
        }
        settings.public_url = match args.public_url.clone().or(file.public_url) {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://localhost:{}", settings.bind.port()),
        };
        settings.secret_key = match args.secret_key.clone().or(file.secret_key) {
            Some(secret) if secret.len() >= 32 => Secret::new(secret.into_bytes()),
            Some(_) => bail!("the secret key must be at least 32 characters long"),
            None => Secret::new(secret_file(settings.database_url.expose())?),
        };
        Ok(settings)
    }
}

/// The file of a `sqlite://FILE[?options]` database URL; `None` for other databases.
pub fn sqlite_file(database_url: &str) -> Option<PathBuf> {
    let path = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))?;
    Some(PathBuf::from(path.split('?').next().unwrap_or(path)))
}

/// The secret kept in `caravan.secret` beside the SQLite database (or in the working directory),
/// created with 32 random bytes on first start and readable by its owner only.
fn secret_file(database_url: &str) -> anyhow::Result<Vec<u8>> {
    let dir = sqlite_file(database_url)
        .and_then(|path| path.parent().map(PathBuf::from))
        .unwrap_or_default();
    let path = dir.join("caravan.secret");
    match std::fs::read(&path) {
        Ok(bytes) if bytes.len() >= 32 => return Ok(bytes),
        Ok(_) => bail!("{} is shorter than 32 bytes", path.display()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    }
    let secret = hex::encode(rand::random::<[u8; 32]>()).into_bytes();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(&path)
        .with_context(|| format!("creating {}", path.display()))?;
    std::io::Write::write_all(&mut file, &secret)?;
    file.sync_all()?;
    tracing::warn!(path = %path.display(), "created a server secret; back it up with the database");
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_show_in_debug() {
        let s = Settings::new(
            "postgres://u:hunter2@db/x",
            StoreLocation::Local("m".into()),
        );
        let dump = format!("{s:?}");
        assert!(!dump.contains("hunter2"), "{dump}");
    }

    #[test]
    fn store_locations_parse() {
        assert_eq!(
            StoreLocation::parse("s3://bucket/a/b/").unwrap(),
            StoreLocation::S3 {
                bucket: "bucket".into(),
                prefix: "a/b".into()
            }
        );
        assert_eq!(
            StoreLocation::parse("media").unwrap(),
            StoreLocation::Local("media".into())
        );
        assert!(StoreLocation::parse("s3://").is_err());
        assert!(StoreLocation::parse("gs://x").is_err());
    }

    #[test]
    fn flags_beat_file_and_file_beats_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "bind = \"0.0.0.0:9000\"\nstore = \"s3://b\"\n").unwrap();
        let args = SettingsArgs {
            config: Some(path),
            store: Some("elsewhere".into()),
            database_url: Some("sqlite://x.db".into()),
            ..Default::default()
        };
        let s = Settings::resolve(&args).unwrap();
        assert_eq!(s.bind, "0.0.0.0:9000".parse().unwrap());
        assert_eq!(s.store, StoreLocation::Local("elsewhere".into()));
        assert!(s.seed_demo);
    }

    #[test]
    fn the_xapi_default_version_is_one_the_lrs_speaks() {
        let with = |v: &str| {
            Settings::resolve(&SettingsArgs {
                database_url: Some("postgres://db/x".into()),
                secret_key: Some("k".repeat(32)),
                xapi_default_version: Some(v.into()),
                ..Default::default()
            })
        };
        assert_eq!(with("1.0.3").unwrap().xapi_default_version, "1.0.3");
        assert_eq!(with("2.0.0").unwrap().xapi_default_version, "2.0.0");
        assert!(with("1.0.2").is_err());
        assert!(with("3").is_err());
    }

    #[test]
    fn unknown_keys_in_the_file_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "bnid = \"0.0.0.0:9000\"\n").unwrap();
        let args = SettingsArgs {
            config: Some(path),
            ..Default::default()
        };
        assert!(Settings::resolve(&args).is_err());
    }
}
