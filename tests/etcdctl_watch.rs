//! Our etcdctl's `watch` and `exec-watch`, run as processes: single events in
//! every output mode (the same transcript as the reference etcdctl against
//! the reference server), `--forever` until SIGINT and across a restart of
//! our server, and exec-watch's environment, argument forms and ordering.

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::util::{form, raw, reference_ctl, reference_etcd, workspace_bin, Conn, Server};

/// The bound of every single wait in this file.
const LIMIT: Duration = Duration::from_secs(20);

/// An etcdctl process with its output collected; killed if still running when
/// dropped (a failed assertion must not leave watchers behind).
struct Ctl {
    child: Child,
    out: Arc<Mutex<Vec<u8>>>,
    err: Arc<Mutex<Vec<u8>>>,
    what: String,
}

fn collect(mut from: impl Read + Send + 'static) -> Arc<Mutex<Vec<u8>>> {
    let buf = Arc::new(Mutex::new(Vec::new()));
    let sink = buf.clone();
    std::thread::spawn(move || {
        let mut chunk = [0u8; 4096];
        while let Ok(n) = from.read(&mut chunk) {
            if n == 0 {
                break;
            }
            sink.lock().unwrap().extend_from_slice(&chunk[..n]);
        }
    });
    buf
}

impl Ctl {
    fn start(bin: &Path, url: &str, args: &[&str]) -> Ctl {
        let mut child = Command::new(bin)
            .env("ETCDCTL_API", "2")
            .arg("--endpoints")
            .arg(url)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", bin.display()));
        let out = collect(child.stdout.take().expect("piped stdout"));
        let err = collect(child.stderr.take().expect("piped stderr"));
        let what = format!("{} {}", bin.display(), args.join(" "));
        Ctl {
            child,
            out,
            err,
            what,
        }
    }

    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.out.lock().unwrap()).into_owned()
    }

    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.err.lock().unwrap()).into_owned()
    }

    /// Panics, showing the output so far, once `deadline` has passed.
    fn check(&self, deadline: Instant, what: &str) {
        if Instant::now() > deadline {
            let (out, err) = (self.stdout(), self.stderr());
            panic!("{}: {what}\n--- stdout\n{out}--- stderr\n{err}", self.what);
        }
    }

    /// Polls stdout until `done` holds.
    fn await_stdout(&self, what: &str, done: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + LIMIT;
        while !done(&self.stdout()) {
            self.check(deadline, &format!("timed out waiting for {what}"));
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn sigint(&self) {
        let status = Command::new("kill")
            .arg("-INT")
            .arg(self.child.id().to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -INT {}", self.what);
    }

    /// Waits for the exit; returns the exit code, stdout and stderr.
    fn finish(mut self) -> (Option<i32>, String, String) {
        let deadline = Instant::now() + LIMIT;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            self.check(deadline, "still running");
            std::thread::sleep(Duration::from_millis(10));
        };
        // The reader threads finish at EOF, right after the exit.
        let settle = Instant::now() + Duration::from_secs(2);
        let mut last = (self.stdout(), self.stderr());
        loop {
            std::thread::sleep(Duration::from_millis(20));
            let now = (self.stdout(), self.stderr());
            if now == last || Instant::now() > settle {
                break;
            }
            last = now;
        }
        (status.code(), last.0, last.1)
    }
}

impl Drop for Ctl {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `/v2/stats/store` until `watchers` equals `want`.
fn await_watchers(addr: &str, want: u64) {
    let deadline = Instant::now() + LIMIT;
    loop {
        let r = raw(addr, "GET", "/v2/stats/store", &[], b"");
        let v: serde_json::Value = serde_json::from_slice(&r.body).expect("stats json");
        let now = v["watchers"].as_u64().expect("watchers");
        if now == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "watchers stayed {now}, not {want}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A keys-API write; returns the node's modifiedIndex.
fn write(addr: &str, method: &str, key: &str, body: &str) -> u64 {
    let r = form(addr, method, &format!("/v2/keys{key}"), body);
    assert!(r.status < 300, "{method} {key} {body}: {}", r.text());
    let v: serde_json::Value = serde_json::from_slice(&r.body).expect("keys json");
    v["node"]["modifiedIndex"].as_u64().expect("modifiedIndex")
}

/// Runs of digits become `N` (indexes and TTLs differ between servers).
fn normalise(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if !c.is_ascii_digit() {
            out.push(c);
        } else if !out.ends_with('N') {
            out.push('N');
        }
    }
    out
}

/// One run as the transcript shows it: arguments and output with digits
/// normalised, the exit code as is, stderr lines marked.
fn transcript(args: &[&str], (code, out, err): (Option<i32>, String, String)) -> String {
    let args = normalise(&args.join(" "));
    let (out, err) = (normalise(&out), normalise(&err));
    let code = code.map_or("by signal".to_owned(), |c| c.to_string());
    let err: String = err.lines().map(|l| format!("stderr: {l}\n")).collect();
    format!("$ etcdctl {args}  [exit {code}]\n{out}{err}")
}

/// Starts `watch args`, waits until the server holds its watcher, performs
/// `change`, and returns the transcript of the run.
fn watch_one(bin: &Path, server: &Server, args: &[&str], change: impl FnOnce()) -> String {
    let addr = server.addr();
    await_watchers(&addr, 0);
    let ctl = Ctl::start(bin, &server.url(), args);
    await_watchers(&addr, 1);
    change();
    transcript(args, ctl.finish())
}

/// Runs `args` to the end (the event is already in the history).
fn run_once(bin: &Path, server: &Server, args: &[&str]) -> String {
    transcript(args, Ctl::start(bin, &server.url(), args).finish())
}

/// The single-event scenario of spec §7.13; returns the normalised transcript.
fn single_events(bin: &Path, server: &Server) -> String {
    let a = &server.addr();
    let mut log = String::new();
    for (mode, value) in [("simple", "vs"), ("extended", "ve"), ("json", "vj")] {
        log += &watch_one(bin, server, &["-o", mode, "watch", "/cw/k"], || {
            write(a, "PUT", "/cw/k", &format!("value={value}"));
        });
    }
    for mode in ["simple", "extended", "json"] {
        write(a, "PUT", "/cw/k", "value=old");
        log += &watch_one(bin, server, &["-o", mode, "watch", "/cw/k"], || {
            write(a, "DELETE", "/cw/k", "");
        });
    }
    // An expiry, found in the history through --after-index.
    let set = write(a, "PUT", "/cw/t", "value=v&ttl=1").to_string();
    for mode in ["simple", "extended"] {
        log += &run_once(
            bin,
            server,
            &["-o", mode, "watch", "--after-index", &set, "/cw/t"],
        );
    }
    // Recursive: the directory event is skipped, the file event printed.
    log += &watch_one(bin, server, &["watch", "--recursive", "/cw"], || {
        write(a, "PUT", "/cw/sub", "dir=true");
        write(a, "PUT", "/cw/sub/x", "value=xv");
    });
    let y = std::cell::Cell::new(0);
    let args = ["-o", "extended", "watch", "-r", "/cw"];
    log += &watch_one(bin, server, &args, || {
        y.set(write(a, "PUT", "/cw/sub/y", "value=yv"));
    });
    let after = (y.get() - 1).to_string();
    for args in [
        &["watch", "--after-index", &after, "/cw/sub/y"][..],
        &["-o", "json", "watch", "--after-index", &after, "-r", "/cw"][..],
        &["watch"][..],
        &["-o", "yaml", "watch", "--after-index", &after, "/cw/sub/y"][..],
    ] {
        log += &run_once(bin, server, args);
    }
    log
}

/// The reference etcdctl's transcript of [`single_events`] against the
/// reference server (spec §7.13).
const SINGLE_EVENTS: &str = r#"$ etcdctl -o simple watch /cw/k  [exit 0]
vs
$ etcdctl -o extended watch /cw/k  [exit 0]
Key: /cw/k
Created-Index: N
Modified-Index: N
PrevNode.Value: vs
TTL: N
Index: N

ve
$ etcdctl -o json watch /cw/k  [exit 0]
{"action":"set","node":{"key":"/cw/k","value":"vj","nodes":null,"createdIndex":N,"modifiedIndex":N},"prevNode":{"key":"/cw/k","value":"ve","nodes":null,"createdIndex":N,"modifiedIndex":N}}
$ etcdctl -o simple watch /cw/k  [exit 0]
PrevNode.Value: old
$ etcdctl -o extended watch /cw/k  [exit 0]
Key: /cw/k
Created-Index: N
Modified-Index: N
PrevNode.Value: old
TTL: N
Index: N
$ etcdctl -o json watch /cw/k  [exit 0]
{"action":"delete","node":{"key":"/cw/k","value":"","nodes":null,"createdIndex":N,"modifiedIndex":N},"prevNode":{"key":"/cw/k","value":"old","nodes":null,"createdIndex":N,"modifiedIndex":N}}
$ etcdctl -o simple watch --after-index N /cw/t  [exit 0]

$ etcdctl -o extended watch --after-index N /cw/t  [exit 0]
Key: /cw/t
Created-Index: N
Modified-Index: N
PrevNode.Value: v
TTL: N
Index: N


$ etcdctl watch --recursive /cw  [exit 0]
[set] /cw/sub/x
xv
$ etcdctl -o extended watch -r /cw  [exit 0]
[set] /cw/sub/y
Key: /cw/sub/y
Created-Index: N
Modified-Index: N
TTL: N
Index: N

yv
$ etcdctl watch --after-index N /cw/sub/y  [exit 0]
yv
$ etcdctl -o json watch --after-index N -r /cw  [exit 0]
[set] /cw/sub/y
{"action":"set","node":{"key":"/cw/sub/y","value":"yv","nodes":null,"createdIndex":N,"modifiedIndex":N},"prevNode":null}
$ etcdctl watch  [exit 1]
stderr: Error:  key required
$ etcdctl -o yaml watch --after-index N /cw/sub/y  [exit 0]
stderr: Unsupported output format: yaml
"#;

/// Runs `scenario` with the reference etcdctl against the reference server
/// (when both are installed, in parallel) and with ours against ours; both
/// transcripts must be `want`.
fn on_both(scenario: fn(&Path, &Server) -> String, want: &str) {
    let reference = match (reference_etcd(), reference_ctl()) {
        (Some(etcd), Some(ctl)) => Some(std::thread::spawn(move || {
            scenario(&ctl, &Server::start_with(etcd, &[]))
        })),
        _ => {
            eprintln!("SKIPPED the reference half: etcd/etcdctl 3.4 not installed");
            None
        }
    };
    let ours = scenario(&workspace_bin("etcdctl"), &Server::start());
    if let Some(reference) = reference {
        let reference = reference.join().expect("reference run");
        assert_eq!(reference, want, "the reference etcdctl and server");
    }
    assert_eq!(ours, want, "our etcdctl and server");
}

#[test]
fn etcdctl_watch_single_event_in_every_mode() {
    on_both(single_events, SINGLE_EVENTS);
}

// ------------------------------------------------------------ watch --forever

/// `watch -f -r` until SIGINT: every file event in order, the directory
/// event skipped, exit 0.
fn forever_until_sigint(bin: &Path, server: &Server) -> String {
    let a = &server.addr();
    let args = ["watch", "--forever", "-r", "/fw"];
    await_watchers(a, 0);
    let ctl = Ctl::start(bin, &server.url(), &args);
    await_watchers(a, 1);
    write(a, "PUT", "/fw/a", "value=one");
    write(a, "PUT", "/fw/a", "value=two");
    write(a, "PUT", "/fw/d", "dir=true");
    write(a, "DELETE", "/fw/a", "");
    write(a, "PUT", "/fw/d/b", "value=three");
    ctl.await_stdout("four events", |out| out.lines().count() == 8);
    ctl.sigint();
    transcript(&args, ctl.finish())
}

const FOREVER: &str = "$ etcdctl watch --forever -r /fw  [exit 0]
[set] /fw/a
one
[set] /fw/a
two
[delete] /fw/a
PrevNode.Value: two
[set] /fw/d/b
three
";

#[test]
fn etcdctl_watch_forever_prints_every_event_until_sigint() {
    on_both(forever_until_sigint, FOREVER);
}

/// The `(key, modifiedIndex)` of each JSON line printed so far (the
/// `[action] key` lines of a recursive watch are skipped).
fn json_events(out: &str) -> Vec<(String, u64)> {
    out.lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("json line");
            let key = v["node"]["key"].as_str().expect("key").to_owned();
            (key, v["node"]["modifiedIndex"].as_u64().expect("index"))
        })
        .collect()
}

#[test]
fn etcdctl_watch_forever_survives_restarts_of_our_server() {
    let mut server = Server::start();
    let a = server.addr();
    let args = ["-o", "json", "watch", "-f", "-r", "/rw"];
    let ctl = Ctl::start(&workspace_bin("etcdctl"), &server.url(), &args);
    await_watchers(&a, 1);
    let mut want = Vec::new();
    for round in ["a", "b", "c"] {
        for i in 0..3 {
            let key = format!("/rw/{round}{i}");
            want.push((key.clone(), write(&a, "PUT", &key, "value=x")));
        }
        let n = want.len();
        ctl.await_stdout("events of this round", |out| json_events(out).len() >= n);
        if round != "c" {
            // Restart while the watch waits in its next long poll.
            await_watchers(&a, 1);
            server.restart();
        }
    }
    ctl.sigint();
    let (code, out, err) = ctl.finish();
    assert_eq!((code, err.as_str()), (Some(0), ""), "stdout:\n{out}");
    assert_eq!(json_events(&out), want, "each event once, in order");
}

mod exec;
