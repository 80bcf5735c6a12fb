//! Argument parsing with the reference's semantics: urfave/cli v1's argument
//! reordering for commands, then Go's `flag` package rules and error texts.

use std::collections::HashMap;
use std::time::Duration;

use super::def::{Flag, Kind};

/// A parsed flag value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A switch.
    Bool(bool),
    /// A string.
    Str(String),
    /// An integer.
    Int(i64),
    /// A duration.
    Duration(Duration),
    /// Every value of a repeatable flag, in order.
    Strings(Vec<String>),
}

/// The outcome of parsing one level (global options or one command).
#[derive(Debug, Clone, Default)]
pub struct Matches {
    values: HashMap<&'static str, Value>,
    /// The positional arguments left after the flags.
    pub args: Vec<String>,
    /// The command's arguments as typed, before reordering (set for commands).
    pub raw: Vec<String>,
}

impl Matches {
    /// Whether the flag was given on the command line.
    pub fn is_set(&self, name: &str) -> bool {
        self.values.contains_key(name)
    }

    /// A switch's value (false when absent).
    pub fn bool(&self, name: &str) -> bool {
        matches!(self.values.get(name), Some(Value::Bool(true)))
    }

    /// A string flag's value, if given.
    pub fn string(&self, name: &str) -> Option<&str> {
        match self.values.get(name) {
            Some(Value::Str(s)) => Some(s),
            _ => None,
        }
    }

    /// An integer flag's value, if given.
    pub fn int(&self, name: &str) -> Option<i64> {
        match self.values.get(name) {
            Some(Value::Int(i)) => Some(*i),
            _ => None,
        }
    }

    /// Every value of a repeatable flag (empty when absent).
    pub fn strings(&self, name: &str) -> Vec<String> {
        match self.values.get(name) {
            Some(Value::Strings(v)) => v.clone(),
            _ => Vec::new(),
        }
    }

    /// A duration flag's value, if given.
    pub fn duration(&self, name: &str) -> Option<Duration> {
        match self.values.get(name) {
            Some(Value::Duration(d)) => Some(*d),
            _ => None,
        }
    }

    /// Records a value (used for defaults taken from the environment).
    pub fn insert(&mut self, name: &'static str, value: Value) {
        self.values.insert(name, value);
    }
}

/// Why parsing stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// `-h` / `--help` (not defined as a flag): show the help.
    Help,
    /// A flag error, in Go's words (`flag provided but not defined: -bogus`).
    Flag(String),
}

/// urfave/cli v1's reordering of a command's arguments (`flags`: the
/// command's own). Arguments naming one of those flags (or `-h`/`--help`)
/// move to the front; so does the argument after such a flag written
/// without `=`, unless it names a flag itself, even when the flag is a
/// switch, and even when that argument is `--`. The first other `--` ends
/// the scan: it goes after the moved flags, followed by the arguments left
/// in place and everything after it. Anything else, including an argument
/// that starts with `-` but names no flag of the command (`set /k -dash`),
/// stays a positional argument in its place.
pub fn reorder(flags: &[Flag], args: &[String]) -> Vec<String> {
    let mut moved = Vec::new();
    let mut positionals = Vec::new();
    let mut value_may_follow = false;
    for (i, arg) in args.iter().enumerate() {
        let is_flag = names_flag(flags, arg);
        if value_may_follow && !is_flag {
            moved.push(arg.clone());
            value_may_follow = false;
        } else if arg == "--" {
            moved.push("--".into());
            moved.append(&mut positionals);
            moved.extend_from_slice(&args[i + 1..]);
            return moved;
        } else if is_flag {
            moved.push(arg.clone());
            value_may_follow = !arg.contains('=');
        } else {
            positionals.push(arg.clone());
        }
    }
    moved.append(&mut positionals);
    moved
}

/// Whether `arg` names one of `flags` or the help flag, as urfave/cli v1
/// recognises it for reordering ([`flag_name`]).
pub fn names_flag(flags: &[Flag], arg: &str) -> bool {
    flag_name(arg).is_some_and(|name| {
        name == "help" || name == "h" || flags.iter().any(|f| f.names.contains(&name))
    })
}

