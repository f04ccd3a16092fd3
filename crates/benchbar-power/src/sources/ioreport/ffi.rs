//! All unsafe FFI of the macOS code: the private IOReport library (energy counters), the
//! AppleSMC user client (system power, key `PSTR`) and `proc_pid_rusage` (peak
//! footprint). Everything here hands plain Rust values to the
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
//!
//! AppleSMC is reached through public IOKit calls (`IOServiceMatching`,
//! `IOServiceGetMatchingServices`, `IOServiceOpen`, `IOConnectCallStructMethod` with
//! selector 2 and the classic `SMCKeyData_t` layout).

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

type IoObject = u32;

#[link(name = "IOKit", kind = "framework")]
extern "C" {
    fn IOServiceMatching(name: *const std::ffi::c_char) -> CFMutableDictionaryRef;
    fn IOServiceGetMatchingServices(
        main_port: u32,
        matching: CFDictionaryRef,
        existing: *mut IoObject,
    ) -> i32;
    fn IOIteratorNext(iterator: IoObject) -> IoObject;
    fn IORegistryEntryGetName(entry: IoObject, name: *mut std::ffi::c_char) -> i32;
    fn IOObjectRelease(object: IoObject) -> i32;
    fn IOServiceOpen(service: IoObject, owning_task: u32, kind: u32, connect: *mut u32) -> i32;
    fn IOServiceClose(connect: u32) -> i32;
    fn IOConnectCallStructMethod(
        connect: u32,
        selector: u32,
        input: *const c_void,
        input_size: usize,
        output: *mut c_void,
        output_size: *mut usize,
    ) -> i32;
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

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
struct SmcVersion {
    major: u8,
    minor: u8,
    build: u8,
    reserved: u8,
    release: u16,
}

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
struct SmcPLimit {
    version: u16,
    length: u16,
    cpu_p_limit: u32,
    gpu_p_limit: u32,
    mem_p_limit: u32,
}

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
struct SmcKeyInfo {
    data_size: u32,
    data_type: u32,
    data_attributes: u8,
}

/// `SMCKeyData_t`: request and reply of the AppleSMC user client.
#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
struct SmcKeyData {
    key: u32,
    vers: SmcVersion,
    p_limit: SmcPLimit,
    key_info: SmcKeyInfo,
    result: u8,
    status: u8,
    data8: u8,
    data32: u32,
    bytes: [u8; 32],
}

// The C struct is 80 bytes; a layout slip would corrupt every SMC call.
const _: () = assert!(std::mem::size_of::<SmcKeyData>() == 80);

const SMC_SELECTOR_HANDLE_YPC_EVENT: u32 = 2;
const SMC_CMD_READ_BYTES: u8 = 5;
const SMC_CMD_READ_KEY_INFO: u8 = 9;
/// FourCC `flt `.
const SMC_TYPE_FLT: u32 = u32::from_be_bytes(*b"flt ");

/// Big-endian FourCC of a 4-character SMC key.
pub(crate) fn smc_key(name: &[u8; 4]) -> u32 {
    u32::from_be_bytes(*name)
}

/// An open AppleSMC connection reading one 4-byte float key (e.g. `PSTR`, system
/// power in watts).
pub(crate) struct SmcFloatKey {
    connection: u32,
    key: u32,
    info: SmcKeyInfo,
}

impl SmcFloatKey {
    /// Opens AppleSMC (the `AppleSMCKeysEndpoint` service on Apple Silicon, else the
    /// first `AppleSMC` service) and checks that `key` is a 4-byte float.
    pub(crate) fn open(key: &[u8; 4]) -> Result<SmcFloatKey, String> {
        let connection = open_smc()?;
        let mut smc = SmcFloatKey {
            connection,
            key: smc_key(key),
            info: SmcKeyInfo::default(),
        };
        let reply = smc.call(SmcKeyData {
            key: smc.key,
            data8: SMC_CMD_READ_KEY_INFO,
            ..SmcKeyData::default()
        })?;
        if reply.key_info.data_size != 4 || reply.key_info.data_type != SMC_TYPE_FLT {
            return Err(format!(
                "SMC key {} is not a 4-byte float",
                String::from_utf8_lossy(key)
            ));
        }
        smc.info = reply.key_info;
        Ok(smc)
    }

    /// Reads the key's current value.
    pub(crate) fn read(&mut self) -> Result<f32, String> {
        let reply = self.call(SmcKeyData {
            key: self.key,
            key_info: self.info,
            data8: SMC_CMD_READ_BYTES,
            ..SmcKeyData::default()
        })?;
        let b = reply.bytes;
        Ok(f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn call(&mut self, input: SmcKeyData) -> Result<SmcKeyData, String> {
        let mut output = SmcKeyData::default();
        let mut output_size = std::mem::size_of::<SmcKeyData>();
        // SAFETY: `connection` is an open user client; input and output point to live
        // SmcKeyData values of the size passed, and `output_size` is writable.
        let rc = unsafe {
            IOConnectCallStructMethod(
                self.connection,
                SMC_SELECTOR_HANDLE_YPC_EVENT,
                &input as *const SmcKeyData as *const c_void,
                std::mem::size_of::<SmcKeyData>(),
                &mut output as *mut SmcKeyData as *mut c_void,
                &mut output_size,
            )
        };
        if rc != 0 {
            return Err(format!("IOConnectCallStructMethod failed ({rc:#x})"));
        }
        match output.result {
            0 => Ok(output),
            132 => Err("SMC key not found".to_owned()),
            r => Err(format!("SMC error {r}")),
        }
    }
}

impl Drop for SmcFloatKey {
    fn drop(&mut self) {
        // SAFETY: the connection was opened by `open_smc` and is closed exactly once.
        unsafe {
            IOServiceClose(self.connection);
        }
    }
}

fn open_smc() -> Result<u32, String> {
    let name = b"AppleSMC\0";
    let mut iterator: IoObject = 0;
    // SAFETY: `name` is NUL-terminated. The matching dictionary is consumed by
    // IOServiceGetMatchingServices (it must not be released here); `iterator` is a
    // valid out-pointer.
    let rc = unsafe {
        let matching = IOServiceMatching(name.as_ptr() as *const std::ffi::c_char);
        if matching.is_null() {
            return Err("IOServiceMatching(AppleSMC) failed".to_owned());
        }
        IOServiceGetMatchingServices(0, matching as CFDictionaryRef, &mut iterator)
    };
    if rc != 0 || iterator == 0 {
        return Err(format!("AppleSMC service not found ({rc:#x})"));
    }
    let mut chosen: IoObject = 0;
    loop {
        // SAFETY: `iterator` is a valid iterator; each returned object is ours to release.
        let entry = unsafe { IOIteratorNext(iterator) };
        if entry == 0 {
            break;
        }
        let mut buf = [0 as std::ffi::c_char; 128];
        // SAFETY: `entry` is valid and `buf` is an io_name_t-sized (128 bytes) buffer.
        let named = unsafe { IORegistryEntryGetName(entry, buf.as_mut_ptr()) } == 0;
        let entry_name = if named {
            // SAFETY: on success the buffer holds a NUL-terminated name.
            unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) }
                .to_string_lossy()
                .into_owned()
        } else {
            String::new()
        };
        if chosen == 0 || entry_name == "AppleSMCKeysEndpoint" {
            if chosen != 0 {
                // SAFETY: `chosen` is an object we own and no longer need.
                unsafe { IOObjectRelease(chosen) };
            }
            chosen = entry;
        } else {
            // SAFETY: `entry` is an object we own and do not keep.
            unsafe { IOObjectRelease(entry) };
        }
        if entry_name == "AppleSMCKeysEndpoint" {
            break;
        }
    }
    // SAFETY: the iterator is ours and released once.
    unsafe { IOObjectRelease(iterator) };
    if chosen == 0 {
        return Err("no AppleSMC service".to_owned());
    }
    let mut connection = 0u32;
    // SAFETY: `chosen` is a valid service object; mach_task_self() names this task;
    // `connection` is a valid out-pointer. The service object is released after opening.
    let rc = unsafe {
        #[allow(deprecated)]
        let task = libc::mach_task_self();
        let rc = IOServiceOpen(chosen, task, 0, &mut connection);
        IOObjectRelease(chosen);
        rc
    };
    if rc != 0 {
        return Err(format!("IOServiceOpen(AppleSMC) failed ({rc:#x})"));
    }
    Ok(connection)
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
