//! A cluster of our `etcd-server` behind the fault proxy: start, kill -9,
//! restart, pause, find the leader, remove a member and add it back.

use crate::client::{self, Answer};
use crate::proxy::{self, Faults};
use crate::util::Server;
use serde_json::Value;
use std::time::{Duration, Instant};
use tokio::runtime::Handle;

/// The line a member logs once it serves clients.
const READY: &str = "ready to serve client requests";

/// One member and its proxy.
#[derive(Debug)]
pub struct Member {
    pub server: Server,
    pub proxy_port: u16,
    /// Its member id (hex), once known.
    pub id: String,
    /// How many times its log said it was ready, before the last launch.
    ready_before: usize,
    pub paused: bool,
}

impl Member {
    pub fn proxy_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.proxy_port)
    }

    pub fn running(&self) -> bool {
        self.server.is_running()
    }

    /// Whether the last launch has become ready.
    pub fn ready(&self) -> bool {
        self.running() && self.server.log().matches(READY).count() > self.ready_before
    }

    /// Starts the process (without waiting for it to become ready).
    pub fn launch(&mut self) {
        self.ready_before = self.server.log().matches(READY).count();
        self.server.launch_unready();
        self.paused = false;
    }
}

/// The cluster.
#[derive(Debug)]
pub struct Cluster {
    pub members: Vec<Member>,
    pub faults: Faults,
    rt: Handle,
    http: reqwest::Client,
}

impl Cluster {
    /// Starts `n` members behind proxies (served on `rt`) and waits until
    /// every one serves clients.
    pub fn start(n: usize, snapshot_count: u64, rt: Handle) -> Cluster {
        let faults = Faults::default();
        let token = format!("faults-{}", fastrand::u32(..));
        // The proxies' ports come from below the ephemeral range (a proxy
        // closes its listener while its member is down and binds the port
        // again later: meanwhile no outgoing connection may take it), and
        // are bound here, so no other test can take one before the proxy
        // runs.
        let mut listeners = Vec::new();
        let mut members: Vec<Member> = (0..n)
            .map(|i| {
                let server = Server::unstarted(&format!("m{i}"));
                let listener = rt
                    .block_on(tokio::net::TcpListener::bind((
                        "127.0.0.1",
                        crate::util::free_port(),
                    )))
                    .expect("bind a proxy port");
                let proxy_port = listener.local_addr().expect("proxy address").port();
                listeners.push(listener);
                Member {
                    server,
                    proxy_port,
                    id: String::new(),
                    ready_before: 0,
                    paused: false,
                }
            })
            .collect();
        for ((i, m), listener) in members.iter().enumerate().zip(listeners) {
            let target = format!("127.0.0.1:{}", m.server.peer_port).parse().unwrap();
            rt.spawn(proxy::serve(listener, target, i, faults.clone()));
        }
        let initial: Vec<String> = members
            .iter()
            .map(|m| format!("{}={}", m.server.name, m.proxy_url()))
            .collect();
        let initial = initial.join(",");
        for m in &mut members {
            m.server.extra = [
                "--initial-advertise-peer-urls",
                &m.proxy_url(),
                "--initial-cluster",
                &initial,
                "--initial-cluster-token",
                &token,
                "--snapshot-count",
                &snapshot_count.to_string(),
            ]
            .iter()
            .map(|s| s.to_string())
            .collect();
        }
        let mut c = Cluster {
            members,
            faults,
            rt,
            http: client::http(),
        };
        for m in &mut c.members {
            m.launch();
        }
        c.wait_ready(Duration::from_secs(60))
            .unwrap_or_else(|e| panic!("cluster did not start: {e}"));
        c.learn_ids();
        c
    }

    /// Client URLs of every member (fixed for the cluster's life).
    pub fn urls(&self) -> Vec<String> {
        self.members.iter().map(|m| m.server.url()).collect()
    }

