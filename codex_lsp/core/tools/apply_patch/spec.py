"""The model-facing apply_patch tool: a function tool with one `input` string, and a freeform
custom tool constrained by a Lark grammar (for providers that support custom tools)."""

from __future__ import annotations

from typing import Any

TOOL_NAME = "apply_patch"

FORMAT_DESCRIPTION = """\
Edit files with a patch. The patch is plain text in this format (not a unified diff, and \
no line numbers):

*** Begin Patch
<one or more file sections>
*** End Patch

File sections:
- `*** Add File: <path>` then the new file's content, every line prefixed with `+`.
- `*** Delete File: <path>` alone.
- `*** Update File: <path>`, optionally followed by `*** Move to: <new path>` to rename it, \
then one or more hunks. A hunk starts with `@@`, or with `@@ <line>` naming a line that \
comes before the change (usually the class or function it is in; stack several `@@ <line>` \
headers to narrow it down). Then its lines, each with a one-character prefix: ` ` (a space) \
for an unchanged context line, `-` for a line to remove, `+` for a line to add.

Rules:
- Paths are relative to the working directory (absolute paths also work). Never use line \
numbers.
- Give about 3 unchanged lines of context before and after each change, copied exactly, so \
the place is unambiguous; add `@@ <line>` headers when 3 lines are not unique in the file.
- Hunks of one file must be in the order they appear in the file and must not overlap; \
merge changes that are close together into one hunk.
- Write `*** End of File` after the last line of a hunk that must match at the end of the \
file.
- To change a file, update it: do not delete and re-add it.

Example:

*** Begin Patch
*** Add File: docs/hello.txt
+Hello, world!
*** Update File: src/app.py
*** Move to: src/main.py
@@ class Greeter:
     def greet(self, name):
-        print("Hi")
+        print(f"Hi, {name}")
         return None
*** Delete File: src/obsolete.py
*** End Patch"""

INPUT_DESCRIPTION = (
    "The entire patch, from '*** Begin Patch' to '*** End Patch', in the apply_patch format."
)

FREEFORM_DESCRIPTION = (
    "Edit files with a patch in the apply_patch format. This is a freeform tool: send the "
    "patch text itself, from '*** Begin Patch' to '*** End Patch', not JSON. "
    "Each hunk of an '*** Update File' starts with '@@' (optionally '@@ <line>' naming the "
    "class or function), then ' ' context, '-' removed and '+' added lines; paths are "
    "relative to the working directory; never use line numbers."
)

LARK_GRAMMAR = r"""start: begin_patch operation+ end_patch
begin_patch: "*** Begin Patch" LF
end_patch: "*** End Patch" LF?

operation: add_file | delete_file | update_file
add_file: "*** Add File: " path LF add_line+
delete_file: "*** Delete File: " path LF
update_file: "*** Update File: " path LF move_to? changes?

path: /(.+)/
add_line: "+" /(.*)/ LF -> line

move_to: "*** Move to: " path LF
changes: (hunk_header | change_line)+ end_of_file?
hunk_header: ("@@" | "@@ " /(.+)/) LF
change_line: ("+" | "-" | " ") /(.*)/ LF
end_of_file: "*** End of File" LF

%import common.LF
"""


def function_tool_spec() -> dict[str, Any]:
    """apply_patch as a Responses API function tool taking `{"input": "<patch>"}`."""
    return {
        "type": "function",
        "name": TOOL_NAME,
        "description": FORMAT_DESCRIPTION,
        "parameters": {
            "type": "object",
            "properties": {"input": {"type": "string", "description": INPUT_DESCRIPTION}},
            "required": ["input"],
            "additionalProperties": False,
        },
        "strict": False,
    }


def custom_tool_spec() -> dict[str, Any]:
    """apply_patch as a Responses API freeform custom tool whose input follows the grammar."""
    return {
        "type": "custom",
        "name": TOOL_NAME,
        "description": FREEFORM_DESCRIPTION,
        "format": {"type": "grammar", "syntax": "lark", "definition": LARK_GRAMMAR},
    }
