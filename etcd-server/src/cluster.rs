//! Membership records in the store's hidden `/0` namespace, shaped like the
//! reference's, so `/v2/members` and the store index behave the same:
//! `/0/members/<id>/raftAttributes` = `{"peerURLs":[..]}` (written when the
//! member joins), `/0/members/<id>/attributes` = `{"name":..,"clientURLs":[..]}`
//! (published by the member itself at every start), `/0/version` = `3.4.0`.

use crate::ids;
use crate::store::{Command, Store};
use serde::{Deserialize, Serialize};

/// The cluster version the reference reports.
pub const CLUSTER_VERSION: &str = "3.4.0";
/// The server version the reference reports.
pub const SERVER_VERSION: &str = "3.4.23";

pub const MEMBERS: &str = "/0/members";
const REMOVED: &str = "/0/removed_members";

/// A member as `/v2/members` shows it (field order as the reference's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MemberInfo {
    pub id: String,
    pub name: String,
    #[serde(rename = "peerURLs")]
    pub peer_urls: Vec<String>,
    #[serde(rename = "clientURLs")]
    pub client_urls: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct RaftAttributes {
    #[serde(rename = "peerURLs")]
    peer_urls: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Attributes {
    name: String,
    #[serde(rename = "clientURLs", default)]
    client_urls: Vec<String>,
}

/// The command that records a new member's peer URLs.
pub fn add_member(id: u64, peer_urls: &[String]) -> Command {
    Command::Create {
        path: format!("{MEMBERS}/{}/raftAttributes", ids::hex(id)),
        value: serde_json::to_vec(&RaftAttributes {
            peer_urls: peer_urls.to_vec(),
        })
        .expect("serialisable"),
        dir: false,
        ttl: None,
        unique: false,
    }
}

/// The command a member runs at every start to publish its name and client URLs.
pub fn publish(id: u64, name: &str, client_urls: &[String]) -> Command {
    Command::Set {
        path: format!("{MEMBERS}/{}/attributes", ids::hex(id)),
        value: serde_json::to_vec(&Attributes {
            name: name.to_owned(),
            client_urls: client_urls.to_vec(),
        })
        .expect("serialisable"),
        dir: false,
        ttl: None,
        refresh: false,
    }
}

/// The commands that drop a removed member's records and remember that it
/// was removed (`/0/removed_members/<id>`), as the reference does.
pub fn remove_member(id: u64) -> [Command; 2] {
    [
        Command::Delete {
            path: format!("{MEMBERS}/{}", ids::hex(id)),
            dir: true,
            recursive: true,
        },
        Command::Create {
            path: format!("{REMOVED}/{}", ids::hex(id)),
            value: b"removed".to_vec(),
            dir: false,
            ttl: None,
            unique: false,
        },
    ]
}

/// The command that replaces a member's peer URLs.
pub fn update_member(id: u64, peer_urls: &[String]) -> Command {
    Command::Update {
        path: format!("{MEMBERS}/{}/raftAttributes", ids::hex(id)),
        value: serde_json::to_vec(&RaftAttributes {
            peer_urls: peer_urls.to_vec(),
        })
        .expect("serialisable"),
        ttl: None,
        refresh: false,
    }
}

/// Takes every member record out of `store` without a change (no index, no
/// event): for copies of the state that leave their cluster (backups,
/// `--force-new-cluster`). Returns the ids whose records went.
pub fn forget_members(store: &mut Store) -> Vec<String> {
    let ids = store.child_names(MEMBERS);
    store.forget(MEMBERS);
    ids
}

/// The hex ids of the members removed from the cluster.
pub fn removed_ids(store: &Store) -> Vec<String> {
    store.child_names(REMOVED)
}

/// Whether `id` was removed from the cluster.
pub fn was_removed(store: &Store, id: u64) -> bool {
    store.exists(&format!("{REMOVED}/{}", ids::hex(id)))
}

/// The command that records the cluster version.
pub fn set_version() -> Command {
    Command::Set {
        path: "/0/version".into(),
        value: CLUSTER_VERSION.as_bytes().to_vec(),
        dir: false,
        ttl: None,
        refresh: false,
    }
}

/// Whether `id` has a membership record.
pub fn has_member(store: &Store, id: u64) -> bool {
    store.exists(&format!("{MEMBERS}/{}/raftAttributes", ids::hex(id)))
}

/// Whether the cluster version is recorded.
pub fn has_version(store: &Store) -> bool {
    store.exists("/0/version")
}

/// Every recorded member, in ascending id order.
pub fn members(store: &Store) -> Vec<MemberInfo> {
    let mut out: Vec<(u64, MemberInfo)> = store
        .child_names(MEMBERS)
        .into_iter()
        .filter_map(|name| {
            let id = ids::parse_hex(&name)?;
            let raft: RaftAttributes =
                serde_json::from_slice(&store.value(&format!("{MEMBERS}/{name}/raftAttributes"))?)
                    .ok()?;
            let attrs: Option<Attributes> = store
                .value(&format!("{MEMBERS}/{name}/attributes"))
                .and_then(|v| serde_json::from_slice(&v).ok());
            let (name_attr, client_urls) =
                attrs.map_or((String::new(), Vec::new()), |a| (a.name, a.client_urls));
            Some((
                id,
                MemberInfo {
                    id: ids::hex(id),
                    name: name_attr,
                    peer_urls: raft.peer_urls,
                    client_urls,
                },
            ))
        })
        .collect();
    out.sort_by_key(|(id, _)| *id);
    out.into_iter().map(|(_, m)| m).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::NoWatchers;

    #[test]
    fn records_advance_the_index_like_the_reference() {
        let mut s = Store::new();
        let id = ids::member_id(&["http://127.0.0.1:42371".into()], "etcd-cluster", None);
        for cmd in [
            add_member(id, &["http://127.0.0.1:42371".into()]),
            publish(id, "n1", &["http://127.0.0.1:42370".into()]),
            set_version(),
        ] {
            s.apply(&cmd, 0, &mut NoWatchers).unwrap();
        }
        assert_eq!(s.index(), 3);
        assert!(has_member(&s, id) && has_version(&s));
        let json = serde_json::to_string(&members(&s)).unwrap();
        assert_eq!(
            json,
            r#"[{"id":"d844dd3444b3f7f3","name":"n1","peerURLs":["http://127.0.0.1:42371"],"clientURLs":["http://127.0.0.1:42370"]}]"#
        );
        // The user key space does not see them.
        let root = s.get("/1", true, true, 0).unwrap();
        assert!(root.node.nodes.is_empty());
    }

    #[test]
    fn unstarted_member_has_no_name_or_client_urls() {
        let mut s = Store::new();
        s.apply(
            &add_member(0x2f49033e49f015e, &["http://10.0.0.9:2380".into()]),
            0,
            &mut NoWatchers,
        )
        .unwrap();
        let m = &members(&s)[0];
        assert_eq!((m.id.as_str(), m.name.as_str()), ("2f49033e49f015e", ""));
        assert!(m.client_urls.is_empty());
    }
}
