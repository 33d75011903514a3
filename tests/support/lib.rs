//! Shared helpers of the integration tests: a moto server on 127.0.0.1 and
//! clients pointed at it, loopback servers of the credential sources, TLS
//! servers with a CA of their own, a proxy, and the credentials probe.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ecrkit::{Client, Config, Credentials};

pub mod bearer;
pub mod capture;
pub mod ecr_registry;
pub mod fault_proxy;
pub mod forward_proxy;
pub mod http_stub;
pub mod layout;
pub mod layouts;
pub mod paging_proxy;
pub mod proxy;
pub mod registry;
pub mod registry_env;
pub mod registry_faults;
pub mod scripted_server;
pub mod sources;
pub mod stall_proxy;
pub mod stand_in;
pub mod throttle_proxy;
pub mod tls;
pub mod token_rotation;

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default()
}

/// The Python of the test venv that `scripts/setup.sh` creates.
pub fn venv_bin(name: &str) -> PathBuf {
    workspace_root().join(".venv/bin").join(name)
}

/// A free port on 127.0.0.1.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local addr").port()
}

/// Waits until something accepts connections on `addr`.
pub fn wait_for_port(addr: SocketAddr, child: &mut Child, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited before listening on {addr}: {status}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{what} did not listen on {addr} within 60 s");
}

/// A moto server started for one test, stopped when dropped.
pub struct Moto {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
}

impl Moto {
    /// Starts `moto_server` from the venv on a free port of 127.0.0.1.
    ///
    /// Panics with a message saying how to set it up when the venv is missing.
    pub fn start() -> Moto {
        let bin = venv_bin("moto_server");
        assert!(
            bin.exists(),
            "moto_server not found at {}: run scripts/setup.sh (it creates .venv with moto[server] 5.2.5)",
            bin.display()
        );
        let port = free_port();
        // Benchmarks pin the server to its own core (`ECR_TESTS_SERVER_CPU`);
        // a child otherwise inherits the test process's affinity.
        let mut command = match std::env::var("ECR_TESTS_SERVER_CPU") {
            Ok(cpu) => {
                let mut c = Command::new("taskset");
                c.args(["-c", &cpu]).arg(&bin);
                c
            }
            Err(_) => Command::new(&bin),
        };
        let mut child = command
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "could not start {}: {e}; run scripts/setup.sh",
                    bin.display()
                )
            });
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        wait_for_port(addr, &mut child, "moto_server");
        Moto {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        }
    }

    /// A client for this server.
    pub fn client(&self) -> Client {
        client_for(&self.endpoint)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A client with test credentials for `endpoint`.
pub fn client_for(endpoint: &str) -> Client {
    Client::new(
        Config::builder()
            .with_region("us-east-1")
            .with_endpoint_url(endpoint)
            .with_credentials(Credentials::new(
                "AKIDTEST",
                "secret-test-key",
                None,
                None,
                "test",
            ))
            .build(),
    )
}

/// Deterministic pseudo-random bytes (xorshift64*), so tests need no RNG crate.
pub fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(2).wrapping_add(1);
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        out.extend_from_slice(&state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out.truncate(len);
    out
}

/// `sha256:<hex>` of `bytes`.
pub fn sha256_digest(bytes: &[u8]) -> String {
    use sha2::Digest;
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)))
}

/// A directory under the system temp dir, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// A fresh, empty directory named after `tag`.
    pub fn new(tag: &str) -> TempDir {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "ecr-tests-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create a temp dir");
        TempDir(dir)
    }

    /// The path, as UTF-8.
    pub fn path(&self) -> String {
        self.0.to_str().expect("UTF-8 temp dir").to_owned()
    }

    /// Writes `text` to `name` under the directory (parents created); the path.
    pub fn write(&self, name: &str, text: &str) -> String {
        let path = self.0.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create parents");
        }
        std::fs::write(&path, text).expect("write a temp file");
        path.to_str().expect("UTF-8 path").to_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs the `credentials-probe` program (tests/support/credentials_probe.rs)
/// in a child process with an environment of its own: a temporary HOME,
/// `AWS_REGION=us-east-1`, instance metadata off (so nothing leaves
/// 127.0.0.1) unless a test turns it on, and nothing else of this process's
/// environment but `PATH`.
pub struct Probe {
    bin: PathBuf,
    /// The temporary HOME.
    pub home: TempDir,
    vars: std::collections::BTreeMap<String, String>,
}

/// What the probe printed.
#[derive(Debug)]
pub struct ProbeOutput {
    /// One JSON value per stdout line.
    pub lines: Vec<serde_json::Value>,
    /// Its stdout and stderr, as text.
    pub stdout: String,
    /// Its stderr (the trace with `PROBE_TRACE=1`).
    pub stderr: String,
}

impl Probe {
    /// `bin` is `env!("CARGO_BIN_EXE_credentials-probe")` of the test.
    pub fn new(bin: &str, tag: &str) -> Probe {
        let home = TempDir::new(tag);
        let mut vars = std::collections::BTreeMap::new();
        vars.insert("HOME".to_owned(), home.path());
        vars.insert("AWS_REGION".to_owned(), "us-east-1".to_owned());
        vars.insert("AWS_EC2_METADATA_DISABLED".to_owned(), "true".to_owned());
        if let Ok(path) = std::env::var("PATH") {
            vars.insert("PATH".to_owned(), path);
        }
        Probe {
            bin: PathBuf::from(bin),
            home,
            vars,
        }
    }

    /// Sets a variable.
    pub fn var(mut self, name: &str, value: impl Into<String>) -> Probe {
        self.vars.insert(name.to_owned(), value.into());
        self
    }

    /// Unsets a variable.
    pub fn unset(mut self, name: &str) -> Probe {
        self.vars.remove(name);
        self
    }

    /// Writes a file under HOME (`.aws/config`, ...); its path.
    pub fn file(&self, name: &str, text: &str) -> String {
        self.home.write(name, text)
    }

    /// Runs `args`; panics with its output if it fails or prints no JSON.
    pub fn run(&self, args: &[&str]) -> ProbeOutput {
        let output = Command::new(&self.bin)
            .args(args)
            .env_clear()
            .envs(&self.vars)
            .output()
            .unwrap_or_else(|e| panic!("could not run {}: {e}", self.bin.display()));
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(
            output.status.success(),
            "credentials-probe {args:?} failed ({}):\n{stdout}\n{stderr}",
            output.status
        );
        let lines: Vec<serde_json::Value> = stdout
            .lines()
            .map(|l| {
                serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("probe printed {l:?}, not JSON: {e}\n{stderr}"))
            })
            .collect();
        assert!(!lines.is_empty(), "the probe printed nothing:\n{stderr}");
        if let Some(e) = lines[0].get("setup_error") {
            panic!("the probe could not build its client: {e}\n{stderr}");
        }
        ProbeOutput {
            lines,
            stdout,
            stderr,
        }
    }

    /// `provide`: the credentials (key id, secret, token), or the error text.
    pub fn provide(&self) -> Result<(String, String, Option<String>), String> {
        let out = self.run(&["provide"]);
        let line = &out.lines[0];
        match (line.get("ok"), line.get("error")) {
            (Some(ok), _) => Ok((
                ok["access_key_id"].as_str().unwrap_or_default().to_owned(),
                ok["secret_access_key"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                ok["session_token"].as_str().map(str::to_owned),
            )),
            (None, Some(e)) => Err(e.as_str().unwrap_or_default().to_owned()),
            _ => panic!("unexpected probe output {line}"),
        }
    }
}
