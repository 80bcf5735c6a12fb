//! What the key commands share: their arguments, the TTL flag, and printing.

use etcd_client::Response;

use crate::cli::parse::Matches;
use crate::context::Ctx;
use crate::error::{report, Exit, EXIT_BAD_ARGS, EXIT_SERVER_ERROR};
use crate::output::{print_response, Format};

/// The `--ttl value` flag every writing key command has.
pub const TTL: crate::cli::Flag = crate::cli::Flag::int(&["ttl"], "key time-to-live in seconds");

/// The first positional argument, or `Error:  key required` (exit 1).
pub fn key(ctx: &mut Ctx, m: &Matches) -> Result<String, Exit> {
    match m.args.first() {
        Some(k) => Ok(k.clone()),
        None => Err(report(ctx.err(), EXIT_BAD_ARGS, &"key required")),
    }
}

/// The value: the second positional argument, else all of stdin; empty →
/// `Error:  value required` (exit 1).
pub fn value(ctx: &mut Ctx, m: &Matches) -> Result<String, Exit> {
    if let Some(v) = m.args.get(1) {
        return Ok(v.clone());
    }
    let v = ctx.read_stdin();
    if v.is_empty() {
        return Err(report(ctx.err(), EXIT_BAD_ARGS, &"value required"));
    }
    Ok(v)
}

/// The TTL to send: only a positive `--ttl` is sent, as the reference does.
pub fn ttl(m: &Matches) -> Option<u64> {
    ttl_sent(m.int("ttl")?)
}

/// The `ttl` the reference sends for `--ttl seconds`: it turns the seconds
/// into a Go `time.Duration` (nanoseconds in an int64, wrapping on
/// overflow), sends nothing unless that is positive, and sends its whole
/// seconds. So `--ttl 9223372037` sends none and `--ttl 20000000000` sends
/// 1553255926.
fn ttl_sent(seconds: i64) -> Option<u64> {
    const NANOS: i64 = 1_000_000_000;
    let nanos = seconds.wrapping_mul(NANOS);
    (nanos > 0).then_some((nanos / NANOS) as u64)
}

/// A previous index condition: zero means none; negative values wrap like Go's `uint64(int)`.
pub fn prev_index(m: &Matches, flag: &str) -> Option<u64> {
    m.int(flag).filter(|i| *i != 0).map(|i| i as u64)
}

/// Reports a failed key request (`Error:  ...`, exit 4).
pub fn failed(ctx: &mut Ctx, e: &etcd_client::Error) -> Exit {
    ctx.fail(EXIT_SERVER_ERROR, e)
}

/// Prints a response in the chosen format.
pub fn print(ctx: &mut Ctx, resp: &Response) {
    let format = ctx.format.clone();
    let mut out = ctx.io.stdout.clone();
    let _ = print_response(&mut out, ctx.err(), resp, &format);
}

/// Whether `-o` is the default `simple` (directory commands print nothing then).
pub fn is_simple(ctx: &Ctx) -> bool {
    ctx.format == Format::Simple
}

/// The three directory writes: `mkdir`, `setdir`, `updatedir`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirWrite {
    /// Create; fails if the key exists (sent once, never failed over).
    Make,
    /// Create or update the TTL.
    Set,
    /// Update an existing directory's TTL.
    Update,
}

/// Runs a directory write: prints nothing in `simple` mode, the response otherwise.
pub async fn dir_command(ctx: &mut Ctx, m: &Matches, kind: DirWrite) -> Result<(), Exit> {
    let client = ctx.client().await?;
    let key = key(ctx, m)?;
    let keys = client.keys();
    let mut req = match kind {
        DirWrite::Make => keys.mkdir(key).one_shot(),
        DirWrite::Set => keys.set_dir(key),
        DirWrite::Update => keys.update_dir(key),
    };
    if let Some(t) = ttl(m) {
        req = req.ttl(t);
    }
    let resp = req.send().await.map_err(|e| failed(ctx, &e))?;
    if !is_simple(ctx) {
        print(ctx, &resp);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::ttl_sent;

    #[test]
    fn ttl_overflows_like_a_go_duration() {
        assert_eq!(ttl_sent(50), Some(50));
        assert_eq!(ttl_sent(0), None);
        assert_eq!(ttl_sent(-5), None);
        assert_eq!(ttl_sent(9_223_372_036), Some(9_223_372_036));
        assert_eq!(ttl_sent(9_223_372_037), None);
        assert_eq!(ttl_sent(i64::MAX), None);
        assert_eq!(ttl_sent(18_446_744_074), Some(0));
        assert_eq!(ttl_sent(20_000_000_000), Some(1_553_255_926));
    }
}
