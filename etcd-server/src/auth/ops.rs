//! The writes of the auth API, step for step as the reference makes them, so
//! the store ends with the same records at the same indexes and counts the
//! same operations: reads that must see the latest writes follow a read
//! barrier (the reference's quorum gets), and each write is one raft entry
//! holding the store commands the reference proposes one after the other:
//! until this process has found `/2/enabled`, the creation of `/2`,
//! `/2/users`, `/2/roles` and `/2/enabled` (`false`), then the change itself.

use super::records::{self, role_path, user_path, ENABLED_PATH};
use super::{AuthError, BCRYPT_COST, GUEST_ROLE, ROOT_ROLE, ROOT_USER};
use crate::app::{now_nanos, App};
use crate::raft::{Batch, Request};
use crate::store::{Command, Event};
use etcd_client::models::{Role, User};
use etcd_client::ErrorCode;
use std::sync::Arc;

/// The auth directories, as the reference names them when creating them.
const DIRS: [&str; 3] = ["/2", "/2/users/", "/2/roles/"];

/// The commands that create the auth directories and the enabled flag.
fn ensure_commands() -> Vec<Command> {
    let dir = |path: &str| Command::Create {
        path: path.to_owned(),
        value: Vec::new(),
        dir: true,
        ttl: None,
        unique: false,
    };
    let mut cmds: Vec<Command> = DIRS.iter().map(|p| dir(p)).collect();
    cmds.push(Command::Create {
        path: ENABLED_PATH.to_owned(),
        value: b"false".to_vec(),
        dir: false,
        ttl: None,
        unique: false,
    });
    cmds
}

/// Proposes `command` (after the directory creation this process still
/// owes) and returns its outcome.
async fn write(app: &App, command: Command) -> Result<Arc<Event>, AuthError> {
    let mut commands = if app.auth.ensured() {
        Vec::new()
    } else {
        ensure_commands()
    };
    let ensuring = commands.len();
    commands.push(command);
    let now = now_nanos();
    let batch = Batch::from(
        commands
            .into_iter()
            .map(|command| Request { now, command })
            .collect::<Vec<_>>(),
    );
    let (_, response) = tokio::time::timeout(app.request_timeout, app.forwarder.write(batch))
        .await
        .map_err(|_| AuthError::Internal)?
        .map_err(|_| AuthError::Internal)?;
    let mut outcomes = response.0.into_iter();
    for _ in 0..ensuring {
        match outcomes.next().flatten() {
            Some(Ok(_)) => {}
            Some(Err(e)) if e.code == ErrorCode::NODE_EXIST => {}
            Some(Err(e)) => return Err(AuthError::Store(e)),
            None => return Err(AuthError::Internal),
        }
    }
    if ensuring > 0 {
        app.auth.set_ensured();
    }
    match outcomes.next().flatten() {
        Some(Ok(event)) => Ok(event),
        Some(Err(e)) => Err(AuthError::Store(e)),
        None => Err(AuthError::Internal),
    }
}

/// Waits until this member has applied every committed write (the
/// reference reads through raft here).
async fn barrier(app: &App) -> Result<(), AuthError> {
    app.quorum_barrier().await.map_err(|_| AuthError::Internal)
}

/// A bcrypt hash in the reference's `$2a$10$` form.
async fn hash_password(password: String) -> Result<String, AuthError> {
    tokio::task::spawn_blocking(move || {
        bcrypt::hash_with_result(password.as_bytes(), BCRYPT_COST)
            .map(|parts| parts.format_for_version(bcrypt::Version::TwoA))
    })
    .await
    .map_err(|_| AuthError::Internal)?
    .map_err(|_| AuthError::Internal)
}

fn record(value: &impl serde::Serialize) -> Vec<u8> {
    etcd_client::json::to_vec(value)
}

fn set(path: String, value: Vec<u8>, create: bool) -> Command {
    if create {
        Command::Create {
            path,
            value,
            dir: false,
            ttl: None,
            unique: false,
        }
    } else {
        Command::Update {
            path,
            value,
            ttl: None,
            refresh: false,
        }
    }
}