    /// Sends a request to member `i`.
    pub fn request(
        &self,
        i: usize,
        method: reqwest::Method,
        target: &str,
        body: Option<String>,
        timeout: Duration,
    ) -> Result<Answer, client::NoAnswer> {
        let url = format!("{}{target}", self.members[i].server.url());
        self.rt
            .block_on(client::send(&self.http, method, &url, body, timeout))
    }

    /// `GET` of `target` on member `i`.
    pub fn get(
        &self,
        i: usize,
        target: &str,
        timeout: Duration,
    ) -> Result<Answer, client::NoAnswer> {
        self.request(i, reqwest::Method::GET, target, None, timeout)
    }

    /// Reads every member's id from the member list and tells the proxies.
    pub fn learn_ids(&mut self) {
        for i in self.live() {
            let Ok(a) = self.get(i, "/v2/members", Duration::from_secs(5)) else {
                continue;
            };
            let Some(list) = a.body["members"].as_array() else {
                continue;
            };
            for m in list {
                let (Some(id), Some(urls)) = (m["id"].as_str(), m["peerURLs"].as_array()) else {
                    continue;
                };
                for (k, member) in self.members.iter_mut().enumerate() {
                    if urls.iter().any(|u| u.as_str() == Some(&member.proxy_url())) {
                        member.id = id.to_owned();
                        self.faults.learn_id(id, k);
                    }
                }
            }
            return;
        }
    }

    /// Members running and not paused.
    pub fn live(&self) -> Vec<usize> {
        (0..self.members.len())
            .filter(|&i| self.members[i].running() && !self.members[i].paused)
            .collect()
    }

