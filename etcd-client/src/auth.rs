//! `/v2/auth`: auth status, users and roles with key permissions.

use reqwest::Method;

use crate::models::{
    AuthStatus, Permissions, Role, RoleList, RwPermission, User, UserList, UserWithRoles,
};
use crate::transport::{decode_json, expect_status, ApiRequest};
use crate::{Client, Result};

const ENABLE: &str = "/v2/auth/enable";
const USERS: &str = "/v2/auth/users";
const ROLES: &str = "/v2/auth/roles";

/// Which access a role grant or revoke is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Reading the keys.
    Read,
    /// Writing the keys.
    Write,
    /// Both.
    ReadWrite,
}

impl Permission {
    fn to_kv(self, keys: Vec<String>) -> Permissions {
        let (read, write) = match self {
            Permission::Read => (Some(keys), None),
            Permission::Write => (None, Some(keys)),
            Permission::ReadWrite => (Some(keys.clone()), Some(keys)),
        };
        Permissions {
            kv: RwPermission { read, write },
        }
    }
}

/// The auth API of a client; see [`Client::auth`].
#[derive(Debug, Clone, Copy)]
pub struct AuthApi<'a> {
    client: &'a Client,
}

impl Client {
    /// The `/v2/auth` API (most calls need the `root` user's credentials once
    /// auth is enabled; see [`crate::ClientBuilder::basic_auth`]).
    ///
    /// ```no_run
    /// # async fn demo(client: etcd_client::Client) -> etcd_client::Result<()> {
    /// use etcd_client::Permission;
    /// let auth = client.auth();
    /// auth.add_user("root", "rootpw").await?;
    /// auth.add_role("app").await?;
    /// auth.grant_role("app", ["/app/*"], Permission::ReadWrite).await?;
    /// auth.add_user("svc", "svcpw").await?;
    /// auth.grant_user("svc", ["app"]).await?;
    /// auth.enable().await?;
    /// # Ok(()) }
    /// ```
    pub fn auth(&self) -> AuthApi<'_> {
        AuthApi { client: self }
    }
}

fn names<I, S>(items: I) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    items.into_iter().map(Into::into).collect()
}