/// The flag name `arg` spells, as urfave/cli v1 reads it: two leading
/// dashes stripped (or one), one more if one is left, then the part before
/// any `=`. `None` for `-`, `--` and arguments without a leading dash.
pub fn flag_name(arg: &str) -> Option<&str> {
    if arg == "-" || arg == "--" || !arg.starts_with('-') {
        return None;
    }
    let name = arg.strip_prefix("--").unwrap_or(arg);
    let name = name.strip_prefix('-').unwrap_or(name);
    name.split('=').next()
}

/// Go's `flag.FlagSet.Parse` over `flags`: stops at the first non-flag
/// argument, consumes one `--`, and reports errors with Go's texts.
pub fn parse(flags: &'static [Flag], args: &[String]) -> Result<Matches, ParseError> {
    let mut m = Matches::default();
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        if arg.len() < 2 || !arg.starts_with('-') {
            break;
        }
        if arg == "--" {
            i += 1;
            break;
        }
        let body = arg.strip_prefix("--").unwrap_or_else(|| &arg[1..]);
        if body.is_empty() || body.starts_with('-') || body.starts_with('=') {
            return Err(ParseError::Flag(format!("bad flag syntax: {arg}")));
        }
        let (name, inline) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (body, None),
        };
        i += 1;
        let Some(flag) = flags.iter().find(|f| f.names.contains(&name)) else {
            if name == "help" || name == "h" {
                return Err(ParseError::Help);
            }
            return Err(ParseError::Flag(format!(
                "flag provided but not defined: -{name}"
            )));
        };
        let value = if flag.kind == Kind::Bool {
            match inline {
                None => Value::Bool(true),
                Some(v) => Value::Bool(parse_bool(v).ok_or_else(|| {
                    ParseError::Flag(format!(
                        "invalid boolean value {:?} for -{name}: parse error",
                        v
                    ))
                })?),
            }
        } else {
            let text = match inline {
                Some(v) => v.to_owned(),
                None if i < args.len() => {
                    i += 1;
                    args[i - 1].clone()
                }
                None => return Err(ParseError::Flag(format!("flag needs an argument: -{name}"))),
            };
            convert(flag.kind, &text).map_err(|why| {
                ParseError::Flag(format!("invalid value {text:?} for flag -{name}: {why}"))
            })?
        };
        match (value, m.values.get_mut(flag.name())) {
            (Value::Strings(new), Some(Value::Strings(all))) => all.extend(new),
            (value, _) => {
                m.values.insert(flag.name(), value);
            }
        }
    }
    m.args = args[i..].to_vec();
    Ok(m)
}

/// Converts a flag's text to its value (Go's texts for the failures).
pub fn convert(kind: Kind, text: &str) -> Result<Value, &'static str> {
    match kind {
        Kind::Bool => parse_bool(text).map(Value::Bool).ok_or("parse error"),
        Kind::Str => Ok(Value::Str(text.to_owned())),
        Kind::Int => parse_int(text).map(Value::Int),
        Kind::Duration => parse_duration(text).map(Value::Duration),
        Kind::Strings => Ok(Value::Strings(vec![text.to_owned()])),
    }
}

/// Go's `strconv.ParseBool`.
fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Go's `strconv.ParseInt(s, 0, 64)`: sign, `0x`/`0o`/`0b`/leading-0 bases, `_` separators.
fn parse_int(s: &str) -> Result<i64, &'static str> {
    let (neg, rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = rest.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    if digits.contains('_') && !underscores_ok(rest) {
        return Err("parse error");
    }
    let digits: String = digits.chars().filter(|&c| c != '_').collect();
    // `from_str_radix` would take a second sign (`++5`); Go does not.
    if digits.is_empty() || digits.starts_with('+') {
        return Err("parse error");
    }
    let magnitude = u64::from_str_radix(&digits, radix).map_err(|e| match e.kind() {
        std::num::IntErrorKind::PosOverflow => "value out of range",
        _ => "parse error",
    })?;
    if neg {
        if magnitude > i64::MAX as u64 + 1 {
            return Err("value out of range");
        }
        Ok((magnitude as i128).wrapping_neg() as i64)
    } else {
        i64::try_from(magnitude).map_err(|_| "value out of range")
    }
}

