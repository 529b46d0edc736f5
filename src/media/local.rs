//! `caravan transcode`: the media pipeline on a local file, without a server. Operators use it
//! to check a file; `bench/transcode` uses it to compare Caravan with plain ffmpeg runs.

use std::{path::Path, time::Duration};

use anyhow::Context;

use super::{
    fmp4, hls,
    ladder::{self, LadderConfig},
    probe::{self, Limits},
};

/// How `transcode` should report instead of running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Run,
    /// Print the single ffmpeg command Caravan runs, shell-quoted.
    PrintArgs,
    /// Print one ffmpeg command per rung (decoding the source each time), one per line.
    PrintPerRungArgs,
}

fn shell_quote(args: &[String]) -> String {
    args.iter()
        .map(|a| {
            if a.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_./:=,".contains(&b))
            {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

pub async fn transcode(
    input: &Path,
    out_dir: &Path,
    cfg: &LadderConfig,
    ffprobe: &Path,
    mode: Mode,
) -> anyhow::Result<()> {
    let probed = probe::probe_with(ffprobe, input, Duration::from_secs(60))
        .await
        .context("probing")?;
    probe::check(&probed, &Limits::default())
        .map_err(|r| anyhow::anyhow!("{}: {}", r.code, r.detail))?;
    let rungs = ladder::plan(&probed, cfg);
    // The command line exactly as the ladder runs it (ffmpeg-sidecar adds its log level).
    let command_line = |rungs: &[ladder::Rung]| {
        let mut command = ffmpeg_sidecar::command::FfmpegCommand::new_with_path(&cfg.ffmpeg);
        command.args(ladder::ladder_args(input, out_dir, rungs, cfg));
        let command: std::process::Command = command.into();
        let mut words = vec![command.get_program().to_string_lossy().into_owned()];
        words.extend(command.get_args().map(|a| a.to_string_lossy().into_owned()));
        shell_quote(&words)
    };
    match mode {
        Mode::PrintArgs => {
            println!("{}", command_line(&rungs));
            return Ok(());
        }
        Mode::PrintPerRungArgs => {
            for rung in &rungs {
                println!("{}", command_line(std::slice::from_ref(rung)));
            }
            return Ok(());
        }
        Mode::Run => {}
    }
    tokio::fs::create_dir_all(out_dir).await?;
    let (_tx, cancel) = tokio::sync::watch::channel(false);
    let timeout = Duration::from_secs_f64((probed.duration_secs * 20.0).max(600.0));
    let files = ladder::transcode(
        input,
        out_dir,
        &rungs,
        cfg,
        probed.duration_secs,
        |_| {},
        cancel,
        timeout,
    )
    .await?;
    let mut variants = Vec::new();
    let mut audio = None;
    for f in &files {
        let idx = fmp4::index_file(&f.path)?;
        let name = f
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let playlist = format!("{name}.m3u8");
        tokio::fs::write(out_dir.join(&playlist), hls::media_playlist(&name, &idx)).await?;
        let resolution = (f.role == "video").then_some((f.width, f.height));
        let v = hls::Variant::from_index(&playlist, &idx, resolution);
        if f.role == "video" {
            variants.push(v);
        } else {
            audio = Some(v);
        }
    }
    variants.sort_by_key(|v| v.bandwidth);
    tokio::fs::write(
        out_dir.join("master.m3u8"),
        hls::master_playlist(&variants, audio.as_ref(), &[]),
    )
    .await?;
    for f in files {
        println!(
            "{} {}x{} {} bytes {}",
            f.role,
            f.width,
            f.height,
            f.bytes,
            f.path.display()
        );
    }
    Ok(())
}
