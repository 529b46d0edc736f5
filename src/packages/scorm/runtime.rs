//! The SCORM run-time data model as the server keeps it: what a launch hands the runtime in the
//! learner's browser (scorm-again's `loadFromJSON`), what a commit may change, and what the
//! committed data says about completion, success and score.
//!
//! The browser runtime checks every `SetValue` against the data model already; the server
//! takes from a commit only the elements a SCO may write, sets every element the LMS owns
//! itself (the learner, entry, credit, mode, total time, the package's mastery values), and
//! evaluates the mastery score, the scaled passing score and the completion threshold on its own
//! rather than trusting the status the browser sends.

use serde_json::{json, Map, Value};

use super::manifest::Version;

/// What the LMS knows about a SCO when it launches it.
#[derive(Debug, Clone, Default)]
pub struct ScoSettings {
    pub mastery_score: Option<f64>,
    pub scaled_passing_score: Option<f64>,
    pub completion_threshold: Option<f64>,
    pub launch_data: Option<String>,
    pub max_time_allowed: Option<String>,
    pub time_limit_action: Option<String>,
}

/// The LMS's part of a launch.
#[derive(Debug, Clone)]
pub struct LaunchFacts<'a> {
    pub learner_id: &'a str,
    pub learner_name: &'a str,
    /// `ab-initio`, `resume` or empty.
    pub entry: &'a str,
    /// `normal`, `browse` or `review`.
    pub mode: &'a str,
    pub total_secs: f64,
}

/// Largest runtime data kept for an attempt (the JSON text of what the SCO wrote).
pub const MAX_RUNTIME_BYTES: usize = 512 << 10;

/// The elements a SCO writes that are kept from one session to the next, and those written per
/// session only (`exit`, `session_time`). Paths are relative to `cmi`.
fn kept(version: Version) -> &'static [&'static str] {
    match version {
        Version::Scorm12 => &[
            "core.lesson_location",
            "core.lesson_status",
            "core.score.raw",
            "core.score.min",
            "core.score.max",
            "suspend_data",
            "comments",
            "objectives",
            "student_preference",
            "interactions",
        ],
        Version::Scorm2004 { .. } => &[
            "location",
            "completion_status",
            "success_status",
            "score.scaled",
            "score.raw",
            "score.min",
            "score.max",
            "progress_measure",
            "suspend_data",
            "objectives",
            "interactions",
            "comments_from_learner",
            "learner_preference",
        ],
    }
}

/// Longest text the data model allows in an element the server reads itself.
fn limits(version: Version) -> &'static [(&'static str, usize)] {
    match version {
        Version::Scorm12 => &[
            ("core.lesson_location", 255),
            ("suspend_data", 4096),
            ("comments", 4096),
        ],
        Version::Scorm2004 { .. } => &[("location", 1000), ("suspend_data", 64000)],
    }
}

fn get<'a>(root: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(root, |v, key| v.get(key))
}

fn text<'a>(root: &'a Value, path: &str) -> &'a str {
    get(root, path).and_then(Value::as_str).unwrap_or("")
}

fn number(root: &Value, path: &str) -> Option<f64> {
    text(root, path)
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite())
}

fn set(root: &mut Value, path: &str, value: Value) {
    let mut at = root;
    let mut parts = path.split('.').peekable();
    while let Some(key) = parts.next() {
        if !at.is_object() {
            *at = Value::Object(Map::new());
        }
        let map = at.as_object_mut().expect("made an object above");
        if parts.peek().is_none() {
            map.insert(key.to_owned(), value);
            return;
        }
        at = map.entry(key).or_insert_with(|| Value::Object(Map::new()));
    }
}

