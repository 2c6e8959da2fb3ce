"""Review mode: targets to diffs, the reviewer's instructions, findings, the review turn."""
