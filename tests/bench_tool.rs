//! `etcd-bench` end to end, against two of our servers: the cells of every
//! round in target order, then the medians of the rounds.

use crate::util::{workspace_bin, Server};
use std::process::Command;

#[test]
fn rounds_print_every_cell_then_the_medians() {
    let (a, b) = (Server::start(), Server::start());
    let out = Command::new(workspace_bin("etcd-bench"))
        .args(["--endpoint", &a.url(), "--endpoint2", &b.url()])
        .args(["--label1", "first", "--label2", "second"])
        .args(["--workloads", "write", "--connections", "2"])
        .args(["--requests", "50", "--rounds", "3", "--json"])
        .output()
        .expect("run etcd-bench");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(lines.len(), 7, "{stdout}");
    // Each round's cells in target order, whichever target went first.
    for round in lines[..6].chunks(2) {
        assert_eq!(round[0]["target"], "first", "{stdout}");
        assert_eq!(round[1]["target"], "second", "{stdout}");
        assert_eq!(round[0]["ok"], 50, "{stdout}");
        assert_eq!(round[0]["ratio_to"], "second", "{stdout}");
    }
    let medians = &lines[6];
    assert_eq!(medians["rounds"], 3, "{stdout}");
    assert_eq!(medians["targets"][0]["target"], "first");
    let ratios: Vec<f64> = lines[..6]
        .iter()
        .step_by(2)
        .map(|c| c["ratio_ops_per_s"].as_f64().unwrap())
        .collect();
    let mut sorted = ratios.clone();
    sorted.sort_by(f64::total_cmp);
    assert_eq!(medians["median_ratio_ops_per_s"].as_f64(), Some(sorted[1]));
}
