//! Running ffmpeg and ffprobe: one runner for both, so timeouts, cancellation, kill-on-drop and
//! stderr capture behave the same for every tool (the pict-rs model).

use std::ffi::OsStr;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Command;
use tokio::sync::watch;

/// Enough stderr to show the actual ffmpeg complaint without letting a chatty run eat memory.
const STDERR_TAIL_BYTES: usize = 4096;

/// Failure of an external media tool run.
#[derive(Debug, thiserror::Error)]
pub enum FfmpegError {
    #[error("media tool `{0}` is not installed or not on PATH")]
    NotFound(String),
    #[error("media tool timed out after {0:?}")]
    TimedOut(Duration),
    #[error("media job was cancelled")]
    Cancelled,
    #[error("media tool failed ({status}): {stderr_tail}")]
    Failed { status: String, stderr_tail: String },
    #[error("media tool produced unexpected output: {0}")]
    BadOutput(String),
    #[error("i/o error around media tool: {0}")]
    Io(#[from] std::io::Error),
}

/// What a finished (successful or not) tool run left behind.
pub(super) struct ToolOutput {
    pub(super) status: ExitStatus,
    /// Only filled when the caller did not consume stdout line by line.
    pub(super) stdout: Vec<u8>,
    pub(super) stderr_tail: String,
}

/// How much of stdout to keep (ffprobe's JSON); the rest is drained so the child never blocks.
pub(super) enum StdoutMode {
    Collect { limit: usize },
}

/// Resolves once `cancel` flips to true; never resolves if the sender is gone, because a
/// dropped controller means "nobody can cancel any more", not "cancel".
pub(super) async fn cancelled(cancel: Option<watch::Receiver<bool>>) {
    match cancel {
        Some(mut rx) => {
            if rx.wait_for(|c| *c).await.is_err() {
                std::future::pending::<()>().await;
            }
        }
        None => std::future::pending::<()>().await,
    }
}

/// Reads ffmpeg's `level+info` log with ffmpeg-sidecar's parser: progress lines report the
/// encoded time; warnings and errors are kept (the last `STDERR_TAIL_BYTES`) for the error detail.
fn parse_log(stderr: std::fs::File, progress: &watch::Sender<f64>) -> String {
    use ffmpeg_sidecar::{
        event::{FfmpegEvent, LogLevel},
        log_parser::FfmpegLogParser,
    };
    let mut parser = FfmpegLogParser::new(std::io::BufReader::new(stderr));
    let mut tail = String::new();
    loop {
        match parser.parse_next_event() {
            Ok(FfmpegEvent::Progress(p)) => {
                if let Some(secs) = clock_seconds(&p.time) {
                    progress.send_replace(secs);
                }
            }
            Ok(FfmpegEvent::Log(LogLevel::Warning | LogLevel::Error | LogLevel::Fatal, line)) => {
                tail.push_str(line.trim());
                tail.push('\n');
                if tail.len() > STDERR_TAIL_BYTES * 2 {
                    let cut = tail.len() - STDERR_TAIL_BYTES;
                    let cut = (cut..tail.len())
                        .find(|&i| tail.is_char_boundary(i))
                        .unwrap_or(tail.len());
                    tail.drain(..cut);
                }
            }
            Ok(FfmpegEvent::LogEOF) | Err(_) => break,
            Ok(_) => {}
        }
    }
    tail.trim().to_owned()
}

/// `HH:MM:SS.ss` (ffmpeg's progress clock) in seconds.
fn clock_seconds(t: &str) -> Option<f64> {
    let mut secs = 0.0;
    for part in t.trim().split(':') {
        secs = secs * 60.0 + part.parse::<f64>().ok()?;
    }
    Some(secs).filter(|s| s.is_finite() && *s >= 0.0)
}

/// Keeps only the last `STDERR_TAIL_BYTES` so the error detail shows the final complaint.
pub(super) async fn read_tail(mut r: impl AsyncRead + Unpin) -> String {
    let mut tail: Vec<u8> = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match r.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                tail.extend_from_slice(&buf[..n]);
                if tail.len() > STDERR_TAIL_BYTES * 2 {
                    tail.drain(..tail.len() - STDERR_TAIL_BYTES);
                }
            }
        }
    }
    if tail.len() > STDERR_TAIL_BYTES {
        tail.drain(..tail.len() - STDERR_TAIL_BYTES);
    }
    String::from_utf8_lossy(&tail).trim().to_string()
}