/// Go's rule for `_` in an integer of base 0 (`rest`: without its sign):
/// each one between two digits, or between the `0x`/`0o`/`0b` prefix and a
/// digit (`1_000`, `0x_10`, `0_10`; not `_1`, `1_`, `1__0`).
fn underscores_ok(rest: &str) -> bool {
    let b = rest.as_bytes();
    let (mut i, mut after_digit, mut hex) = (0, false, false);
    if b.len() >= 2 && b[0] == b'0' && matches!(b[1].to_ascii_lowercase(), b'b' | b'o' | b'x') {
        i = 2;
        after_digit = true;
        hex = b[1].eq_ignore_ascii_case(&b'x');
    }
    let mut after_underscore = false;
    for &c in &b[i..] {
        if c.is_ascii_digit() || hex && c.is_ascii_hexdigit() {
            (after_digit, after_underscore) = (true, false);
        } else if c == b'_' {
            if !after_digit {
                return false;
            }
            (after_digit, after_underscore) = (false, true);
        } else if after_underscore {
            return false;
        } else {
            after_digit = false;
        }
    }
    !after_underscore
}

/// Go's `time.ParseDuration` (negative durations count as zero here, as a
/// timeout of zero or less means "no time at all").
pub fn parse_duration(s: &str) -> Result<Duration, &'static str> {
    let (neg, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Ok(Duration::ZERO);
    }
    if rest.is_empty() {
        return Err("parse error");
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number = &rest[..num_len];
        if number.is_empty() || number == "." {
            return Err("parse error");
        }
        let value: f64 = number.parse().map_err(|_| "parse error")?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let nanos_per = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return Err("parse error"),
        };
        rest = &rest[unit_len..];
        total += value * nanos_per;
    }
    if total > i64::MAX as f64 {
        return Err("parse error");
    }
    if neg {
        return Ok(Duration::ZERO);
    }
    Ok(Duration::from_nanos(total as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    static FLAGS: &[Flag] = &[
        Flag::int(&["ttl"], "key time-to-live in seconds"),
        Flag::bool(&["recursive", "r"], "recursive"),
        Flag::string(&["swap-with-value"], "previous value"),
        Flag::strings(&["roles"], "roles"),
    ];

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn reorder_moves_flags_and_their_values_first() {
        let cases: &[(&[&str], &[&str])] = &[
            (&["/k", "v", "--ttl", "50"], &["--ttl", "50", "/k", "v"]),
            (&["/k", "--", "-dash"], &["--", "/k", "-dash"]),
            // A value is taken even after a boolean flag; Go parsing then stops there.
            (
                &["--recursive", "/dir", "--", "sh", "-c", "x"],
                &["--recursive", "/dir", "--", "sh", "-c", "x"],
            ),
            (&["-", "--ttl=5"], &["--ttl=5", "-"]),
            // What names no flag of the command stays where it is.
            (&["/k", "-dash"], &["/k", "-dash"]),
            (
                &["/k", "-dash", "--ttl", "9"],
                &["--ttl", "9", "/k", "-dash"],
            ),
            (&["/k", "v", "--bogus"], &["/k", "v", "--bogus"]),
            (&["sh", "-c", "echo", "/k"], &["sh", "-c", "echo", "/k"]),
            // ... and is taken as the value of a flag before it.
            (&["/k", "--ttl", "-5"], &["--ttl", "-5", "/k"]),
            (&["/k", "-r", "-x"], &["-r", "-x", "/k"]),
            // Flag names as urfave/cli reads them: `=`, one or two dashes, help.
            (&["/k", "-ttl=3", "---r"], &["-ttl=3", "---r", "/k"]),
            (&["/k", "-h"], &["-h", "/k"]),
            (&["/k", "--help=x"], &["--help=x", "/k"]),
            // A `--` right after a flag without `=` is that flag's value.
            (
                &["/k", "--ttl", "--", "--swap-with-value", "x", "v"],
                &["--ttl", "--", "--swap-with-value", "x", "/k", "v"],
            ),
            // The first other `--` goes after the flags; the rest keeps its order.
            (
                &["a", "-r", "b", "--", "c", "--ttl", "1"],
                &["-r", "b", "--", "a", "c", "--ttl", "1"],
            ),
        ];
        for (typed, want) in cases {
            assert_eq!(reorder(FLAGS, &args(typed)), args(want), "{typed:?}");
        }
    }

    #[test]
    fn parse_follows_go_flag_rules() {
        let m = parse(FLAGS, &args(&["--ttl", "50", "-r", "/k", "v"])).unwrap();
        assert_eq!(m.int("ttl"), Some(50));
        assert!(m.bool("recursive"));
        assert_eq!(m.args, args(&["/k", "v"]));
        let m = parse(FLAGS, &args(&["-ttl=0x10", "--", "-x"])).unwrap();
        assert_eq!(m.int("ttl"), Some(16));
        assert_eq!(m.args, args(&["-x"]));
        let m = parse(FLAGS, &args(&["-r", "/dir", "--", "sh"])).unwrap();
        assert_eq!(m.args, args(&["/dir", "--", "sh"]));
        assert_eq!(
            parse(FLAGS, &args(&["--bogus"])).unwrap_err(),
            ParseError::Flag("flag provided but not defined: -bogus".into())
        );
        assert_eq!(
            parse(FLAGS, &args(&["--ttl", "abc"])).unwrap_err(),
            ParseError::Flag("invalid value \"abc\" for flag -ttl: parse error".into())
        );
        assert_eq!(
            parse(FLAGS, &args(&["--ttl"])).unwrap_err(),
            ParseError::Flag("flag needs an argument: -ttl".into())
        );
        assert_eq!(
            parse(FLAGS, &args(&["-r=maybe"])).unwrap_err(),
            ParseError::Flag("invalid boolean value \"maybe\" for -r: parse error".into())
        );
        assert_eq!(
            parse(FLAGS, &args(&["---x"])).unwrap_err(),
            ParseError::Flag("bad flag syntax: ---x".into())
        );
        assert_eq!(parse(FLAGS, &args(&["-h"])).unwrap_err(), ParseError::Help);
        let m = parse(FLAGS, &args(&["--roles", "a", "--roles=b,c", "u"])).unwrap();
        assert_eq!(m.strings("roles"), ["a", "b,c"]);
        assert!(m.strings("swap-with-value").is_empty());
        assert_eq!(
            parse(FLAGS, &args(&["--ttl", "99999999999999999999"])).unwrap_err(),
            ParseError::Flag(
                "invalid value \"99999999999999999999\" for flag -ttl: value out of range".into()
            )
        );
    }

    #[test]
    fn ints_and_durations_parse_like_go() {
        assert_eq!(parse_int("-5"), Ok(-5));
        assert_eq!(parse_int("010"), Ok(8));
        assert_eq!(parse_int("0b11"), Ok(3));
        assert_eq!(parse_int("1_000"), Ok(1000));
        assert_eq!(parse_int("0x1_0"), Ok(16));
        assert_eq!(parse_int("0x_10"), Ok(16));
        assert_eq!(parse_int("0_10"), Ok(8));
        assert_eq!(parse_int("-1_0"), Ok(-10));
        for bad in [
            "_10", "10_", "1__0", "0x_", "-_5", "1_x", "++5", "-+5", "0x+5",
        ] {
            assert_eq!(parse_int(bad), Err("parse error"), "{bad}");
        }
        assert_eq!(parse_int(""), Err("parse error"));
        assert_eq!(parse_int("-9223372036854775808"), Ok(i64::MIN));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("1.5h"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("300ms"), Ok(Duration::from_millis(300)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("abc"), Err("parse error"));
        assert_eq!(parse_duration("5"), Err("parse error"));
        assert_eq!(parse_duration(""), Err("parse error"));
    }
}
