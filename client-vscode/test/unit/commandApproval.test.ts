// What a command approval offers and says: the buttons (with "Always allow <prefix>" only
// when the server proposes one), the prefix as one line, and the risk assessment as text.
import { describe, expect, it } from "vitest";
import { alwaysAllowLabel, commandChoices, describeDecision, formatPrefix, riskLabel, riskLines } from "../../src/state/commandApproval.js";

describe("command approval choices", () => {
  it("offers the four plain choices without a proposed prefix", () => {
    for (const amendment of [null, undefined, []]) {
      expect(commandChoices(amendment).map((c) => [c.label, c.decision])).toEqual([
        ["Run", "accept"],
        ["Run and don't ask again", "acceptForSession"],
        ["Decline and continue", "decline"],
        ["Stop the turn", "cancel"],
      ]);
    }
  });

  it("adds Always allow <prefix>, answering acceptWithExecpolicyAmendment with the prefix", () => {
    const choices = commandChoices(["npm", "test"]);
    expect(choices.map((c) => c.label)).toEqual(["Run", "Run and don't ask again", 'Always allow "npm test"', "Decline and continue", "Stop the turn"]);
    expect(choices[2]?.decision).toEqual({ acceptWithExecpolicyAmendment: { execpolicy_amendment: ["npm", "test"] } });
    expect(choices[2]?.title).toContain('every command starting with "npm test" in this folder without asking (still in the sandbox');
    expect(describeDecision(choices[2]!.decision)).toBe('always allow "npm test"');
    expect(describeDecision("decline")).toBe("decline");
  });

  it("writes a prefix as a shell would need it", () => {
    expect(formatPrefix(["git", "log", "--oneline"])).toBe("git log --oneline");
    expect(formatPrefix(["grep", "two words", "it's", ""])).toBe(`grep 'two words' 'it'\\''s' ''`);
    expect(alwaysAllowLabel(["cargo", "build"])).toBe('Always allow "cargo build"');
  });

  it("says the assessment in lines, nothing without one", () => {
    expect(riskLines(null)).toEqual([]);
    expect(riskLines(undefined)).toEqual([]);
    expect(riskLines({ description: "Deletes the build directory.", riskLevel: "high", riskCategories: ["data loss", "filesystem"] })).toEqual([
      "High risk: Deletes the build directory.",
      "Categories: data loss, filesystem",
    ]);
    expect(riskLines({ description: " ", riskLevel: "low", riskCategories: [] })).toEqual(["Low risk: no description"]);
    expect(riskLabel("medium")).toBe("Medium risk");
  });
});