/// Runs `bin args…` with a hard timeout and optional cancellation.
pub(super) async fn run_tool(
    bin: &OsStr,
    args: &[String],
    timeout: Duration,
    cancel: Option<watch::Receiver<bool>>,
    stdout_mode: StdoutMode,
) -> Result<ToolOutput, FfmpegError> {
    let mut command = std::process::Command::new(bin);
    command.args(args);
    run_command(command, timeout, cancel, stdout_mode, None).await
}

/// Runs a prepared command with a hard timeout and optional cancellation. The child is killed
/// (and reaped) on every non-success path; `kill_on_drop` covers the caller's future being
/// dropped. With `progress`, stderr is ffmpeg's `level+info` log, parsed by ffmpeg-sidecar:
/// the seconds encoded so far go to `progress`, and error lines make the tail.
pub(super) async fn run_command(
    command: std::process::Command,
    timeout: Duration,
    cancel: Option<watch::Receiver<bool>>,
    stdout_mode: StdoutMode,
    progress: Option<watch::Sender<f64>>,
) -> Result<ToolOutput, FfmpegError> {
    let bin = command.get_program().to_owned();
    let mut command = Command::from(command);
    let mut child = match command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
    {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(FfmpegError::NotFound(bin.to_string_lossy().into_owned()));
        }
        Err(e) => return Err(e.into()),
    };
    let stderr = child.stderr.take().expect("stderr piped");
    let stdout = child.stdout.take().expect("stdout piped");
    let stderr_task = match progress {
        None => tokio::spawn(read_tail(stderr)),
        Some(tx) => {
            let stderr = std::fs::File::from(stderr.into_owned_fd()?);
            let parse = tokio::task::spawn_blocking(move || parse_log(stderr, &tx));
            tokio::spawn(async move { parse.await.unwrap_or_default() })
        }
    };

    enum Outcome {
        Exited(std::io::Result<ExitStatus>, Vec<u8>),
        TimedOut,
        Cancelled,
    }
    let outcome = {
        let work = async {
            let mut collected = Vec::new();
            let StdoutMode::Collect { limit } = stdout_mode;
            // Cap the read so a hostile file cannot make ffprobe balloon our memory; keep
            // draining so the child never blocks on a full pipe.
            let mut rd = stdout;
            let mut buf = [0u8; 8192];
            loop {
                match rd.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) if collected.len() < limit => collected.extend_from_slice(&buf[..n]),
                    Ok(_) => {}
                }
            }
            (child.wait().await, collected)
        };
        tokio::select! {
            (status, out) = work => Outcome::Exited(status, out),
            _ = tokio::time::sleep(timeout) => Outcome::TimedOut,
            _ = cancelled(cancel) => Outcome::Cancelled,
        }
    };

    let result = match outcome {
        Outcome::Exited(status, stdout) => Ok((status?, stdout)),
        Outcome::TimedOut => Err(FfmpegError::TimedOut(timeout)),
        Outcome::Cancelled => Err(FfmpegError::Cancelled),
    };
    if result.is_err() {
        // Reap so no zombie outlives the job; errors here mean it already exited.
        let _ = child.kill().await;
    }
    let stderr_tail = stderr_task.await.unwrap_or_default();
    let (status, stdout) = result?;
    Ok(ToolOutput {
        status,
        stdout,
        stderr_tail,
    })
}

pub(super) fn failed(out: ToolOutput) -> FfmpegError {
    FfmpegError::Failed {
        status: out.status.to_string(),
        stderr_tail: out.stderr_tail,
    }
}

/// Deletes the listed files when dropped unless disarmed, so partial outputs never survive a
/// failed, timed-out or cancelled run.
pub(super) struct Cleanup {
    paths: Vec<PathBuf>,
    armed: bool,
}

