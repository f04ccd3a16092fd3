//! All unsafe FFI of the macOS code: the private IOReport library (energy counters) and
//! `proc_pid_rusage` (peak footprint). Everything here hands plain Rust values to the
//! pure code; every CoreFoundation object created here is released on `Drop` or before
//! returning.
//!
//! IOReport is private (libIOReport.dylib); the prototypes below are the ones used by
//! public tools that read the "Energy Model" group (macmon, asitop-like tools):
//! - `CFDictionaryRef IOReportCopyChannelsInGroup(CFStringRef group, CFStringRef subgroup,
//!   uint64_t, uint64_t, uint64_t)`
//! - `IOReportSubscriptionRef IOReportCreateSubscription(void*, CFMutableDictionaryRef
//!   desired, CFMutableDictionaryRef *subscribed, uint64_t channel_id, CFTypeRef)`
//! - `CFDictionaryRef IOReportCreateSamples(IOReportSubscriptionRef, CFMutableDictionaryRef,
//!   CFTypeRef)`
//! - `CFDictionaryRef IOReportCreateSamplesDelta(CFDictionaryRef prev, CFDictionaryRef cur,
//!   CFTypeRef)`
//! - `CFStringRef IOReportChannelGet{Group,ChannelName,UnitLabel}(CFDictionaryRef)`
//! - `int64_t IOReportSimpleGetIntegerValue(CFDictionaryRef, int32_t)`

use std::ffi::c_void;
use std::ptr;

use core_foundation::array::{CFArrayGetCount, CFArrayGetValueAtIndex, CFArrayRef};
use core_foundation::base::{kCFAllocatorDefault, CFRelease, CFTypeRef, TCFType};
use core_foundation::dictionary::{
    CFDictionaryCreateMutableCopy, CFDictionaryGetCount, CFDictionaryGetValue, CFDictionaryRef,
    CFMutableDictionaryRef,
};
use core_foundation::string::{CFString, CFStringRef};

/// Opaque IOReport subscription.
#[repr(C)]
struct IOReportSubscription {
    _private: [u8; 0],
}

type IOReportSubscriptionRef = *const IOReportSubscription;

#[link(name = "IOReport", kind = "dylib")]
extern "C" {
    fn IOReportCopyChannelsInGroup(
        group: CFStringRef,
        subgroup: CFStringRef,
        a: u64,
        b: u64,
        c: u64,
    ) -> CFDictionaryRef;
    fn IOReportCreateSubscription(
        a: *const c_void,
        desired_channels: CFMutableDictionaryRef,
        subscribed_channels: *mut CFMutableDictionaryRef,
        channel_id: u64,
        b: CFTypeRef,
    ) -> IOReportSubscriptionRef;
    fn IOReportCreateSamples(
        subscription: IOReportSubscriptionRef,
        channels: CFMutableDictionaryRef,
        a: CFTypeRef,
    ) -> CFDictionaryRef;
    fn IOReportCreateSamplesDelta(
        previous: CFDictionaryRef,
        current: CFDictionaryRef,
        a: CFTypeRef,
    ) -> CFDictionaryRef;
    fn IOReportChannelGetGroup(channel: CFDictionaryRef) -> CFStringRef;
    fn IOReportChannelGetChannelName(channel: CFDictionaryRef) -> CFStringRef;
    fn IOReportChannelGetUnitLabel(channel: CFDictionaryRef) -> CFStringRef;
    fn IOReportSimpleGetIntegerValue(channel: CFDictionaryRef, index: i32) -> i64;
}

/// One channel value, as plain data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawRow {
    pub group: String,
    pub channel: String,
    pub unit: String,
    pub value: i64,
}

/// Copies a CFString we do not own (get rule) into a `String`; null gives "".
fn string_get_rule(s: CFStringRef) -> String {
    if s.is_null() {
        return String::new();
    }
    // SAFETY: `s` is a non-null CFStringRef owned by its container, which outlives this
    // call; wrap_under_get_rule retains it and the wrapper releases it on drop.
    let cf = unsafe { CFString::wrap_under_get_rule(s) };
    cf.to_string()
}

/// A subscription to one IOReport group, with the first sample as baseline.
pub(crate) struct Subscription {
    subscription: IOReportSubscriptionRef,
    channels: CFMutableDictionaryRef,
    baseline: CFDictionaryRef,
}

// SAFETY: the CF objects held are only used through `&mut self` (one thread at a time);
// CoreFoundation objects may be used from any thread when access is not concurrent.
unsafe impl Send for Subscription {}

