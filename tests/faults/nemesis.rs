//! The faults: what each does to the cluster, how long it holds, how it
//! heals, and the checks after healing (every member back, then all of
//! them equal at the same index).

use crate::client::NoAnswer;
use crate::members::Cluster;
use crate::proxy::Cut;
use serde_json::Value;
use std::time::{Duration, Instant};

/// One kind of fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fault {
    /// kill -9 of a random member, restarted after the hold.
    KillRandom,
    /// kill -9 of the leader (failover time measured), restarted after.
    KillLeader,
    /// kill -9 of every member at once, then all restarted.
    KillAll,
    /// SIGSTOP of a random member (the leader half of the time), SIGCONT
    /// after the hold.
    Pause,
    /// A random minority cut off from the majority.
    Partition,
    /// The leader cut off from every other member.
    IsolateLeader,
    /// 100–300 ms (± 50 ms) added to every chunk between members.
    Delay,
    /// A follower removed, its data wiped, added back as a new member.
    ReplaceMember,
}

impl Fault {
    pub const ALL: [Fault; 8] = [
        Fault::KillRandom,
        Fault::KillLeader,
        Fault::KillAll,
        Fault::Pause,
        Fault::Partition,
        Fault::IsolateLeader,
        Fault::Delay,
        Fault::ReplaceMember,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Fault::KillRandom => "kill -9 random member",
            Fault::KillLeader => "kill -9 leader",
            Fault::KillAll => "kill -9 all members",
            Fault::Pause => "SIGSTOP/SIGCONT",
            Fault::Partition => "partition majority/minority",
            Fault::IsolateLeader => "isolated leader",
            Fault::Delay => "peer delay",
            Fault::ReplaceMember => "member removed and re-added",
        }
    }
}

/// What injecting a fault gave.
#[derive(Debug, Default)]
pub struct Injected {
    pub what: String,
    /// Leader kill → first acknowledged write.
    pub failover: Option<Duration>,
    /// Something the harness could not do (counts as a failure).
    pub error: Option<String>,
}

/// Injects `fault`, holds it for `hold`, and heals it (processes restarted,
/// links open). Returns once the fault is healed; the caller waits for the
/// cluster to recover.
pub fn inject(c: &mut Cluster, fault: Fault, hold: Duration) -> Injected {
    let n = c.members.len();
    let mut out = Injected::default();
    let mode = if fastrand::bool() {
        Cut::Blackhole
    } else {
        Cut::Reset
    };
    match fault {
        Fault::KillRandom => {
            let i = fastrand::usize(..n);
            out.what = format!("kill -9 m{i}");
            c.kill9(i);
            std::thread::sleep(hold);
        }
        Fault::KillLeader => {
            let Some(l) = c.wait_leader(Duration::from_secs(10)) else {
                out.error = Some("no leader to kill".into());
                return out;
            };
            out.what = format!("kill -9 leader m{l}");
            let t0 = Instant::now();
            c.kill9(l);
            out.failover = failover(c, l, t0);
            if out.failover.is_none() {
                out.error = Some("no write acknowledged within 30 s of the leader kill".into());
            }
            std::thread::sleep(hold.saturating_sub(t0.elapsed()));
        }
        Fault::KillAll => {
            out.what = "kill -9 every member".into();
            c.kill_all();
            std::thread::sleep(hold.min(Duration::from_secs(1)));
        }
        Fault::Pause => {
            let i = match fastrand::bool() {
                true => c.leader().unwrap_or(0),
                false => fastrand::usize(..n),
            };
            out.what = format!("SIGSTOP m{i}");
            c.pause(i);
            std::thread::sleep(hold);
        }
        Fault::Partition => {
            let mut order: Vec<usize> = (0..n).collect();
            fastrand::shuffle(&mut order);
            let minority = order.split_off(n - n / 2);
            out.what = format!("partition {order:?} | {minority:?} ({mode:?})");
            let probe = minority[0];
            c.faults.partition(&[order, minority], mode);
            out.error = cut_off(c, probe, hold);
        }
        Fault::IsolateLeader => {
            let l = c.leader().unwrap_or(0);
            let rest: Vec<usize> = (0..n).filter(|&k| k != l).collect();
            out.what = format!("isolate leader m{l} ({mode:?})");
            c.faults.partition(&[vec![l], rest], mode);
            out.error = cut_off(c, l, hold);
        }
        Fault::Delay => {
            let base = Duration::from_millis(fastrand::u64(100..=300));
            out.what = format!("delay {base:?} ± 50ms");
            c.faults.delay(base, Duration::from_millis(50));
            std::thread::sleep(hold);
        }
        Fault::ReplaceMember => {
            let l = c.leader();
            let candidates: Vec<usize> = (0..n).filter(|k| Some(*k) != l).collect();
            let i = candidates[fastrand::usize(..candidates.len())];
            out.what = format!("remove and re-add m{i}");
            if let Err(e) = c.replace(i) {
                out.error = Some(format!("replacing m{i}: {e}"));
            }
        }
    }
    c.faults.heal();
    c.heal_processes();
    out
}

