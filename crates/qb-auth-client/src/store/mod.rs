//! Stores for a managed session's snapshot beyond the core's in-memory
//! one: a file, kept across restarts of one program on one machine.

mod atomic;
mod file;
mod format;

pub use file::FileStore;
