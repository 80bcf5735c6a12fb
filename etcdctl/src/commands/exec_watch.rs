//! `etcdctl exec-watch <key> -- <command> [args...]`: run a command on every change.
//!
//! Each change of a file node below the key runs the command once, with the
//! parent's environment plus `ETCD_WATCH_ACTION`, `ETCD_WATCH_MODIFIED_INDEX`,
//! `ETCD_WATCH_KEY` and `ETCD_WATCH_VALUE` (empty for deletes and expiries),
//! stdin from `/dev/null` and our stdout/stderr. Directory events print
//! `Ignored dir <key> change` on stderr instead. A command that cannot be
//! started ends the run with Go's message (no newline) and exit 1; SIGINT ends
//! it with exit 0 (a running handler is left to finish on its own).
//!
//! Deliberate differences from the reference:
//! * **`KEY -- CMD ARGS...` works.** When exactly one positional argument was
//!   typed before a `--` (flags anywhere before the `--` are fine:
//!   `exec-watch /k -- sh -c x`, `exec-watch --after-index 5 /k -- cmd`,
//!   `exec-watch /k -r -- cmd`), that argument is the key and everything after
//!   the `--` is the command. The reference's flag reordering loses that `--`
//!   and it watches the *last* argument instead, running the key as a command.
//!   Every other order is split as the reference does (see `reference_split`):
//!   `CMD ARGS... KEY` works in both.
//! * Handlers run one at a time, in event order, exactly once per event (the
//!   reference starts them all at once). The watch keeps reading while a
//!   handler runs, so a slow handler does not let the server's history run out.
//! * Like `watch --forever`, once an endpoint has answered, the watch rides
//!   out lost connections, restarts and failover, and survives cleared
//!   history (401) by re-reading the key and resuming after the read: no
//!   handler runs for the skipped changes, stderr gets one line naming them.
//!   The reference ends with exit 4 in both cases.
//! * `-r KEY --` (an empty command) reports `key and command to exec required`
//!   (exit 1) where the reference panics at the first event.

use std::io::Write;
use std::process::Stdio;

use etcd_client::{Response, WatchEvent, WatchStream};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_stream::StreamExt;

use crate::cli::parse::{flag_name, names_flag};
use crate::cli::{Command, Flag, Kind, Matches};
use crate::commands::keys_common as kc;
use crate::commands::watch::{interrupted, resync_note, start_index};
use crate::context::{go_quote, Ctx};
use crate::error::{report, Exit, EXIT_BAD_ARGS};

/// The command's definition.
pub const DEF: Command = Command::leaf(
    "exec-watch",
    "watch a key for changes and exec an executable",
    "<key> <command> [args...]",
    &[
        Flag::int(&["after-index"], "watch after the given index"),
        Flag::bool(
            &["recursive", "r"],
            "watch all values for key and child keys",
        ),
    ],
);

/// What to watch and what to run.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Plan {
    key: String,
    /// The program, then its arguments (never empty).
    command: Vec<String>,
}

/// Runs the command.
///
/// # Errors
/// `key and command to exec required` (exit 1) after the client sync; a
/// command that cannot be started (exit 1); a failed watch (exit 4).
pub async fn run(ctx: &mut Ctx, m: &Matches) -> Result<(), Exit> {
    let client = ctx.client().await?;
    let Some(plan) = split(Some(m.raw.as_slice()), &m.args) else {
        return Err(report(
            ctx.err(),
            EXIT_BAD_ARGS,
            &"key and command to exec required",
        ));
    };
    let mut watch = client
        .keys()
        .watch(plan.key.clone())
        .recursive(m.bool("recursive"))
        .resync_on_cleared(true)
        .fail_unreachable_at_start(true);
    if let Some(index) = start_index(m) {
        watch = watch.wait_index(index);
    }
    let (_reader, mut rx) = read_ahead(watch.stream());
    let sigint = interrupted();
    tokio::pin!(sigint);
    loop {
        let item = tokio::select! {
            () = &mut sigint => return Ok(()),
            item = rx.recv() => item,
        };
        match item {
            // The stream only ends after an error, which returns below.
            None => return Ok(()),
            Some(Err(e)) => return Err(kc::failed(ctx, &e)),
            Some(Ok(WatchEvent::Change(resp))) if resp.node.dir => {
                let _ = writeln!(ctx.err(), "Ignored dir {} change", resp.node.key);
            }
            Some(Ok(WatchEvent::Change(resp))) => {
                let mut child = start(ctx, &plan.command, &resp)?;
                tokio::select! {
                    () = &mut sigint => return Ok(()),
                    // The handler's exit status is ignored, as in the reference.
                    _ = child.wait() => {}
                }
            }
            Some(Ok(WatchEvent::Resynced {
                missed_from,
                resume_index,
                ..
            })) => {
                let note = resync_note(&plan.key, missed_from, resume_index);
                let _ = writeln!(ctx.err(), "{note}");
            }
            Some(Ok(_)) => {}
        }
    }
}

