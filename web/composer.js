/**
 * Files waiting to go with the next message: picked (the Attach button), pasted into the message box,
 * or dropped on the page. Each is read as base64 for the request (the server stores it in R2) and
 * shown as a chip that can be removed; what the server refuses it says why, by name.
 */
import { el } from "./messages.js";

/** The server's limit (src/files/attachments.ts), checked here first to say so before sending. */
const MAX_BYTES = 700 * 1024;
const MAX_FILES = 4;
const IMAGE_TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp"];
/** Text files browsers often give no type (or a wrong one): sent as text/plain. */
const TEXT_NAMES =
  /\.(md|markdown|txt|csv|tsv|log|json|ya?ml|toml|ini|xml|html?|css|js|mjs|ts|tsx|jsx|py|rb|go|rs|java|c|h|cpp|hpp|sh|sql)$/i;

export class Composer {
  /** @param {{list: HTMLElement, picker: HTMLInputElement, input: HTMLElement, onError: (err: object) => void}} parts */
  constructor({ list, picker, input, onError }) {
    this.list = list;
    this.picker = picker;
    this.input = input;
    this.onError = onError;
    /** `{name, type, data, url, size}` each: `data` base64, `url` a data: URL to show. */
    this.files = [];
  }

  bind(button, dropZone) {
    button.addEventListener("click", () => this.picker.click());
    this.picker.addEventListener("change", () => {
      this.add([...this.picker.files]);
      this.picker.value = "";
    });
    this.input.addEventListener("paste", (e) => {
      const files = [...(e.clipboardData?.files ?? [])];
      if (!files.length) return;
      e.preventDefault();
      this.add(files);
    });
    dropZone.addEventListener("dragover", (e) => {
      if (![...(e.dataTransfer?.types ?? [])].includes("Files")) return;
      e.preventDefault();
      dropZone.classList.add("dropping");
    });
    dropZone.addEventListener("dragleave", (e) => {
      if (!dropZone.contains(e.relatedTarget)) dropZone.classList.remove("dropping");
    });
    dropZone.addEventListener("drop", (e) => {
      dropZone.classList.remove("dropping");
      const files = [...(e.dataTransfer?.files ?? [])];
      if (!files.length) return;
      e.preventDefault();
      this.add(files);
    });
    this.list.addEventListener("click", (e) => {
      const button = e.target.closest("button[data-index]");
      if (!button) return;
      this.files.splice(Number(button.dataset.index), 1);
      this.render();
      this.input.focus();
    });
  }

  async add(files) {
    for (const file of files) {
      const type = typeOf(file);
      if (this.files.length >= MAX_FILES)
        return this.onError({ message: `at most ${MAX_FILES} files go with one message` });
      if (!type)
        return this.onError({
          code: "attachment_type_unsupported",
          message: `${file.name}: ${file.type || "this type"} cannot be attached`,
        });
      if (file.size > MAX_BYTES)
        return this.onError({
          code: "attachment_too_large",
          message: `${file.name} is ${Math.ceil(file.size / 1024)} KB; an attachment may be ${MAX_BYTES / 1024} KB at most`,
        });
      const url = await readAsDataUrl(file);
      this.files.push({
        name: file.name || "pasted",
        type,
        size: file.size,
        url,
        data: url.slice(url.indexOf(",") + 1),
      });
      this.render();
    }
  }

  /** The files for the message being sent; the composer is empty after. */
  take() {
    const files = this.files;
    this.files = [];
    this.render();
    return files;
  }

  /** Puts back files a refused message carried. */
  restore(files) {
    if (!files.length || this.files.length) return;
    this.files = files;
    this.render();
  }

  render() {
    this.list.hidden = this.files.length === 0;
    this.list.replaceChildren(
      ...this.files.map((f, i) =>
        el(
          "li",
          { class: "chip" },
          f.type.startsWith("image/")
            ? el("img", { src: f.url, alt: "" })
            : el("span", { class: "file-icon", "aria-hidden": "true" }),
          el("span", { class: "chip-name" }, f.name),
          el("button", { type: "button", "data-index": i, "aria-label": `Remove ${f.name}` }, "✕"),
        ),
      ),
    );
  }
}

/** The media type to send, or "" when the file cannot be attached. */
function typeOf(file) {
  if (IMAGE_TYPES.includes(file.type)) return file.type;
  if (file.type.startsWith("text/") || file.type === "application/json") return file.type;
  return TEXT_NAMES.test(file.name) ? "text/plain" : "";
}

function readAsDataUrl(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}
