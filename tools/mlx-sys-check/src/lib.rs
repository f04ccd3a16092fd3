//! Check-only stand-in for `mlx-sys` 0.7.0: the bindgen output over the genuine mlx-c headers,
//! with no native library behind it. Used only to type-check mlx-rs code for
//! `aarch64-apple-darwin` on Linux; see `scripts/check-macos.sh`.
#![allow(non_upper_case_globals)]
#![allow(non_camel_case_types)]
#![allow(non_snake_case)]
#![allow(clippy::all)]

include!(concat!(env!("OUT_DIR"), "/bindings.rs"));
