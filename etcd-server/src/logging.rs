//! Log lines shaped like the reference's (`2026-11-21 05:10:31.808346 I |
//! embed: ready to serve client requests`) on stderr, so tools that wait for
//! its start-up lines keep working. Events are structured (tracing); the
//! event's target plays the reference's package name.

use etcd_client::time::format_rfc3339_nano;
use std::fmt;
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::EnvFilter;

/// The reference's line format.
#[derive(Debug, Clone, Copy, Default)]
pub struct CapnslogFormat;

fn level_letter(level: &Level) -> char {
    match *level {
        Level::ERROR => 'E',
        Level::WARN => 'W',
        Level::INFO => 'I',
        Level::DEBUG => 'D',
        Level::TRACE => 'T',
    }
}

/// `2026-11-21 05:10:31.808346` (UTC, microseconds).
pub fn timestamp(unix_nanos: i64) -> String {
    let rfc = format_rfc3339_nano(unix_nanos - unix_nanos.rem_euclid(1000));
    let (date, rest) = rfc.split_once('T').unwrap_or((&rfc, ""));
    let rest = rest.trim_end_matches('Z');
    let (hms, frac) = rest.split_once('.').unwrap_or((rest, ""));
    format!("{date} {hms}.{:0<6}", &frac[..frac.len().min(6)])
}

impl<S, N> FormatEvent<S, N> for CapnslogFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut w: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        let target = meta.target();
        let package = target.strip_prefix("etcd_server::").unwrap_or(target);
        write!(
            w,
            "{} {} | {}: ",
            timestamp(crate::app::now_nanos()),
            level_letter(meta.level()),
            package
        )?;
        ctx.field_format().format_fields(w.by_ref(), event)?;
        writeln!(w)
    }
}

/// Installs the logger on stderr at `level` (`debug`, `info`, `warn`,
/// `error`); `RUST_LOG` refines it.
pub fn init(level: &str) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(format!("{level},openraft=warn")));
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_env_filter(filter)
        .event_format(CapnslogFormat)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_like_capnslog() {
        let t = etcd_client::time::parse_rfc3339("2026-11-21T05:10:31.808346123Z").unwrap();
        assert_eq!(timestamp(t), "2026-11-21 05:10:31.808346");
        let whole = etcd_client::time::parse_rfc3339("2026-11-21T05:10:31Z").unwrap();
        assert_eq!(timestamp(whole), "2026-11-21 05:10:31.000000");
    }
}
