//! `etcdctl role add|get|list|remove|grant|revoke`.

use std::io::Write;

use etcd_client::{Error, Permission};

use crate::cli::{Command, Flag, Matches};
use crate::commands::auth_common::{self as ac, error_text};
use crate::context::Ctx;
use crate::error::Exit;

const GRANT: &[Flag] = &[
    Flag::string(&["path"], "Path granted for the role to access"),
    Flag::bool(&["read"], "Grant read-only access"),
    Flag::bool(&["write"], "Grant write-only access"),
    Flag::bool(&["readwrite", "rw"], "Grant read-write access"),
];

const REVOKE: &[Flag] = &[
    Flag::string(&["path"], "Path revoked for the role to access"),
    Flag::bool(&["read"], "Revoke read access"),
    Flag::bool(&["write"], "Revoke write access"),
    Flag::bool(&["readwrite", "rw"], "Revoke read-write access"),
];

/// The group's definition.
pub const DEF: Command = Command::group(
    "role",
    "role add, grant and revoke subcommands",
    &[
        Command::leaf("add", "add a new role for the etcd cluster", "<role> ", &[]),
        Command::leaf("get", "get details for a role", "<role>", &[]),
        Command::leaf("list", "list all roles", " ", &[]),
        Command::leaf(
            "remove",
            "remove a role from the etcd cluster",
            "<role>",
            &[],
        ),
        Command::leaf(
            "grant",
            "grant path matches to an etcd role",
            "<role>",
            GRANT,
        ),
        Command::leaf(
            "revoke",
            "revoke path matches for an etcd role",
            "<role>",
            REVOKE,
        ),
    ],
);

/// Runs subcommand `sub`.
pub async fn run(ctx: &mut Ctx, sub: &str, m: &Matches) -> Result<(), Exit> {
    match sub {
        "add" => add(ctx, m).await,
        "get" => get(ctx, m).await,
        "list" => list(ctx, m).await,
        "remove" => remove(ctx, m).await,
        "grant" => grant_revoke(ctx, m, true).await,
        "revoke" => grant_revoke(ctx, m, false).await,
        other => unreachable!("role has no subcommand {other:?}"),
    }
}

const USAGE: &str = "Please provide a role name";

fn name(ctx: &mut Ctx, m: &Matches) -> Result<String, Exit> {
    ac::one_name(ctx, m, USAGE)
}

async fn list(ctx: &mut Ctx, m: &Matches) -> Result<(), Exit> {
    ac::no_args(ctx, m)?;
    let client = ac::client(ctx).await?;
    let roles = client.auth().roles().await.map_err(|e| {
        // The reference's role listing ignores the server's message.
        let text = match e {
            Error::Http { status, .. } => format!("unexpected status code {status}"),
            other => error_text(&other),
        };
        ac::fail(ctx, &text)
    })?;
    for r in roles {
        let _ = writeln!(ctx.out(), "{}", r.role);
    }
    Ok(())
}

/// `role add NAME`: looks the role up first and refuses an existing one.
async fn add(ctx: &mut Ctx, m: &Matches) -> Result<(), Exit> {
    let role = name(ctx, m)?;
    let client = ac::client(ctx).await?;
    if client.auth().role(&role).await.is_ok() {
        return Err(ac::fail(ctx, &format!("Role {role} already exists")));
    }
    client
        .auth()
        .add_role(&role)
        .await
        .map_err(|e| ac::fail(ctx, &error_text(&e)))?;
    let _ = writeln!(ctx.out(), "Role {role} created");
    Ok(())
}

async fn get(ctx: &mut Ctx, m: &Matches) -> Result<(), Exit> {
    let role = name(ctx, m)?;
    let client = ac::client(ctx).await?;
    let found = client
        .auth()
        .role(&role)
        .await
        .map_err(|e| ac::fail(ctx, &error_text(&e)))?;
    let mut text = format!("Role: {}\nKV Read:\n", found.role);
    for p in found.permissions.kv.read.iter().flatten() {
        text.push_str(&format!("\t{p}\n"));
    }
    text.push_str("KV Write:\n");
    for p in found.permissions.kv.write.iter().flatten() {
        text.push_str(&format!("\t{p}\n"));
    }
    let _ = write!(ctx.out(), "{text}");
    Ok(())
}

async fn remove(ctx: &mut Ctx, m: &Matches) -> Result<(), Exit> {
    let role = name(ctx, m)?;
    let client = ac::client(ctx).await?;
    client
        .auth()
        .remove_role(&role)
        .await
        .map_err(|e| ac::fail(ctx, &error_text(&e)))?;
    let _ = writeln!(ctx.out(), "Role {role} removed");
    Ok(())
}

/// The `--path` and the one permission flag of `role grant|revoke`, checked
/// in the reference's order before the role name.
fn permission(ctx: &mut Ctx, m: &Matches) -> Result<(String, Permission), Exit> {
    let path = m.string("path").unwrap_or_default().to_owned();
    if path.is_empty() {
        return Err(ac::fail(ctx, &"No path specified; please use `--path`"));
    }
    let canonical = etcd_client::canonical_path(&path);
    if canonical != path {
        let msg = format!("Not canonical path; please use `--path={canonical}`");
        return Err(ac::fail(ctx, &msg));
    }
    let perm = match (m.bool("read"), m.bool("write"), m.bool("readwrite")) {
        (true, false, false) => Permission::Read,
        (false, true, false) => Permission::Write,
        (false, false, true) => Permission::ReadWrite,
        _ => {
            let msg = "Please specify exactly one of --read, --write or --readwrite";
            return Err(ac::fail(ctx, &msg));
        }
    };
    Ok((path, perm))
}

async fn grant_revoke(ctx: &mut Ctx, m: &Matches, grant: bool) -> Result<(), Exit> {
    let (path, perm) = permission(ctx, m)?;
    let role = name(ctx, m)?;
    let client = ac::client(ctx).await?;
    let auth = client.auth();
    let current = auth
        .role(&role)
        .await
        .map_err(|e| ac::fail(ctx, &error_text(&e)))?;
    let result = if grant {
        auth.grant_role(&role, [path], perm).await
    } else {
        auth.revoke_role(&role, [path], perm).await
    };
    let updated = result.map_err(|e| ac::fail(ctx, &error_text(&e)))?;
    if updated == current {
        // No newline here in the reference either.
        let what = if grant { "granted" } else { "revoked" };
        let _ = write!(ctx.out(), "Role unchanged; already {what}");
    }
    let _ = writeln!(ctx.out(), "Role {role} updated");
    Ok(())
}
