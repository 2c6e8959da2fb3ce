"""The macOS backend: `sandbox-exec -p <profile> -D<PARAM>=<path> ... -- argv`, with a
Seatbelt (SBPL) profile generated from the plan.

The profile denies by default, allows reading everything, process fork/exec, signals
within the sandbox, terminals (`/dev/ptmx`, `/dev/ttys*`) and `/dev/null`; in
workspace-write mode it allows `file-write*` under each writable root except its
read-only subpaths (`.git`); with the network on it allows network and the system
services TLS and DNS need. Paths are passed as `-D` parameters, never spliced into the
profile text, so no quoting can break it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .backend import Backend, Launch, SandboxUnavailable, sandbox_env
from .plan import SandboxPlan

SANDBOX_EXEC = "/usr/bin/sandbox-exec"

BASE_POLICY = """\
(version 1)
(deny default)

; processes
(allow process-exec)
(allow process-fork)
(allow signal (target same-sandbox))
(allow process-info* (target same-sandbox))

; system information
(allow sysctl-read)
(allow user-preference-read)
(allow mach-host*)
(allow ipc-posix-sem)
(allow mach-lookup
  (global-name "com.apple.system.opendirectoryd.libinfo")
  (global-name "com.apple.PowerManagement.control"))

; read everything
(allow file-read*)

; /dev/null and terminals
(allow file-write-data
  (require-all (path "/dev/null") (vnode-type CHARACTER-DEVICE)))
(allow pseudo-tty)
(allow file-read* file-write* file-ioctl (literal "/dev/ptmx"))
(allow file-read* file-write* file-ioctl (regex #"^/dev/ttys[0-9]+"))
"""

NETWORK_POLICY = """\
; network
(allow network-outbound)
(allow network-inbound)
(allow system-socket)
(allow mach-lookup
  (global-name "com.apple.bsd.dirhelper")
  (global-name "com.apple.system.opendirectoryd.membership")
  (global-name "com.apple.SecurityServer")
  (global-name "com.apple.networkd")
  (global-name "com.apple.ocspd")
  (global-name "com.apple.trustd.agent")
  (global-name "com.apple.SystemConfiguration.DNSConfiguration")
  (global-name "com.apple.SystemConfiguration.configd"))
(allow sysctl-read (sysctl-name-regex #"^net.routetable"))
"""


@dataclass(frozen=True)
class SeatbeltProfile:
    """A generated profile and the `-D` parameters its `(param ...)` references need."""

    text: str
    params: dict[str, str]

    def sandbox_exec_args(self) -> list[str]:
        """`-p <text> -DKEY=VALUE ...` for `sandbox-exec`."""
        return ["-p", self.text, *(f"-D{key}={value}" for key, value in self.params.items())]


def _write_rules(plan: SandboxPlan, params: dict[str, str]) -> str:
    clauses: list[str] = []
    for index, root in enumerate(plan.writable_roots):
        root_key = f"WRITABLE_ROOT_{index}"
        params[root_key] = str(root)
        excluded = [sub for sub in plan.read_only_subpaths if root == sub or root in sub.parents]
        if not excluded:
            clauses.append(f'  (subpath (param "{root_key}"))')
            continue
        parts = [f'(subpath (param "{root_key}"))']
        for sub_index, sub in enumerate(excluded):
            sub_key = f"{root_key}_RO_{sub_index}"
            params[sub_key] = str(sub)
            parts.append(f'(require-not (subpath (param "{sub_key}")))')
        clauses.append(f"  (require-all {' '.join(parts)})")
    if not clauses:
        return ""
    return "; writable roots\n(allow file-write*\n" + "\n".join(clauses) + ")\n"


def seatbelt_profile(plan: SandboxPlan) -> SeatbeltProfile:
    """The SBPL profile enforcing `plan` (which must be sandboxed)."""
    params: dict[str, str] = {}
    sections = [BASE_POLICY]
    writes = _write_rules(plan, params)
    if writes:
        sections.append(writes)
    if plan.network:
        sections.append(NETWORK_POLICY)
    return SeatbeltProfile(text="\n".join(sections), params=params)


class SeatbeltBackend(Backend):
    """`sandbox-exec` with a generated profile (see the module doc)."""

    name = "macos-seatbelt"

    def enforcement_gap(self, plan: SandboxPlan) -> str | None:
        """None: Seatbelt enforces every plan."""
        return None

    def launch(self, plan: SandboxPlan, argv: Sequence[str], *, pty: bool) -> Launch:
        """`sandbox-exec -p <profile> -D... -- argv`."""
        if not plan.is_sandboxed:
            raise SandboxUnavailable("danger-full-access needs no sandbox")
        profile = seatbelt_profile(plan)
        return Launch(
            argv=(SANDBOX_EXEC, *profile.sandbox_exec_args(), "--", *argv),
            env=sandbox_env("seatbelt", plan),
        )
