//! Tests of the crate's private parts over fixtures and generated input (the parsers, the
//! energy math, the RAPL source over a fake sysfs tree, the sampler's cost). They were
//! integration tests while these modules were public; `tests/` keeps what goes through the
//! public API.

mod ioreport_rows;
mod powermetrics_fixtures;
mod powermetrics_fuzz;
mod properties;
mod rapl_sysfs;
mod sampler_cost;
mod sampler_ticks;
