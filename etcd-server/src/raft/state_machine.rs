//! The raft state machine over the v2 store (being written).