fn delete(path: String) -> Command {
    Command::Delete {
        path,
        dir: false,
        recursive: false,
    }
}

/// Maps a store error of a write to the auth error the reference gives for it.
fn store_error(err: AuthError, code: ErrorCode, mapped: AuthError) -> AuthError {
    match err {
        AuthError::Store(e) if e.code == code => mapped,
        other => other,
    }
}

/// `PUT /v2/auth/users/<name>` with only a password (and maybe an empty
/// `roles`): updates the user when it exists, else creates it. `true` when
/// created.
///
/// # Errors
///
/// The auth error the reference answers (see [`create_user`] and
/// [`update_user`]), or [`AuthError::Internal`] when raft does not answer.
pub async fn create_or_update_user(app: &App, request: User) -> Result<(User, bool), AuthError> {
    barrier(app).await?;
    let exists = records::get_user(&app.store(), &request.user).is_ok();
    if exists {
        Ok((update_user(app, request).await?, false))
    } else {
        Ok((create_user(app, request).await?, true))
    }
}

/// Creates a user (the `root` user always gets the `root` role). Returns it
/// without its password.
///
/// # Errors
///
/// 400 without a password, 409 when the user exists.
pub async fn create_user(app: &App, mut request: User) -> Result<User, AuthError> {
    records::attach_root_role(&mut request);
    let Some(password) = request.password.take() else {
        return Err(AuthError::auth(
            400,
            format_args!("Cannot create user {} with an empty password", request.user),
        ));
    };
    let stored = User {
        password: Some(hash_password(password).await?),
        grant: Vec::new(),
        revoke: Vec::new(),
        ..request.clone()
    };
    let name = &request.user;
    write(app, set(user_path(name), record(&stored), true))
        .await
        .map_err(|e| {
            let exists = AuthError::auth(409, format_args!("User {name} already exists."));
            store_error(e, ErrorCode::NODE_EXIST, exists)
        })?;
    Ok(User {
        grant: Vec::new(),
        revoke: Vec::new(),
        ..request
    })
}

/// Changes a user's password and roles (grant, then revoke). Returns it
/// without its password.
///
/// # Errors
///
/// 404 for a missing user, 409 for a duplicate grant or an ungranted
/// revoke, 400 when nothing changes.
pub async fn update_user(app: &App, request: User) -> Result<User, AuthError> {
    barrier(app).await?;
    let old = records::get_user(&app.store(), &request.user)?;
    let roles = records::merge_roles(&old, &request.grant, &request.revoke)?;
    let password = match request.password {
        Some(p) => Some(hash_password(p).await?),
        None => old.password.clone(),
    };
    let new = User {
        user: old.user.clone(),
        password,
        roles: Some(roles),
        grant: Vec::new(),
        revoke: Vec::new(),
    };
    if new == old {
        return Err(AuthError::auth(
            400,
            "User not updated. Use grant/revoke/password to update the user.",
        ));
    }
    write(app, set(user_path(&new.user), record(&new), false)).await?;
    Ok(User {
        password: None,
        ..new
    })
}

/// Deletes a user; the root user only while auth is disabled.
///
/// # Errors
///
/// 403 for root while auth is enabled, 404 for a missing user.
pub async fn delete_user(app: &App, name: &str) -> Result<(), AuthError> {
    if records::enabled(&app.store()) && name == ROOT_USER {
        return Err(AuthError::auth(
            403,
            "Cannot delete root user while auth is enabled.",
        ));
    }
    write(app, delete(user_path(name))).await.map_err(|e| {
        let missing = AuthError::auth(404, format_args!("User {name} does not exist"));
        store_error(e, ErrorCode::KEY_NOT_FOUND, missing)
    })?;
    Ok(())
}

fn is_root_role(name: &str) -> Result<(), AuthError> {
    if name == ROOT_ROLE {
        return Err(AuthError::auth(
            403,
            format_args!("Cannot modify role {name}: is root role."),
        ));
    }
    Ok(())
}

