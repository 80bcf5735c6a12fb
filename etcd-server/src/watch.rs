//! Watch hub.
