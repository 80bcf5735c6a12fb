//! Both etcdctls' `user`, `role` and `auth` commands against our server:
//! the spec's auth session gives the same stdout, stderr and exit codes as
//! the reference etcdctl on the reference server (when both are installed),
//! and a golden session of our etcdctl against our server always runs.

use crate::etcdctl_admin::{
    assert_no_diffs, auth_session_diffs, ctl, reference_tools, Run, AUTH_SESSION,
};
use crate::util::{workspace_bin, Server};
use std::path::Path;

/// Runs the session with `ctl_on_ours` against our server and the reference
/// etcdctl against the reference server.
fn session_against_our_server(test: &str, ctl_on_ours: Option<&Path>) {
    let Some((etcd, ref_ctl)) = reference_tools(test) else {
        return;
    };
    let reference = Server::start_with(etcd, &[]);
    let ours = Server::start();
    let ctl_on_ours = ctl_on_ours.unwrap_or(&ref_ctl);
    let diffs = auth_session_diffs((&ref_ctl, &reference), (ctl_on_ours, &ours));
    assert_no_diffs(&diffs, AUTH_SESSION.len());
}

#[test]
fn reference_etcdctl_auth_session_on_our_server() {
    session_against_our_server("reference_etcdctl_auth_session_on_our_server", None);
}

#[test]
fn our_etcdctl_auth_session_on_our_server() {
    let ours = workspace_bin("etcdctl");
    session_against_our_server("our_etcdctl_auth_session_on_our_server", Some(&ours));
}

fn run(s: &Server, args: &[&str], stdin: &str) -> Run {
    ctl(&workspace_bin("etcdctl"), &s.url(), args, stdin)
}

/// Expected answer: exit code, stdout, stderr.
fn want(code: i32, stdout: &str, stderr: &str) -> Run {
    Run {
        code: Some(code),
        stdout: stdout.to_owned(),
        stderr: stderr.to_owned(),
    }
}

#[test]
fn our_etcdctl_golden_auth_session() {
    let s = Server::start();
    let steps: &[(&[&str], &str, Run)] = &[
        (&["auth", "enable"], "", want(1, "", "auth: No root user available, please create one\n")),
        (&["user", "add", "root:rootpw"], "", want(0, "User root created\n", "")),
        (&["user", "get", "root"], "", want(0, "User: root\nRoles:  root\n", "")),
        (&["user", "add", "alice"], "alicepw\n", want(0, "New password: \nUser alice created\n", "")),
        (&["role", "add", "fooRW"], "", want(0, "Role fooRW created\n", "")),
        (&["role", "add", "fooRW"], "", want(1, "", "Role fooRW already exists\n")),
        (&["role", "grant", "fooRW", "--path", "/foo/*", "--rw"], "", want(0, "Role fooRW updated\n", "")),
        (&["role", "grant", "fooRW", "--path", "/foo/*", "--rw"], "", want(1, "", "auth: Granting duplicate read permission /foo/*\n")),
        (&["role", "get", "fooRW"], "", want(0, "Role: fooRW\nKV Read:\n\t/foo/*\nKV Write:\n\t/foo/*\n", "")),
        (&["user", "grant", "alice", "--roles", "fooRW"], "", want(0, "User alice updated\n", "")),
        (&["user", "revoke", "alice", "--roles", "nosuch"], "", want(1, "", "auth: Revoking ungranted role nosuch for user alice\n")),
        (&["role", "list"], "", want(0, "fooRW\nroot\n", "")),
        (&["auth", "enable"], "", want(0, "Authentication Enabled\n", "")),
        (&["user", "list"], "", want(1, "", "Insufficient credentials\n")),
        (&["-u", "root:rootpw", "user", "list"], "", want(0, "alice\nroot\n", "")),
        (&["-u", "root:rootpw", "role", "revoke", "guest", "--path", "/*", "--rw"], "", want(0, "Role guest updated\n", "")),
        (&["set", "/foo/a", "x"], "", want(4, "", "Error:  110: The request requires user authentication (Insufficient credentials) [0]\n")),
        (&["-u", "alice:alicepw", "set", "/foo/a", "x"], "", want(0, "x\n", "")),
        (&["-u", "alice:alicepw", "ls", "/foo/"], "", want(0, "/foo/a\n", "")),
        (&["-u", "alice:wrong", "get", "/foo/a"], "", want(4, "", "Error:  110: The request requires user authentication (Insufficient credentials) [0]\n")),
        (&["-u", "alice", "get", "/foo/a"], "alicepw\n", want(0, "Password: \nx\n", "")),
        (&["-u", "root:rootpw", "user", "remove", "root"], "", want(1, "", "auth: Cannot delete root user while auth is enabled.\n")),
        (&["-u", "alice:alicepw", "auth", "disable"], "", want(1, "", "Insufficient credentials\n")),
        (&["-u", "root:rootpw", "auth", "disable"], "", want(0, "Authentication Disabled\n", "")),
        (&["auth", "disable"], "", want(1, "", "auth: already disabled\n")),
        (&["role", "remove", "fooRW"], "", want(0, "Role fooRW removed\n", "")),
        (&["user", "get", "alice"], "", want(1, "", "auth: Role fooRW does not exist.\n")),
    ];
    let mut wrong = Vec::new();
    for (args, stdin, expected) in steps {
        let got = run(&s, args, stdin);
        if &got != expected {
            wrong.push(format!(
                "etcdctl {}\n=== want\n{expected}=== got\n{got}",
                args.join(" ")
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} differ:\n{}",
        wrong.len(),
        steps.len(),
        wrong.join("\n")
    );
}
