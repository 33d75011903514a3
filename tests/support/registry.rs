//! The CNCF distribution registry (Debian's `docker-registry`, 2.8.2) on
//! 127.0.0.1 for one test: filesystem storage in a temporary directory,
//! htpasswd authentication (a bcrypt entry made with `htpasswd -B`), or
//! none for a read-only server of the same storage (the "download URL"
//! server behind the GetDownloadUrlForLayer stand-in). And skopeo, the
//! peer client.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use crate::{free_port, wait_for_port};

/// The password moto's GetAuthorizationToken returns for account
/// 123456789012 (it decodes to `AWS:123456789012-auth-token`).
pub const MOTO_PASSWORD: &str = "123456789012-auth-token";

/// How to install what these tests need.
const SETUP_HINT: &str =
    "run scripts/setup.sh (it installs docker-registry, skopeo and apache2-utils with apt-get)";

/// A registry process, stopped and its storage removed when dropped
/// (unless it serves another's storage).
pub struct Registry {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
    /// `127.0.0.1:<port>`.
    pub host: String,
    /// The storage directory.
    pub root: PathBuf,
    dir: PathBuf,
    owns_root: bool,
}

/// A fresh temporary directory for one test.
pub fn temp_dir(name: &str) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("ecr-reg-{name}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a temporary directory");
    dir
}

fn require(tool: &str) -> PathBuf {
    for dir in ["/usr/bin", "/usr/local/bin", "/usr/sbin", "/bin"] {
        let path = Path::new(dir).join(tool);
        if path.exists() {
            return path;
        }
    }
    panic!("{tool} is not installed: {SETUP_HINT}");
}

/// `docker-registry --version`'s version (`2.8.2`).
pub fn registry_version() -> String {
    let out = Command::new(require("docker-registry"))
        .arg("--version")
        .output()
        .expect("docker-registry --version");
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace()
        .last()
        .unwrap_or("?")
        .split('+')
        .next()
        .unwrap_or("?")
        .to_owned()
}

/// `skopeo --version`'s version (`1.9.3`).
pub fn skopeo_version() -> String {
    let out = Command::new(require("skopeo"))
        .arg("--version")
        .output()
        .expect("skopeo --version");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .last()
        .unwrap_or("?")
        .to_owned()
}

impl Registry {
    /// Starts a registry that takes user `AWS` with `password` (htpasswd).
    pub fn start(password: &str) -> Registry {
        let dir = temp_dir("registry");
        let root = dir.join("storage");
        std::fs::create_dir_all(&root).expect("storage dir");
        let out = Command::new(require("htpasswd"))
            .args(["-nbB", "AWS", password])
            .output()
            .unwrap_or_else(|e| panic!("htpasswd: {e}; {SETUP_HINT}"));
        assert!(out.status.success(), "htpasswd failed: {out:?}");
        let htpasswd = dir.join("htpasswd");
        std::fs::write(&htpasswd, &out.stdout).expect("write htpasswd");
        let auth = format!(
            "auth:\n  htpasswd:\n    realm: basic-realm\n    path: {}\n",
            htpasswd.display()
        );
        Self::spawn(dir, root, &auth, false, true)
    }

    /// Starts a registry that takes anyone (behind a proxy that does the
    /// authorization, such as the bearer-token gate).
    pub fn start_open() -> Registry {
        let dir = temp_dir("registry-open");
        let root = dir.join("storage");
        std::fs::create_dir_all(&root).expect("storage dir");
        Self::spawn(dir, root, "", false, true)
    }

    /// Starts a read-only registry without authentication serving `other`'s
    /// storage: what a pre-signed download URL points at in these tests.
    pub fn serve_storage_of(other: &Registry) -> Registry {
        let dir = temp_dir("registry-ro");
        Self::spawn(dir, other.root.clone(), "", true, false)
    }

    fn spawn(dir: PathBuf, root: PathBuf, auth: &str, readonly: bool, owns_root: bool) -> Registry {
        let port = free_port();
        let config = format!(
            "version: 0.1\n\
             log:\n  level: error\n  accesslog:\n    disabled: true\n\
             storage:\n  filesystem:\n    rootdirectory: {root}\n  delete:\n    enabled: true\n  \
             maintenance:\n    uploadpurging:\n      enabled: false\n    readonly:\n      enabled: {readonly}\n\
             http:\n  addr: 127.0.0.1:{port}\n  secret: ecrkit-test-secret\n\
             {auth}",
            root = root.display(),
        );
        let config_path = dir.join("config.yml");
        std::fs::write(&config_path, config).expect("write the registry config");
        let log = std::fs::File::create(dir.join("registry.log")).expect("registry log");
        let mut child = Command::new(require("docker-registry"))
            .arg("serve")
            .arg(&config_path)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("could not start docker-registry: {e}; {SETUP_HINT}"));
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        wait_for_port(addr, &mut child, "docker-registry");
        Registry {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            host: format!("127.0.0.1:{port}"),
            root,
            dir,
            owns_root,
        }
    }

    /// The registry's log so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("registry.log")).unwrap_or_default()
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
        if self.owns_root {
            let _ = std::fs::remove_dir_all(&self.root);
        }
    }
}

/// Runs skopeo with `args` (on the blocking pool when called from async
/// code through [`skopeo_async`]); panics with its output when it fails.
pub fn skopeo(args: &[&str]) -> Output {
    let out = Command::new(require("skopeo"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("could not run skopeo: {e}; {SETUP_HINT}"));
    assert!(
        out.status.success(),
        "skopeo {} failed ({}):\n{}\n{}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// [`skopeo`] off the async threads.
pub async fn skopeo_async(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        skopeo(&refs)
    })
    .await
    .expect("skopeo task")
}