/// Creates a role, storing the request as given.
///
/// # Errors
///
/// 403 for `root`, 409 when the role exists.
pub async fn create_role(app: &App, role: &Role) -> Result<(), AuthError> {
    is_root_role(&role.role)?;
    let name = &role.role;
    write(app, set(role_path(name), record(role), true))
        .await
        .map_err(|e| {
            let exists = AuthError::auth(409, format_args!("Role {name} already exists."));
            store_error(e, ErrorCode::NODE_EXIST, exists)
        })?;
    Ok(())
}

/// Changes a role's permissions (grant, then revoke).
///
/// # Errors
///
/// 403 for `root`, 404 for a missing role, 409 for a duplicate grant,
/// 400 when nothing changes.
pub async fn update_role(app: &App, request: &Role) -> Result<Role, AuthError> {
    is_root_role(&request.role)?;
    barrier(app).await?;
    let old = records::get_role(&app.store(), &request.role)?;
    let new = records::merge_role(&old, request)?;
    if new == old {
        return Err(AuthError::auth(
            400,
            "Role not updated. Use grant/revoke to update the role.",
        ));
    }
    write(app, set(role_path(&new.role), record(&new), false)).await?;
    Ok(new)
}

/// Deletes a role (never `root`).
///
/// # Errors
///
/// 403 for `root`, 404 for a missing role.
pub async fn delete_role(app: &App, name: &str) -> Result<(), AuthError> {
    is_root_role(name)?;
    write(app, delete(role_path(name))).await.map_err(|e| {
        let missing = AuthError::auth(404, format_args!("Role {name} doesn't exist."));
        store_error(e, ErrorCode::KEY_NOT_FOUND, missing)
    })?;
    Ok(())
}

/// Enables auth: needs the root user; creates the guest role (full access)
/// when it does not exist.
///
/// # Errors
///
/// 409 when already enabled or without a root user.
pub async fn enable(app: &App) -> Result<(), AuthError> {
    if records::enabled(&app.store()) {
        return Err(AuthError::auth(409, "already enabled"));
    }
    barrier(app).await?;
    if records::get_user(&app.store(), ROOT_USER).is_err() {
        return Err(AuthError::auth(
            409,
            "No root user available, please create one",
        ));
    }
    if records::get_role(&app.store(), GUEST_ROLE).is_err() {
        create_role(app, &records::full_access_role(GUEST_ROLE)).await?;
    }
    write(app, set(ENABLED_PATH.to_owned(), b"true".to_vec(), false)).await?;
    Ok(())
}

/// Disables auth (users and roles stay).
///
/// # Errors
///
/// 409 when already disabled.
pub async fn disable(app: &App) -> Result<(), AuthError> {
    if !records::enabled(&app.store()) {
        return Err(AuthError::auth(409, "already disabled"));
    }
    write(app, set(ENABLED_PATH.to_owned(), b"false".to_vec(), false)).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_have_the_references_shape() {
        let hash = hash_password("rootpw".into()).await.unwrap();
        assert!(hash.starts_with("$2a$10$"), "{hash}");
        assert_eq!(hash.len(), 60);
        assert!(bcrypt::verify("rootpw", &hash).unwrap());
        assert!(!bcrypt::verify("other", &hash).unwrap());
        // A hash the reference wrote (its record of user root, password
        // rootpw) verifies here.
        let go = "$2a$10$MQzwyFBEs9iPKGIWm.NmOOuMi2Fom9InO4wOnRQRYlK6OYoyzapBe";
        assert!(bcrypt::verify("rootpw", go).unwrap());
    }

    #[test]
    fn the_directories_come_first() {
        let cmds = ensure_commands();
        let paths: Vec<&str> = cmds
            .iter()
            .map(|c| match c {
                Command::Create { path, .. } => path.as_str(),
                _ => "",
            })
            .collect();
        assert_eq!(paths, ["/2", "/2/users/", "/2/roles/", "/2/enabled"]);
    }
}
