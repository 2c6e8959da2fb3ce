import { describe, expect, it } from "vitest";
import { closeOpenFence, renderMarkdown } from "../../src/webview/markdown.js";

describe("safe markdown", () => {
  it("renders markdown", () => {
    expect(renderMarkdown("**bold** and `code`")).toBe("<p><strong>bold</strong> and <code>code</code></p>\n");
  });

  it("escapes raw HTML (no script, no event handlers)", () => {
    const html = renderMarkdown('<script>alert(1)</script><img src=x onerror="alert(2)">');
    expect(html).not.toMatch(/<script|<img/i);
    expect(html).toContain("&lt;script&gt;");
  });

  it("drops javascript: links and keeps http links for the extension to open", () => {
    expect(renderMarkdown("[x](javascript:alert(1))")).not.toContain("href=");
    expect(renderMarkdown("[site](https://example.com)")).toContain('data-href="https://example.com"');
  });

  it("never loads images from model output", () => {
    const html = renderMarkdown("![tracker](https://evil.example/p.png)");
    expect(html).not.toContain("<img");
    expect(html).toContain("[image: tracker https://evil.example/p.png]");
  });

  it("closes a code fence left open while streaming", () => {
    expect(closeOpenFence("text\n```ts\nconst a = 1;")).toBe("text\n```ts\nconst a = 1;\n```");
    expect(closeOpenFence("```\ndone\n```")).toBe("```\ndone\n```");
  });
});
