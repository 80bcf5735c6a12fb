//! The suite can fail: a member cut off from the others serves local
//! (non-quorum) reads from its stale store, and the checker, fed those
//! reads as if they were linearizable ones, must reject the history.

use crate::checker::Verdict;
use crate::history::{Call, Recorder};
use crate::members::Cluster;
use crate::model::check_key;
use crate::proxy::Cut;
use crate::workload::{Ctx, Gate, Keys};
use std::time::{Duration, Instant};

#[test]
fn stale_local_reads_from_a_cut_off_member_are_rejected() {
    let _serial = crate::one_cluster_at_a_time();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let cluster = Cluster::start(3, 10_000, rt.handle().clone());
    let ctx = Ctx {
        http: crate::client::http(),
        urls: cluster.urls(),
        rec: Recorder::new(Instant::now()),
        stop: Default::default(),
        gate: Gate::default(),
        keys: Keys::new(1, 1),
    };
    let leader = cluster
        .wait_leader(Duration::from_secs(10))
        .expect("leader");
    let cut = (leader + 1) % 3;
    let other = (leader + 2) % 3;
    let key = "/self/k";
    let set = |v: &str, member| {
        let op = rt.block_on(ctx.perform(0, member, key, Call::Set { value: v.into() }));
        assert!(op.acked(), "{op:?}");
    };
    set("a", leader);
    // Every member has applied "a" before the cut.
    crate::nemesis::converge(&cluster, Duration::from_secs(10)).expect("members converge");
    cluster
        .faults
        .partition(&[vec![cut], vec![leader, other]], Cut::Blackhole);
    set("b", other);
    // A local read on the cut-off member, recorded as a (quorum) get.
    let url = format!("{}/v2/keys{key}", ctx.urls[cut]);
    let invoke = ctx.rec.now();
    let answer = rt.block_on(crate::client::send(
        &ctx.http,
        reqwest::Method::GET,
        &url,
        None,
        Duration::from_secs(5),
    ));
    let stale = crate::history::Op {
        client: 1,
        member: cut,
        key: key.into(),
        call: Call::Get,
        invoke,
        complete: ctx.rec.now(),
        ret: crate::client::ret_of(answer),
    };
    cluster.faults.heal();
    let mut ops = ctx.rec.ops();
    ops.push(stale.clone());
    let refs: Vec<&crate::history::Op> = ops.iter().collect();
    let report = check_key(&refs, 1_000_000);
    assert!(
        matches!(report.verdict, Verdict::Violation { .. }),
        "the stale read {stale:?} was accepted: {report:?}"
    );
    // A quorum read through the same member once the partition healed sees
    // the new value, and that history is linearizable.
    let op = rt.block_on(ctx.perform(1, cut, key, Call::Get));
    assert!(op.acked(), "{op:?}");
    let ops = ctx.rec.ops();
    let refs: Vec<&crate::history::Op> = ops.iter().collect();
    assert_eq!(
        check_key(&refs, 1_000_000).verdict,
        Verdict::Linearizable,
        "{op:?}"
    );
    drop(cluster);
    rt.shutdown_timeout(Duration::from_secs(5));
}
