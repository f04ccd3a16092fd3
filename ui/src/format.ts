import type { GradeStr } from "./api";

export const GRADE_SYMBOL: Record<GradeStr, string> = {
  pass: "✅",
  warn: "⚠️",
  fail: "❌",
  "n/a": "n/a",
};

export const GRADE_LABEL: Record<GradeStr, string> = {
  pass: "within target",
  warn: "near target",
  fail: "off target",
  "n/a": "not measured",
};

export function gradeSymbol(g: string | null | undefined): string {
  return GRADE_SYMBOL[(g ?? "n/a") as GradeStr] ?? "n/a";
}

export function num(v: number | null | undefined, digits = 1): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "—";
  const abs = Math.abs(v);
  // Below 1, two significant digits: 0.04 GB of a tiny model is not "0".
  if (abs > 0 && abs < 1) return v.toLocaleString("en-US", { maximumSignificantDigits: 2 });
  const d = abs >= 1000 ? 0 : abs >= 100 ? Math.min(digits, 1) : digits;
  return v.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: 0 });
}

export function range(r: [number, number] | number | null | undefined, unit = ""): string {
  if (r === null || r === undefined) return "—";
  const u = unit ? ` ${unit}` : "";
  if (typeof r === "number") return `${num(r)}${u}`;
  return `${num(r[0])}–${num(r[1])}${u}`;
}

export function gb(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return "—";
  return `${num(bytes / 1e9, 2)} GB`;
}

export function pct(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "—";
  const s = v > 0 ? "+" : "";
  return `${s}${v.toFixed(1)}%`;
}

export function when(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const sameYear = d.getFullYear() === new Date().getFullYear();
  return d.toLocaleString(undefined, {
    year: sameYear ? undefined : "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  });
}

/** Units and labels for the target-matrix metrics. */
export const METRICS: { key: string; label: string; unit: string }[] = [
  { key: "single_batch_tps", label: "Tokens/s (single batch)", unit: "tok/s" },
  { key: "optimal_batch_tps", label: "Tokens/s (optimal batch)", unit: "tok/s" },
  { key: "first_token_ms", label: "First token latency", unit: "ms" },
  { key: "memory_gb", label: "Memory", unit: "GB" },
  { key: "power_w", label: "Power", unit: "W" },
];
