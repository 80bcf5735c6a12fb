//! `etcd-bench`: load generator for any etcd v2 endpoint (being written).

fn main() {
    eprintln!("etcd-bench: not implemented yet");
    std::process::exit(1);
}
