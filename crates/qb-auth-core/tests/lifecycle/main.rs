//! The session lifecycle, one file per state of its renewal (as the table
//! at the top of `src/lifecycle/state.rs` names them), driven with a fake
//! clock.

mod common;
mod hygiene;
mod persistence;
mod state_backing_off;
mod state_cooling;
mod state_held;
mod state_idle;
mod state_in_flight;
mod state_live;
mod state_refused;
