//! Black-box tests: they start the workspace's real binaries.

mod skeleton;
mod util;
