"""Did a command fail because of the sandbox? A heuristic on the exit code and the
output, used by the `on-failure` approval policy to offer a rerun without the sandbox."""

from __future__ import annotations

from .plan import SandboxPlan

FILESYSTEM_DENIAL_MARKERS = (
    "permission denied",
    "read-only file system",
    "operation not permitted",
    "eacces",
    "eperm",
    "erofs",
    "sandbox-exec",  # macOS reports "sandbox-exec: ..." and "deny(1) file-write..."
    "deny(1)",
    "bwrap:",
)

NETWORK_DENIAL_MARKERS = (
    "network is unreachable",
    "connection refused",
    "could not resolve host",
    "temporary failure in name resolution",
    "name or service not known",
    "failed to resolve",
    "no address associated with hostname",
    "cannot assign requested address",
    "enetunreach",
    "econnrefused",
    "getaddrinfo",
)

# Success, and "command not found": never a denial.
NOT_A_DENIAL_EXIT_CODES = frozenset({0, 127})


def looks_like_sandbox_denial(exit_code: int, output: str, plan: SandboxPlan | None = None) -> bool:
    """True if a failed command's output suggests the sandbox stopped it.

    Looks for EPERM/EACCES/EROFS-style messages ("Permission denied", "Read-only file
    system", "Operation not permitted", ...) and, only when `plan` turns the network
    off, for network errors ("Network is unreachable", "Connection refused", name
    resolution failures). Success (0) and "command not found" (127) are never denials,
    nor is anything under danger-full-access. `plan` None is taken as "sandboxed,
    network state unknown": filesystem markers only.
    """
    if exit_code in NOT_A_DENIAL_EXIT_CODES:
        return False
    if plan is not None and not plan.is_sandboxed:
        return False
    text = output.lower()
    if any(marker in text for marker in FILESYSTEM_DENIAL_MARKERS):
        return True
    network_off = plan is not None and plan.restricts_network
    return network_off and any(marker in text for marker in NETWORK_DENIAL_MARKERS)
