//! `etcdctl watch <key>`: wait for a change (or, with `--forever`, every change).
//!
//! Without `--forever` this is the reference's watch: one long poll (re-polled
//! after directory events, which are skipped), the first file event printed in
//! the `-o` format, any error reported as `Error:  ...` with exit 4.
//!
//! Deliberate improvements of `--forever` over the reference, which ends with
//! exit 4 at the first lost connection or cleared history:
//! * once an endpoint has answered, it rides out lost connections, server
//!   restarts and endpoint failover, resuming at the index after the last
//!   printed event, so no event is lost, repeated or reordered (when no
//!   endpoint answers the first poll it ends at once with the reference's
//!   error and exit 4, as the reference does);
//! * when the server's history no longer reaches that index (error 401, e.g.
//!   after more than 1000 changes while disconnected), it re-reads the key and
//!   carries on after the read. Nothing is printed on stdout for the gap (there
//!   is no event to print); stderr gets one line naming the skipped indexes,
//!   see `resync_note`.
//!
//! SIGINT ends either form with exit 0, as in the reference.

use std::io::Write;

use etcd_client::{Client, Response, WatchEvent};
use tokio_stream::StreamExt;

use crate::cli::{Command, Flag, Matches};
use crate::commands::keys_common as kc;
use crate::context::Ctx;
use crate::error::Exit;

/// The command's definition.
pub const DEF: Command = Command::leaf(
    "watch",
    "watch a key for changes",
    "<key>",
    &[
        Flag::bool(&["forever", "f"], "forever watch a key until CTRL+C"),
        Flag::int(&["after-index"], "watch after the given index"),
        Flag::bool(
            &["recursive", "r"],
            "returns all values for key and child keys",
        ),
    ],
);

/// Runs the command.
///
/// # Errors
/// `key required` (exit 1) after the client sync; a failed watch request
/// (exit 4).
pub async fn run(ctx: &mut Ctx, m: &Matches) -> Result<(), Exit> {
    let client = ctx.client().await?;
    let key = kc::key(ctx, m)?;
    let recursive = m.bool("recursive");
    let start = start_index(m);
    if m.bool("forever") {
        forever(ctx, &client, key, recursive, start).await
    } else {
        once(ctx, &client, key, recursive, start).await
    }
}

/// The first `waitIndex`: `--after-index` + 1 when it is not zero, with Go's
/// `uint64` wrap-around for negative values (`-1` means 0), else none.
pub(crate) fn start_index(m: &Matches) -> Option<u64> {
    let after = m.int("after-index").unwrap_or(0) as u64;
    (after > 0).then(|| after.wrapping_add(1))
}

/// Resolves on SIGINT (Ctrl-C). Never resolves if the handler cannot be
/// installed, so the watch then simply goes on.
pub(crate) async fn interrupted() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// The stderr line for a [`WatchEvent::Resynced`]: the server's history no
/// longer reached `missed_from`, so the events from there up to
/// `resume_index - 1` were skipped and the watch goes on from `resume_index`.
pub(crate) fn resync_note(key: &str, missed_from: u64, resume_index: u64) -> String {
    format!(
        "etcdctl: watch on {key}: the server's history no longer reaches index {missed_from}; \
         changes up to index {} were skipped, watching again from index {resume_index}",
        resume_index.saturating_sub(1)
    )
}

/// Prints one file event: `[<action>] <key>` first for recursive watches.
fn print_event(ctx: &mut Ctx, resp: &Response, recursive: bool) {
    if recursive {
        let _ = writeln!(ctx.out(), "[{}] {}", resp.action, resp.node.key);
    }
    kc::print(ctx, resp);
    let _ = ctx.out().flush();
}

/// One event, as the reference: directory events are skipped and the poll
/// resumes after them.
async fn once(
    ctx: &mut Ctx,
    client: &Client,
    key: String,
    recursive: bool,
    start: Option<u64>,
) -> Result<(), Exit> {
    let sigint = interrupted();
    tokio::pin!(sigint);
    let mut next = start;
    loop {
        let mut watch = client.keys().watch(key.clone()).recursive(recursive);
        if let Some(index) = next {
            watch = watch.wait_index(index);
        }
        let resp = tokio::select! {
            () = &mut sigint => return Ok(()),
            r = watch.send() => r.map_err(|e| kc::failed(ctx, &e))?,
        };
        if resp.node.dir {
            next = Some(resp.node.modified_index + 1);
            continue;
        }
        print_event(ctx, &resp, recursive);
        return Ok(());
    }
}

/// Every event until SIGINT, over reconnects and cleared history.
async fn forever(
    ctx: &mut Ctx,
    client: &Client,
    key: String,
    recursive: bool,
    start: Option<u64>,
) -> Result<(), Exit> {
    let mut watch = client
        .keys()
        .watch(key.clone())
        .recursive(recursive)
        .resync_on_cleared(true)
        .fail_unreachable_at_start(true);
    if let Some(index) = start {
        watch = watch.wait_index(index);
    }
    let mut events = watch.stream();
    let sigint = interrupted();
    tokio::pin!(sigint);
    loop {
        let item = tokio::select! {
            () = &mut sigint => return Ok(()),
            item = events.next() => item,
        };
        match item {
            // The stream only ends after an error, which returns below.
            None => return Ok(()),
            Some(Err(e)) => return Err(kc::failed(ctx, &e)),
            Some(Ok(WatchEvent::Change(resp))) => {
                if !resp.node.dir {
                    print_event(ctx, &resp, recursive);
                }
            }
            Some(Ok(WatchEvent::Resynced {
                missed_from,
                resume_index,
                ..
            })) => {
                let note = resync_note(&key, missed_from, resume_index);
                let _ = writeln!(ctx.err(), "{note}");
            }
            Some(Ok(_)) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::parse::{parse, reorder};

    fn matches(args: &[&str]) -> Matches {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        parse(DEF.flags, &reorder(DEF.flags, &args)).expect("parse")
    }

    #[test]
    fn after_index_becomes_the_next_wait_index_like_go() {
        assert_eq!(start_index(&matches(&["/k"])), None);
        assert_eq!(start_index(&matches(&["--after-index", "0", "/k"])), None);
        assert_eq!(
            start_index(&matches(&["/k", "--after-index", "7"])),
            Some(8)
        );
        // uint64(-1) + 1 wraps to 0; uint64(-2) + 1 is the largest index.
        assert_eq!(start_index(&matches(&["--after-index=-1", "/k"])), Some(0));
        assert_eq!(
            start_index(&matches(&["--after-index=-2", "/k"])),
            Some(u64::MAX)
        );
    }

    #[test]
    fn flags_around_the_key() {
        let m = matches(&["-f", "-r", "/dir"]);
        assert!(m.bool("forever") && m.bool("recursive"));
        // A boolean flag never swallows the key.
        assert_eq!(m.args, vec!["/dir".to_string()]);
        let m = matches(&["/dir", "--forever"]);
        assert!(m.bool("forever"));
        assert_eq!(m.args, vec!["/dir".to_string()]);
    }

    #[test]
    fn resync_note_names_the_gap() {
        assert_eq!(
            resync_note("/k", 5, 1200),
            "etcdctl: watch on /k: the server's history no longer reaches index 5; \
             changes up to index 1199 were skipped, watching again from index 1200"
        );
    }
}
