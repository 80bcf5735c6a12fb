//! The reference `etcdctl` (ETCDCTL_API=2) against our server and against the
//! reference server: same stdout, stderr and exit code for every command,
//! after normalising ids, indexes and addresses.

use crate::util::{reference_etcd, Server};
use std::process::Command;

const COMMANDS: &[&[&str]] = &[
    &["set", "/ctl/a", "hello"],
    &["get", "/ctl/a"],
    &["get", "/ctl/missing"],
    &["mk", "/ctl/a", "again"],
    &["mk", "/ctl/b", "new"],
    &["mkdir", "/ctl/d"],
    &["mkdir", "/ctl/d"],
    &["setdir", "/ctl/d2"],
    &["ls", "/ctl", "--sort"],
    &["ls", "/ctl", "--sort", "-p", "--recursive"],
    &["-o", "json", "get", "/ctl/a"],
    &["-o", "extended", "get", "/ctl/a"],
    &["update", "/ctl/a", "changed"],
    &["update", "/ctl/zz", "x"],
    &["set", "/ctl/a", "swapped", "--swap-with-value", "changed"],
    &["set", "/ctl/a", "nope", "--swap-with-value", "wrong"],
    &["get", "/ctl/d"],
    &["rm", "/ctl/d"],
    &["rmdir", "/ctl/d"],
    &["rm", "/ctl/b", "--with-value", "new"],
    &["rm", "/ctl/a"],
    &["rm", "/ctl", "--recursive"],
    &["set", "/ttl/k", "v", "--ttl", "100"],
    &["member", "list"],
    &["cluster-health"],
];

fn normalise(text: &str) -> String {
    let mut out = String::new();
    for word in text.split_inclusive(|c: char| !c.is_ascii_alphanumeric()) {
        let core = word.trim_end_matches(|c: char| !c.is_ascii_alphanumeric());
        let rest = &word[core.len()..];
        let is_id = core.len() >= 12 && core.chars().all(|c| c.is_ascii_hexdigit());
        let is_num = !core.is_empty() && core.chars().all(|c| c.is_ascii_digit());
        if is_id || is_num {
            out.push('N');
        } else if core == "p1" || core == "n1" {
            out.push_str("NAME");
        } else {
            out.push_str(core);
        }
        out.push_str(rest);
    }
    out
}

fn run(server: &Server, args: &[&str]) -> String {
    let out = Command::new("etcdctl")
        .env("ETCDCTL_API", "2")
        .arg("--endpoints")
        .arg(server.url())
        .args(args)
        .output()
        .expect("run etcdctl");
    format!(
        "exit={:?}\nstdout={}\nstderr={}",
        out.status.code(),
        normalise(&String::from_utf8_lossy(&out.stdout)),
        normalise(&String::from_utf8_lossy(&out.stderr))
    )
}

#[test]
fn reference_etcdctl_sees_the_same_answers() {
    let Some(etcd) = reference_etcd() else {
        eprintln!(
            "SKIPPED reference_etcdctl_sees_the_same_answers: the reference etcd is not installed"
        );
        return;
    };
    if Command::new("etcdctl").arg("--version").output().is_err() {
        eprintln!("SKIPPED reference_etcdctl_sees_the_same_answers: the reference etcdctl is not installed");
        return;
    }
    let ours = Server::start();
    let reference = Server::start_with(etcd, &[]);
    let mut diffs = Vec::new();
    for args in COMMANDS {
        let (a, b) = (run(&ours, args), run(&reference, args));
        if a != b {
            diffs.push(format!(
                "etcdctl {}\n--- ours\n{a}\n--- reference\n{b}",
                args.join(" ")
            ));
        }
    }
    assert!(
        diffs.is_empty(),
        "{} of {} commands differ:\n{}",
        diffs.len(),
        COMMANDS.len(),
        diffs.join("\n")
    );
}
