//! Small OS calls shared by the session and the memory probes.

/// CPU time used by the calling thread, in nanoseconds.
///
/// Linux: `getrusage(RUSAGE_THREAD)` (user + system). macOS:
/// `clock_gettime(CLOCK_THREAD_CPUTIME_ID)`. Elsewhere `None`.
pub fn thread_cpu_time_ns() -> Option<u64> {
    #[cfg(target_os = "linux")]
    {
        let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
        // SAFETY: `usage` is a valid, writable rusage; RUSAGE_THREAD only fills it.
        let rc = unsafe { libc::getrusage(libc::RUSAGE_THREAD, usage.as_mut_ptr()) };
        if rc != 0 {
            return None;
        }
        // SAFETY: getrusage returned 0, so it initialized the struct (it was zeroed anyway).
        let usage = unsafe { usage.assume_init() };
        let tv_ns = |tv: libc::timeval| -> u64 {
            (tv.tv_sec.max(0) as u64) * 1_000_000_000 + (tv.tv_usec.max(0) as u64) * 1_000
        };
        Some(tv_ns(usage.ru_utime) + tv_ns(usage.ru_stime))
    }
    #[cfg(target_os = "macos")]
    {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid, writable timespec.
        let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
        if rc != 0 {
            return None;
        }
        Some((ts.tv_sec.max(0) as u64) * 1_000_000_000 + ts.tv_nsec.max(0) as u64)
    }
    #[cfg(not(any(target_os = "linux", target_os = "macos")))]
    {
        None
    }
}

/// True when the process runs as root (effective uid 0).
#[cfg(target_os = "macos")]
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_cpu_time_advances() {
        let a = thread_cpu_time_ns();
        if cfg!(any(target_os = "linux", target_os = "macos")) {
            let mut x = 0u64;
            for i in 0..5_000_000u64 {
                x = x.wrapping_add(i * i);
            }
            std::hint::black_box(x);
            let b = thread_cpu_time_ns();
            assert!(b.unwrap() >= a.unwrap());
        }
    }
}
