//! `etcdctl backup`: copy a member's data directory into a restorable backup.

use crate::cli::{Command, Flag, Matches};
use crate::context::Ctx;
use crate::error::Exit;

/// The command's definition.
pub const DEF: Command = Command::leaf(
    "backup",
    "backup an etcd directory",
    " ",
    &[
        Flag::string(&["data-dir"], "Path to the etcd data dir"),
        Flag::string(&["wal-dir"], "Path to the etcd wal dir"),
        Flag::string(&["backup-dir"], "Path to the backup dir"),
        Flag::string(&["backup-wal-dir"], "Path to the backup wal dir"),
        Flag::bool(&["with-v3"], "Backup v3 backend data"),
    ],
);

/// Runs the command: backups are built with the backup-and-restore work; until
/// then the command says so on stderr and exits 1 without touching any file.
pub async fn run(ctx: &mut Ctx, m: &Matches) -> Result<(), Exit> {
    let _ = m;
    Err(ctx.fail_plain(
        crate::error::EXIT_BAD_ARGS,
        &"etcdctl backup: not supported by this version yet (it arrives with backup and restore); nothing was written",
    ))
}
