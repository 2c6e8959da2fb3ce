import { describe, expect, it } from "vitest";
import { findMentions, mentionAt, parseChatInput } from "../../src/state/chatInput.js";

const files: Record<string, string> = { "src/a.ts": "/ws/src/a.ts", "README.md": "/ws/README.md" };
const resolve = (name: string) => files[name];

describe("chat input", () => {
  it("turns !cmd into a user shell command", () => {
    expect(parseChatInput("  !ls -la ", resolve)).toEqual({ kind: "shell", command: "ls -la" });
    expect(parseChatInput("!", resolve)).toEqual({ kind: "empty" });
    expect(parseChatInput("   ", resolve)).toEqual({ kind: "empty" });
  });

  it("adds a mention input for each @file that exists", () => {
    const parsed = parseChatInput("Compare @src/a.ts with @README.md, and @missing.txt", resolve);
    expect(parsed).toEqual({
      kind: "turn",
      mentions: ["src/a.ts", "README.md"],
      input: [
        { type: "text", text: "Compare @src/a.ts with @README.md, and @missing.txt" },
        { type: "mention", name: "src/a.ts", path: "/ws/src/a.ts" },
        { type: "mention", name: "README.md", path: "/ws/README.md" },
      ],
    });
  });

  it("does not take e-mail addresses for mentions", () => {
    expect(findMentions("mail me@example.com about @README.md")).toEqual(["README.md"]);
  });

  it("adds the selection as a document input", () => {
    const range = { start: { line: 1, character: 0 }, end: { line: 3, character: 4 } };
    const parsed = parseChatInput("explain", resolve, { uri: "file:///ws/src/a.ts", range });
    expect(parsed.kind === "turn" && parsed.input[1]).toEqual({ type: "document", uri: "file:///ws/src/a.ts", range });
  });

  it("finds the mention being typed at the caret", () => {
    expect(mentionAt("look at @src/", 13)).toEqual({ start: 8, query: "src/" });
    expect(mentionAt("no mention", 10)).toBeUndefined();
  });
});
