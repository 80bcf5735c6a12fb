//! Output: a fixed-width table, or one JSON object per cell.

use std::time::Duration;

use serde_json::{json, Value};

use crate::args::Workload;
use crate::stats::Summary;

/// One measured cell: a workload at a connection count against one target.
#[derive(Debug, Clone)]
pub struct CellResult {
    pub label: String,
    pub endpoint: String,
    pub workload: Workload,
    pub connections: usize,
    pub value_size: usize,
    pub keys: u64,
    pub summary: Summary,
    /// The hard cap (`--max-runtime`) ended the cell early.
    pub truncated: bool,
}

/// First target relative to the second one, for the same cell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ratio {
    /// ops/s of the first ÷ ops/s of the second (> 1: first is faster).
    pub ops: Option<f64>,
    /// p99 of the first ÷ p99 of the second (< 1: first is faster).
    pub p99: Option<f64>,
}

impl Ratio {
    pub fn of(first: &Summary, second: &Summary) -> Ratio {
        let ref_ops = second.ops_per_sec();
        let ops = (ref_ops > 0.0).then(|| first.ops_per_sec() / ref_ops);
        let p99 = match (first.p99, second.p99) {
            (Some(a), Some(b)) if !b.is_zero() => Some(a.as_secs_f64() / b.as_secs_f64()),
            _ => None,
        };
        Ratio { ops, p99 }
    }
}

/// Column layout; `label` grows with the longest target label.
#[derive(Debug, Clone, Copy)]
pub struct Table {
    label: usize,
}

const HEADS: [(&str, usize); 13] = [
    ("workload", 11),
    ("conns", 5),
    ("", 0), // target label, variable width
    ("ops/s", 10),
    ("p50 ms", 9),
    ("p90 ms", 9),
    ("p99 ms", 9),
    ("p99.9 ms", 9),
    ("max ms", 9),
    ("non2xx", 7),
    ("errors", 7),
    ("ratio", 6),
    ("p99 ratio", 9),
];

impl Table {
    pub fn new<'a>(labels: impl IntoIterator<Item = &'a str>) -> Table {
        let longest = labels.into_iter().map(str::len).max().unwrap_or(0);
        Table {
            label: longest.max("target".len()),
        }
    }

    pub fn header(&self) -> String {
        let cols: Vec<String> = HEADS
            .iter()
            .enumerate()
            .map(|(i, (name, w))| match i {
                0 => format!("{name:<w$}"),
                2 => format!("{:<w$}", "target", w = self.label),
                _ => format!("{name:>w$}"),
            })
            .collect();
        cols.join(" ")
    }

    /// One row; `ratio` is shown on the first target's row of a pair.
    pub fn row(&self, c: &CellResult, ratio: Option<Ratio>) -> String {
        let s = &c.summary;
        let r_ops = ratio.and_then(|r| r.ops);
        let r_p99 = ratio.and_then(|r| r.p99);
        let cols = [
            c.workload.name().to_string(),
            c.connections.to_string(),
            c.label.clone(),
            format!("{:.1}", s.ops_per_sec()),
            ms(s.p50),
            ms(s.p90),
            ms(s.p99),
            ms(s.p999),
            ms(s.max),
            s.non_2xx.to_string(),
            s.errors.to_string(),
            r_ops.map_or("-".into(), |r| format!("{r:.2}")),
            r_p99.map_or("-".into(), |r| format!("{r:.2}")),
        ];
        let mut line = cols
            .iter()
            .zip(HEADS.iter())
            .enumerate()
            .map(|(i, (v, (_, w)))| match i {
                0 => format!("{v:<w$}"),
                2 => format!("{v:<w$}", w = self.label),
                _ => format!("{v:>w$}"),
            })
            .collect::<Vec<_>>()
            .join(" ");
        if c.truncated {
            line.push_str("  (cut short by --max-runtime)");
        }
        line
    }
}

/// Footnote printed under a two-target table.
pub fn ratio_note(first: &str, second: &str) -> String {
    format!(
        "ratio = ops/s of {first} / ops/s of {second} (>1: {first} faster); \
         p99 ratio = p99 of {first} / p99 of {second} (<1: {first} faster)"
    )
}

fn ms(d: Option<Duration>) -> String {
    d.map_or("-".into(), |d| format!("{:.3}", d.as_secs_f64() * 1e3))
}

fn ms_json(d: Option<Duration>) -> Value {
    d.map_or(Value::Null, |d| json!(d.as_nanos() as f64 / 1e6))
}