impl Subscription {
    /// Subscribes to all channels of `group` and takes the baseline sample.
    pub(crate) fn open(group: &str) -> Result<Subscription, String> {
        let group_cf = CFString::new(group);
        // SAFETY: `group_cf` is a live CFString for the whole call; a null subgroup means
        // "all subgroups". The result follows the copy rule (we own it) or is null.
        let copied = unsafe {
            IOReportCopyChannelsInGroup(group_cf.as_concrete_TypeRef(), ptr::null(), 0, 0, 0)
        };
        if copied.is_null() {
            return Err(format!("IOReport has no channel group {group:?}"));
        }
        // SAFETY: `copied` is a valid dictionary we own; the mutable copy is a new object we
        // own; `copied` is released once, after copying.
        let channels = unsafe {
            let count = CFDictionaryGetCount(copied);
            let m = CFDictionaryCreateMutableCopy(kCFAllocatorDefault, count, copied);
            CFRelease(copied as CFTypeRef);
            m
        };
        if channels.is_null() {
            return Err("CFDictionaryCreateMutableCopy failed".to_owned());
        }
        if !has_channel_array(channels as CFDictionaryRef) {
            // SAFETY: `channels` is owned by us and not used afterwards.
            unsafe { CFRelease(channels as CFTypeRef) };
            return Err(format!("IOReport group {group:?} has no channels"));
        }
        let mut subscribed: CFMutableDictionaryRef = ptr::null_mut();
        // SAFETY: `channels` is a valid mutable dictionary; `subscribed` is a valid
        // out-pointer. The subscribed-channels dictionary is not documented as owned by
        // the caller, so it is not released (at most one small object per session).
        let subscription = unsafe {
            IOReportCreateSubscription(ptr::null(), channels, &mut subscribed, 0, ptr::null())
        };
        if subscription.is_null() {
            // SAFETY: `channels` is owned by us and not used afterwards.
            unsafe { CFRelease(channels as CFTypeRef) };
            return Err("IOReportCreateSubscription failed".to_owned());
        }
        // SAFETY: `subscription` and `channels` are valid; the sample follows the create
        // rule (owned) or is null.
        let baseline = unsafe { IOReportCreateSamples(subscription, channels, ptr::null()) };
        if baseline.is_null() {
            // SAFETY: both are owned by us and not used afterwards.
            unsafe {
                CFRelease(subscription as CFTypeRef);
                CFRelease(channels as CFTypeRef);
            }
            return Err("IOReportCreateSamples failed".to_owned());
        }
        Ok(Subscription {
            subscription,
            channels,
            baseline,
        })
    }

    /// The counters accumulated since `open`, one row per channel (simple integer value).
    pub(crate) fn rows_since_open(&mut self) -> Result<Vec<RawRow>, String> {
        // SAFETY: subscription and channels are valid for the life of `self`.
        let now = unsafe { IOReportCreateSamples(self.subscription, self.channels, ptr::null()) };
        if now.is_null() {
            return Err("IOReportCreateSamples failed".to_owned());
        }
        // SAFETY: `baseline` and `now` are valid sample dictionaries; the delta is owned
        // (create rule) or null; `now` is released once and not used afterwards.
        let delta = unsafe {
            let d = IOReportCreateSamplesDelta(self.baseline, now, ptr::null());
            CFRelease(now as CFTypeRef);
            d
        };
        if delta.is_null() {
            return Err("IOReportCreateSamplesDelta failed".to_owned());
        }
        let rows = channel_rows(delta);
        // SAFETY: `delta` is owned by us; `rows` holds only copies of its contents.
        unsafe { CFRelease(delta as CFTypeRef) };
        rows
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        // SAFETY: all three objects are owned by `self`, non-null (checked in `open`) and
        // released exactly once here.
        unsafe {
            CFRelease(self.baseline as CFTypeRef);
            CFRelease(self.channels as CFTypeRef);
            CFRelease(self.subscription as CFTypeRef);
        }
    }
}

fn channel_array(dict: CFDictionaryRef) -> CFArrayRef {
    let key = CFString::from_static_string("IOReportChannels");
    // SAFETY: `dict` is a valid dictionary and `key` a live CFString; the value follows
    // the get rule (not owned) and may be null.
    unsafe { CFDictionaryGetValue(dict, key.as_concrete_TypeRef() as *const c_void) as CFArrayRef }
}

fn has_channel_array(dict: CFDictionaryRef) -> bool {
    !channel_array(dict).is_null()
}

/// Copies every channel of a sample dictionary into plain rows.
fn channel_rows(sample: CFDictionaryRef) -> Result<Vec<RawRow>, String> {
    let items = channel_array(sample);
    if items.is_null() {
        return Err("IOReport sample has no IOReportChannels".to_owned());
    }
    // SAFETY: `items` is a valid CFArray owned by `sample`, alive for this call.
    let count = unsafe { CFArrayGetCount(items) };
    let mut rows = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
    for i in 0..count {
        // SAFETY: `i` is in bounds; the element is a channel dictionary owned by the array.
        let item = unsafe { CFArrayGetValueAtIndex(items, i) } as CFDictionaryRef;
        if item.is_null() {
            continue;
        }
        // SAFETY: `item` is a valid IOReport channel dictionary; the getters return
        // strings owned by it (get rule) or null, and an integer value.
        let (group, channel, unit, value) = unsafe {
            (
                IOReportChannelGetGroup(item),
                IOReportChannelGetChannelName(item),
                IOReportChannelGetUnitLabel(item),
                IOReportSimpleGetIntegerValue(item, 0),
            )
        };
        rows.push(RawRow {
            group: string_get_rule(group),
            channel: string_get_rule(channel),
            unit: string_get_rule(unit).trim().to_owned(),
            value,
        });
    }
    Ok(rows)
}

/// `proc_pid_rusage(getpid(), RUSAGE_INFO_V4).ri_lifetime_max_phys_footprint` in bytes.
pub(crate) fn lifetime_max_phys_footprint_bytes() -> Option<u64> {
    let mut info = std::mem::MaybeUninit::<libc::rusage_info_v4>::zeroed();
    // SAFETY: getpid has no preconditions; `info` is a writable rusage_info_v4, which is
    // what RUSAGE_INFO_V4 fills (the API takes it through a `rusage_info_t *`).
    let rc = unsafe {
        libc::proc_pid_rusage(
            libc::getpid(),
            libc::RUSAGE_INFO_V4,
            info.as_mut_ptr() as *mut libc::rusage_info_t,
        )
    };
    if rc != 0 {
        return None;
    }
    // SAFETY: the call succeeded, so the struct (zeroed beforehand) is initialized.
    let info = unsafe { info.assume_init() };
    Some(info.ri_lifetime_max_phys_footprint)
}
