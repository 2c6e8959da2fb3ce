// Safe markdown for agent messages: raw HTML is escaped (markdown-it `html: false`), links
// are limited to http(s), mailto and file-like targets, and nothing runs (the webview's CSP
// allows only the extension's own nonce'd script). Used by the webview; unit-tested in node.
import MarkdownIt from "markdown-it";

const SAFE_LINK = /^(https?:|mailto:|#|\.{0,2}\/|[\w.-]+(\/|$))/i;

function create(): MarkdownIt {
  const md = new MarkdownIt({ html: false, linkify: true, breaks: false, typographer: false });
  md.validateLink = (url: string) => SAFE_LINK.test(url.trim()) && !/^\s*(javascript|vbscript|data):/i.test(url);
  const defaultLink =
    md.renderer.rules.link_open ?? ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
  md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
    const token = tokens[idx];
    if (token) {
      // Clicks are handled by the webview script (it asks the extension to open the target).
      token.attrSet("data-href", token.attrGet("href") ?? "");
      token.attrSet("title", token.attrGet("href") ?? "");
    }
    return defaultLink(tokens, idx, options, env, self);
  };
  md.renderer.rules.image = (tokens, idx) => {
    const token = tokens[idx];
    const alt = token?.content ?? "";
    // No remote loads from model output: show the image's alt text and address instead.
    return `<span class="md-image">[image: ${md.utils.escapeHtml(alt)} ${md.utils.escapeHtml(token?.attrGet("src") ?? "")}]</span>`;
  };
  return md;
}

let instance: MarkdownIt | undefined;

export function renderMarkdown(text: string): string {
  instance ??= create();
  return instance.render(text);
}

/** While a message streams, an unclosed code fence would swallow the rest: close it. */
export function closeOpenFence(text: string): string {
  const fences = text.match(/^ {0,3}(```|~~~)/gm);
  return fences && fences.length % 2 === 1 ? `${text}\n${fences[fences.length - 1]?.trim() ?? "```"}` : text;
}