/// The data model a launch hands the runtime: the attempt's kept data and the LMS's elements.
pub fn launch_data(
    version: Version,
    kept_runtime: &Value,
    sco: &ScoSettings,
    facts: &LaunchFacts<'_>,
) -> Value {
    let mut cmi = json!({});
    for path in kept(version) {
        // A SCORM 1.2 SCO cannot read its interactions back (they are write-only), and
        // handing them to the runtime would only make its element counts disagree.
        if version == Version::Scorm12 && *path == "interactions" {
            continue;
        }
        if let Some(v) = get(kept_runtime, path) {
            set(&mut cmi, path, v.clone());
        }
    }
    let opt = |v: &Option<String>| Value::from(v.clone().unwrap_or_default());
    let credit = if facts.mode == "normal" {
        "credit"
    } else {
        "no-credit"
    };
    match version {
        Version::Scorm12 => {
            set(&mut cmi, "core.student_id", facts.learner_id.into());
            set(&mut cmi, "core.student_name", facts.learner_name.into());
            set(&mut cmi, "core.entry", facts.entry.into());
            set(&mut cmi, "core.credit", credit.into());
            set(&mut cmi, "core.lesson_mode", facts.mode.into());
            set(
                &mut cmi,
                "core.total_time",
                format_scorm12_time(facts.total_secs).into(),
            );
            if text(&cmi, "core.lesson_status").is_empty() {
                set(&mut cmi, "core.lesson_status", "not attempted".into());
            }
            set(&mut cmi, "launch_data", opt(&sco.launch_data));
            let mastery = sco.mastery_score.map(fmt_number).unwrap_or_default();
            set(&mut cmi, "student_data.mastery_score", mastery.into());
            set(
                &mut cmi,
                "student_data.max_time_allowed",
                opt(&sco.max_time_allowed),
            );
            set(
                &mut cmi,
                "student_data.time_limit_action",
                opt(&sco.time_limit_action),
            );
        }
        Version::Scorm2004 { .. } => {
            set(&mut cmi, "learner_id", facts.learner_id.into());
            set(&mut cmi, "learner_name", facts.learner_name.into());
            set(&mut cmi, "entry", facts.entry.into());
            set(&mut cmi, "credit", credit.into());
            set(&mut cmi, "mode", facts.mode.into());
            set(
                &mut cmi,
                "total_time",
                format_duration(facts.total_secs).into(),
            );
            set(&mut cmi, "launch_data", opt(&sco.launch_data));
            let sps = sco.scaled_passing_score.map(fmt_number).unwrap_or_default();
            set(&mut cmi, "scaled_passing_score", sps.into());
            let ct = sco.completion_threshold.map(fmt_number).unwrap_or_default();
            set(&mut cmi, "completion_threshold", ct.into());
            set(&mut cmi, "max_time_allowed", opt(&sco.max_time_allowed));
            let action = sco
                .time_limit_action
                .clone()
                .unwrap_or_else(|| "continue,no message".to_owned());
            set(&mut cmi, "time_limit_action", action.into());
        }
    }
    cmi
}

fn fmt_number(n: f64) -> String {
    let s = format!("{n}");
    s.strip_suffix(".0").map(str::to_owned).unwrap_or(s)
}

/// A score as xAPI takes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    pub scaled: f64,
    pub raw: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

/// What one commit says.
#[derive(Debug, Clone, PartialEq)]
pub struct Committed {
    /// The data kept for the attempt's next session.
    pub runtime: Value,
    /// `completed`, `incomplete`, `not attempted` or `unknown`, as the LMS evaluates it.
    pub completion: String,
    /// `passed`, `failed` or `unknown`, as the LMS evaluates it.
    pub success: String,
    pub score: Option<Score>,
    /// This session's time as the SCO reported it.
    pub session_secs: f64,
    /// `cmi.exit` (`cmi.core.exit`): `suspend`, `logout`, `time-out`, `normal` or empty.
    pub exit: String,
}

impl Committed {
    /// Does the attempt meet what the unit needs: passed, or completed and not failed?
    pub fn done(&self) -> bool {
        done(&self.completion, &self.success)
    }

    /// Does a session that terminates with this data end the attempt? A suspended attempt goes
    /// on; so does an unfinished SCORM 1.2 one, which has no other way to say it will resume.
    pub fn ends_attempt(&self, version: Version) -> bool {
        match version {
            _ if self.exit == "suspend" => false,
            Version::Scorm12 => self.completion == "completed",
            Version::Scorm2004 { .. } => true,
        }
    }
}

