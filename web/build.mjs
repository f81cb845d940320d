// Bundles the page into the Python package (src/contextgraph/web/static), where
// `contextgraph serve` finds it. Run by the package build (hatch_build.py).
import { build } from "esbuild";
import { copyFile, mkdir } from "node:fs/promises";

const out = new URL("../src/contextgraph/web/static/", import.meta.url);
await mkdir(out, { recursive: true });
await build({
  entryPoints: [new URL("src/main.js", import.meta.url).pathname],
  bundle: true,
  minify: true,
  sourcemap: false,
  format: "iife",
  target: ["chrome110", "firefox110", "safari16"],
  outdir: out.pathname,
  loader: { ".png": "dataurl", ".svg": "dataurl" },
  logLevel: "warning",
});
await copyFile(new URL("src/index.html", import.meta.url), new URL("index.html", out));