impl Cleanup {
    pub(super) fn new(paths: Vec<PathBuf>) -> Self {
        Cleanup { paths, armed: true }
    }
    pub(super) fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if self.armed {
            for p in &self.paths {
                let _ = std::fs::remove_file(p);
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod test_util {
    use std::path::{Path, PathBuf};
    use std::process::Command;

    /// Test media is synthesised on the fly; `extra` carries codec/duration specifics.
    pub fn ffmpeg(args: &[&str]) {
        let st = Command::new("ffmpeg")
            .args(["-hide_banner", "-nostdin", "-y", "-v", "error"])
            .args(args)
            .status()
            .expect("ffmpeg runs");
        assert!(st.success(), "ffmpeg {args:?} failed");
    }

    /// testsrc2 + sine muxed into `name` (mp4 unless the extension says otherwise).
    pub fn av_clip(dir: &Path, name: &str, w: u32, h: u32, secs: u32, audio: bool) -> PathBuf {
        let out = dir.join(name);
        let v = format!("testsrc2=size={w}x{h}:rate=25:duration={secs}");
        let a = format!("sine=frequency=440:sample_rate=48000:duration={secs}");
        let o = out.to_str().unwrap();
        let mut args = vec!["-f", "lavfi", "-i", &v];
        if audio {
            args.extend(["-f", "lavfi", "-i", &a, "-c:a", "aac"]);
        }
        args.extend([
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            o,
        ]);
        ffmpeg(&args);
        out
    }

    /// `ffmpeg` with a whitespace-separated command (tempdir paths contain no spaces).
    pub fn ff(cmd: &str) {
        ffmpeg(&cmd.split_whitespace().collect::<Vec<_>>());
    }

    /// Probe as ffprobe would report a plain (unrotated) upload; `w == 0` means no video.
    pub fn fake_probe(w: u32, h: u32, audio: bool) -> crate::media::probe::Probe {
        use crate::media::probe::{AudioInfo, Probe, VideoInfo};
        let video = (w > 0).then(|| VideoInfo {
            codec: "h264".into(),
            width: w,
            height: h,
            display_width: w,
            display_height: h,
            rotation: 0,
            fps: 25.0,
            frames: Some(250),
            spherical: false,
        });
        let audio = audio.then(|| AudioInfo {
            codec: "aac".into(),
            channels: 6,
            sample_rate: 48000,
        });
        Probe {
            format_name: "mov,mp4".into(),
            duration_secs: 10.0,
            bit_rate: None,
            size_bytes: None,
            video,
            audio,
            truncated: false,
            warnings: String::new(),
        }
    }

    pub fn audio_clip(dir: &Path, name: &str, secs: u32) -> PathBuf {
        let out = dir.join(name);
        let a = format!("sine=frequency=440:sample_rate=48000:duration={secs}");
        ffmpeg(&[
            "-f",
            "lavfi",
            "-i",
            &a,
            "-c:a",
            "aac",
            out.to_str().unwrap(),
        ]);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn timeout_kills_the_child() {
        // `sleep` stands in for a hung ffmpeg; the run must return promptly with TimedOut.
        let start = std::time::Instant::now();
        let args = vec!["30".to_string()];
        let e = run_tool(
            OsStr::new("sleep"),
            &args,
            Duration::from_millis(200),
            None,
            StdoutMode::Collect { limit: 1024 },
        )
        .await
        .err()
        .unwrap();
        assert!(matches!(e, FfmpegError::TimedOut(_)), "{e:?}");
        assert!(start.elapsed() < Duration::from_secs(2));
    }

    #[tokio::test]
    async fn cancel_kills_the_child() {
        let (tx, rx) = watch::channel(false);
        let args = vec!["30".to_string()];
        let run = run_tool(
            OsStr::new("sleep"),
            &args,
            Duration::from_secs(60),
            Some(rx),
            StdoutMode::Collect { limit: 1024 },
        );
        let start = std::time::Instant::now();
        let (res, _) = tokio::join!(run, async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            tx.send(true).unwrap();
        });
        assert!(matches!(res.err().unwrap(), FfmpegError::Cancelled));
        assert!(start.elapsed() < Duration::from_secs(2));
    }

    #[tokio::test]
    async fn failure_keeps_stderr_tail() {
        let args = vec![
            "-c".into(),
            "yes 0123456789 | head -c 20000 >&2; exit 3".into(),
        ];
        let out = run_tool(
            OsStr::new("sh"),
            &args,
            Duration::from_secs(10),
            None,
            StdoutMode::Collect { limit: 1024 },
        )
        .await
        .unwrap();
        assert!(!out.status.success());
        let e = failed(out);
        let FfmpegError::Failed {
            stderr_tail,
            status,
        } = e
        else {
            panic!()
        };
        assert!(stderr_tail.len() <= STDERR_TAIL_BYTES && stderr_tail.len() > 4000);
        assert!(status.contains('3'));
    }
}
