//! Medians over the rounds of one cell (`--rounds N`): a single 2-second
//! cell on a small shared machine swings by a third from one run to the
//! next, so targets are judged on the median of many alternating runs.

use serde_json::{json, Value};

use crate::args::Workload;
use crate::report::{CellResult, Ratio};

/// The figures of every round of one (workload, connections) pair.
#[derive(Debug, Clone)]
pub struct Rounds {
    pub workload: Workload,
    pub connections: usize,
    /// Per target, in `--endpoint` order: its label and each round's ops/s
    /// and p99 (ms; rounds without a p99 are left out).
    targets: Vec<(String, Vec<f64>, Vec<f64>)>,
    /// First target against the second, per round.
    ratios: Vec<Ratio>,
}

/// The median of `v` (the mean of the middle two for an even count).
pub fn median(v: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

fn range(v: &[f64]) -> Option<(f64, f64)> {
    let lo = v.iter().copied().reduce(f64::min)?;
    let hi = v.iter().copied().reduce(f64::max)?;
    Some((lo, hi))
}

impl Rounds {
    pub fn new(workload: Workload, connections: usize) -> Rounds {
        Rounds {
            workload,
            connections,
            targets: Vec::new(),
            ratios: Vec::new(),
        }
    }

    /// Adds one round: the cells of every target, in order.
    pub fn add(&mut self, cells: &[CellResult]) {
        for (i, c) in cells.iter().enumerate() {
            if self.targets.len() == i {
                self.targets.push((c.label.clone(), Vec::new(), Vec::new()));
            }
            let (_, ops, p99) = &mut self.targets[i];
            ops.push(c.summary.ops_per_sec());
            if let Some(d) = c.summary.p99 {
                p99.push(d.as_secs_f64() * 1e3);
            }
        }
        if let [a, b] = cells {
            self.ratios.push(Ratio::of(&a.summary, &b.summary));
        }
    }

    /// How many rounds were added.
    fn count(&self) -> usize {
        self.targets.first().map_or(0, |(_, ops, _)| ops.len())
    }

    fn ratio_figures(&self) -> (Vec<f64>, Vec<f64>) {
        let ops = self.ratios.iter().filter_map(|r| r.ops).collect();
        let p99 = self.ratios.iter().filter_map(|r| r.p99).collect();
        (ops, p99)
    }

    /// The lines printed under the table after the last round.
    pub fn text(&self) -> Vec<String> {
        let head = format!(
            "# {} x{}, median of {} rounds:",
            self.workload.name(),
            self.connections,
            self.count()
        );
        let mut lines = vec![head];
        for (label, ops, p99) in &self.targets {
            let fmt =
                |v: Option<f64>, digits: usize| v.map_or("-".into(), |x| format!("{x:.digits$}"));
            lines.push(format!(
                "#   {label}: {} ops/s, p99 {} ms",
                fmt(median(ops), 1),
                fmt(median(p99), 3)
            ));
        }
        let (ops, p99) = self.ratio_figures();
        let ratio = |v: &[f64]| match (median(v), range(v)) {
            (Some(m), Some((lo, hi))) => format!("{m:.3} (range {lo:.2}-{hi:.2})"),
            _ => "-".into(),
        };
        if !self.ratios.is_empty() {
            lines.push(format!(
                "#   ratio {}, p99 ratio {}",
                ratio(&ops),
                ratio(&p99)
            ));
        }
        lines
    }

    /// One JSON object after the last round (`"rounds"` tells it from the
    /// per-cell objects).
    pub fn json(&self) -> String {
        let per_target: Vec<Value> = self
            .targets
            .iter()
            .map(|(label, ops, p99)| {
                json!({
                    "target": label,
                    "median_ops_per_s": median(ops),
                    "median_p99_ms": median(p99),
                })
            })
            .collect();
        let (ops, p99) = self.ratio_figures();
        let mut v = json!({
            "rounds": self.count(),
            "workload": self.workload.name(),
            "connections": self.connections,
            "targets": per_target,
        });
        if !self.ratios.is_empty() {
            v["median_ratio_ops_per_s"] = json!(median(&ops));
            v["median_ratio_p99"] = json!(median(&p99));
            v["ratio_p99_range"] = json!(range(&p99).map(|(lo, hi)| [lo, hi]));
            v["ratio_ops_per_s_range"] = json!(range(&ops).map(|(lo, hi)| [lo, hi]));
        }
        v.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Summary;
    use std::time::Duration;

    fn cell(label: &str, ok: u64, p99_ms: u64) -> CellResult {
        // `ok` requests in 1 s, all but the slowest at 1 ms.
        let mut ns = vec![1_000_000; ok as usize];
        if let Some(last) = ns.last_mut() {
            *last = p99_ms * 1_000_000;
        }
        CellResult {
            label: label.into(),
            endpoint: "http://127.0.0.1:1".into(),
            workload: Workload::Write,
            connections: 64,
            value_size: 256,
            keys: 10,
            summary: Summary::new(&mut ns, 0, 0, Duration::from_secs(1)),
            truncated: false,
        }
    }

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[f64::NAN, 5.0]), Some(5.0));
    }

    #[test]
    fn rounds_give_the_median_ratio_and_its_range() {
        let mut r = Rounds::new(Workload::Write, 64);
        // Of 100 requests, the p99 (nearest rank) is not the slowest one;
        // of 50, it is.
        for (ours, reference) in [(2, 10), (3, 10), (4, 8)] {
            r.add(&[cell("ours", 100, ours), cell("reference", 50, reference)]);
        }
        let text = r.text().join("\n");
        assert_eq!(
            text,
            "# write x64, median of 3 rounds:\n\
             #   ours: 100.0 ops/s, p99 1.000 ms\n\
             #   reference: 50.0 ops/s, p99 10.000 ms\n\
             #   ratio 2.000 (range 2.00-2.00), p99 ratio 0.100 (range 0.10-0.12)"
        );
        let v: Value = serde_json::from_str(&r.json()).unwrap();
        assert_eq!(v["rounds"], 3);
        assert_eq!(v["median_ratio_ops_per_s"], 2.0);
        assert_eq!(v["targets"][1]["target"], "reference");
    }

    #[test]
    fn the_slow_tail_moves_the_p99_ratio() {
        let mut r = Rounds::new(Workload::Write, 64);
        // With 10 requests the p99 (nearest rank) is the slowest one.
        for (ours, reference) in [(2, 10), (3, 10), (4, 8)] {
            r.add(&[cell("ours", 10, ours), cell("reference", 10, reference)]);
        }
        let v: Value = serde_json::from_str(&r.json()).unwrap();
        assert_eq!(v["median_ratio_p99"], 0.3);
        assert_eq!(v["ratio_p99_range"], json!([0.2, 0.5]));
        assert_eq!(v["targets"][0]["median_p99_ms"], 3.0);
        assert_eq!(v["targets"][1]["median_p99_ms"], 10.0);
        let one = Rounds::new(Workload::Read, 1);
        let v: Value = serde_json::from_str(&one.json()).unwrap();
        assert!(v.get("median_ratio_p99").is_none());
    }
}
