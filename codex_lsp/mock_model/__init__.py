"""A reusable, scriptable mock of the OpenAI model API (Responses + Chat Completions) on loopback.

Used in-process by tests and the ``codex-lsp demo`` command, and as a separate process
(``python -m codex_lsp.mock_model``) controlled over HTTP by editor end-to-end tests.

Example::

    async with MockModelServer() as server:
        server.enqueue(reasoning_then_text(["Thinking"], "Hello!"))
        client = AsyncOpenAI(base_url=server.url, api_key="x")
        ...
"""

from codex_lsp.mock_model.builders import (
    context_exceeded_response,
    custom_tool_call_response,
    cut_response,
    error_response,
    hang_response,
    reasoning_then_text,
    text_response,
    timestamped_deltas,
    tool_call_response,
)
from codex_lsp.mock_model.handlers import RecordedRequest
from codex_lsp.mock_model.script import (
    ContextLengthExceededFault,
    CustomToolCallItem,
    CutAfterEventsFault,
    FunctionCallItem,
    HttpErrorFault,
    MessageItem,
    MockFault,
    MockItem,
    MockResponse,
    MockUsage,
    ReasoningItem,
    WebSearchCallItem,
    load_script,
    parse_script,
)
from codex_lsp.mock_model.server import NO_SCRIPT_TEXT, MockModelServer

__all__ = [
    "NO_SCRIPT_TEXT",
    "ContextLengthExceededFault",
    "CustomToolCallItem",
    "CutAfterEventsFault",
    "FunctionCallItem",
    "HttpErrorFault",
    "MessageItem",
    "MockFault",
    "MockItem",
    "MockModelServer",
    "MockResponse",
    "MockUsage",
    "ReasoningItem",
    "RecordedRequest",
    "WebSearchCallItem",
    "context_exceeded_response",
    "custom_tool_call_response",
    "cut_response",
    "error_response",
    "hang_response",
    "load_script",
    "parse_script",
    "reasoning_then_text",
    "text_response",
    "timestamped_deltas",
    "tool_call_response",
]
