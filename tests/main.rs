//! Black-box tests: they start the workspace's real binaries (and the
//! reference etcd, when it is installed).

mod backup;
mod bench_tool;
mod client_api;
mod client_auth;
mod client_watch;
mod cluster;
mod cluster_faults;
mod cluster_members;
mod differential;
mod docs_fresh;
mod durability;
mod etcdctl_admin;
mod etcdctl_keys;
mod etcdctl_watch;
mod interop_etcdctl;
mod restart;
mod server_auth;
mod server_basic;
mod tls;
mod util;
