//! The commands: the table in the reference's order, and dispatch. One module per command.

pub mod auth;
pub mod auth_common;
pub mod backup;
pub mod cluster_health;
pub mod exec_watch;
pub mod export;
pub mod get;
pub mod import;
pub mod keys_common;
pub mod ls;
pub mod member;
pub mod mk;
pub mod mkdir;
pub mod rm;
pub mod rmdir;
pub mod role;
pub mod set;
pub mod setdir;
pub mod update;
pub mod updatedir;
pub mod user;
pub mod watch;

use crate::cli::{Command, Matches};
use crate::context::Ctx;
use crate::error::Exit;

/// Every command, in the order the reference's help lists them.
pub static COMMANDS: &[Command] = &[
    backup::DEF,
    cluster_health::DEF,
    mk::DEF,
    mkdir::DEF,
    rm::DEF,
    rmdir::DEF,
    get::DEF,
    ls::DEF,
    set::DEF,
    setdir::DEF,
    update::DEF,
    updatedir::DEF,
    watch::DEF,
    exec_watch::DEF,
    member::DEF,
    user::DEF,
    role::DEF,
    auth::DEF,
    export::DEF,
    import::DEF,
];

/// Runs the command at `path` (`["get"]`, `["member", "add"]`).
pub async fn run(ctx: &mut Ctx, path: &[&str], m: &Matches) -> Result<(), Exit> {
    match path {
        ["backup"] => backup::run(ctx, m).await,
        ["cluster-health"] => cluster_health::run(ctx, m).await,
        ["mk"] => mk::run(ctx, m).await,
        ["mkdir"] => mkdir::run(ctx, m).await,
        ["rm"] => rm::run(ctx, m).await,
        ["rmdir"] => rmdir::run(ctx, m).await,
        ["get"] => get::run(ctx, m).await,
        ["ls"] => ls::run(ctx, m).await,
        ["set"] => set::run(ctx, m).await,
        ["setdir"] => setdir::run(ctx, m).await,
        ["update"] => update::run(ctx, m).await,
        ["updatedir"] => updatedir::run(ctx, m).await,
        ["watch"] => watch::run(ctx, m).await,
        ["exec-watch"] => exec_watch::run(ctx, m).await,
        ["member", sub] => member::run(ctx, sub, m).await,
        ["user", sub] => user::run(ctx, sub, m).await,
        ["role", sub] => role::run(ctx, sub, m).await,
        ["auth", sub] => auth::run(ctx, sub, m).await,
        ["export"] => export::run(ctx, m).await,
        ["import"] => import::run(ctx, m).await,
        other => unreachable!("no command at {other:?}: the table and dispatch disagree"),
    }
}
