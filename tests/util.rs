//! Helpers shared by the black-box tests: building and locating the
//! workspace's binaries, starting servers on free loopback ports with
//! temporary data dirs; the raw HTTP/1.1 client for byte-exact checks is
//! in `util/http.rs`, the cluster helpers in `util/cluster.rs`.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Path of a binary built from this workspace (`etcd-server`, `etcdctl`).
///
/// Cargo only builds a package's own binaries for its integration tests, so
/// the first call builds every workspace binary (same profile as this test
/// binary) with the cargo that runs the tests.
pub fn workspace_bin(name: &str) -> PathBuf {
    static BUILT: OnceLock<()> = OnceLock::new();
    let mut dir = std::env::current_exe().expect("test binary path");
    dir.pop();
    if dir.ends_with("deps") {
        dir.pop();
    }
    BUILT.get_or_init(|| build_workspace_bins(&dir));
    let path = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(path.exists(), "{} was not built", path.display());
    path
}

fn build_workspace_bins(profile_dir: &Path) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml");
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "--workspace", "--bins", "--manifest-path"])
        .arg(&manifest);
    // Cargo gives this test process the variables of the tests package; build
    // scripts that watch them (ring's does) would see a change and rebuild
    // everything above them, here and again at the next `cargo test`.
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy();
        let package_var = k.starts_with("CARGO_PKG_")
            || k.starts_with("CARGO_MANIFEST_")
            || matches!(
                &*k,
                "CARGO_CRATE_NAME" | "CARGO_PRIMARY_PACKAGE" | "CARGO_TARGET_TMPDIR"
            );
        if package_var {
            cmd.env_remove(&*k);
        }
    }
    if profile_dir.file_name().is_some_and(|n| n == "release") {
        cmd.arg("--release");
    }
    let status = cmd.status().expect("run cargo build");
    assert!(status.success(), "cargo build --workspace --bins failed");
}

/// A free TCP port on 127.0.0.1 for a server a test starts right away.
///
/// It is taken below the kernel's ephemeral range, from which outgoing
/// connections get their local ports: a port from that range, released
/// until the server binds it, is now and then taken by one of the many
/// connections the tests open meanwhile, and the server cannot start. No
/// port is handed out twice in one test process.
pub fn free_port() -> u16 {
    static HANDED_OUT: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());
    let ephemeral_start = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u16>().ok())
        .unwrap_or(32768);
    let mut handed_out = HANDED_OUT.lock().unwrap_or_else(|p| p.into_inner());
    if ephemeral_start > 12_000 {
        for _ in 0..1000 {
            let port = fastrand::u16(10_000..ephemeral_start);
            if !handed_out.contains(&port) && TcpListener::bind(("127.0.0.1", port)).is_ok() {
                handed_out.insert(port);
                return port;
            }
        }
    }
    // No room below the ephemeral range: any port the kernel gives.
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("free port");
        if handed_out.insert(port) {
            return port;
        }
    }
}

