//! Performance reports and charts (issue #8).
