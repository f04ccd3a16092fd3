//! benchbar-engine.
