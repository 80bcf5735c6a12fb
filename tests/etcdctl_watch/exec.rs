//! `etcdctl exec-watch`: the environment, `KEY -- CMD`, errors, and ordering.

use super::*;

// ------------------------------------------------------------ exec-watch

/// The handler: appends the event's variables to `log`.
fn append_script(log: &Path) -> String {
    format!(
        "echo \"$ETCD_WATCH_ACTION $ETCD_WATCH_KEY $ETCD_WATCH_VALUE $ETCD_WATCH_MODIFIED_INDEX\" >> '{}'",
        log.display()
    )
}

fn lines_of(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Waits until `path` has `n` lines, then checks no more appear for a while.
fn await_lines(path: &Path, n: usize, limit: Duration) -> Vec<String> {
    let deadline = Instant::now() + limit;
    while lines_of(path).len() < n {
        assert!(
            Instant::now() < deadline,
            "{} has {} lines, not {n}",
            path.display(),
            lines_of(path).len()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let quiet = Instant::now() + Duration::from_millis(500);
    while Instant::now() < quiet {
        assert_eq!(lines_of(path).len(), n, "more handler runs than events");
        std::thread::sleep(Duration::from_millis(20));
    }
    lines_of(path)
}

#[test]
fn etcdctl_exec_watch_key_dash_dash_command_and_environment() {
    let server = Server::start();
    let (a, url, bin) = (server.addr(), server.url(), workspace_bin("etcdctl"));
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("log");
    // `KEY -- CMD ARGS...`: the reference would watch the script as a key.
    let script = append_script(&log);
    let ctl = Ctl::start(
        &bin,
        &url,
        &["exec-watch", "/ew/k", "--", "sh", "-c", &script],
    );
    await_watchers(&a, 1);
    let mut want = Vec::new();
    for (target, body, action, value) in [
        ("/ew/k", "value=v1", "set", "v1"),
        ("/ew/k", "value=v2&prevExist=true", "update", "v2"),
        ("/ew/k", "value=v3&prevValue=v2", "compareAndSwap", "v3"),
        ("/ew/k", "", "delete", ""),
        ("/ew/k", "value=a%20b&prevExist=false", "create", "a b"),
        ("/ew/k?prevValue=a%20b", "", "compareAndDelete", ""),
    ] {
        let method = if value.is_empty() { "DELETE" } else { "PUT" };
        let index = write(&a, method, target, body);
        want.push(format!("{action} /ew/k {value} {index}"));
    }
    assert_eq!(await_lines(&log, want.len(), LIMIT), want);
    ctl.sigint();
    assert_eq!(ctl.finish(), (Some(0), String::new(), String::new()));

    // `CMD KEY` with -r: directory events are reported, not executed.
    std::fs::remove_file(&log).expect("remove log");
    let file = dir.path().join("handler.sh");
    std::fs::write(&file, format!("#!/bin/sh\n{script}\n")).expect("write handler");
    let chmod = Command::new("chmod").arg("+x").arg(&file).status();
    assert!(chmod.expect("chmod").success());
    let handler = file.display().to_string();
    let ctl = Ctl::start(&bin, &url, &["exec-watch", "-r", &handler, "/ew/d"]);
    await_watchers(&a, 1);
    write(&a, "PUT", "/ew/d/sub", "dir=true");
    let index = write(&a, "PUT", "/ew/d/sub/x", "value=xv");
    let want = vec![format!("set /ew/d/sub/x xv {index}")];
    assert_eq!(await_lines(&log, 1, LIMIT), want);
    ctl.sigint();
    let err = "Ignored dir /ew/d/sub change\n".to_owned();
    assert_eq!(ctl.finish(), (Some(0), String::new(), err));

    // SIGINT while a handler runs: exit 0 at once, the handler is left alone.
    let pid_file = dir.path().join("pid");
    let sleeper = format!("echo $$ > '{}'; exec sleep 30", pid_file.display());
    let ctl = Ctl::start(
        &bin,
        &url,
        &["exec-watch", "/ew/s", "--", "sh", "-c", &sleeper],
    );
    await_watchers(&a, 1);
    write(&a, "PUT", "/ew/s", "value=go");
    let pid = await_lines(&pid_file, 1, LIMIT).remove(0);
    ctl.sigint();
    let done = ctl.finish();
    let _ = Command::new("kill").arg(&pid).status();
    assert_eq!(done, (Some(0), String::new(), String::new()));
}

/// Commands that cannot be started, and the reference's message for each.
const UNSTARTABLE: &[(&str, &str)] = &[
    (
        "/no/such/bin",
        "fork/exec /no/such/bin: no such file or directory",
    ),
    (
        "no-such-cmd",
        "exec: \"no-such-cmd\": executable file not found in $PATH",
    ),
];

#[test]
fn etcdctl_exec_watch_errors() {
    let server = Server::start();
    let (a, url, bin) = (server.addr(), server.url(), workspace_bin("etcdctl"));
    for args in [
        &["exec-watch"][..],
        &["exec-watch", "/ew/k"],
        &["exec-watch", "/ew/k", "--"],
    ] {
        let err = "Error:  key and command to exec required\n".to_owned();
        assert_eq!(
            Ctl::start(&bin, &url, args).finish(),
            (Some(1), String::new(), err)
        );
    }
    // A command that cannot be started: Go's message without a newline, exit 1.
    for (program, message) in UNSTARTABLE {
        let ctl = Ctl::start(&bin, &url, &["exec-watch", program, "/ew/x"]);
        await_watchers(&a, 1);
        write(&a, "PUT", "/ew/x", "value=1");
        assert_eq!(
            ctl.finish(),
            (Some(1), String::new(), (*message).to_owned())
        );
        await_watchers(&a, 0);
    }
}

#[test]
fn etcdctl_exec_watch_runs_one_handler_per_event_in_order() {
    let server = Server::start();
    let a = server.addr();
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("log");
    let start = write(&a, "PUT", "/ord/start", "value=0").to_string();
    let script = append_script(&log);
    let flags = ["--after-index", &start, "-r"];
    let args = [
        &["exec-watch"][..],
        &flags,
        &["/ord", "--", "sh", "-c", &script],
    ]
    .concat();
    let ctl = Ctl::start(&workspace_bin("etcdctl"), &server.url(), &args);
    await_watchers(&a, 1);
    // 4 writers × 250 changes on their own keys: sets, updates and deletes.
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let a = a.clone();
            std::thread::spawn(move || {
                let mut conn = Conn::new(&a);
                let mut seen = Vec::new();
                for i in 0..250 {
                    let key = format!("/ord/w{w}/k{}", i % 5);
                    let (method, body) = if i % 25 == 24 {
                        ("DELETE", String::new())
                    } else {
                        ("PUT", format!("value=v{i}"))
                    };
                    let r = conn.form(method, &format!("/v2/keys{key}"), &body);
                    let r = r.unwrap_or_else(|e| panic!("{method} {key}: {e}"));
                    let v: serde_json::Value = serde_json::from_slice(&r.body).expect("json");
                    let index = v["node"]["modifiedIndex"].as_u64().expect("index");
                    let value = v["node"]["value"].as_str().unwrap_or_default();
                    let action = v["action"].as_str().expect("action");
                    seen.push((index, format!("{action} {key} {value} {index}")));
                }
                seen
            })
        })
        .collect();
    let mut want: Vec<(u64, String)> = writers
        .into_iter()
        .flat_map(|w| w.join().expect("writer"))
        .collect();
    want.sort();
    let want: Vec<String> = want.into_iter().map(|(_, line)| line).collect();
    let got = await_lines(&log, 1000, Duration::from_secs(50));
    ctl.sigint();
    let (code, out, err) = ctl.finish();
    assert_eq!((code, out.as_str(), err.as_str()), (Some(0), "", ""));
    let first_difference = got.iter().zip(&want).position(|(g, w)| g != w);
    assert_eq!(first_difference, None, "handler runs out of event order");
    assert_eq!(got, want);
}
