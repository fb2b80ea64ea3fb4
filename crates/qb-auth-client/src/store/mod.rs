//! Where a managed session keeps its state between runs: the
//! [`SessionStore`] seam, [`MemoryStore`], [`FileStore`] (one file, across
//! restarts of one program), and [`StoreError`], which the fleet's shared
//! stores ([`crate::fleet`]) fail with too.
//!
//! The managed session calls a store outside its lock: it loads once at
//! build, saves after each renewal and clears when the session is
//! destroyed or changes identity.

mod atomic;
mod error;
mod file;
mod format;
mod memory;
mod seam;
pub(crate) mod trust;

pub use error::{StoreError, StoreErrorKind};
pub use file::{FileStore, SavedFile};
pub use memory::MemoryStore;
pub use seam::SessionStore;
