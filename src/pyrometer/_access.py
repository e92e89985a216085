"""Why this process may not read another one's memory, and what would change it.

``dump``, ``attach`` and ``top`` read a process with ``process_vm_readv`` (and
``ptrace`` with ``--blocking``), which the kernel allows when the ptrace
access check passes (``PTRACE_MODE_ATTACH_REALCREDS``):

* the reader's real uid and gid equal the target's real, effective and saved
  ones, its permitted capabilities include the target's, and the target is
  dumpable; or the reader holds CAP_SYS_PTRACE in the target's user
  namespace, which overrides all three;
* Yama (``kernel.yama.ptrace_scope``): 1 lets only ancestors read (or
  CAP_SYS_PTRACE), 2 only CAP_SYS_PTRACE, 3 nobody;
* other security modules and seccomp filters may refuse it too.

``facts`` reads what applies from /proc; ``advice`` turns it into one line
that names the causes found and only the changes that would help.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

CAP_SYS_PTRACE = 19
CAP_NAMES = (  # noqa: SIM905 (one word per capability, in bit order)
    "chown dac_override dac_read_search fowner fsetid kill setgid setuid setpcap linux_immutable "
    "net_bind_service net_broadcast net_admin net_raw ipc_lock ipc_owner sys_module sys_rawio sys_chroot "
    "sys_ptrace sys_pacct sys_admin sys_boot sys_nice sys_resource sys_time sys_tty_config mknod lease "
    "audit_write audit_control setfcap mac_override mac_admin syslog wake_alarm block_suspend audit_read "
    "perfmon bpf checkpoint_restore"
).split()


def _status(pid: int | str) -> dict[str, str]:
    """/proc/PID/status as a dict (empty if it cannot be read)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            return {k: v.strip() for k, _, v in (line.partition(":") for line in f)}
    except OSError:
        return {}


def _ints(text: str | None) -> list[int]:
    try:
        return [int(x) for x in (text or "").split()]
    except ValueError:
        return []


def _mask(text: str | None) -> int:
    try:
        return int(text or "0", 16)
    except ValueError:
        return 0


def _read(path: str) -> str | None:
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def _is_ancestor(pid: int, of: int) -> bool:
    """Whether process `pid` is an ancestor of process `of`."""
    seen = 0
    while of > 1 and seen < 1000:
        ppid = _ints(_status(of).get("PPid"))
        if not ppid:
            return False
        of = ppid[0]
        if of == pid:
            return True
        seen += 1
    return False


def facts(pid: int) -> dict[str, Any]:
    """What decides whether this process may read process `pid`."""
    me, it = _status("self"), _status(pid)
    try:  # the kernel shows a non-dumpable process's files as root's
        proc_owner = os.stat(f"/proc/{pid}/status").st_uid
    except OSError:
        proc_owner = -1
    try:
        same_userns = os.readlink("/proc/self/ns/user") == os.readlink(f"/proc/{pid}/ns/user")
    except OSError:
        same_userns = None  # unknown: reading the target's namespace needs the same permission
    apparmor = _read("/proc/self/attr/apparmor/current") or _read("/proc/self/attr/current") or ""
    return {
        "uid": os.getuid(),
        "gid": os.getgid(),
        "cap_eff": _mask(me.get("CapEff")),
        "cap_prm": _mask(me.get("CapPrm")),
        "cap_bnd": _mask(me.get("CapBnd")),
        "seccomp": _ints(me.get("Seccomp"))[:1] == [2],
        "apparmor": "" if apparmor in ("unconfined", "") else apparmor,
        "target_uids": _ints(it.get("Uid"))[:3],
        "target_gids": _ints(it.get("Gid"))[:3],
        "target_caps": _mask(it.get("CapPrm")),
        "proc_owner": proc_owner,
        "yama": _read("/proc/sys/kernel/yama/ptrace_scope"),
        "ancestor": _is_ancestor(os.getpid(), pid),
        "same_userns": same_userns,
    }


def _cap_names(mask: int) -> str:
    bits = [i for i in range(mask.bit_length()) if mask >> i & 1]
    return ", ".join(f"cap_{CAP_NAMES[i]}" if i < len(CAP_NAMES) else f"capability {i}" for i in bits)


def advice(f: dict[str, Any]) -> str:
    """One line: why the read was refused, and what would change that."""
    has_cap = bool(f["cap_eff"] >> CAP_SYS_PTRACE & 1)
    if f["yama"] == "3":
        return (
            "kernel.yama.ptrace_scope is 3: no process may read another's memory, not even root with "
            "CAP_SYS_PTRACE, until the machine is rebooted"
        )
    if has_cap:
        if f["same_userns"] is False:
            return (
                "the process is in another user namespace (outside this container), where this process's "
                "CAP_SYS_PTRACE does not count: run pyrometer in the process's own namespace (e.g. on the host)"
            )
        others = []
        if f["seccomp"]:
            others.append("a seccomp filter on pyrometer (docker run --security-opt seccomp=unconfined lifts it)")
        if f["apparmor"]:
            others.append(
                f"the AppArmor profile {f['apparmor']} (docker run --security-opt apparmor=unconfined lifts it)"
            )
        others.append("a security module or the sandbox that runs the process")
        return (
            "pyrometer holds CAP_SYS_PTRACE, which overrides ownership, dumpability and "
            "kernel.yama.ptrace_scope, so none of those is the cause and no capability would help; "
            "what refused it: " + ", or ".join(others)
        )
    # Without CAP_SYS_PTRACE: each check that fails, and the way around it.
    can_gain = bool(f["cap_bnd"] >> CAP_SYS_PTRACE & 1)
    if not can_gain:
        gain = (
            "give pyrometer CAP_SYS_PTRACE, which even root cannot gain here (its bounding set lacks it, "
            "as in a container started without `docker run --cap-add SYS_PTRACE`)"
        )
    elif f["uid"] != 0:
        gain = "run pyrometer as root (sudo), which holds CAP_SYS_PTRACE"
    else:
        gain = "run pyrometer with CAP_SYS_PTRACE (root here, but without it in effect)"
    causes = []
    uids, gids = f["target_uids"], f["target_gids"]
    owner_differs = bool(uids) and (any(u != f["uid"] for u in uids) or any(g != f["gid"] for g in gids))
    if owner_differs:
        who = uids[1] if len(uids) > 1 else uids[0]
        causes.append(f"the process runs as uid {who}, pyrometer as uid {f['uid']}: run it as uid {who}")
    elif uids and uids[1] != 0 and f["proc_owner"] == 0:
        causes.append(
            "the process is not dumpable (it changed its user or group, or called prctl(PR_SET_DUMPABLE, 0)), "
            "and only CAP_SYS_PTRACE may read such a process"
        )
    missing = f["target_caps"] & ~f["cap_prm"]
    if missing:
        causes.append(f"the process holds capabilities pyrometer lacks ({_cap_names(missing)})")
    if f["yama"] == "1" and not f["ancestor"]:
        causes.append(
            "kernel.yama.ptrace_scope is 1: only a process's ancestors may read it: start the program "
            "under pyrometer (`pyrometer top -- python app.py`), or `sudo sysctl kernel.yama.ptrace_scope=0`"
        )
    elif f["yama"] == "2":
        causes.append("kernel.yama.ptrace_scope is 2: only CAP_SYS_PTRACE may read another process")
    if not causes:
        causes.append("no ownership, capability or ptrace_scope rule explains it (a security module?)")
    return "; ".join(causes) + "; or " + gain


def why_denied(pid: int) -> str:
    """``advice`` for process `pid`, from this process's point of view."""
    return advice(facts(pid))