/// Holds a partition for `hold`, checking meanwhile that member `i`, on the
/// minority side, cannot answer a quorum read (else the partition did not
/// take: an error).
fn cut_off(c: &Cluster, i: usize, hold: Duration) -> Option<String> {
    let start = Instant::now();
    std::thread::sleep(Duration::from_millis(300));
    let timeout = hold
        .saturating_sub(Duration::from_millis(600))
        .max(Duration::from_millis(500));
    let r = c.get(i, "/v2/keys/?quorum=true", timeout);
    std::thread::sleep(hold.saturating_sub(start.elapsed()));
    match r {
        Ok(a) if a.status == 200 => Some(format!(
            "m{i} answered a quorum read from the minority side of a partition"
        )),
        _ => None,
    }
}

/// Writes through the surviving members until one write is acknowledged;
/// the time since `t0`.
fn failover(c: &Cluster, killed: usize, t0: Instant) -> Option<Duration> {
    let others: Vec<usize> = (0..c.members.len()).filter(|&k| k != killed).collect();
    let mut n = 0;
    while t0.elapsed() < Duration::from_secs(30) {
        n += 1;
        let i = others[n % others.len()];
        let r = c.request(
            i,
            reqwest::Method::PUT,
            "/v2/keys/failover/probe",
            Some(format!("value=p{n}")),
            Duration::from_secs(3),
        );
        match r {
            Ok(a) if (200..300).contains(&a.status) => return Some(t0.elapsed()),
            Ok(_) | Err(NoAnswer::NotSent) => std::thread::sleep(Duration::from_millis(20)),
            Err(NoAnswer::Lost(_)) => {}
        }
    }
    None
}

/// Waits until every member answers a local recursive sorted read of `/`
/// at the same index with the same tree (ttl fields aside: they count down
/// differently on each member). The time it took, or what still differed.
pub fn converge(c: &Cluster, within: Duration) -> Result<Duration, String> {
    let start = Instant::now();
    loop {
        let answers: Vec<Result<(u64, Value), String>> = (0..c.members.len())
            .map(|i| {
                let a = c
                    .get(
                        i,
                        "/v2/keys/?recursive=true&sorted=true",
                        Duration::from_secs(2),
                    )
                    .map_err(|e| format!("m{i}: {e:?}"))?;
                let mut body = a.body;
                strip_ttl(&mut body);
                Ok((a.index.unwrap_or(0), body))
            })
            .collect();
        let first = answers[0].as_ref().ok();
        let same = answers.iter().all(|a| a.as_ref().ok() == first) && first.is_some();
        if same {
            return Ok(start.elapsed());
        }
        if start.elapsed() > within {
            let summary: Vec<String> = answers
                .iter()
                .enumerate()
                .map(|(i, a)| match a {
                    Ok((index, body)) => {
                        format!("m{i} at index {index}, {} bytes", body.to_string().len())
                    }
                    Err(e) => e.clone(),
                })
                .collect();
            return Err(format!(
                "members differ after {within:?}: {}",
                summary.join("; ")
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn strip_ttl(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.remove("ttl");
            m.values_mut().for_each(strip_ttl);
        }
        Value::Array(a) => a.iter_mut().for_each(strip_ttl),
        _ => {}
    }
}
