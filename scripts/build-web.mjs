// Bundles the web page's modules (web/) into public/app.js, which Workers assets serve. wrangler
// runs this before `dev` and `deploy` (wrangler.toml [build]). The bundle lets the page share code
// with the Worker (the error table in src/errors.ts) and use npm packages (eventsource-parser).
// Several `wrangler dev` processes may start at once (the tests do): each file is written beside
// its place and renamed into it, so no server ever serves half a bundle.
import { randomUUID } from "node:crypto";
import { rename, writeFile } from "node:fs/promises";
import { build } from "esbuild";

const root = new URL("..", import.meta.url).pathname;

const { outputFiles } = await build({
  absWorkingDir: root,
  entryPoints: ["web/app.js"],
  outfile: "public/app.js",
  bundle: true,
  format: "esm",
  target: "es2022",
  sourcemap: true,
  minify: true,
  logLevel: "warning",
  write: false,
});

for (const file of outputFiles) {
  const temporary = `${file.path}.${randomUUID()}.tmp`;
  await writeFile(temporary, file.contents);
  await rename(temporary, file.path);
}