/// Does an attempt with this completion and success meet what its unit needs: passed, or
/// completed and not failed?
pub fn done(completion: &str, success: &str) -> bool {
    success == "passed" || (completion == "completed" && success != "failed")
}

/// Reads a commit's body (`{"cmi": {...}}`, as scorm-again sends it) against the SCO's
/// settings. A problem is a sentence for the SCO's author.
pub fn read_commit(version: Version, body: &Value, sco: &ScoSettings) -> Result<Committed, String> {
    let cmi = body
        .get("cmi")
        .filter(|c| c.is_object())
        .ok_or("the commit has no \"cmi\" object")?;
    for (path, max) in limits(version) {
        if text(cmi, path).chars().count() > *max {
            return Err(format!("cmi.{path} is longer than {max} characters"));
        }
    }
    let mut runtime = json!({});
    for path in kept(version) {
        if let Some(v) = get(cmi, path) {
            set(&mut runtime, path, v.clone());
        }
    }
    if runtime.to_string().len() > MAX_RUNTIME_BYTES {
        return Err(format!(
            "the data model is larger than {} KiB",
            MAX_RUNTIME_BYTES >> 10
        ));
    }
    let c = match version {
        Version::Scorm12 => read_12(cmi, sco, runtime),
        Version::Scorm2004 { .. } => read_2004(cmi, sco, runtime),
    };
    Ok(c)
}

fn read_12(cmi: &Value, sco: &ScoSettings, runtime: Value) -> Committed {
    let raw = number(cmi, "core.score.raw");
    let min = number(cmi, "core.score.min");
    let max = number(cmi, "core.score.max");
    let mut status = text(cmi, "core.lesson_status").to_owned();
    // SCORM 1.2 RTE 3.4.4: with a mastery score, a credited score decides pass or fail.
    if let (Some(mastery), Some(raw)) = (sco.mastery_score, raw) {
        // Not while the SCO says it is unfinished: a partial score is no verdict.
        if matches!(status.as_str(), "completed" | "passed" | "failed") {
            status = if raw >= mastery { "passed" } else { "failed" }.to_owned();
        }
    }
    let (completion, success) = match status.as_str() {
        "passed" => ("completed", "passed"),
        "failed" => ("completed", "failed"),
        "completed" => ("completed", "unknown"),
        "incomplete" | "browsed" => ("incomplete", "unknown"),
        _ => ("not attempted", "unknown"),
    };
    let score = raw.map(|raw| {
        let (lo, hi) = (min.unwrap_or(0.0), max.unwrap_or(100.0));
        Score {
            scaled: scale(raw, lo, hi),
            raw: Some(raw),
            min,
            max,
        }
    });
    Committed {
        runtime,
        completion: completion.into(),
        success: success.into(),
        score: score.map(consistent),
        session_secs: parse_scorm12_time(text(cmi, "core.session_time")).unwrap_or(0.0),
        exit: text(cmi, "core.exit").to_owned(),
    }
}

fn read_2004(cmi: &Value, sco: &ScoSettings, runtime: Value) -> Committed {
    let mut completion = match text(cmi, "completion_status") {
        s @ ("completed" | "incomplete" | "not attempted") => s.to_owned(),
        _ => "unknown".to_owned(),
    };
    // SCORM 2004 RTE 4.2.4.1 and 4.2.22.1: the LMS's threshold and passing score decide.
    if let (Some(threshold), Some(measure)) =
        (sco.completion_threshold, number(cmi, "progress_measure"))
    {
        completion = if measure >= threshold {
            "completed"
        } else {
            "incomplete"
        }
        .to_owned();
    }
    let raw = number(cmi, "score.raw");
    let min = number(cmi, "score.min");
    let max = number(cmi, "score.max");
    let scaled = number(cmi, "score.scaled").or_else(|| match (raw, min, max) {
        (Some(r), Some(lo), Some(hi)) if hi > lo => Some(scale(r, lo, hi)),
        _ => None,
    });
    let mut success = match text(cmi, "success_status") {
        s @ ("passed" | "failed") => s.to_owned(),
        _ => "unknown".to_owned(),
    };
    if let Some(passing) = sco.scaled_passing_score {
        success = match scaled {
            Some(s) if s >= passing => "passed",
            Some(_) => "failed",
            None => "unknown",
        }
        .to_owned();
    }
    let score = scaled.map(|scaled| Score {
        scaled: scaled.clamp(-1.0, 1.0),
        raw,
        min,
        max,
    });
    Committed {
        runtime,
        completion,
        success,
        score: score.map(consistent),
        session_secs: parse_duration(text(cmi, "session_time")).unwrap_or(0.0),
        exit: text(cmi, "exit").to_owned(),
    }
}

