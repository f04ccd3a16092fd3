//! The machine around a measurement, apart from energy: process and system memory
//! ([`memory`]), thermal and power state — battery, Low Power Mode, CPU frequencies
//! ([`state`]) —, a throttling heuristic over tok/s across repetitions ([`throttle`]), and the
//! small OS calls they and the session share ([`os`]).

pub(crate) mod memory;
pub(crate) mod os;
pub(crate) mod state;
pub(crate) mod throttle;
