#!/usr/bin/env node
// Generates src/protocol/generated.ts from ../schemas/codex_lsp.schema.json (the JSON Schema
// the Python server's pydantic protocol models produce). Never edit the output by hand.
//
//   node scripts/gen-types.mjs          write src/protocol/generated.ts
//   node scripts/gen-types.mjs --check  regenerate in memory (and into a temp file) and
//                                       fail when it differs from the committed file
//
// Naming: a $def `X` becomes `X`; pydantic's split models become `X` for `X-Output` (what
// the server sends) and `XParam` for `X-Input` (what the client sends in params).
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { compile } from "json-schema-to-typescript";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..");
const schemaPath = resolve(root, process.env.CODEX_SCHEMA ?? "../schemas/codex_lsp.schema.json");
const outPath = resolve(root, "src/protocol/generated.ts");

/** `X-Output` -> `X`, `X-Input` -> `XParam`, anything else unchanged. */
export function typeName(defKey) {
  if (defKey.endsWith("-Output")) return defKey.slice(0, -"-Output".length);
  if (defKey.endsWith("-Input")) return `${defKey.slice(0, -"-Input".length)}Param`;
  return defKey.replace(/[^A-Za-z0-9_]/g, "");
}

function refName(ref) {
  const prefix = "#/$defs/";
  if (!ref.startsWith(prefix)) throw new Error(`unsupported $ref ${ref}`);
  return typeName(ref.slice(prefix.length));
}

/** Nested titles would become named aliases (`type Threadid = string`): keep only names
 * of $defs; rewrite refs to the names above; drop pydantic's discriminator hints. */
function clean(node, isDefRoot = false) {
  if (Array.isArray(node)) return node.map((n) => clean(n));
  if (node === null || typeof node !== "object") return node;
  const out = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "title" && !isDefRoot) continue;
    if (key === "discriminator") continue;
    if (key === "$ref") {
      out.$ref = `#/definitions/${refName(value)}`;
      continue;
    }
    if (key === "properties" || key === "definitions" || key === "$defs") {
      out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clean(v)]));
      continue;
    }
    out[key] = clean(value);
  }
  return out;
}

function schemaRef(node) {
  if (node && typeof node === "object" && typeof node.$ref === "string") return refName(node.$ref);
  if (node && typeof node === "object" && node.type === "null") return "null";
  throw new Error(`unsupported method schema ${JSON.stringify(node)}`);
}

function methodMaps(bundle) {
  const lines = [];
  const sorted = (obj) => Object.keys(obj).sort();
  lines.push("/** Client -> server requests: params and result of each `codex/` method. */");
  lines.push("export interface ClientRequests {");
  for (const m of sorted(bundle.requests)) {
    const { params, result } = bundle.requests[m];
    lines.push(`  ${JSON.stringify(m)}: { params: ${schemaRef(params)}; result: ${schemaRef(result)} };`);
  }
  lines.push("}", "");
  lines.push("/** Server -> client notifications and their params. */");
  lines.push("export interface ServerNotifications {");
  for (const m of sorted(bundle.notifications)) {
    lines.push(`  ${JSON.stringify(m)}: ${schemaRef(bundle.notifications[m].params)};`);
  }
  lines.push("}", "");
  lines.push("/** Server -> client requests (approvals): params and the answer. */");
  lines.push("export interface ServerRequests {");
  for (const m of sorted(bundle.serverRequests)) {
    const { params, result } = bundle.serverRequests[m];
    lines.push(`  ${JSON.stringify(m)}: { params: ${schemaRef(params)}; result: ${schemaRef(result)} };`);
  }
  lines.push("}", "");
  const list = (name, obj) =>
    `export const ${name} = [\n${sorted(obj).map((m) => `  ${JSON.stringify(m)},`).join("\n")}\n] as const;\n`;
  lines.push(list("CLIENT_REQUEST_METHODS", bundle.requests));
  lines.push(list("SERVER_NOTIFICATION_METHODS", bundle.notifications));
  lines.push(list("SERVER_REQUEST_METHODS", bundle.serverRequests));
  lines.push("export type ClientRequestMethod = keyof ClientRequests;");
  lines.push("export type ServerNotificationMethod = keyof ServerNotifications;");
  lines.push("export type ServerRequestMethod = keyof ServerRequests;");
  return lines.join("\n");
}

export async function generate(schemaText) {
  const bundle = JSON.parse(schemaText);
  const defs = bundle.$defs ?? {};
  const definitions = {};
  for (const key of Object.keys(defs).sort()) {
    const name = typeName(key);
    if (definitions[name]) throw new Error(`two $defs map to the type name ${name}`);
    definitions[name] = { ...clean(defs[key], true), title: name };
  }
  const names = Object.keys(definitions);
  const rootSchema = {
    title: "CodexProtocolRoot",
    type: "object",
    additionalProperties: false,
    properties: Object.fromEntries(names.map((n) => [n, { $ref: `#/definitions/${n}` }])),
    required: names,
    definitions,
  };
  let ts = await compile(rootSchema, "CodexProtocolRoot", {
    bannerComment: "",
    additionalProperties: false,
    strictIndexSignatures: true,
    unreachableDefinitions: false,
    declareExternallyReferenced: true,
    format: true,
    style: { printWidth: 100, singleQuote: false, trailingComma: "all" },
  });
  // The root only exists to reach every definition.
  ts = ts.replace(/export interface CodexProtocolRoot \{[\s\S]*?\n\}\n/, "");
  const digest = createHash("sha256").update(schemaText).digest("hex");
  const banner = [
    "/* eslint-disable */",
    "// GENERATED by scripts/gen-types.mjs from schemas/codex_lsp.schema.json. DO NOT EDIT.",
    "// Regenerate with `npm run gen:types`; `npm run check:types` fails when this file is stale.",
    `// schema sha256: ${digest}`,
    "",
  ].join("\n");
  return `${banner}\n${ts.trim()}\n\n${methodMaps(bundle)}\n`;
}

async function main() {
  const check = process.argv.includes("--check");
  const schemaText = readFileSync(schemaPath, "utf8");
  const fresh = await generate(schemaText);
  if (!check) {
    writeFileSync(outPath, fresh);
    console.log(`wrote ${relative(process.cwd(), outPath)} (${fresh.length} bytes)`);
    return;
  }
  const tmpDir = mkdtempSync(join(tmpdir(), "codex-gen-"));
  const tmp = join(tmpDir, "generated.ts");
  writeFileSync(tmp, fresh);
  let committed;
  try {
    committed = readFileSync(outPath, "utf8");
  } catch {
    committed = "";
  }
  if (committed === fresh) {
    rmSync(tmpDir, { recursive: true, force: true });
    console.log(`src/protocol/generated.ts is up to date with ${relative(root, schemaPath)}`);
    return;
  }
  const a = committed.split("\n");
  const b = fresh.split("\n");
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  console.error(`src/protocol/generated.ts is stale (first difference at line ${i + 1}):`);
  console.error(`  committed: ${a[i] ?? "<end of file>"}`);
  console.error(`  generated: ${b[i] ?? "<end of file>"}`);
  console.error(`fresh output: ${tmp}; run \`npm run gen:types\` and commit the result.`);
  process.exitCode = 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}
