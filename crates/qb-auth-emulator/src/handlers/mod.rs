//! One module per group of endpoints, plus how callers are authenticated.

pub(crate) mod account;
pub(crate) mod auth;
pub(crate) mod login;
pub(crate) mod resources;
pub(crate) mod session;
