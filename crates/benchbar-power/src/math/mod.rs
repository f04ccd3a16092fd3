//! The pure energy math, private to the crate: domains and units, wrap-aware counter deltas,
//! the accumulator that turns counter rows into joules per domain ([`energy`]), and what two
//! energy points give — phase energy, idle baseline, watts timeline, tokens per joule
//! ([`phase`]). No I/O; every source and the session go through it.

pub(crate) mod energy;
pub(crate) mod phase;

pub use energy::*;
pub use phase::*;
