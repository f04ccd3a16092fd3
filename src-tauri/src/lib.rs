//! The BenchBar menu-bar app.
