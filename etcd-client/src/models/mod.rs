//! Wire types of the v2 APIs other than `/v2/keys`: members, stats, auth, version and health.
//!
//! Shapes, field order, nulls and omitted fields follow what etcd 3.4.23 sends and
//! what its etcdctl sends (`../shared/spec/members-stats.md`, `../shared/spec/auth.md`).
//! Encode them with [`crate::json::to_vec`] to get the reference's bytes. The keys
//! API's types, including [`StoreStats`], live in [`crate::types`].
//!
//! Error bodies: the members, stats and auth APIs answer errors with
//! [`HttpErrorBody`] (`{"message":"..."}`), except for the plain-text answers of Go's
//! HTTP mux (405 `Method Not Allowed\n`, 404 `404 page not found\n`) and of
//! `/health` (503 `{"health":"false"}\n` sent as `text/plain`); see [`HttpErrorBody`].

pub mod auth;
pub mod members;
pub mod stats;
pub mod version;

pub use auth::{
    AuthErrorBody, AuthStatus, Permissions, Role, RoleList, RwPermission, User, UserList,
    UserWithRoles,
};
pub use members::{HttpErrorBody, Member, MemberCreateRequest, MemberList, MemberUpdateRequest};
pub use stats::{
    CountsStats, FollowerStats, LatencyStats, LeaderInfo, LeaderStats, RaftState, SelfStats,
    StoreStats,
};
pub use version::{Health, Version};
