//! `etcdctl user add|get|list|remove|grant|revoke|passwd`.

use std::io::Write;

use crate::cli::{Command, Flag, Matches};
use crate::commands::auth_common::{self as ac, error_text};
use crate::context::Ctx;
use crate::error::Exit;

const ROLES: &[Flag] = &[Flag::strings(
    &["roles"],
    "List of roles to grant or revoke",
)];

/// The group's definition.
pub const DEF: Command = Command::group(
    "user",
    "user add, grant and revoke subcommands",
    &[
        Command::leaf("add", "add a new user for the etcd cluster", "<user>", &[]),
        Command::leaf("get", "get details for a user", "<user>", &[]),
        Command::leaf("list", "list all current users", "<user>", &[]),
        Command::leaf(
            "remove",
            "remove a user for the etcd cluster",
            "<user>",
            &[],
        ),
        Command::leaf("grant", "grant roles to an etcd user", "<user>", ROLES),
        Command::leaf("revoke", "revoke roles for an etcd user", "<user>", ROLES),
        Command::leaf("passwd", "change password for a user", "<user>", &[]),
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
        "passwd" => passwd(ctx, m).await,
        other => unreachable!("user has no subcommand {other:?}"),
    }
}

const USAGE: &str = "Please provide a username";

/// The user name argument, checked before the client is built.
fn name(ctx: &mut Ctx, m: &Matches) -> Result<String, Exit> {
    ac::one_name(ctx, m, USAGE)
}

async fn list(ctx: &mut Ctx, m: &Matches) -> Result<(), Exit> {
    ac::no_args(ctx, m)?;
    let client = ac::client(ctx).await?;
    let users = client
        .auth()
        .users()
        .await
        .map_err(|e| ac::fail(ctx, &error_text(&e)))?;
    for u in users {
        let _ = writeln!(ctx.out(), "{}", u.user);
    }
    Ok(())
}

/// `user add NAME[:PASSWORD]`: prompts `New password: ` without a password.
async fn add(ctx: &mut Ctx, m: &Matches) -> Result<(), Exit> {
    let arg = name(ctx, m)?;
    let client = ac::client(ctx).await?;
    let (user, password) = match arg.split_once(':') {
        Some((u, p)) => (u.to_owned(), p.to_owned()),
        None => {
            let p = ac::ask_password(ctx, "New password: ")?;
            (arg, p)
        }
    };
    client
        .auth()
        .add_user(&user, &password)
        .await
        .map_err(|e| ac::fail(ctx, &error_text(&e)))?;
    let _ = writeln!(ctx.out(), "User {user} created");
    Ok(())
}

async fn get(ctx: &mut Ctx, m: &Matches) -> Result<(), Exit> {
    let user = name(ctx, m)?;
    let client = ac::client(ctx).await?;
    let found = client
        .auth()
        .user(&user)
        .await
        .map_err(|e| ac::fail(ctx, &error_text(&e)))?;
    let names: Vec<&str> = found.roles.iter().map(|r| r.role.as_str()).collect();
    // The reference decodes the role objects as strings first, which leaves
    // one empty name per role before the real ones: one extra blank each.
    let _ = write!(
        ctx.out(),
        "User: {}\nRoles: {}{}\n",
        found.user,
        " ".repeat(names.len()),
        names.join(" ")
    );
    Ok(())
}

async fn remove(ctx: &mut Ctx, m: &Matches) -> Result<(), Exit> {
    let user = name(ctx, m)?;
    let client = ac::client(ctx).await?;
    client
        .auth()
        .remove_user(&user)
        .await
        .map_err(|e| ac::fail(ctx, &error_text(&e)))?;
    let _ = writeln!(ctx.out(), "User {user} removed");
    Ok(())
}

/// `user grant|revoke NAME --roles R`: the roles are checked before the name.
async fn grant_revoke(ctx: &mut Ctx, m: &Matches, grant: bool) -> Result<(), Exit> {
    let roles = m.strings("roles");
    if roles.is_empty() {
        return Err(ac::fail(ctx, &"No roles specified; please use `--roles`"));
    }
    let user = name(ctx, m)?;
    let client = ac::client(ctx).await?;
    let auth = client.auth();
    let result = if grant {
        auth.grant_user(&user, roles).await
    } else {
        auth.revoke_user(&user, roles).await
    };
    result.map_err(|e| ac::fail(ctx, &error_text(&e)))?;
    let _ = writeln!(ctx.out(), "User {user} updated");
    Ok(())
}

async fn passwd(ctx: &mut Ctx, m: &Matches) -> Result<(), Exit> {
    let user = name(ctx, m)?;
    let client = ac::client(ctx).await?;
    let password = ac::ask_password(ctx, "New password: ")?;
    client
        .auth()
        .change_password(&user, &password)
        .await
        .map_err(|e| ac::fail(ctx, &error_text(&e)))?;
    let _ = writeln!(ctx.out(), "Password updated");
    Ok(())
}
