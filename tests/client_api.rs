//! etcd-client against our server and the reference: keys, members, stats, auth, failover.