/// One JSON object for a cell; `ratio` is the first target vs `ratio_to`.
pub fn json_line(c: &CellResult, ratio: Option<(Ratio, &str)>) -> String {
    let s = &c.summary;
    let mut v = json!({
        "target": c.label,
        "endpoint": c.endpoint,
        "workload": c.workload.name(),
        "connections": c.connections,
        "value_size": c.value_size,
        "keys": c.keys,
        "ok": s.ok,
        "non_2xx": s.non_2xx,
        "errors": s.errors,
        "elapsed_s": s.elapsed.as_secs_f64(),
        "ops_per_s": s.ops_per_sec(),
        "p50_ms": ms_json(s.p50),
        "p90_ms": ms_json(s.p90),
        "p99_ms": ms_json(s.p99),
        "p999_ms": ms_json(s.p999),
        "max_ms": ms_json(s.max),
        "truncated": c.truncated,
    });
    if let Some((r, other)) = ratio {
        v["ratio_to"] = json!(other);
        v["ratio_ops_per_s"] = json!(r.ops);
        v["ratio_p99"] = json!(r.p99);
    }
    v.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(label: &str, ok_ms: &[u64], secs: u64) -> CellResult {
        let mut ns: Vec<u64> = ok_ms.iter().map(|m| m * 1_000_000).collect();
        CellResult {
            label: label.into(),
            endpoint: "http://127.0.0.1:1".into(),
            workload: Workload::QuorumRead,
            connections: 64,
            value_size: 256,
            keys: 10,
            summary: Summary::new(&mut ns, 2, 1, Duration::from_secs(secs)),
            truncated: false,
        }
    }

    #[test]
    fn header_and_rows_line_up() {
        let t = Table::new(["ours", "reference"]);
        let h = t.header();
        assert!(h.starts_with("workload    conns target    "), "{h}");
        assert!(h.ends_with(" ratio p99 ratio"), "{h}");
        let a = cell("ours", &[1, 2, 3, 4], 2);
        let b = cell("reference", &[2, 4, 6, 8], 1);
        let r = Ratio::of(&a.summary, &b.summary);
        assert_eq!(r.ops, Some(0.5));
        assert_eq!(r.p99, Some(0.5));
        let ra = t.row(&a, Some(r));
        let rb = t.row(&b, None);
        assert_eq!(ra.len(), h.len(), "\n{h}\n{ra}");
        assert_eq!(rb.len(), h.len(), "\n{h}\n{rb}");
        assert_eq!(
            ra,
            "quorum-read    64 ours             2.0     2.000     4.000     4.000     \
             4.000     4.000       2       1   0.50      0.50"
        );
        assert!(rb.ends_with("      -         -"), "{rb}");
        // Each right-aligned column ends with its heading, in both rows.
        let mut end = 0;
        for (i, (name, w)) in HEADS.iter().enumerate() {
            end += if i == 2 { t.label } else { *w };
            if i > 2 {
                assert_eq!(&h[end - name.len()..end], *name);
                assert_ne!(ra.as_bytes()[end - 1], b' ', "col {name}\n{h}\n{ra}");
                assert_ne!(rb.as_bytes()[end - 1], b' ', "col {name}\n{h}\n{rb}");
            }
            end += 1;
        }
    }

    #[test]
    fn empty_cell_and_truncation() {
        let t = Table::new(["x"]);
        let mut c = cell("x", &[], 1);
        c.truncated = true;
        let row = t.row(&c, None);
        assert!(row.contains("       0.0         -"), "{row}");
        assert!(row.ends_with("(cut short by --max-runtime)"));
        let r = Ratio::of(&c.summary, &c.summary);
        assert_eq!(
            r,
            Ratio {
                ops: None,
                p99: None
            }
        );
    }

    #[test]
    fn wide_labels_widen_the_column() {
        let t = Table::new(["a-very-long-label-name"]);
        let h = t.header();
        let row = t.row(&cell("a-very-long-label-name", &[1], 1), None);
        assert_eq!(h.len(), row.len());
    }

    #[test]
    fn json_objects() {
        let a = cell("ours", &[1, 2, 3, 4], 2);
        let v: Value = serde_json::from_str(&json_line(&a, None)).unwrap();
        assert_eq!(v["workload"], "quorum-read");
        assert_eq!(v["connections"], 64);
        assert_eq!(v["ok"], 4);
        assert_eq!(v["ops_per_s"], 2.0);
        assert_eq!(v["p50_ms"], 2.0);
        assert_eq!(v["max_ms"], 4.0);
        assert!(v.get("ratio_ops_per_s").is_none());
        let r = Ratio {
            ops: Some(1.5),
            p99: None,
        };
        let line = json_line(&a, Some((r, "reference")));
        assert!(!line.contains('\n'));
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["ratio_ops_per_s"], 1.5);
        assert_eq!(v["ratio_p99"], Value::Null);
        assert_eq!(v["ratio_to"], "reference");
        let e = cell("x", &[], 1);
        let v: Value = serde_json::from_str(&json_line(&e, None)).unwrap();
        assert_eq!(v["p99_ms"], Value::Null);
    }
}
