//! The independent verifiers in `tests/clients`: Digital Bazaar's JavaScript libraries for
//! Data Integrity proofs, and PyJWT for VC-JWTs. Each reads a credential from stdin and prints
//! one line of JSON: `{"verified": …, "errors": […]}`.

use std::{path::Path, process::Stdio, time::Duration};

use serde_json::Value;
use tokio::io::AsyncWriteExt;

pub struct Verdict {
    pub verified: bool,
    pub output: Value,
}

impl Verdict {
    pub fn errors(&self) -> String {
        self.output["errors"].to_string()
    }
}

async fn run(program: &str, script: &str, input: &[u8]) -> Verdict {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients");
    let mut child = tokio::process::Command::new(program)
        .arg(dir.join(script))
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("{program} {script}: {e} (scripts/test installs it)"));
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input).await.unwrap();
    drop(stdin);
    let out = tokio::time::timeout(Duration::from_secs(120), child.wait_with_output())
        .await
        .expect("the verifier finished within 2 minutes")
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let output: Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|_| {
        panic!(
            "{script} printed no verdict; stdout: {stdout}; stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let code = out.status.code();
    assert!(
        matches!(code, Some(0) | Some(1)),
        "{script} failed to run ({code:?}): {output}"
    );
    assert_eq!(output["verified"] == true, code == Some(0), "{output}");
    Verdict {
        verified: code == Some(0),
        output,
    }
}

/// `@digitalbazaar/vc` with the eddsa-rdfc-2022 cryptosuite and Bitstring Status List checks.
pub async fn digital_bazaar(credential: &Value) -> Verdict {
    run(
        "node",
        "verify_credential.mjs",
        credential.to_string().as_bytes(),
    )
    .await
}

/// PyJWT (EdDSA), with the status list fetched as a VC-JWT too.
pub async fn pyjwt(token: &str) -> Verdict {
    run("python3", "verify_jwt.py", token.as_bytes()).await
}
