#!/usr/bin/env bash
# Type-check the macOS code (mlx-rs backend, IOReport / powermetrics / proc_pid_rusage, the app's
# macOS lines) on Linux.
#
#   scripts/check-macos.sh [extra cargo args...]
#
# mlx-sys (under mlx-rs) builds MLX with CMake and links Apple frameworks, so it cannot build for
# aarch64-apple-darwin here. tools/mlx-sys-check is a check-only stand-in with the same name,
# version and bindings (bindgen over the genuine mlx-c headers, no native code); this script
# patches it in with `--config patch.crates-io.mlx-sys.path=...` and runs
# `cargo check --target aarch64-apple-darwin --all-targets`. Nothing is linked, nothing can run;
# C, C++ and Objective-C that -sys dependencies compile for the target (no macOS SDK here:
# oniguruma, SQLite, ring, mac-notification-sys, objc2-exception-helper) is replaced by empty
# objects (tools/mlx-sys-check/noop-cc), so only Rust code is checked.
# See docs/architecture.md, "Type-checking the macOS code on Linux", and docs/macos-typecheck.md.
#
# The patch rewrites Cargo.lock's mlx-sys entry, so the check runs on a mirror of the working
# tree under target/macos-check/src; the repository's Cargo.lock is never touched. The app embeds
# ui/dist (not in git) at compile time: the mirror links it, so build the frontend first.
#
# Env: MACOS_CHECK_PACKAGES  packages to check (default: the whole workspace)
#      MACOS_CHECK_CARGO      cargo subcommands, run in turn: "check" (default), "clippy", or
#                             "check clippy"; clippy runs with `-- -D warnings`
#      CARGO_TARGET_DIR      default <repo>/target/macos-check
#      CARGO_BUILD_JOBS      default 2
# Exits non-zero when a check (or a setup step) fails.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target=aarch64-apple-darwin
standin="$root/tools/mlx-sys-check"
packages="${MACOS_CHECK_PACKAGES:-}"
subcmds="${MACOS_CHECK_CARGO:-check}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target/macos-check}"
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
cargo_home="${CARGO_HOME:-$HOME/.cargo}"

log() { printf 'check-macos: %s\n' "$*" >&2; }

for sub in $subcmds; do
    case "$sub" in
        check | clippy) ;;
        *) log "MACOS_CHECK_CARGO: '$sub' is neither check nor clippy"; exit 2 ;;
    esac
done
pkg_args=()
for p in $packages; do pkg_args+=(-p "$p"); done
[ ${#pkg_args[@]} -gt 0 ] || pkg_args=(--workspace)

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

# 4b. The app's frontend (git-ignored build output that tauri::generate_context! embeds).
if [ -d "$root/ui/dist" ]; then
    ln -s "$root/ui/dist" "$mirror/ui/dist"
elif [ -z "$packages" ] || [[ " $packages " == *" benchbar-app "* ]]; then
    log "ui/dist is missing: build the frontend first (cd ui && npm ci && npm run build)"
    exit 1
fi

# 5. C/C++/Objective-C built for the target by -sys crates: no macOS SDK here and nothing is
#    linked, so a no-op compiler writes empty objects (host build scripts and proc macros still
#    use the real host compiler).
export CC_aarch64_apple_darwin="$standin/noop-cc"
export CXX_aarch64_apple_darwin="$standin/noop-cc"
export AR_aarch64_apple_darwin="${AR_aarch64_apple_darwin:-ar}"

# 6. The check: each subcommand in turn (clippy after check reuses the dependencies' artifacts).
# Nothing of this build runs except build scripts and proc macros: no optimisation, no debug
# info (the workspace builds dependencies at opt-level 2; measured cold here: 14m07s -> 4m02s).
cd "$mirror"
for sub in $subcmds; do
    lint_args=()
    if [ "$sub" = clippy ]; then lint_args=(-- -D warnings); fi
    log "cargo $sub --target $target ${pkg_args[*]} --all-targets $* ${lint_args[*]} (mlx-sys -> $standin)"
    cargo "$sub" --target "$target" "${pkg_args[@]}" --all-targets \
        --config "patch.crates-io.mlx-sys.path=\"$standin\"" \
        --config 'profile.dev.package."*".opt-level=0' \
        --config 'profile.dev.debug=false' \
        "$@" "${lint_args[@]}"
done
log "ok"
