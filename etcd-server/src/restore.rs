//! `--force-new-cluster`: turning a data directory (a backup, or any member's
//! data dir) into a one-member cluster that holds exactly its state.
//!
//! Unlike the reference, nothing is renumbered: the store is the source's
//! store (every key with its `createdIndex`/`modifiedIndex`, TTLs with their
//! absolute expirations, the event history), minus the old member records,
//! and raft continues after the source's last log index. What changes is the
//! identity: a new cluster id, the member's own id (kept from its data dir, or
//! new for a backup), and one voter, this member, with its flags' URLs.
//!
//! The steps are each durable and the whole is idempotent: the snapshot of the
//! new state is written first (it holds everything), then the identity, then
//! the log is reset to start after the snapshot. A crash in between is healed
//! by starting with `--force-new-cluster` again.

use crate::backup;
use crate::cluster;
use crate::ids;
use crate::raft::datadir;
use crate::raft::typ::{SnapshotMeta, StoredMembership, Vote};
use crate::raft::Member;
use crate::server::{load_identity, save_identity, ServerError};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use tracing::{info, warn};

/// Where the member's files are and who it will be.
#[derive(Debug)]
pub struct Target<'a> {
    pub member_dir: &'a Path,
    pub snap_dir: &'a Path,
    pub wal_dir: &'a Path,
    pub me: &'a Member,
    pub token: &'a str,
}

/// Rewrites the member's data dir as a one-member cluster of `target.me`.
/// Returns `(member id, cluster id)`, or `None` when the dir holds no state
/// at all (the member then starts as a new one-member cluster).
pub fn force_new_cluster(target: &Target<'_>) -> Result<Option<(u64, u64)>, ServerError> {
    let manifest = backup::verify(target.member_dir).map_err(|why| {
        ServerError::Config(format!("refusing to restore a damaged backup: {why}"))
    })?;
    if let Some(m) = &manifest {
        info!(target: "etcdserver", "restoring the backup taken from {} at {} (etcd index {}, raft index {})", m.source, m.created_at, m.etcd_index, m.raft_index);
    }
    let mut loaded = datadir::load(target.snap_dir, target.wal_dir, &mut |_, _| {})
        .map_err(|e| ServerError::Config(format!("cannot read the data dir to restore: {e}")))?;
    let Some(last) = loaded.last_log_id else {
        if manifest.is_some() {
            return Err(ServerError::Config(format!(
                "the backup in {} holds no snapshot",
                target.member_dir.display()
            )));
        }
        return Ok(None);
    };
    let old = load_identity(target.member_dir)?;
    let now = crate::app::now_nanos();
    let member_id = match old {
        Some((member_id, _)) => member_id,
        None => ids::member_id(
            &target.me.peer_urls,
            target.token,
            Some(now / 1_000_000_000),
        ),
    };
    // A new cluster id (salted with the time of the restore): members of the
    // old cluster must not mistake this one for theirs.
    let cluster_id = ids::cluster_id(&[member_id, now as u64]);
    info!(target: "etcdserver", "forcing restart of member {} in cluster {} at commit index {}", ids::hex(member_id), ids::hex(cluster_id), last.index);
    let dropped = cluster::forget_members(&mut loaded.store);
    if !dropped.is_empty() {
        warn!(target: "etcdserver", "dropped the records of the old members {}", dropped.join(", "));
    }

    let voters: BTreeSet<u64> = [member_id].into_iter().collect();
    let nodes: BTreeMap<u64, Member> = [(member_id, target.me.clone())].into_iter().collect();
    let membership = openraft::Membership::new(vec![voters], nodes);
    let meta = SnapshotMeta {
        last_log_id: Some(last),
        last_membership: StoredMembership::new(Some(last), membership),
        snapshot_id: format!("restored-{}-{}-{now}", last.leader_id.term, last.index),
    };
    let bytes = datadir::encode_snapshot(&meta, &loaded.store.save())?;
    datadir::install_snapshot(target.snap_dir, &meta, &bytes)?;
    save_identity(target.member_dir, member_id, cluster_id)?;
    datadir::reset_log(
        target.wal_dir,
        last,
        Vote::new(last.leader_id.term, member_id),
    )?;
    if manifest.is_some() {
        std::fs::remove_file(target.member_dir.join(backup::MANIFEST))?;
    }
    Ok(Some((member_id, cluster_id)))
}
