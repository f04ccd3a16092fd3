/** Settings window: default model, engine, quick-run suite, reps, power sampling, monitoring,
 *  the Prometheus exporter. */
import "./locale";
import * as api from "./api";
import type { MonitorStatus, Settings, SuiteName } from "./api";
import { byId, clear, h } from "./dom";
import { when } from "./format";
import { modelsSection } from "./models";
import { mountShell, toast } from "./shell";

mountShell("settings.html");
const app = byId("app");

const model = h("input", { type: "text", id: "s-model", list: "s-models", required: true, placeholder: "builtin:tiny" });
const models = h("datalist", { id: "s-models" });
const engMlx = h("input", { type: "radio", name: "engine", id: "s-engine-mlx", value: "mlx" });
const engOpenai = h("input", { type: "radio", name: "engine", id: "s-engine-openai", value: "openai" });
const url = h("input", { type: "url", id: "s-url", placeholder: "http://127.0.0.1:8080/v1" });
const served = h("input", { type: "text", id: "s-served", placeholder: "(optional) served model name" });
const openaiBox = h("div", { class: "hidden", id: "openai-box" },
  h("label", { class: "field" }, "Server URL (OpenAI-compatible)", url),
  h("label", { class: "field" }, "Served model", served));
const suite = h("select", { id: "s-suite" }, ...(["quick", "standard", "full"] as SuiteName[]).map((s) => h("option", { value: s }, s)));
const reps = h("input", { type: "number", id: "s-reps", min: 1, max: 100, placeholder: "suite default" });
const power = h("input", { type: "checkbox", id: "s-power" });
const login = h("input", { type: "checkbox", id: "s-login" });
const traySpeed = h("input", { type: "checkbox", id: "s-tray-speed" });
const mOn = h("input", { type: "checkbox", id: "m-enabled" });
const mInterval = h("input", { type: "number", id: "m-interval", min: 1, step: 1 });
const mRetention = h("input", { type: "number", id: "m-retention", min: 1, step: 1 });
const mBattery = h("input", { type: "checkbox", id: "m-battery" });
const mStatus = h("p", { class: "sub", id: "m-status" }, "Monitoring is off.");
const monitorBox = h("fieldset", { class: "settings-group", id: "monitor-box" },
  h("legend", null, "Monitoring"),
  h("label", { class: "radio" }, mOn, " Run a quick sample of the default model on a schedule"),
  h("label", { class: "field" }, "Every (minutes)", mInterval),
  h("label", { class: "field" }, "Keep samples for (hours)", mRetention),
  h("label", { class: "radio" }, mBattery, " Skip on battery or in Low Power Mode"),
  h("p", { class: "sub" }, "A sample never overlaps a benchmark you started; regressions are announced like any run's."),
  mStatus);
const xOn = h("input", { type: "checkbox", id: "x-enabled" });
const xListen = h("input", { type: "text", id: "x-listen", placeholder: "127.0.0.1:9464" });
const xStatus = h("p", { class: "sub", id: "x-status" }, "The exporter is off.");
const exporterBox = h("fieldset", { class: "settings-group", id: "exporter-box" },
  h("legend", null, "Prometheus metrics"),
  h("label", { class: "radio" }, xOn, " Serve the history as Prometheus metrics (GET /metrics, read-only)"),
  h("label", { class: "field" }, "Listen on (IP:PORT; 127.0.0.1 keeps it on this Mac)", xListen),
  xStatus);
const save = h("button", { type: "submit", class: "primary", id: "s-save" }, "Save");
const err = h("p", { class: "notice hidden", id: "s-error" });

const form = h("form", { class: "settings", id: "settings-form", novalidate: true },
  h("label", { class: "field" }, "Default model", model, models),
  h("div", { class: "field" }, h("span", null, "Engine"),
    h("div", { class: "radio" },
      h("label", null, engMlx, " In-process MLX"),
      h("label", null, engOpenai, " OpenAI-compatible server"))),
  openaiBox,
  h("label", { class: "field" }, "Suite for the quick run", suite),
  h("label", { class: "field" }, "Repetitions per test (blank = suite default)", reps),
  h("label", { class: "radio" }, power, " Sample power during runs"),
  h("label", { class: "radio" }, login, " Launch BenchBar at login (keeps scheduled monitoring going after a restart)"),
  h("label", { class: "radio" }, traySpeed, " Show the default model's tok/s in the menu bar (live during a run)"),
  monitorBox,
  exporterBox,
  err,
  h("div", { class: "row" }, save));

app.append(
  h("section", { class: "card" }, h("h2", null, "Settings"), h("p", { class: "sub" }, "Used by the tray's quick run and as the dashboard's defaults."), form),
  modelsSection((repo) => {
    model.value = repo;
    model.focus();
    toast(`${repo} is in the Default model field; Save to keep it`);
  }),
);

