//! Retention of monitoring samples (issue #8).