/// Reads `events` in a task of its own, so that the watch keeps up while
/// handlers run. The task ends after an error, and is aborted when the
/// returned set is dropped.
fn read_ahead(
    mut events: WatchStream,
) -> (
    JoinSet<()>,
    mpsc::UnboundedReceiver<etcd_client::Result<WatchEvent>>,
) {
    let (tx, rx) = mpsc::unbounded_channel();
    let mut reader = JoinSet::new();
    reader.spawn(async move {
        while let Some(item) = events.next().await {
            let last = item.is_err();
            if tx.send(item).is_err() || last {
                break;
            }
        }
    });
    (reader, rx)
}

/// Starts the handler for one file event, or reports why it cannot start.
fn start(
    ctx: &mut Ctx,
    command: &[String],
    resp: &Response,
) -> Result<tokio::process::Child, Exit> {
    let Some((program, args)) = command.split_first() else {
        // Not reached: a plan's command is never empty.
        return Err(report(
            ctx.err(),
            EXIT_BAD_ARGS,
            &"command to exec required",
        ));
    };
    // The child writes to the same streams: ours must be out first.
    let _ = ctx.out().flush();
    let _ = ctx.err().flush();
    let node = &resp.node;
    tokio::process::Command::new(program)
        .args(args)
        .env("ETCD_WATCH_ACTION", resp.action.as_str())
        .env("ETCD_WATCH_MODIFIED_INDEX", node.modified_index.to_string())
        .env("ETCD_WATCH_KEY", &node.key)
        .env("ETCD_WATCH_VALUE", node.value.as_deref().unwrap_or(""))
        .stdin(Stdio::null())
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| {
            let _ = write!(ctx.err(), "{}", start_error(program, &e));
            Exit(EXIT_BAD_ARGS)
        })
}

/// Go's `exec.Cmd.Start` error text: a bare name is looked up in `$PATH`,
/// a path is executed directly and fails with the OS error.
fn start_error(program: &str, e: &std::io::Error) -> String {
    if program.is_empty() {
        return "exec: no command".to_owned();
    }
    if !program.contains('/') && e.kind() == std::io::ErrorKind::NotFound {
        return format!(
            "exec: {}: executable file not found in $PATH",
            go_quote(program)
        );
    }
    // Rust says "No such file or directory (os error 2)"; Go's errno texts
    // are the same words in lower case without the number.
    let text = e.to_string();
    let text = match text.rfind(" (os error ") {
        Some(cut) => &text[..cut],
        None => &text,
    };
    let mut chars = text.chars();
    let errno = match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    };
    format!("fork/exec {program}: {errno}")
}

/// The key and command: `KEY -- CMD...` as typed (`typed` = the command's
/// arguments before reordering) when they show that form,
/// else the reference's split of the parsed positional arguments.
fn split(typed: Option<&[String]>, args: &[String]) -> Option<Plan> {
    typed
        .and_then(key_dash_dash)
        .or_else(|| reference_split(args))
}

