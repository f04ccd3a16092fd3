#!/usr/bin/env bash
# Type-check the macOS code paths (mlx-rs backend, macOS power sources) on Linux.
#
#   scripts/check-macos.sh [extra cargo check args...]
#
# mlx-sys (under mlx-rs) builds MLX with CMake and links Apple frameworks, so it cannot build for
# aarch64-apple-darwin here. tools/mlx-sys-check is a check-only stand-in with the same name,
# version and bindings (bindgen over the genuine mlx-c headers, no native code); this script
# patches it in with `--config patch.crates-io.mlx-sys.path=...` and runs
# `cargo check --target aarch64-apple-darwin --all-targets`. Nothing is linked, nothing can run;
# C/C++ that -sys dependencies compile for the target (no macOS SDK here) is replaced by empty
# objects (tools/mlx-sys-check/noop-cc), so only Rust code is checked.
# See ARCHITECTURE.md, "Type-checking the macOS code on Linux".
#
# The patch rewrites Cargo.lock's mlx-sys entry, so the check runs on a mirror of the working
# tree under target/macos-check/src; the repository's Cargo.lock is never touched.
#
# Env: MACOS_CHECK_PACKAGES  packages to check (default "benchbar-mlx benchbar-power")
#      MACOS_CHECK_CARGO      cargo subcommand: check (default) or clippy
#      CARGO_TARGET_DIR      default <repo>/target/macos-check
#      CARGO_BUILD_JOBS      default 2
# Exits non-zero when the check (or a setup step) fails.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target=aarch64-apple-darwin
standin="$root/tools/mlx-sys-check"
packages="${MACOS_CHECK_PACKAGES:-benchbar-mlx benchbar-power}"
subcmd="${MACOS_CHECK_CARGO:-check}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target/macos-check}"
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
cargo_home="${CARGO_HOME:-$HOME/.cargo}"

log() { printf 'check-macos: %s\n' "$*" >&2; }

# 1. Rust target (std for aarch64-apple-darwin; no linker needed for `check`).
if ! rustup target list --installed | grep -x "$target" >/dev/null; then
    log "rustup target add $target"
    rustup target add "$target"
fi

# 2. libclang for bindgen (Debian libclang-dev also ships clang's builtin headers).
if command -v dpkg >/dev/null && ! dpkg -s libclang-dev >/dev/null 2>&1; then
    log "installing libclang-dev"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq libclang-dev
fi

# 3. The genuine mlx-sys 0.7.0 source (its mlx-c headers feed the stand-in's bindgen).
if ! compgen -G "$cargo_home/registry/src/*/mlx-sys-0.7.0/src/mlx-c/mlx/c/mlx.h" >/dev/null; then
    log "fetching mlx-sys 0.7.0 sources"
    fetch="$(mktemp -d)"
    trap 'rm -rf "$fetch"' EXIT
    mkdir -p "$fetch/src"
    printf '[package]\nname = "fetch-mlx-sys"\nversion = "0.0.0"\nedition = "2021"\n[dependencies]\nmlx-sys = "=0.7.0"\n[workspace]\n' \
        >"$fetch/Cargo.toml"
    : >"$fetch/src/lib.rs"
    cargo fetch --manifest-path "$fetch/Cargo.toml"
fi

# 4. Mirror the working tree (tracked + untracked-not-ignored files, mtimes kept so incremental
#    checks stay fresh) so the patched resolve writes a throwaway Cargo.lock.
mirror="$CARGO_TARGET_DIR/src"
rm -rf "$mirror"
mkdir -p "$mirror"
if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    (cd "$root" && git ls-files -z --cached --others --exclude-standard |
        while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
        tar --null -T - -cf -) | tar -xf - -C "$mirror"
else
    (cd "$root" && tar --exclude=./target --exclude=./.venv --exclude=./node_modules \
        --exclude=./ui/node_modules -cf - .) | tar -xf - -C "$mirror"
fi

# 5. C/C++ built for the target by -sys crates (oniguruma under tokenizers): no macOS SDK here
#    and nothing is linked, so a no-op compiler writes empty objects (host build scripts and
#    proc macros still use the real host compiler).
export CC_aarch64_apple_darwin="$standin/noop-cc"
export CXX_aarch64_apple_darwin="$standin/noop-cc"
export AR_aarch64_apple_darwin="${AR_aarch64_apple_darwin:-ar}"

# 6. The check.
pkg_args=()
for p in $packages; do pkg_args+=(-p "$p"); done
log "cargo $subcmd --target $target ${pkg_args[*]} --all-targets (mlx-sys -> $standin)"
cd "$mirror"
# Nothing of this build runs except build scripts and proc macros: no optimisation, no debug
# info (the workspace builds dependencies at opt-level 2; measured cold here: 14m07s -> 4m02s).
cargo "$subcmd" --target "$target" "${pkg_args[@]}" --all-targets \
    --config "patch.crates-io.mlx-sys.path=\"$standin\"" \
    --config 'profile.dev.package."*".opt-level=0' \
    --config 'profile.dev.debug=false' \
    "$@"
log "ok"
