//! Running the `ecrkit` binary in tests: a clean AWS environment (test
//! credentials, no shared files), and what it printed and returned.

#![allow(dead_code)] // Each test file uses part of this.

use std::process::Stdio;

/// The binary, with the test process's AWS settings removed and test
/// credentials and region set; empty shared config and credentials files.
pub fn ecrkit() -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_ecrkit"));
    for (key, _) in std::env::vars() {
        if key.starts_with("AWS_") || key.starts_with("ECRKIT_") || key == "RUST_LOG" {
            cmd.env_remove(key);
        }
    }
    cmd.env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "AKIDTEST")
        .env("AWS_SECRET_ACCESS_KEY", "secret-test-key")
        // Push journals in a folder of this test process, not in ~/.local/state.
        .env("ECRKIT_STATE_DIR", state_dir())
        // No instance metadata: the machine running the tests is not EC2.
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    cmd
}

/// The push journals' folder of this test process.
pub fn state_dir() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("ecrkit-cli-state-{}", std::process::id()))
}

/// What a run printed and returned.
#[derive(Debug)]
pub struct Run {
    /// The exit status (-1 if killed by a signal).
    pub status: i32,
    /// stdout.
    pub stdout: String,
    /// stderr.
    pub stderr: String,
}

impl Run {
    /// stdout as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    /// Asserts the exit status, showing the output if it differs.
    pub fn expect_status(&self, status: i32) -> &Self {
        assert_eq!(
            self.status, status,
            "exit status\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

/// Runs `ecrkit ARGS` (with `--endpoint-url` first when given) to its end.
pub async fn run(endpoint: Option<&str>, args: &[&str]) -> Run {
    run_cmd(ecrkit(), endpoint, args).await
}

/// Runs a prepared command with `--endpoint-url` and `args`.
pub async fn run_cmd(
    mut cmd: tokio::process::Command,
    endpoint: Option<&str>,
    args: &[&str],
) -> Run {
    if let Some(endpoint) = endpoint {
        cmd.arg("--endpoint-url").arg(endpoint);
    }
    let out = cmd.args(args).output().await.expect("run ecrkit");
    Run {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Whether `text` looks like an RFC 3339 UTC time as the program writes it.
pub fn is_rfc3339(text: &str) -> bool {
    let b = text.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| r.clone().all(|i| b.get(i).is_some_and(u8::is_ascii_digit));
    text.len() >= 20
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
        && text.ends_with('Z')
}

/// The one push journal file in `dir`, if there is one.
pub fn journal_file(dir: &std::path::Path) -> Option<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("push-") && n.ends_with(".json"))
        })
}

/// Kills `child` with SIGKILL (no chance to clean up, as a crash or an
/// out-of-memory kill) and checks that the signal is what ended it.
pub async fn sigkill(child: &mut tokio::process::Child) {
    let pid = child.id().expect("a running child");
    let kill = tokio::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .await
        .expect("kill");
    assert!(kill.success());
    let status = child.wait().await.expect("wait");
    assert_eq!(status.code(), None, "killed by a signal: {status:?}");
}
