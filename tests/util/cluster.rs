//! Clusters of our server for the black-box tests: start, restart, join, pause.

use super::*;

/// Starts an `n`-member cluster of our `etcd-server` on loopback. The members
/// start concurrently: none is ready before a quorum of them runs.
pub fn start_cluster(n: usize) -> Vec<Server> {
    start_cluster_of(workspace_bin("etcd-server"), n, &[])
}

/// Starts an `n`-member cluster of `binary` (ours or the reference) as
/// [`start_cluster`] does, each member also given the `extra` flags.
pub fn start_cluster_of(binary: PathBuf, n: usize, extra: &[&str]) -> Vec<Server> {
    let mut members: Vec<Server> = (0..n)
        .map(|i| {
            let mut m = Server::unstarted(&format!("m{i}"));
            m.binary = binary.clone();
            m
        })
        .collect();
    let initial: Vec<String> = members
        .iter()
        .map(|m| format!("{}={}", m.name, m.peer_url()))
        .collect();
    let initial = initial.join(",");
    for m in &mut members {
        // A flag given twice: the last one wins over the harness's default.
        m.extra = ["--initial-cluster", &initial]
            .into_iter()
            .chain(["--initial-cluster-token", "test-cluster"])
            .chain(extra.iter().copied())
            .map(str::to_owned)
            .collect();
    }
    restart_all(&mut members);
    members
}

/// (Re)starts every member concurrently and waits until each serves clients.
pub fn restart_all(members: &mut [Server]) {
    std::thread::scope(|s| {
        for m in members.iter_mut() {
            s.spawn(move || {
                m.kill9();
                m.spawn();
            });
        }
    });
}

impl Server {
    /// A member to be added to the running cluster `members` (not started):
    /// `--initial-cluster-state existing` with the cluster's members plus itself.
    pub fn joiner(members: &[Server], name: &str) -> Server {
        let mut s = Server::unstarted(name);
        s.binary = members[0].binary.clone();
        let mut initial: Vec<String> = members
            .iter()
            .map(|m| format!("{}=http://127.0.0.1:{}", m.name, m.peer_port))
            .collect();
        initial.push(format!("{}=http://127.0.0.1:{}", s.name, s.peer_port));
        s.extra = vec![
            "--initial-cluster".into(),
            initial.join(","),
            "--initial-cluster-state".into(),
            "existing".into(),
            "--initial-cluster-token".into(),
            members[0]
                .extra
                .iter()
                .skip_while(|a| *a != "--initial-cluster-token")
                .nth(1)
                .cloned()
                .unwrap_or_else(|| "etcd-cluster".into()),
        ];
        s
    }

    /// The peer URL this member advertises.
    pub fn peer_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.peer_port)
    }

    /// Starts the process and waits until it serves clients.
    pub fn start_now(&mut self) {
        self.spawn();
    }

    /// Waits up to `timeout` for the process to exit on its own; its status.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let start = Instant::now();
        let child = self.child.as_mut()?;
        while start.elapsed() < timeout {
            if let Ok(Some(status)) = child.try_wait() {
                self.child = None;
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Server {
    /// A member of our server named `name` with fresh ports and data dir,
    /// not started (set `binary` and `extra` before starting it).
    pub fn unstarted(name: &str) -> Server {
        Server {
            binary: workspace_bin("etcd-server"),
            name: name.to_owned(),
            client_port: free_port(),
            peer_port: free_port(),
            data: tempfile::tempdir().expect("temp dir"),
            extra: Vec::new(),
            child: None,
            log: Default::default(),
        }
    }

    /// Starts the process without waiting until it serves clients (for a
    /// member that cannot become ready); its log is collected as usual.
    pub fn launch_unready(&mut self) {
        self.kill9();
        let mut child = self.launch();
        let stderr = child.stderr.take().expect("piped stderr");
        let log = self.log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                log.lock().unwrap().push(line);
            }
        });
        self.child = Some(child);
    }

    /// Sends `signal` (`-STOP`, `-CONT`) to the process while the harness
    /// runs it; whether it was delivered. After `-STOP` this also waits
    /// until every thread of the process has stopped: the kernel wakes one
    /// thread to take a stop signal and the others run on until that one
    /// gets a CPU, which on a loaded machine took over 20 ms, long enough
    /// for a "paused" member to answer raft messages sent after the pause.
    pub fn signal(&self, signal: &str) -> bool {
        let Some(child) = &self.child else {
            return false;
        };
        let sent = Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .is_ok_and(|s| s.success());
        if !sent || signal != "-STOP" {
            return sent;
        }
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if all_threads_stopped(child.id()) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        false
    }
}

/// Whether every thread of process `pid` is stopped (state `T` in its
/// `/proc` stat line).
fn all_threads_stopped(pid: u32) -> bool {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return false;
    };
    let mut any = false;
    for task in tasks.flatten() {
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
            // A thread that ended meanwhile.
            continue;
        };
        // `tid (comm) S ...`: the command may hold spaces and parentheses.
        let state = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next());
        if state != Some("T") {
            return false;
        }
        any = true;
    }
    any
}

/// The id of the member named `name`, as `via` lists it in `/v2/members`
/// (panics when it is not listed).
pub fn member_id(via: &Server, name: &str) -> String {
    let r = raw(&via.addr(), "GET", "/v2/members", &[], b"");
    let list: serde_json::Value = serde_json::from_slice(&r.body).expect("members JSON");
    list["members"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["name"] == name)
        .and_then(|m| m["id"].as_str())
        .unwrap_or_else(|| panic!("no member {name} in {list}"))
        .to_owned()
}
