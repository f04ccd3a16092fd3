/** Shared page chrome: navigation, toasts, error banners. */
import { h, byId } from "./dom";
import "./style.css";

const PAGES = [
  { href: "dashboard.html", label: "Dashboard" },
  { href: "history.html", label: "History" },
  { href: "settings.html", label: "Settings" },
];

export function mountShell(current: string): void {
  const nav = byId("nav");
  nav.replaceChildren(
    h("span", { class: "brand" }, h("span", { class: "logo", "aria-hidden": "true" }, "▮▮▯"), "BenchBar"),
    ...PAGES.map((p) =>
      h("a", { href: p.href, class: p.href === current ? "active" : null, "aria-current": p.href === current ? "page" : null }, p.label),
    ),
  );
}

export function toast(text: string, kind: "ok" | "error" = "ok"): void {
  const host = byId("toasts");
  const el = h("div", { class: `toast ${kind}`, role: kind === "error" ? "alert" : "status" }, text);
  host.appendChild(el);
  setTimeout(() => el.remove(), kind === "error" ? 8000 : 3000);
}