fn scale(raw: f64, lo: f64, hi: f64) -> f64 {
    if hi > lo {
        ((raw - lo) / (hi - lo)).clamp(-1.0, 1.0)
    } else {
        0.0
    }
}

/// Drops the raw, min and max an xAPI score could not hold (raw outside min..max).
fn consistent(mut s: Score) -> Score {
    let lo = s.min.unwrap_or(f64::MIN);
    let hi = s.max.unwrap_or(f64::MAX);
    if lo > hi || s.raw.is_some_and(|r| r < lo || r > hi) {
        s.raw = None;
        s.min = None;
        s.max = None;
    }
    s
}

/// SCORM 1.2 `CMITimespan`: `HHHH:MM:SS.SS`.
pub fn parse_scorm12_time(s: &str) -> Option<f64> {
    let mut parts = s.trim().split(':');
    let (h, m, sec) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let h: u32 = h.parse().ok()?;
    let m: u32 = m.parse().ok().filter(|m| *m < 60)?;
    let sec: f64 = sec.parse().ok().filter(|s: &f64| (0.0..60.0).contains(s))?;
    Some(f64::from(h) * 3600.0 + f64::from(m) * 60.0 + sec)
}

pub fn format_scorm12_time(secs: f64) -> String {
    let centis = (secs.max(0.0) * 100.0).round() as u64;
    let (h, rest) = (centis / 360_000, centis % 360_000);
    let (m, rest) = (rest / 6000, rest % 6000);
    format!("{h:04}:{m:02}:{:02}.{:02}", rest / 100, rest % 100)
}

/// SCORM 2004 `timeinterval (second,10,2)`: an ISO 8601 duration such as `PT1H2M3.5S`
/// (years and months taken as 365 and 30 days).
pub fn parse_duration(s: &str) -> Option<f64> {
    let rest = s.trim().strip_prefix('P')?;
    let (date, time) = match rest.split_once('T') {
        Some((d, t)) if !t.is_empty() => (d, t),
        Some(_) => return None,
        None => (rest, ""),
    };
    let sum = |part: &str, units: &[(char, f64)]| -> Option<f64> {
        let mut total = 0.0;
        let mut number = String::new();
        let mut at = 0;
        for c in part.chars() {
            if c.is_ascii_digit() || c == '.' {
                number.push(c);
                continue;
            }
            let i = units[at..].iter().position(|(u, _)| *u == c)? + at;
            let n: f64 = number.parse().ok()?;
            total += n * units[i].1;
            number.clear();
            at = i + 1;
        }
        number.is_empty().then_some(total)
    };
    let day = 86_400.0;
    let d = sum(date, &[('Y', 365.0 * day), ('M', 30.0 * day), ('D', day)])?;
    let t = sum(time, &[('H', 3600.0), ('M', 60.0), ('S', 1.0)])?;
    (date.len() + time.len() > 0).then_some(d + t)
}

/// An ISO 8601 duration, as SCORM 2004 and xAPI write them.
pub fn format_duration(secs: f64) -> String {
    let centis = (secs.max(0.0) * 100.0).round() as u64;
    let (h, rest) = (centis / 360_000, centis % 360_000);
    let (m, rest) = (rest / 6000, rest % 6000);
    let s = if rest % 100 == 0 {
        format!("{}", rest / 100)
    } else {
        format!("{}.{:02}", rest / 100, rest % 100)
    };
    format!("PT{h}H{m}M{s}S")
}

#[cfg(test)]
#[path = "runtime_tests.rs"]
mod tests;
