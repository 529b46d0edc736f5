//! Outgoing mail, one plain-text message at a time: over SMTP (lettre) to `smtp_url`, or, when
//! none is configured (the embedded default), into the log, where whoever runs the server can
//! read a confirmation link.

use lettre::{
    message::{header::ContentType, Mailbox},
    AsyncSmtpTransport, AsyncTransport, Tokio1Executor,
};

use crate::{
    config::Settings,
    error::{Error, Result},
};

/// A message to one address.
pub struct Mail<'a> {
    pub to: &'a str,
    pub subject: String,
    pub body: String,
}

/// Sends the message; `Unavailable` (503) when the SMTP server cannot take it, so the caller
/// can say "try again" rather than pretend it went.
pub async fn send(settings: &Settings, mail: Mail<'_>) -> Result<()> {
    let Some(url) = &settings.smtp_url else {
        tracing::info!(to = mail.to, subject = %mail.subject, body = %mail.body, "mail (no smtp_url: logged, not sent)");
        return Ok(());
    };
    let from: Mailbox = settings
        .mail_from
        .parse()
        .map_err(|e| Error::Internal(anyhow::anyhow!("mail_from is not an address: {e}")))?;
    let to: Mailbox = mail
        .to
        .parse()
        .map_err(|e| Error::Internal(anyhow::anyhow!("not a mailbox: {e}")))?;
    let message = lettre::Message::builder()
        .from(from)
        .to(to)
        .subject(mail.subject)
        .header(ContentType::TEXT_PLAIN)
        .body(mail.body)
        .map_err(|e| Error::Internal(anyhow::anyhow!("building the message: {e}")))?;
    let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
        .map_err(|e| Error::Internal(anyhow::anyhow!("smtp_url: {e}")))?
        .timeout(Some(std::time::Duration::from_secs(10)))
        .build();
    transport.send(message).await.map_err(|e| {
        tracing::warn!(error = %e, "the SMTP server did not take a message");
        Error::Unavailable("mail cannot be sent just now; try again in a few minutes".into())
    })?;
    Ok(())
}
