//! Outgoing raft RPCs.
//!
//! This build runs single-member clusters only (the peer transport arrives
//! with clustering): a one-member raft never sends an RPC, and if it were ever
//! asked to, every peer is reported unreachable with that reason.

use super::{typ, Member, TypeConfig};
use openraft::error::{InstallSnapshotError, RPCError, RaftError, Unreachable};
use openraft::network::{RPCOption, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    VoteRequest, VoteResponse,
};

/// The network of a single-member cluster.
#[derive(Debug, Clone, Default)]
pub struct SingleMember;

/// A connection to a peer that a single-member cluster cannot have.
#[derive(Debug)]
pub struct NoPeer {
    target: typ::NodeId,
}

fn unreachable<E: std::error::Error>(target: typ::NodeId) -> RPCError<typ::NodeId, Member, E> {
    let err = std::io::Error::other(format!(
        "no peer transport: this server runs single-member clusters only (peer {target:x})"
    ));
    RPCError::Unreachable(Unreachable::new(&err))
}

impl RaftNetworkFactory<TypeConfig> for SingleMember {
    type Network = NoPeer;

    async fn new_client(&mut self, target: typ::NodeId, _node: &Member) -> NoPeer {
        NoPeer { target }
    }
}

impl RaftNetwork<TypeConfig> for NoPeer {
    async fn append_entries(
        &mut self,
        _rpc: AppendEntriesRequest<TypeConfig>,
        _option: RPCOption,
    ) -> Result<
        AppendEntriesResponse<typ::NodeId>,
        RPCError<typ::NodeId, Member, RaftError<typ::NodeId>>,
    > {
        Err(unreachable(self.target))
    }

    async fn install_snapshot(
        &mut self,
        _rpc: InstallSnapshotRequest<TypeConfig>,
        _option: RPCOption,
    ) -> Result<
        InstallSnapshotResponse<typ::NodeId>,
        RPCError<typ::NodeId, Member, RaftError<typ::NodeId, InstallSnapshotError>>,
    > {
        Err(unreachable(self.target))
    }

    async fn vote(
        &mut self,
        _rpc: VoteRequest<typ::NodeId>,
        _option: RPCOption,
    ) -> Result<VoteResponse<typ::NodeId>, RPCError<typ::NodeId, Member, RaftError<typ::NodeId>>>
    {
        Err(unreachable(self.target))
    }
}