    /// Waits until every member runs and serves clients.
    pub fn wait_ready(&self, timeout: Duration) -> Result<(), String> {
        let start = Instant::now();
        loop {
            let waiting: Vec<String> = self
                .members
                .iter()
                .filter(|m| !m.ready())
                .map(|m| m.server.name.clone())
                .collect();
            if waiting.is_empty() {
                return Ok(());
            }
            if start.elapsed() > timeout {
                let logs: Vec<String> = self
                    .members
                    .iter()
                    .filter(|m| !m.ready())
                    .map(|m| {
                        let log = m.server.log();
                        let tail: Vec<&str> = log.lines().rev().take(15).collect();
                        let tail: Vec<&str> = tail.into_iter().rev().collect();
                        format!(
                            "--- {} (running: {}):\n{}",
                            m.server.name,
                            m.running(),
                            tail.join("\n")
                        )
                    })
                    .collect();
                return Err(format!(
                    "not ready after {timeout:?}: {waiting:?}\n{}",
                    logs.join("\n")
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The member a majority of the cluster's members (live ones asked)
    /// names as leader; `None` while no member has that many votes.
    pub fn leader(&self) -> Option<usize> {
        let mut votes = vec![0usize; self.members.len()];
        for i in self.live() {
            let Ok(a) = self.get(i, "/v2/members/leader", Duration::from_secs(2)) else {
                continue;
            };
            if a.status != 200 {
                continue;
            }
            let name = a.body["name"].as_str().unwrap_or_default();
            if let Some(k) = self.members.iter().position(|m| m.server.name == name) {
                votes[k] += 1;
            }
        }
        let (best, n) = votes.iter().enumerate().max_by_key(|(_, n)| **n)?;
        (*n > self.members.len() / 2).then_some(best)
    }

    /// Waits for a leader named by a majority of the members.
    pub fn wait_leader(&self, timeout: Duration) -> Option<usize> {
        let start = Instant::now();
        while start.elapsed() < timeout {
            if let Some(l) = self.leader() {
                return Some(l);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        None
    }

    pub fn kill9(&mut self, i: usize) {
        self.faults.set_down(i, true);
        // Let the proxy close its listener first.
        std::thread::sleep(Duration::from_millis(30));
        self.members[i].server.kill9();
        self.members[i].paused = false;
    }

    /// kill -9 of every member at once.
    pub fn kill_all(&mut self) {
        for i in 0..self.members.len() {
            self.faults.set_down(i, true);
        }
        std::thread::sleep(Duration::from_millis(30));
        for m in &mut self.members {
            m.server.kill9();
            m.paused = false;
        }
    }

    pub fn restart(&mut self, i: usize) {
        self.faults.set_down(i, false);
        self.members[i].launch();
    }

    pub fn pause(&mut self, i: usize) {
        self.members[i].server.signal("-STOP");
        self.members[i].paused = true;
    }

    pub fn resume(&mut self, i: usize) {
        self.members[i].server.signal("-CONT");
        self.members[i].paused = false;
    }

    /// Resumes paused members and starts stopped ones.
    pub fn heal_processes(&mut self) {
        for i in 0..self.members.len() {
            if self.members[i].paused {
                self.resume(i);
            }
            if !self.members[i].running() {
                self.restart(i);
            }
        }
    }

    /// Removes member `i` through another member, wipes its data and adds
    /// it back (a new member id), then starts it joining the cluster.
    pub fn replace(&mut self, i: usize) -> Result<(), String> {
        let via = self
            .live()
            .into_iter()
            .find(|&k| k != i)
            .ok_or("no other live member")?;
        let id = self.members[i].id.clone();
        let t = Duration::from_secs(15);
        let a = self
            .request(
                via,
                reqwest::Method::DELETE,
                &format!("/v2/members/{id}"),
                None,
                t,
            )
            .map_err(|e| format!("remove {id}: {e:?}"))?;
        if a.status != 204 {
            return Err(format!("remove {id}: {} {}", a.status, a.body));
        }
        // The removed member exits by itself; killed if it does not.
        let _ = self.members[i].server.wait_exit(Duration::from_secs(15));
        self.kill9(i);
        let data = self.members[i].server.data_dir();
        let _ = std::fs::remove_dir_all(&data);
        let body = serde_json::json!({ "peerURLs": [self.members[i].proxy_url()] }).to_string();
        let added = self.add_member(via, body)?;
        self.members[i].id = added.clone();
        self.faults.learn_id(&added, i);
        let initial: Vec<String> = self
            .members
            .iter()
            .map(|m| format!("{}={}", m.server.name, m.proxy_url()))
            .collect();
        let extra = &mut self.members[i].server.extra;
        set_flag(extra, "--initial-cluster", &initial.join(","));
        set_flag(extra, "--initial-cluster-state", "existing");
        self.restart(i);
        Ok(())
    }

    /// `POST /v2/members` (JSON) through member `via`; the new id.
    fn add_member(&self, via: usize, body: String) -> Result<String, String> {
        let url = format!("{}/v2/members", self.members[via].server.url());
        let http = self.http.clone();
        let a: Result<(u16, Value), String> = self.rt.block_on(async move {
            let r = http
                .post(url)
                .header("Content-Type", "application/json")
                .body(body)
                .timeout(Duration::from_secs(15))
                .send()
                .await
                .map_err(|e| e.to_string())?;
            let status = r.status().as_u16();
            let v = r.json::<Value>().await.unwrap_or(Value::Null);
            Ok((status, v))
        });
        let (status, v) = a.map_err(|e| format!("add: {e}"))?;
        match (status, v["id"].as_str()) {
            (201, Some(id)) => Ok(id.to_owned()),
            _ => Err(format!("add: {status} {v}")),
        }
    }
}

/// Sets `flag` to `value` in `extra`: replaces the value of the flag when
/// it is there already, else appends both (so replacing a member again
/// does not pile up flags).
fn set_flag(extra: &mut Vec<String>, flag: &str, value: &str) {
    match extra.iter().position(|a| a == flag) {
        Some(k) if k + 1 < extra.len() => extra[k + 1] = value.to_owned(),
        _ => extra.extend([flag.to_owned(), value.to_owned()]),
    }
}
