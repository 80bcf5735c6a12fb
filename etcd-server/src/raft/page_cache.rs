//! How the log's appends meet the kernel's page cache, so that each append's
//! fdatasync writes the few pages the append changed and nothing more.
//!
//! Two things would make it write more, or wait:
//!
//! - **Large folios.** The page cache holds a file in folios of one page or
//!   more; large writes and reads (and readahead) get large ones, up to
//!   several MiB on recent kernels, and a dirty folio is written back whole.
//!   Appends into a segment whose zeros had been written or read through the
//!   cache made every fdatasync write about 340 KiB where the append changed
//!   under 16 KiB (ext4, Linux 6.18: `write_bytes` of `/proc/<pid>/io` over
//!   the fsync count, 64 writers). So once a segment's zeros are synced, or
//!   its records read at start, its cached pages are dropped ([`forget`]),
//!   and appends get small folios from their own writes.
//! - **Reads inside a write.** A write covering only part of a page that is
//!   not cached makes the kernel read the page from the disk first, inside
//!   the writer's `pwrite`, before the sync can start. Each append is padded
//!   with the zeros the rest of its last page holds anyway
//!   ([`padding`]), so only the page where an append starts is ever written
//!   in part, and the previous append left it in the cache.

use std::fs::File;
use std::path::Path;

/// How many zeros to write after a batch of records ending at `end`: up to
/// the end of its page, but not past `limit` (the preallocated length of the
/// segment, which padding must not grow). They go to the disk with the page
/// in any case: a sync writes whole pages.
pub(super) fn padding(end: u64, limit: u64) -> usize {
    let page = rustix::param::page_size() as u64;
    let padded = end.next_multiple_of(page).min(limit);
    usize::try_from(padded.saturating_sub(end)).expect("less than a page")
}

/// Drops the cached pages of segment `file` (at `path`), all clean: it was
/// just synced or read. This is advice: where the kernel refuses it, appends
/// only sync more.
pub(super) fn forget(path: &Path, file: &File) {
    let advice = rustix::fs::Advice::DontNeed;
    if let Err(e) = rustix::fs::fadvise(file, 0, None, advice) {
        tracing::debug!(file = %path.display(), error = %e, "could not drop a wal segment's cached pages");
    }
}
