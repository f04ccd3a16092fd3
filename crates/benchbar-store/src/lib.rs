//! benchbar-store.
