//! Use-case scenario results (issue #7).
