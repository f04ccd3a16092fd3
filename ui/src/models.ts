/**
 * The Settings window's Models section: the seed's catalogue (present or not, size on disk,
 * download size, fits this machine's memory), a download with a progress bar (bytes, rate,
 * ETA) and cancel. Downloads started from the tray's Model menu show here too (`watch_pulls`).
 */
import * as api from "./api";
import type { CatalogueEntry, PullEvent } from "./api";
import { clear, h } from "./dom";
import { gb, num } from "./format";
import { toast } from "./shell";

/** "1 min 5 s", "42 s", "2 h 3 min". */
export function duration(s: number): string {
  const t = Math.max(0, Math.round(s));
  if (t < 60) return `${t} s`;
  if (t < 3600) return `${Math.floor(t / 60)} min ${t % 60} s`;
  return `${Math.floor(t / 3600)} h ${Math.floor((t % 3600) / 60)} min`;
}

/** The progress line of a download. */
export function progressText(e: Extract<PullEvent, { kind: "progress" }>): string {
  if (e.phase === "resolving") return `${e.repo_id}: asking the hub for the file list…`;
  const parts = [`${e.repo_id}: ${gb(e.done_bytes)} of ${e.total_bytes ? gb(e.total_bytes) : "?"}`];
  if (e.phase === "verifying") parts.push(`verifying ${e.file}`);
  if (e.rate_bps !== null) parts.push(`${num(e.rate_bps / 1e6)} MB/s`);
  if (e.eta_s !== null) parts.push(`${duration(e.eta_s)} left`);
  return parts.join(" · ");
}

/** Mounts the section; `useModel` fills the settings form's model field. */
export function modelsSection(useModel: (repo: string) => void): HTMLElement {
  const tableHost = h("div", { id: "catalogue", class: "scroll" }, h("div", { class: "empty" }, "Loading the catalogue…"));
  const bar = h("div", { id: "pull-progress-bar" });
  const progress = h("div", { class: "progress", role: "progressbar", id: "pull-progress", "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": "0" }, bar);
  const line = h("p", { class: "sub", id: "pull-status" });
  const cancel = h("button", { id: "pull-cancel", class: "danger", onclick: () => void api.cancelPull() }, "Cancel download");
  const pullBox = h("div", { class: "hidden", id: "pull-box" }, line, progress, h("div", { class: "row" }, cancel));
  let downloading: string | null = null;

  const onEvent = (e: PullEvent): void => {
    if (e.kind === "progress") {
      downloading = e.repo_id;
      pullBox.classList.remove("hidden");
      const pct = e.total_bytes ? Math.min(100, (100 * e.done_bytes) / e.total_bytes) : 0;
      bar.style.width = `${pct}%`;
      progress.setAttribute("aria-valuenow", String(Math.round(pct)));
      line.textContent = progressText(e);
      cancel.disabled = false;
      return;
    }
    downloading = null;
    pullBox.classList.add("hidden");
    if (e.status === "done") toast(`${e.repo_id} downloaded`);
    else if (e.status === "cancelled") toast(`Download of ${e.repo_id} cancelled; the part is kept for the next try`);
    else toast(`Download of ${e.repo_id} failed: ${e.error ?? "unknown error"}`, "error");
    void load();
  };

  const row = (e: CatalogueEntry): HTMLElement => {
    const action = e.present
      ? h("button", { class: "use", onclick: () => useModel(e.repo_id) }, "Use")
      : h("button", {
          class: "pull",
          disabled: !e.fits_memory || downloading !== null,
          title: e.fits_memory ? null : "More memory than this machine has",
          onclick: () => {
            downloading = e.repo_id;
            line.textContent = `${e.repo_id}: starting…`;
            pullBox.classList.remove("hidden");
            api.pullModel(e.repo_id, onEvent).catch((err) => {
              downloading = null;
              pullBox.classList.add("hidden");
              toast(`Could not download ${e.repo_id}: ${api.errorMessage(err)}`, "error");
            });
            void load();
          },
        }, "Download");
    return h("tr", { "data-repo": e.repo_id },
      h("td", null, e.repo_id),
      h("td", null, e.quantization),
      h("td", { class: "num" }, e.present ? `✓ ${gb(e.size_on_disk_bytes)}` : "—"),
      h("td", { class: "num" }, `~${gb(e.estimated_download_bytes)}`),
      h("td", { class: "num" }, `~${gb(e.estimated_memory_bytes)}${e.fits_memory ? "" : " ✗"}`),
      h("td", null, action));
  };

  async function load(): Promise<void> {
    try {
      const entries = await api.modelCatalogue();
      clear(tableHost, h("table", { id: "catalogue-table" },
        h("thead", null, h("tr", null, h("th", null, "Model"), h("th", null, "Quant"), h("th", { class: "num" }, "On disk"), h("th", { class: "num" }, "Download"), h("th", { class: "num" }, "Memory"), h("th", null, ""))),
        h("tbody", null, entries.map(row))));
    } catch (e) {
      clear(tableHost, h("div", { class: "empty" }, `Could not read the catalogue: ${api.errorMessage(e)}`));
    }
  }

  void api.watchPulls(onEvent).catch(() => undefined);
  void load();
  return h("section", { class: "card", id: "models" },
    h("h2", null, "Models"),
    h("p", { class: "sub" }, "The seed's Qwen3 variants. Downloads go to the Hugging Face cache (HF_HOME / HF_HUB_CACHE), resume after an interruption and are verified; a partial download is never offered as a model."),
    tableHost, pullBox);
}
