//! `ecrkit push` in a real terminal (a tmux pane, 120×40): mid-push the
//! screen shows a bar per layer being uploaded and a total; at the end, a
//! line per layer and the result, the bars gone.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use ecr_tests::layout::{image_manifest, temp_layout_dir, write_index};
use ecr_tests::throttle_proxy::ThrottleProxy;
use ecr_tests::{Moto, random_bytes, sha256_digest};

const MIB: usize = 1 << 20;

/// A tmux server of its own (its own socket, no user config), killed when
/// dropped.
struct Tmux {
    socket: String,
}

impl Tmux {
    /// Runs `script` with `sh` in a detached session of `width`×`height`.
    fn start(script: &Path, width: u16, height: u16) -> Tmux {
        let version = Command::new("tmux").arg("-V").output();
        assert!(
            version.as_ref().is_ok_and(|o| o.status.success()),
            "tmux is needed to test the terminal display: run scripts/setup.sh (it installs tmux): {version:?}"
        );
        let tmux = Tmux {
            socket: format!("ecrkit-test-{}", std::process::id()),
        };
        let status = tmux
            .command()
            .args(["new-session", "-d", "-s", "push"])
            .args(["-x", &width.to_string(), "-y", &height.to_string()])
            .arg(format!("sh {}", script.display()))
            .status()
            .expect("tmux new-session");
        assert!(status.success(), "tmux new-session failed");
        tmux
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new("tmux");
        cmd.args(["-L", &self.socket, "-f", "/dev/null"]);
        cmd
    }

    /// What the pane shows now.
    fn screen(&self) -> String {
        let out = self
            .command()
            .args(["capture-pane", "-p", "-t", "push"])
            .output()
            .expect("tmux capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Polls the screen until `done` holds, for up to `within`.
    async fn wait_for(&self, within: Duration, what: &str, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + within;
        loop {
            let screen = self.screen();
            if done(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "{what} not on screen within {within:?}:\n{screen}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.command().arg("kill-server").status();
    }
}

/// A layer's bar: its short digest, then the bar.
fn bar_line<'a>(screen: &'a str, digest: &str) -> Option<&'a str> {
    let prefix = format!("{} [", &digest[..19]);
    screen.lines().find(|l| l.starts_with(&prefix))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_terminal_shows_a_bar_per_layer_and_a_total() {
    let moto = Moto::start();
    // 6 MB/s towards moto: three 10 MiB layers in 5 MiB parts (42 MB of
    // request bodies) take some seven seconds.
    let proxy = ThrottleProxy::start(&moto.endpoint, 6_000_000).await;
    let dir = temp_layout_dir("cli-tty");
    let layers = [
        random_bytes(10 * MIB, 71),
        random_bytes(10 * MIB, 72),
        random_bytes(10 * MIB, 73),
    ];
    let top = image_manifest(&dir, "amd64", &layers);
    write_index(&dir, &[(&top, Some("v1"))]);

    // The pane runs a script: a clean AWS environment, the push, its status.
    let script = dir.join("push.sh");
    let mut text = String::new();
    for (key, _) in std::env::vars()
        .filter(|(k, _)| k.starts_with("AWS_") || k.starts_with("ECRKIT_") || k == "RUST_LOG")
    {
        text.push_str(&format!("unset {key}\n"));
    }
    text.push_str(
        "export AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=AKIDTEST AWS_SECRET_ACCESS_KEY=secret-test-key \
         AWS_EC2_METADATA_DISABLED=true ECRKIT_STATE_DIR=/tmp/ecrkit-cli-tty-state AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null\n",
    );
    text.push_str(&format!(
        "'{}' push cli/tty '{}' --endpoint-url {} --create-repository --max-part-size 5 --concurrency 4\n",
        env!("CARGO_BIN_EXE_ecrkit"),
        dir.display(),
        proxy.endpoint
    ));
    text.push_str("echo \"ECRKIT-EXIT=$?\"\nsleep 600\n");
    std::fs::write(&script, text).unwrap();
    let digests: Vec<String> = layers.iter().map(|l| sha256_digest(l)).collect();
    let tmux = Tmux::start(&script, 120, 40);

    // Mid-push: a bar per layer, one at least past its first part, and the total.
    let screen = tmux
        .wait_for(
            Duration::from_secs(90),
            "three layer bars, one past 5 MiB",
            |s| {
                digests.iter().all(|d| bar_line(s, d).is_some())
                    && digests
                        .iter()
                        .any(|d| bar_line(s, d).is_some_and(|l| l.contains("5.00 MiB / 10.00 MiB")))
            },
        )
        .await;
    for digest in &digests {
        let line = bar_line(&screen, digest).unwrap();
        assert!(line.contains(" / 10.00 MiB"), "bytes: {line}\n{screen}");
        assert!(line.contains("/s"), "rate: {line}\n{screen}");
        assert!(line.contains("ETA"), "ETA: {line}\n{screen}");
    }
    let total = screen
        .lines()
        .find(|l| l.starts_with("total ") && l.contains(" blobs"))
        .unwrap_or_else(|| panic!("no total bar:\n{screen}"));
    assert!(
        total.contains('[') && total.contains(" / 30.00 MiB"),
        "{total}\n{screen}"
    );
    assert!(total.contains("ETA"), "{total}");
    assert!(
        !screen.contains("ECRKIT-EXIT"),
        "the push ended too soon to watch:\n{screen}"
    );

    // The end: the bars are gone, a line per layer and the result remain.
    let screen = tmux
        .wait_for(Duration::from_secs(120), "the exit status", |s| {
            s.contains("ECRKIT-EXIT=")
        })
        .await;
    assert!(screen.contains("ECRKIT-EXIT=0"), "{screen}");
    for digest in &digests {
        assert!(bar_line(&screen, digest).is_none(), "a bar left:\n{screen}");
        let done = format!("uploaded {}  10.0 MiB", &digest[..19]);
        assert!(screen.lines().any(|l| l == done), "{done}:\n{screen}");
    }
    assert!(
        !screen.lines().any(|l| l.starts_with("total ")),
        "the total left:\n{screen}"
    );
    let result = format!("pushed cli/tty:v1 {}", top["digest"].as_str().unwrap());
    assert!(
        screen.replace('\n', "").contains(&result),
        "{result}:\n{screen}"
    );
    drop(tmux);
    let _ = std::fs::remove_dir_all(dir);
}