impl AuthApi<'_> {
    async fn call(&self, req: ApiRequest) -> Result<crate::transport::RawResponse> {
        self.client.execute(req).await
    }

    /// Whether auth is enabled.
    ///
    /// # Errors
    /// Transport errors; [`crate::Error::Http`] for an error status.
    pub async fn status(self) -> Result<bool> {
        let raw = self.call(ApiRequest::new(Method::GET, ENABLE, "")).await?;
        Ok(decode_json::<AuthStatus>(&raw, &[200])?.enabled)
    }

    /// Enables auth.
    ///
    /// # Errors
    /// [`crate::Error::Http`]: 409 when there is no root user yet.
    pub async fn enable(self) -> Result<()> {
        let raw = self.call(ApiRequest::new(Method::PUT, ENABLE, "")).await?;
        expect_status(&raw, &[200])
    }

    /// Disables auth (root only).
    ///
    /// # Errors
    /// [`crate::Error::Http`]: 409 when already disabled, 401 without root credentials.
    pub async fn disable(self) -> Result<()> {
        let raw = self
            .call(ApiRequest::new(Method::DELETE, ENABLE, ""))
            .await?;
        expect_status(&raw, &[200])
    }

    /// Every user, with the roles they hold.
    ///
    /// # Errors
    /// [`crate::Error::Http`]: 401 without root credentials when auth is on.
    pub async fn users(self) -> Result<Vec<UserWithRoles>> {
        let raw = self.call(ApiRequest::new(Method::GET, USERS, "")).await?;
        Ok(decode_json::<UserList>(&raw, &[200])?.users)
    }

    /// One user, with the roles they hold.
    ///
    /// # Errors
    /// [`crate::Error::Http`]: 404 for an unknown user.
    pub async fn user(self, name: &str) -> Result<UserWithRoles> {
        let raw = self.call(ApiRequest::new(Method::GET, USERS, name)).await?;
        decode_json(&raw, &[200])
    }

    async fn put_user(self, user: User) -> Result<User> {
        decode_json(&self.send_user(&user).await?, &[200, 201])
    }

    async fn send_user(&self, user: &User) -> Result<crate::transport::RawResponse> {
        let req = ApiRequest::new(Method::PUT, USERS, user.user.clone()).json(user);
        self.call(req).await
    }

    /// Creates a user.
    ///
    /// # Errors
    /// [`crate::Error::Http`]: 409 when the user exists, 400 for an empty password.
    pub async fn add_user(self, name: &str, password: &str) -> Result<User> {
        self.put_user(User {
            user: name.into(),
            password: Some(password.into()),
            ..User::default()
        })
        .await
    }

    /// Sets a user's password.
    ///
    /// # Errors
    /// [`crate::Error::Http`] with status 201 and an empty message when the
    /// user did not exist: the server has then created it (the reference
    /// client reports the same empty error).
    pub async fn change_password(self, name: &str, password: &str) -> Result<User> {
        let user = User {
            user: name.into(),
            password: Some(password.into()),
            ..User::default()
        };
        let raw = self.send_user(&user).await?;
        if raw.status == 201 {
            return Err(crate::Error::Http {
                status: 201,
                message: String::new(),
            });
        }
        decode_json(&raw, &[200])
    }

    /// Gives a user more roles.
    ///
    /// # Errors
    /// [`crate::Error::Http`]: 404 unknown user or role, 409 a role already granted.
    pub async fn grant_user<I, S>(self, name: &str, roles: I) -> Result<User>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.put_user(User {
            user: name.into(),
            grant: names(roles),
            ..User::default()
        })
        .await
    }

    /// Takes roles away from a user.
    ///
    /// # Errors
    /// [`crate::Error::Http`]: 404 unknown user, 409 a role not granted.
    pub async fn revoke_user<I, S>(self, name: &str, roles: I) -> Result<User>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.put_user(User {
            user: name.into(),
            revoke: names(roles),
            ..User::default()
        })
        .await
    }

    /// Deletes a user.
    ///
    /// # Errors
    /// [`crate::Error::Http`]: 404 unknown user, 403 root while auth is on.
    pub async fn remove_user(self, name: &str) -> Result<()> {
        let raw = self
            .call(ApiRequest::new(Method::DELETE, USERS, name))
            .await?;
        expect_status(&raw, &[200])
    }

    /// Every role with its permissions.
    ///
    /// # Errors
    /// [`crate::Error::Http`]: 401 without root credentials when auth is on.
    pub async fn roles(self) -> Result<Vec<Role>> {
        let raw = self.call(ApiRequest::new(Method::GET, ROLES, "")).await?;
        Ok(decode_json::<RoleList>(&raw, &[200])?.roles)
    }

    /// One role with its permissions.
    ///
    /// # Errors
    /// [`crate::Error::Http`]: 404 for an unknown role.
    pub async fn role(self, name: &str) -> Result<Role> {
        let raw = self.call(ApiRequest::new(Method::GET, ROLES, name)).await?;
        decode_json(&raw, &[200])
    }

    async fn put_role(self, role: Role) -> Result<Role> {
        let req = ApiRequest::new(Method::PUT, ROLES, role.role.clone()).json(&role);
        decode_json(&self.call(req).await?, &[200, 201])
    }

    /// Creates a role without permissions.
    ///
    /// # Errors
    /// [`crate::Error::Http`]: 409 when the role exists.
    pub async fn add_role(self, name: &str) -> Result<Role> {
        self.put_role(Role {
            role: name.into(),
            ..Role::default()
        })
        .await
    }

    /// Lets a role read and/or write the keys matching `keys` (a trailing `*`
    /// matches a prefix).
    ///
    /// # Errors
    /// [`crate::Error::Http`]: 404 unknown role, 403 the root role.
    pub async fn grant_role<I, S>(self, name: &str, keys: I, perm: Permission) -> Result<Role>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.put_role(Role {
            role: name.into(),
            grant: Some(perm.to_kv(names(keys))),
            ..Role::default()
        })
        .await
    }

    /// Takes read and/or write access to `keys` away from a role.
    ///
    /// # Errors
    /// [`crate::Error::Http`]: 404 unknown role, 400 nothing to revoke.
    pub async fn revoke_role<I, S>(self, name: &str, keys: I, perm: Permission) -> Result<Role>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.put_role(Role {
            role: name.into(),
            revoke: Some(perm.to_kv(names(keys))),
            ..Role::default()
        })
        .await
    }

    /// Deletes a role.
    ///
    /// # Errors
    /// [`crate::Error::Http`]: 404 unknown role, 403 the root role.
    pub async fn remove_role(self, name: &str) -> Result<()> {
        let raw = self
            .call(ApiRequest::new(Method::DELETE, ROLES, name))
            .await?;
        expect_status(&raw, &[200])
    }
}