/// A running `etcd-server` (or reference `etcd`) on loopback with its own
/// temporary data dir; killed when dropped.
#[derive(Debug)]
pub struct Server {
    pub binary: PathBuf,
    pub name: String,
    pub client_port: u16,
    pub peer_port: u16,
    pub data: tempfile::TempDir,
    pub extra: Vec<String>,
    child: Option<Child>,
    /// Every stderr line so far.
    log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Server {
    /// Starts our `etcd-server` and waits until it serves clients.
    pub fn start() -> Server {
        Server::start_with(workspace_bin("etcd-server"), &[])
    }

    /// Starts `binary` with the usual single-member flags plus `extra`.
    pub fn start_with(binary: PathBuf, extra: &[&str]) -> Server {
        let mut s = Server {
            binary,
            name: "n1".into(),
            client_port: free_port(),
            peer_port: free_port(),
            data: tempfile::tempdir().expect("temp dir"),
            extra: extra.iter().map(|s| s.to_string()).collect(),
            child: None,
            log: Default::default(),
        };
        s.spawn();
        s
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.client_port)
    }

    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.client_port)
    }

    /// The process id, while the server runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    pub fn data_dir(&self) -> PathBuf {
        self.data.path().join("data")
    }

    fn args(&self) -> Vec<String> {
        let client = self.url();
        let peer = format!("http://127.0.0.1:{}", self.peer_port);
        let mut args = vec![
            "--name".into(),
            self.name.clone(),
            "--data-dir".into(),
            self.data_dir().display().to_string(),
            "--enable-v2=true".into(),
            "--listen-client-urls".into(),
            client.clone(),
            "--advertise-client-urls".into(),
            client,
            "--listen-peer-urls".into(),
            peer.clone(),
            "--initial-advertise-peer-urls".into(),
            peer.clone(),
            "--initial-cluster".into(),
            format!("{}={peer}", self.name),
        ];
        args.extend(self.extra.iter().cloned());
        args
    }

    /// Starts the member's process with stderr piped.
    fn launch(&self) -> Child {
        Command::new(&self.binary)
            .args(self.args())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", self.binary.display()))
    }

    fn spawn(&mut self) {
        let mut child = self.launch();
        let stderr = child.stderr.take().expect("piped stderr");
        let (ready_tx, ready_rx) = mpsc::channel();
        let log = self.log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let ready = line.contains("ready to serve client requests");
                log.lock().unwrap().push(line);
                if ready {
                    let _ = ready_tx.send(());
                }
            }
        });
        self.child = Some(child);
        let deadline = Duration::from_secs(60);
        if let Err(e) = ready_rx.recv_timeout(deadline) {
            let log = self.log.lock().unwrap().join("\n");
            match e {
                mpsc::RecvTimeoutError::Timeout => {
                    panic!("server did not become ready in {deadline:?}; log:\n{log}")
                }
                mpsc::RecvTimeoutError::Disconnected => {
                    panic!("server exited before becoming ready; log:\n{log}")
                }
            }
        }
    }

    /// Everything the server logged so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// `kill -9`.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Whether the process was started and not stopped by the harness.
    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// SIGTERM, then waits for the exit status (None if it had to be killed).
    pub fn terminate(&mut self) -> Option<std::process::ExitStatus> {
        self.signal("-TERM");
        let status = self.wait_exit(Duration::from_secs(20));
        self.kill9();
        status
    }

    /// Starts the same member again on the same data dir and ports.
    pub fn restart(&mut self) {
        self.kill9();
        self.log.lock().unwrap().clear();
        self.spawn();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
        // A failing test shows what each of its servers logged last (400 lines).
        if std::thread::panicking() {
            let log = self.log.lock().unwrap_or_else(|p| p.into_inner());
            let tail = &log[log.len().saturating_sub(400)..];
            eprintln!(
                "--- last {} log lines of {} ---\n{}",
                tail.len(),
                self.name,
                tail.join("\n")
            );
        }
    }
}

/// Whether the reference `etcd` is installed (interop tests skip, saying so,
/// when it is not).
pub fn reference_etcd() -> Option<PathBuf> {
    let out = Command::new("etcd").arg("--version").output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.contains("etcd Version: 3.4")
        .then(|| PathBuf::from("etcd"))
}

/// Whether the reference `etcdctl` (3.4, speaking v2 with `ETCDCTL_API=2`) is
/// installed.
pub fn reference_ctl() -> Option<PathBuf> {
    let out = Command::new("etcdctl")
        .env("ETCDCTL_API", "2")
        .arg("--version")
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    (text.contains("etcdctl version: 3.4") && text.contains("API version: 2"))
        .then(|| PathBuf::from("etcdctl"))
}

impl Server {
    /// Starts the same member again on the same data dir expecting it to
    /// fail: waits up to `timeout` for the process to exit and returns its
    /// exit status and its stderr. Panics (after killing it) if it is still
    /// running then.
    pub fn start_expecting_exit(
        &mut self,
        timeout: Duration,
    ) -> (std::process::ExitStatus, String) {
        self.kill9();
        let mut child = self.launch();
        let mut stderr = child.stderr.take().expect("piped stderr");
        let reader = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        let start = Instant::now();
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return (status, reader.join().unwrap_or_default());
            }
            if start.elapsed() > timeout {
                let _ = child.kill();
                let _ = child.wait();
                let text = reader.join().unwrap_or_default();
                panic!("server still running after {timeout:?}; log:\n{text}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Starts the same member again expecting it to refuse its damaged data
    /// dir: it exits with a failure status, without becoming ready, naming
    /// `file`. Returns its stderr.
    pub fn start_refused_naming(&mut self, file: &Path) -> String {
        let (status, stderr) = self.start_expecting_exit(Duration::from_secs(30));
        assert!(!status.success(), "exit status {status:?}; log:\n{stderr}");
        assert!(
            stderr.contains(&file.display().to_string()),
            "the error does not name {}:\n{stderr}",
            file.display()
        );
        assert!(
            !stderr.contains("ready to serve client requests"),
            "{stderr}"
        );
        stderr
    }
}

/// The files of `dir` whose extension is `ext`, sorted by name (panics,
/// naming `dir`, when it cannot be read).
pub fn files_in(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    files.sort();
    files
}

/// The snapshot files in the data dir of `s`, oldest first.
pub fn snap_files(s: &Server) -> Vec<PathBuf> {
    files_in(&s.data_dir().join("member").join("snap"), "snap")
}

mod cluster;
mod http;
pub use cluster::{member_id, restart_all, start_cluster, start_cluster_of};
pub use http::{form, metric_value, raw, Conn, Raw};
