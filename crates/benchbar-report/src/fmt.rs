//! Number formatting for reports: benchbar-core's, shared with the text exporters.

pub use benchbar_core::fmt::{bytes, num, opt};
