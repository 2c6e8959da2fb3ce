// Extension settings -> what the server is told (no `vscode` import: the settings are read
// through a small getter so this module can be unit-tested).
import type {
  AskForApproval,
  EditorSettings,
  ReasoningEffort,
  SandboxMode,
  SandboxPolicyParam,
  TurnStartParams,
} from "../protocol/types.js";

/** `get(key)` of the `codex` configuration section (`vscode.WorkspaceConfiguration`). */
export interface SettingsReader {
  get<T>(key: string): T | undefined;
}

export interface ServerLaunchSettings {
  path: string;
  args: string[];
  env: Record<string, string>;
}

const EFFORTS: readonly ReasoningEffort[] = ["none", "minimal", "low", "medium", "high", "xhigh"];
const POLICIES: readonly AskForApproval[] = ["untrusted", "on-failure", "on-request", "never"];
const SANDBOXES: readonly SandboxMode[] = ["read-only", "workspace-write", "danger-full-access"];
const SUMMARIES = ["auto", "concise", "detailed", "none"] as const;

function text(reader: SettingsReader, key: string): string | undefined {
  const value = reader.get<unknown>(key);
  if (typeof value !== "string") return undefined;
  const trimmed = value.trim();
  // "" and "default" mean: whatever config.toml says.
  return trimmed === "" || trimmed === "default" ? undefined : trimmed;
}

function oneOf<T extends string>(reader: SettingsReader, key: string, allowed: readonly T[]): T | undefined {
  const value = text(reader, key);
  return value !== undefined && (allowed as readonly string[]).includes(value) ? (value as T) : undefined;
}

/** `initializationOptions.codex` (and `workspace/didChangeConfiguration`): only the keys the
 * user set, so config.toml keeps deciding everything else. */
export function editorSettings(reader: SettingsReader): EditorSettings {
  const out: EditorSettings = {};
  const model = text(reader, "model");
  if (model !== undefined) out.model = model;
  const provider = text(reader, "modelProvider");
  if (provider !== undefined) out.modelProvider = provider;
  const effort = oneOf(reader, "reasoningEffort", EFFORTS);
  if (effort !== undefined) out.reasoningEffort = effort;
  const summary = oneOf(reader, "reasoningSummary", SUMMARIES);
  if (summary !== undefined) out.reasoningSummary = summary;
  const policy = oneOf(reader, "approvalPolicy", POLICIES);
  if (policy !== undefined) out.approvalPolicy = policy;
  const sandbox = oneOf(reader, "sandboxMode", SANDBOXES);
  if (sandbox !== undefined) out.sandboxMode = sandbox;
  const network = reader.get<unknown>("networkAccess");
  if (typeof network === "boolean") out.networkAccess = network;
  const roots = reader.get<unknown>("writableRoots");
  if (Array.isArray(roots) && roots.length > 0) {
    out.writableRoots = roots.filter((r): r is string => typeof r === "string" && r !== "");
  }
  const profile = text(reader, "profile");
  if (profile !== undefined) out.profile = profile;
  return out;
}

/** The sandbox policy a turn runs under, from the editor's settings (undefined: unchanged). */
export function sandboxPolicy(settings: EditorSettings): SandboxPolicyParam | undefined {
  switch (settings.sandboxMode) {
    case "read-only":
      return settings.networkAccess == null
        ? { type: "readOnly" }
        : { type: "readOnly", networkAccess: settings.networkAccess };
    case "workspace-write": {
      const policy: SandboxPolicyParam = { type: "workspaceWrite" };
      if (settings.writableRoots) policy.writableRoots = settings.writableRoots;
      if (settings.networkAccess != null) policy.networkAccess = settings.networkAccess;
      return policy;
    }
    case "danger-full-access":
      return { type: "dangerFullAccess" };
    default:
      return undefined;
  }
}

/** Per-turn overrides, so a settings change applies to the next turn without a restart. */
export function turnOverrides(
  settings: EditorSettings,
): Pick<TurnStartParams, "model" | "effort" | "approvalPolicy" | "sandboxPolicy" | "summary"> {
  const out: Pick<TurnStartParams, "model" | "effort" | "approvalPolicy" | "sandboxPolicy" | "summary"> = {};
  if (settings.model) out.model = settings.model;
  if (settings.reasoningEffort) out.effort = settings.reasoningEffort;
  if (settings.reasoningSummary) out.summary = settings.reasoningSummary;
  if (settings.approvalPolicy) out.approvalPolicy = settings.approvalPolicy;
  const sandbox = sandboxPolicy(settings);
  if (sandbox) out.sandboxPolicy = sandbox;
  return out;
}

export function launchSettings(reader: SettingsReader): ServerLaunchSettings {
  const args = reader.get<unknown>("server.args");
  const env = reader.get<unknown>("server.env");
  return {
    path: text(reader, "server.path") ?? "",
    args: Array.isArray(args) ? args.filter((a): a is string => typeof a === "string") : [],
    env:
      env !== null && typeof env === "object"
        ? Object.fromEntries(
            Object.entries(env as Record<string, unknown>).filter(
              (e): e is [string, string] => typeof e[1] === "string",
            ),
          )
        : {},
  };
}

/** Settings whose change needs a new server process (the rest go per turn). */
export const RESTART_KEYS = ["codex.server.path", "codex.server.args", "codex.server.env"] as const;