const syncEngine = () => openaiBox.classList.toggle("hidden", !engOpenai.checked);
engMlx.addEventListener("change", syncEngine);
engOpenai.addEventListener("change", syncEngine);

function read(): Settings | string {
  const m = model.value.trim();
  if (!m) return "Choose a default model.";
  const r = reps.value.trim();
  const n = r ? Number(r) : null;
  if (n !== null && (!Number.isInteger(n) || n < 1)) return "Repetitions must be a whole number ≥ 1.";
  let engine: Settings["engine"] = { kind: "mlx" };
  if (engOpenai.checked) {
    const u = url.value.trim();
    if (!/^https?:\/\/[^\s]+$/.test(u)) return "The server URL must start with http:// or https://.";
    engine = { kind: "openai", url: u, served_model: served.value.trim() || null, api_key_env: null };
  }
  const interval = Number(mInterval.value);
  const retention = Number(mRetention.value);
  if (!Number.isInteger(interval) || interval < 1) return "The monitoring interval must be a whole number of minutes ≥ 1.";
  if (!Number.isInteger(retention) || retention < 1) return "Monitoring samples must be kept for a whole number of hours ≥ 1.";
  const monitor = { enabled: mOn.checked, interval_min: interval, retention_h: retention, skip_on_battery: mBattery.checked };
  const listen = xListen.value.trim() || api.DEFAULT_EXPORTER.listen;
  if (!/^(\[[0-9a-fA-F:.]+\]|[0-9.]+):\d{1,5}$/.test(listen)) return "The exporter address must be IP:PORT, e.g. 127.0.0.1:9464.";
  const exporter = { enabled: xOn.checked, listen };
  return { default_model: m, engine, quick_suite: suite.value as SuiteName, reps: n, sample_power: power.checked, monitor, exporter, launch_at_login: login.checked, tray_shows_speed: traySpeed.checked };
}

function showStatus(st: MonitorStatus): void {
  const parts = [st.enabled ? (st.next_due ? `Next sample ${when(st.next_due)}.` : "Starting…") : "Monitoring is off."];
  if (st.last) parts.push(`Last: ${st.last}${st.last_at ? ` (${when(st.last_at)})` : ""}.`);
  mStatus.textContent = parts.join(" ");
}

async function refreshStatus(): Promise<void> {
  try {
    showStatus(await api.monitorStatus());
  } catch (e) {
    mStatus.textContent = `Monitoring status unavailable: ${api.errorMessage(e)}`;
  }
  try {
    const url = await api.exporterUrl();
    xStatus.textContent = url ? `Serving ${url}` : "The exporter is off.";
  } catch (e) {
    xStatus.textContent = `Exporter status unavailable: ${api.errorMessage(e)}`;
  }
}

form.addEventListener("submit", (ev) => {
  ev.preventDefault();
  const s = read();
  err.classList.toggle("hidden", typeof s !== "string");
  if (typeof s === "string") {
    err.textContent = s;
    return;
  }
  save.disabled = true;
  api.saveSettings(s)
    .then(() => {
      toast("Settings saved");
      // The schedule picks the change up within a second.
      setTimeout(() => void refreshStatus(), 1200);
    })
    .catch((e) => toast(`Could not save: ${api.errorMessage(e)}`, "error"))
    .finally(() => (save.disabled = false));
});

void (async () => {
  try {
    const [s, ms] = await Promise.all([api.getSettings(), api.listModels().catch(() => [])]);
    clear(models, h("option", { value: api.BUILTIN_MODEL }), ms.map((m) => h("option", { value: m.id })));
    model.value = s.default_model;
    (s.engine.kind === "openai" ? engOpenai : engMlx).checked = true;
    if (s.engine.kind === "openai") {
      url.value = s.engine.url;
      served.value = s.engine.served_model ?? "";
    }
    suite.value = s.quick_suite;
    reps.value = s.reps === null ? "" : String(s.reps);
    power.checked = s.sample_power;
    login.checked = s.launch_at_login ?? false;
    traySpeed.checked = s.tray_shows_speed ?? true;
    const mon = s.monitor ?? api.DEFAULT_MONITOR;
    mOn.checked = mon.enabled;
    mInterval.value = String(mon.interval_min);
    mRetention.value = String(mon.retention_h);
    mBattery.checked = mon.skip_on_battery;
    const exp = s.exporter ?? api.DEFAULT_EXPORTER;
    xOn.checked = exp.enabled;
    xListen.value = exp.listen;
    syncEngine();
    await refreshStatus();
    setInterval(() => void refreshStatus(), 5000);
  } catch (e) {
    toast(`Could not load settings: ${api.errorMessage(e)}`, "error");
  }
})();
