//! benchbar CLI.
fn main() {}
