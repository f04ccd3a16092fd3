/**
 * WebKitGTK (the Linux webview) reports the POSIX locale as `navigator.language`: "C" or
 * "POSIX" when LANG is C or unset. That is not a BCP 47 tag, and `new Intl.NumberFormat("C")`
 * throws a RangeError; uPlot builds one when its module loads, so one bad tag left every
 * window empty. Imported first by every page: it swaps an unusable tag for "en-US" before any
 * module that reads it is evaluated.
 */
export function usableLocale(tag: string | undefined): string {
  if (!tag) return "en-US";
  try {
    new Intl.NumberFormat(tag);
    return tag;
  } catch {
    return "en-US";
  }
}

const current = typeof navigator === "undefined" ? undefined : navigator.language;
const usable = usableLocale(current);
if (typeof navigator !== "undefined" && usable !== current) {
  Object.defineProperty(navigator, "language", { value: usable, configurable: true });
  Object.defineProperty(navigator, "languages", { value: [usable], configurable: true });
}
