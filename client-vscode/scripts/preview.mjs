#!/usr/bin/env node
// out/preview/index.html: the chat webview with a scripted transcript and a dark theme,
// outside VS Code (for screenshots: chromium --headless --screenshot=... file://.../index.html).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { build } from "esbuild";

mkdirSync("out/preview", { recursive: true });
await build({ entryPoints: ["test/preview/preview.ts"], outfile: "out/preview/preview.js", bundle: true, platform: "browser", format: "iife", logLevel: "warning" });
await build({ entryPoints: ["src/webview/main.ts"], outfile: "out/preview/webview.js", bundle: true, platform: "browser", format: "iife", logLevel: "warning" });
const template = readFileSync("media/chat.html", "utf8");
const html = template
  .replace("{{csp}}", "default-src 'none'; style-src 'self' file:; script-src file: 'nonce-preview'")
  .replaceAll("{{nonce}}", "preview")
  .replace("{{surface}}", "sidebar")
  .replace("{{style}}", "../../media/chat.css")
  .replace('<link rel="stylesheet"', '<link rel="stylesheet" href="../../test/preview/theme-dark.css">\n  <link rel="stylesheet"')
  .replace('<script nonce="preview" src="{{script}}"></script>', '<script nonce="preview" src="preview.js"></script>\n  <script nonce="preview" src="webview.js"></script>');
writeFileSync("out/preview/index.html", html);
console.log("wrote out/preview/index.html");
