//! Scheduled monitoring (issue #8).