/// `[flags] KEY [flags] -- CMD [ARGS...]`: exactly one positional argument
/// before the first `--` and at least one after it. The command's flags are
/// skipped as Go parses them (a value flag without `=` takes the next
/// argument); anything else, `-x` included, is positional, as the
/// reference's reordering leaves it.
fn key_dash_dash(typed: &[String]) -> Option<Plan> {
    let mut positionals: Vec<&String> = Vec::new();
    let mut i = 0;
    while i < typed.len() {
        let arg = &typed[i];
        if arg == "--" {
            let command = typed[i + 1..].to_vec();
            return match positionals[..] {
                [key] if !command.is_empty() => Some(Plan {
                    key: key.clone(),
                    command,
                }),
                _ => None,
            };
        }
        if names_flag(DEF.flags, arg) {
            let takes_value = !arg.contains('=')
                && flag_name(arg)
                    .and_then(|name| DEF.flag(name))
                    .is_some_and(|f| f.kind != Kind::Bool);
            if takes_value {
                i += 1;
            }
        } else {
            positionals.push(arg);
        }
        i += 1;
    }
    None
}

/// The reference's split of the positional arguments left after flag
/// parsing: with a `--` after the first one, key = first and command =
/// everything from the third on; otherwise key = last, command = the rest.
fn reference_split(args: &[String]) -> Option<Plan> {
    if args.len() < 2 {
        return None;
    }
    let (key, command) = if args[1..].iter().any(|a| a == "--") {
        (args[0].clone(), args[2..].to_vec())
    } else {
        let (last, rest) = args.split_last()?;
        (last.clone(), rest.to_vec())
    };
    (!command.is_empty()).then_some(Plan { key, command })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::parse::{parse, reorder};

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    /// What our parser leaves as positional arguments, and the resulting plan.
    fn plan_of(typed: &[&str]) -> (Vec<String>, Option<(String, Vec<String>)>) {
        let typed = strings(typed);
        let m = parse(DEF.flags, &reorder(DEF.flags, &typed)).expect("parse");
        let plan = split(Some(&typed), &m.args).map(|p| (p.key, p.command));
        (m.args, plan)
    }

    fn reference_key(typed: &[&str]) -> Option<String> {
        let m = parse(DEF.flags, &reorder(DEF.flags, &strings(typed))).expect("parse");
        reference_split(&m.args).map(|p| p.key)
    }

    fn plan(key: &str, command: &[&str]) -> Option<(String, Vec<String>)> {
        Some((key.to_owned(), strings(command)))
    }

    #[test]
    fn parser_drops_the_dash_dash_after_a_leading_key() {
        // The information the reference loses: these two parse identically.
        assert_eq!(
            plan_of(&["/k", "--", "sh", "-c", "x"]).0,
            ["/k", "sh", "-c", "x"]
        );
        assert_eq!(plan_of(&["/k", "--", "sh", "x"]).0, ["/k", "sh", "x"]);
        assert_eq!(plan_of(&["/k", "sh", "x"]).0, ["/k", "sh", "x"]);
        // A boolean flag before the key keeps it.
        assert_eq!(plan_of(&["-r", "/k", "--", "sh"]).0, ["/k", "--", "sh"]);
    }

    #[test]
    fn key_dash_dash_command_runs_the_command_on_the_key() {
        let cases: &[(&[&str], &str, &[&str])] = &[
            (&["/k", "--", "sh", "-c", "x"], "/k", &["sh", "-c", "x"]),
            (
                &["/ew/k", "--", "./child.sh", "a1", "a2"],
                "/ew/k",
                &["./child.sh", "a1", "a2"],
            ),
            (
                &["--after-index", "0", "/ew/k", "--", "./c", "a1"],
                "/ew/k",
                &["./c", "a1"],
            ),
            (
                &["--after-index=5", "/ew/k", "--", "./c"],
                "/ew/k",
                &["./c"],
            ),
            (
                &["--after-index", "5", "-r", "/ew/k", "--", "./c"],
                "/ew/k",
                &["./c"],
            ),
            (
                &["-r", "--after-index", "5", "/ew/k", "--", "./c"],
                "/ew/k",
                &["./c"],
            ),
            (
                &["-r", "/ew/k", "--", "./c", "a1", "a2"],
                "/ew/k",
                &["./c", "a1", "a2"],
            ),
            (&["/ew/k", "-r", "--", "./c", "a1"], "/ew/k", &["./c", "a1"]),
            (&["/k", "--", "cmd", "--", "x"], "/k", &["cmd", "--", "x"]),
        ];
        for (typed, key, command) in cases {
            assert_eq!(plan_of(typed).1, plan(key, command), "exec-watch {typed:?}");
        }
    }

    #[test]
    fn other_orders_split_like_the_reference() {
        // Spec §7.14: the key the reference watches for each order.
        let cases: &[(&[&str], &str)] = &[
            (&["/ew/k", "--", "./child.sh", "a1", "a2"], "a2"),
            (&["./child.sh", "a1", "/ew/k"], "/ew/k"),
            (&["/ew/k", "./child.sh"], "./child.sh"),
            (&["-r", "/ew/k", "--", "./child.sh", "a1", "a2"], "/ew/k"),
            (
                &[
                    "--after-index",
                    "0",
                    "/ew/k",
                    "--",
                    "./child.sh",
                    "a1",
                    "a2",
                ],
                "a2",
            ),
            (
                &["--after-index=5", "/ew/k", "--", "./child.sh"],
                "./child.sh",
            ),
            (
                &["--after-index", "5", "-r", "/ew/k", "--", "./child.sh"],
                "/ew/k",
            ),
            (
                &["-r", "--after-index", "5", "/ew/k", "--", "./child.sh"],
                "./child.sh",
            ),
            (&["-r", "/ew/k", "./child.sh", "a1"], "a1"),
            (&["/ew/k", "-r", "--", "./child.sh", "a1"], "a1"),
            (&["-r", "--", "/ew/k", "./child.sh"], "./child.sh"),
        ];
        for (typed, key) in cases {
            assert_eq!(reference_key(typed).as_deref(), Some(*key), "{typed:?}");
        }
        // Without a typed `KEY --` the reference's split stands.
        let cases: &[(&[&str], &str, &[&str])] = &[
            (
                &["./child.sh", "a1", "/ew/k"],
                "/ew/k",
                &["./child.sh", "a1"],
            ),
            (&["/ew/k", "./child.sh"], "./child.sh", &["/ew/k"]),
            (
                &["-r", "/ew/k", "./child.sh", "a1"],
                "a1",
                &["/ew/k", "./child.sh"],
            ),
            (
                &["-r", "--", "/ew/k", "./child.sh"],
                "./child.sh",
                &["/ew/k"],
            ),
            (&["/k", "c", "--", "x"], "x", &["/k", "c"]),
            (&["-r", "/k", "a", "--", "b"], "/k", &["a", "b"]),
            // A `-x` that is no flag of exec-watch stays an argument.
            (
                &["--after-index", "5", "sh", "-c", "echo x", "/k"],
                "/k",
                &["sh", "-c", "echo x"],
            ),
            (&["/k", "-x", "--", "cmd"], "cmd", &["/k", "-x"]),
        ];
        for (typed, key, command) in cases {
            assert_eq!(plan_of(typed).1, plan(key, command), "exec-watch {typed:?}");
        }
        // In-process runs (no typed arguments) always split like the reference.
        assert_eq!(
            split(None, &strings(&["/k", "sh", "-c", "x"])).map(|p| p.key),
            Some("x".to_owned())
        );
    }

    #[test]
    fn too_few_arguments_or_no_command() {
        for typed in [
            &[][..],
            &["/ew/k"][..],
            &["/ew/k", "--"][..],
            &["-r", "/ew/k", "--"][..],
            &["--", "/ew/k"][..],
        ] {
            assert_eq!(plan_of(typed).1, None, "exec-watch {typed:?}");
        }
    }

    #[test]
    fn start_errors_read_like_go() {
        let not_found = std::io::Error::from_raw_os_error(2);
        assert_eq!(
            start_error("nosuchcmd", &not_found),
            "exec: \"nosuchcmd\": executable file not found in $PATH"
        );
        assert_eq!(start_error("", &not_found), "exec: no command");
        assert_eq!(
            start_error("/nonexistent/bin", &not_found),
            "fork/exec /nonexistent/bin: no such file or directory"
        );
        assert_eq!(
            start_error("./x", &std::io::Error::from_raw_os_error(13)),
            "fork/exec ./x: permission denied"
        );
    }
}
