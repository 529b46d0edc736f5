//! A small demo catalogue for a first `cargo run`, so a newcomer sees something.

mod store;

use crate::{
    catalogue::{courses, input, units, Visibility},
    db::{time::now_ms, Db},
    orgs,
    values::{Slug, Text},
};

/// Seeds once: only when the database has no organisation at all.
pub async fn demo_if_empty(db: &Db) -> anyhow::Result<()> {
    let orgs_count = store::orgs_count(db).await?;
    if orgs_count > 0 {
        return Ok(());
    }
    let org = orgs::create(
        db,
        &text("Caravan Demo College"),
        &Slug::parse("demo").map_err(anyhow::Error::msg)?,
    )
    .await?;
    // Courses need an author; the demo author cannot log in (its password hash is not a hash).
    let author = uuid::Uuid::now_v7().to_string();
    store::insert_demo_author(db, &author, now_ms()).await?;

    let demo = [
        (
            "Safe transfers in elderly care",
            "Move a person from bed to wheelchair safely: three micro-lectures and a short quiz.",
            "elderly-care",
            1,
            "en",
            vec!["migrant-workers", "unemployed"],
            [
                ("video", "Preparing the room"),
                ("video", "The pivot transfer"),
                ("quiz", "Check yourself"),
            ],
        ),
        (
            "物联网设备安装入门",
            "学习常见物联网传感器的安装与调试，适合企业职工和退役军人转岗培训。",
            "internet-of-things",
            2,
            "zh-CN",
            vec!["employees", "veterans"],
            [
                ("video", "传感器概述"),
                ("document", "安装手册"),
                ("quiz", "课后测验"),
            ],
        ),
    ];
    for (title, summary, domain, level, language, groups, unit_list) in demo {
        let fields = input::CourseFields {
            title: Some(title.into()),
            summary: Some(summary.into()),
            domain: Some(domain.into()),
            level: Some(level),
            language: Some(language.into()),
            target_groups: Some(groups.into_iter().map(String::from).collect()),
            credit_value: Some(0.5),
            estimated_minutes: Some(30),
            ..Default::default()
        };
        let parsed = input::parse(db, fields, true).await?;
        let id = courses::create(db, &org.id, &author, parsed).await?;
        for (kind, unit_title) in unit_list {
            let title = text(unit_title);
            let unit = units::NewUnit {
                kind,
                title: &title,
                required: true,
                source_unit_id: None,
                asset_id: None,
            };
            units::add(db, &id, unit).await?;
        }
        courses::set_visibility(db, &id, Visibility::Public).await?;
    }
    tracing::info!("seeded the demo organisation and two public courses");
    Ok(())
}

fn text(s: &str) -> Text {
    Text::parse(s, 200).expect("demo text is valid")
}

/// Gives the demo course's first video unit a short generated lecture (test pattern and a tone),
/// once ffmpeg is present; runs after start-up so it never delays serving.
pub async fn demo_lecture(state: crate::context::Context) -> anyhow::Result<()> {
    let settings = &state.settings;
    let unit = store::bare_demo_video(&state.db).await?;
    let Some((unit_id, org_id, author)) = unit else {
        return Ok(());
    };
    if crate::media::ffmpeg_available(&settings.ffmpeg, &settings.ffprobe)
        .await
        .is_none()
    {
        tracing::info!("the demo lecture will be generated once ffmpeg is installed");
        return Ok(());
    }
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("demo-lecture.mp4");
    let status = tokio::time::timeout(
        std::time::Duration::from_secs(120),
        tokio::process::Command::new(&settings.ffmpeg)
            .args([
                "-hide_banner",
                "-loglevel",
                "error",
                "-f",
                "lavfi",
                "-i",
                "testsrc2=size=1280x720:rate=25",
            ])
            .args([
                "-f",
                "lavfi",
                "-i",
                "sine=frequency=440:sample_rate=48000",
                "-t",
                "10",
            ])
            .args([
                "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-c:a", "aac",
            ])
            .arg(&path)
            .kill_on_drop(true)
            .status(),
    )
    .await??;
    anyhow::ensure!(
        status.success(),
        "ffmpeg could not generate the demo lecture"
    );
    let (sha, _) = crate::blobs::put_file(&state.store, &state.db, &path, "video/mp4").await?;
    crate::media::assets::create(
        &state.db,
        crate::media::assets::NewAsset {
            org_id: &org_id,
            user_id: &author,
            filename: "demo-lecture.mp4",
            sha: &sha,
            kind: crate::media::AssetKind::Video,
            mime: "video/mp4",
            unit_id: Some(&unit_id),
            upload_id: None,
        },
    )
    .await?;
    state.jobs_notify.notify_waiters();
    tracing::info!("generated the demo lecture");
    Ok(())
}
