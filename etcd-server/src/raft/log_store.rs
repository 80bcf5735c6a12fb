//! The durable raft log (being written).
