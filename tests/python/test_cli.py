"""The command line contract: the profiled program runs exactly as under
`python` (argv, __main__, sys.path[0], streams, exit status, tracebacks,
signals), the profile is written on every way out, and bad input gets one
clear line and a distinct exit status."""

from __future__ import annotations

import json
import os
import pstats
import shutil
import signal
import subprocess
import sys
import time

import pytest
from conftest import PYRO_MODULE, PYRO_SCRIPT, TARGETS, mentions_pyrometer_code, pyro, run, target


def py(*args, **kw):
    return run([sys.executable, *args], **kw)


def report_free(stderr: str) -> str:
    """stderr without pyrometer's end-of-run report (which starts with the
    call-count line) and its "wrote FILE" line."""
    lines = [line for line in stderr.splitlines(keepends=True) if not line.startswith("pyrometer: wrote ")]
    for i, line in enumerate(lines):
        if "function calls" in line and "seconds" in line:
            return "".join(lines[:i])
    return "".join(lines)


# ==== starting pyrometer ====


def test_both_entry_points(pyro_cmd):
    r = run([*pyro_cmd, "--version"])
    assert r.returncode == 0 and r.stdout.startswith("pyrometer ")
    r = run([*pyro_cmd, "run", "--help"])
    assert r.returncode == 0 and "--mode" in r.stdout and "--clock" in r.stdout
    r = run([*pyro_cmd, "run", "--mode", "trace", target("fibrec.py"), "10"])
    assert r.returncode == 0 and r.stdout.startswith("55 ")
    assert "function calls" in r.stderr and "fib" in r.stderr


def test_no_command_is_usage_error():
    assert pyro().returncode == 2
    r = pyro("frobnicate")
    assert r.returncode == 2 and "unknown command" in r.stderr


# ==== the program cannot tell it is profiled ====


@pytest.mark.parametrize("how", ["relative", "absolute"])
def test_script_environment_is_pythons(tmp_path, how):
    work = tmp_path / "w"
    (work / "sub").mkdir(parents=True)
    shutil.copy(TARGETS / "show_env.py", work / "sub" / "show_env.py")
    script = "sub/show_env.py" if how == "relative" else str(work / "sub" / "show_env.py")
    plain = py(script, "a", "--x", cwd=work)
    traced = pyro("run", "--mode", "trace", script, "a", "--x", cwd=work)
    assert plain.returncode == traced.returncode == 0, traced.stderr
    assert json.loads(traced.stdout) == json.loads(plain.stdout)


def test_symlinked_script_path0(tmp_path):
    (tmp_path / "real").mkdir()
    shutil.copy(TARGETS / "show_env.py", tmp_path / "real" / "show_env.py")
    (tmp_path / "link.py").symlink_to(tmp_path / "real" / "show_env.py")
    plain = py("link.py", cwd=tmp_path)
    traced = pyro("run", "--mode", "trace", "link.py", cwd=tmp_path)
    assert json.loads(traced.stdout) == json.loads(plain.stdout)
    assert json.loads(traced.stdout)["path0"] == str(tmp_path / "real")


def test_module_environment_is_pythons(tmp_path):
    shutil.copy(TARGETS / "show_env.py", tmp_path / "show_env.py")
    plain = py("-m", "show_env", "1", "2", cwd=tmp_path)
    traced = pyro("run", "--mode", "trace", "-m", "show_env", "1", "2", cwd=tmp_path)
    assert traced.returncode == 0, traced.stderr
    assert json.loads(traced.stdout) == json.loads(plain.stdout)
    # a package's __main__
    plain = py("-m", "pkg", "z", cwd=TARGETS)
    traced = pyro("run", "--mode", "trace", "-m", "pkg", "z", cwd=TARGETS)
    assert json.loads(traced.stdout) == json.loads(plain.stdout)


def test_command_environment_is_pythons(tmp_path):
    code = "import sys, json; print(json.dumps([sys.argv, sys.path[0], __name__]))"
    plain = py("-c", code, "q", cwd=tmp_path)
    traced = pyro("run", "--mode", "trace", "-c", code, "q", cwd=tmp_path)
    assert json.loads(traced.stdout) == json.loads(plain.stdout)


@pytest.mark.parametrize("how", ["script", "command"])
def test_program_compiled_as_pythons(tmp_path, how):
    """No compiler flags of pyrometer's reach the program: its runner has
    `from __future__ import annotations`, which `-c` code inherited (its
    annotations came out as strings). A coding cookie is honoured."""
    code = (
        "def f(x: int) -> 'str': pass\nimport json; print(json.dumps([repr(v) for v in f.__annotations__.values()]))\n"
    )
    prog = tmp_path / "p.py"
    prog.write_bytes(b"# -*- coding: latin-1 -*-\n" + code.encode() + b"s = '\xe9'\nprint(ord(s))\n")
    args = ["-c", code] if how == "command" else [str(prog)]
    plain = py(*args, cwd=tmp_path)
    ran = pyro("run", "-o", str(tmp_path / "p.pyro"), *args, cwd=tmp_path)
    assert ran.returncode == plain.returncode == 0, ran.stderr
    assert ran.stdout == plain.stdout
    assert "<class 'int'>" in ran.stdout


def test_null_bytes_in_source_are_a_syntax_error(tmp_path):
    """One clear message, the one 3.11+ give (3.9/3.10 misread the rest of
    the file, each its own way), never a traceback of pyrometer's."""
    prog = tmp_path / "nul.py"
    prog.write_bytes(b"print(1)\nx = 1\x00print(2)\n")
    r = pyro("run", "-o", str(tmp_path / "n.pyro"), str(prog))
    assert r.returncode == 1
    assert r.stderr.splitlines()[-1] == "SyntaxError: source code cannot contain null bytes"
    assert f'File "{prog}", line 2' in r.stderr and not mentions_pyrometer_code(r.stderr)
    assert r.stdout == ""


def test_program_options_are_not_pyrometers():
    # options after the script belong to the program, even pyrometer's own names
    r = pyro("run", "--mode", "trace", target("show_env.py"), "-o", "--mode", "x")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["argv"][1:] == ["-o", "--mode", "x"]


def test_stdin_and_stdout_pass_through():
    data = "line one\nline two\n"
    plain = py(target("show_env.py"), "--stdin", input=data)
    traced = pyro("run", "--mode", "trace", target("show_env.py"), "--stdin", input=data)
    assert traced.stdout == plain.stdout  # byte for byte: the report goes to stderr
    assert json.loads(traced.stdout)["stdin"] == data


# ==== exit status and tracebacks ====


@pytest.mark.parametrize("how,status", [("exit3", 3), ("exitmsg", 1), ("raise", 1), ("os_exit", 5), ("normal", 0)])
def test_exit_status_and_profile_written(tmp_path, how, status):
    out = tmp_path / "p.prof"
    plain = py(target("exits.py"), how)
    traced = pyro("run", "--mode", "trace", "-o", str(out), target("exits.py"), how)
    assert plain.returncode == status
    assert traced.returncode == status, traced.stderr
    assert traced.stdout == plain.stdout
    assert report_free(traced.stderr) == plain.stderr  # same message / traceback, ours removed
    names = {k[2] for k in pstats.Stats(str(out)).stats}
    assert "inner" in names and "outer" in names


def test_uncaught_exception_traceback_is_pythons():
    plain = py(target("exits.py"), "raise")
    traced = pyro("run", "--mode", "trace", target("exits.py"), "raise")
    assert "Traceback (most recent call last):" in plain.stderr
    assert report_free(traced.stderr) == plain.stderr
    assert not mentions_pyrometer_code(report_free(traced.stderr))
    assert "function calls" in traced.stderr  # and the report still printed


def _default_sigint():
    # a shell starts background jobs with SIGINT ignored, and children inherit it: the program
    # gets the disposition an interactive shell gives it, whatever started the test run
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _interrupt(cmd, sig, tmp_path):
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=_default_sigint)  # noqa: PLW1509
    assert p.stdout.readline().strip() == "ready"
    time.sleep(0.2)
    p.send_signal(sig)
    _out, err = p.communicate(timeout=60)
    return p.returncode, err


@pytest.mark.parametrize("sig,how", [(signal.SIGINT, "wait_int"), (signal.SIGTERM, "wait_term")])
def test_signals_keep_status_and_write_profile(tmp_path, sig, how):
    out = tmp_path / "p.prof"
    plain_rc, plain_err = _interrupt([sys.executable, target("exits.py"), how], sig, tmp_path)
    rc, err = _interrupt(
        [*PYRO_MODULE, "run", "--mode", "trace", "-o", str(out), target("exits.py"), how], sig, tmp_path
    )
    assert plain_rc == -sig
    assert rc == -sig, err
    names = {k[2] for k in pstats.Stats(str(out)).stats}
    assert "inner" in names
    if sig == signal.SIGINT:
        assert "KeyboardInterrupt" in err and "KeyboardInterrupt" in plain_err


def test_fork_child_does_not_write_or_break(tmp_path):
    out = tmp_path / "p.prof"
    r = pyro("run", "--mode", "trace", "-o", str(out), target("exits.py"), "fork")
    assert r.returncode == 0, r.stderr
    assert "child status 0" in r.stdout
    stats = pstats.Stats(str(out)).stats
    assert any(k[2] == "inner" for k in stats)


# ==== bad input ====


def test_missing_script(tmp_path):
    r = pyro("run", "--mode", "trace", str(tmp_path / "nope.py"))
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "can't open file" in r.stderr and "nope.py" in r.stderr


def test_missing_module():
    r = pyro("run", "--mode", "trace", "-m", "no_such_module_xyz")
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "no_such_module_xyz" in r.stderr


def test_nothing_to_run():
    r = pyro("run", "--mode", "trace")
    assert r.returncode == 2 and "nothing to run" in r.stderr


def test_syntax_error_is_pythons(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("x = 1\ndef (:\n")
    plain = py(str(bad))
    traced = pyro("run", "--mode", "trace", str(bad))
    assert plain.returncode == traced.returncode == 1
    assert traced.stderr == plain.stderr


def _sentinel_program(tmp_path):
    flag = tmp_path / "ran"
    prog = tmp_path / "prog.py"
    prog.write_text(f"open({str(flag)!r}, 'w').close()\n")
    return prog, flag


def test_output_into_missing_directory_refused_before_start(tmp_path):
    prog, flag = _sentinel_program(tmp_path)
    r = pyro("run", "--mode", "trace", "-o", str(tmp_path / "no" / "dir" / "p.prof"), str(prog))
    assert r.returncode == 3 and "does not exist" in r.stderr
    assert not flag.exists()


def test_output_into_read_only_place_refused_before_start(tmp_path):
    prog, flag = _sentinel_program(tmp_path)
    ro = tmp_path / "ro"
    ro.mkdir()
    mounted = False
    if os.geteuid() == 0:
        # root may write anywhere on a writable file system: use a read-only mount
        mounted = (
            subprocess.run(["mount", "-t", "tmpfs", "-o", "ro", "tmpfs", str(ro)], capture_output=True).returncode == 0
        )
        if not mounted:
            pytest.skip("running as root and cannot mount a read-only file system here")
    else:
        ro.chmod(0o555)
    try:
        r = pyro("run", "--mode", "trace", "-o", str(ro / "p.prof"), str(prog))
        assert r.returncode == 3 and "cannot write" in r.stderr, r.stderr
        assert not flag.exists()
    finally:
        if mounted:
            subprocess.run(["umount", str(ro)])
        ro.chmod(0o755)


def test_existing_output_replaced_atomically(tmp_path):
    out = tmp_path / "p.prof"
    out.write_text("old")
    r = pyro("run", "--mode", "trace", "-o", str(out), target("fibrec.py"), "5")
    assert r.returncode == 0
    assert pstats.Stats(str(out)).stats
    assert [p.name for p in tmp_path.iterdir()] == ["p.prof"]  # no temporary left behind


def test_unknown_output_extension(tmp_path):
    prog, flag = _sentinel_program(tmp_path)
    r = pyro("run", "--mode", "trace", "-o", str(tmp_path / "p.xyz"), str(prog))
    assert r.returncode == 2 and "--format" in r.stderr
    assert not flag.exists()
    r = pyro("run", "--mode", "trace", "--format", "json", "-o", str(tmp_path / "p.xyz"), str(prog))
    assert r.returncode == 0 and json.loads((tmp_path / "p.xyz").read_text())["format"] == "pyrometer"


def test_binary_format_needs_output(tmp_path):
    prog, flag = _sentinel_program(tmp_path)
    r = pyro("run", "--mode", "trace", "--format", "pstats", str(prog))
    assert r.returncode == 2 and "-o FILE" in r.stderr
    assert not flag.exists()


def test_bad_option_values():

    assert pyro("run", "--clock", "moon", target("fibrec.py")).returncode == 2
    assert pyro("run", "--limit", "-1", target("fibrec.py")).returncode == 2
    r = pyro(
        "run",
        "--mode",
        "trace",
        "--backend",
        "legacy" if sys.version_info >= (3, 12) else "monitoring",
        target("fibrec.py"),
    )
    assert r.returncode == 2 and "not available" in r.stderr


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--rate", "250", "--clock", "cpu", "-o", "f.svg"],
        ["--rate=5e3", "--output=f.json", "--show-all", "--no-builtins", "--limit", "7"],
        ["--mode", "trace", "--backend", "auto", "--sort", "ncalls", "--callers", "0", "--threshold", "2.5"],
        ["--format", "collapsed", "--color", "never", "--rate", "10", "--rate", "20"],
    ],
)
def test_quick_parse_agrees_with_argparse(argv):
    """`run` reads its options without argparse; the result is argparse's."""
    from pyrometer import cli
    from pyrometer._opts import quick_parse

    quick = quick_parse(cli.RUN_OPTS + cli.RENDER_OPTS, argv)
    assert quick is not None
    assert vars(quick) == vars(cli._run_parser().parse_args(argv))


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["-h"],
        ["--rat", "5"],
        ["--rate", "fast"],
        ["--clock", "moon"],
        ["--rate"],
        ["--rate", "-5"],
        ["-ofile.json"],
        ["-o=file.json"],
        ["--show-all=1"],
        ["--unknown"],
        ["x"],
    ],
)
def test_quick_parse_leaves_the_rest_to_argparse(argv):
    """Help, abbreviations, bad values and unknown options get argparse's messages."""
    from pyrometer import cli
    from pyrometer._opts import quick_parse

    assert quick_parse(cli.RUN_OPTS + cli.RENDER_OPTS, argv) is None


def test_run_imports_little_into_the_program():
    """The program sees the modules plain Python would have, plus pyrometer's
    own: not argparse, typing, enum, re, threading... (they cost start-up)."""
    code = "import sys; print(' '.join(sorted(sys.modules)))"
    plain = set(py("-c", code).stdout.split())
    r = run([*PYRO_SCRIPT, "run", "-c", code])
    assert r.returncode == 0, r.stderr
    extra = {m for m in set(r.stdout.split()) - plain if not m.startswith("pyrometer")}
    assert extra <= {"__future__"}, extra  # (`from __future__ import annotations`)


LATE_THREADING = """
import threading, time
def work():  # 50 ms of its own CPU: on a busy machine it lives longer, sampled and named
    end = time.thread_time() + 0.05
    while time.thread_time() < end:
        sum(range(1000))
t = threading.Thread(target=work, name="late-thread")
t.start()
t.join()
"""


@pytest.mark.parametrize("mode", ["sample", "trace"])
def test_program_imports_threading_while_profiled(tmp_path, mode):
    """threading is the program's to import (pyrometer no longer does it
    first): importing it while the hooks run, and naming its threads, works."""
    out = tmp_path / "p.pyro"
    rate = ["--rate", "5000"] if mode == "sample" else []
    for _ in range(3):  # a busy machine may not let the sampler name a thread that short-lived: again
        r = pyro("run", "--mode", mode, *rate, "-o", str(out), "-c", LATE_THREADING)
        assert r.returncode == 0, r.stderr
        tree = pyro("report", "--format", "tree", "--threshold", "0", str(out))
        if tree.returncode != 0 or "late-thread" in tree.stdout:
            break
    assert tree.returncode == 0 and "late-thread" in tree.stdout, tree.stdout + tree.stderr


# ==== the report reaches the real stderr, whatever the program did ====

REPORT_MARK = {"sample": "sample profile of", "trace": "function calls", "blocking": "sample profile of"}
MODE_ARGS = {"sample": [], "trace": ["--mode", "trace"], "blocking": ["--blocking"]}
STREAM_PROGRAMS = {
    "close-stdout": "import sys; print('out'); sys.stdout.close(); sys.exit(4)",
    "close-stderr": "import sys; sys.stderr.write('err\\n'); sys.stderr.close()",
    "replace-both": "import io, sys; sys.stdout = io.StringIO(); sys.stderr = io.StringIO(); print('lost')",
    "close-fd-2": "import os; print('out', flush=True); os.close(2)",
    "redirect-fd-2": "import os; os.dup2(os.open(os.devnull, os.O_WRONLY), 2); raise SystemExit('gone')",
}


@pytest.mark.parametrize("mode", list(MODE_ARGS))
@pytest.mark.parametrize("what", list(STREAM_PROGRAMS))
def test_report_survives_the_programs_streams(mode, what):
    """A program that closes or replaces sys.stdout/sys.stderr, or fd 2,
    still gets its own status and output, and the report still reaches the
    stderr pyrometer was given."""
    code = STREAM_PROGRAMS[what]
    plain = py("-c", code)
    r = pyro("run", *MODE_ARGS[mode], "-c", code)
    assert r.returncode == plain.returncode, r.stderr
    assert r.stdout == plain.stdout
    assert REPORT_MARK[mode] in r.stderr, r.stderr
    assert "Traceback (most recent call last)" not in r.stderr and "I/O operation on closed file" not in r.stderr


@pytest.mark.parametrize("mode", list(MODE_ARGS))
def test_json_tool_from_stdin(mode):
    """`echo '{}' | pyrometer run -m json.tool`: json.tool closes sys.stdout."""
    plain = py("-m", "json.tool", input='{"a": 1}\n')
    r = pyro("run", *MODE_ARGS[mode], "-m", "json.tool", input='{"a": 1}\n')
    assert r.returncode == plain.returncode == 0, r.stderr
    assert r.stdout == plain.stdout
    assert REPORT_MARK[mode] in r.stderr and "Traceback (most recent call last)" not in r.stderr


@pytest.mark.parametrize("mode", list(MODE_ARGS))
def test_run_output_says_where(tmp_path, mode):
    """`run -o` names the file it wrote, on stderr, as `attach -o` does."""
    out = tmp_path / "p.json"
    r = pyro("run", *MODE_ARGS[mode], "-o", str(out), "-c", "print('hi')")
    assert r.returncode == 0 and r.stdout == "hi\n"
    assert r.stderr.splitlines()[-1] == f"pyrometer: wrote {out}"
    assert json.loads(out.read_text())["format"] == "pyrometer"


# ==== exit statuses: pyrometer's before the program, the program's after ====

LOSE_OUTPUT = """
import os, shutil, sys
shutil.rmtree(os.path.dirname(sys.argv[1]))  # the -o directory goes away
how = sys.argv[2]
if how == "exit0": sys.exit(0)
if how == "exit5": sys.exit(5)
if how == "os_exit0": os._exit(0)
if how == "raise": raise ValueError("boom")
"""


@pytest.mark.parametrize("mode", list(MODE_ARGS))
@pytest.mark.parametrize(
    "how,status", [("normal", 3), ("exit0", 3), ("os_exit0", 3), ("exit5", 5), ("raise", 1)], ids=str
)
def test_profile_lost_after_the_program(tmp_path, mode, how, status):
    """A profile that cannot be written after the program ran is reported;
    a program that succeeded then ends with pyrometer's status 3, one that
    failed keeps its own."""
    if mode == "blocking" and how == "os_exit0":
        pytest.skip("the same as exit0 in a child process")
    out = tmp_path / "gone" / "p.json"
    out.parent.mkdir()
    r = pyro("run", *MODE_ARGS[mode], "-o", str(out), "-c", LOSE_OUTPUT, str(out), how)
    assert r.returncode == status, r.stderr
    assert f"pyrometer: cannot write {str(out)!r}" in r.stderr
    assert not out.exists()


@pytest.mark.parametrize("status", [2, 3, 4, 7])
def test_programs_status_is_never_pyrometers(tmp_path, status):
    """A program's sys.exit(n) passes through even where n is one of
    pyrometer's own statuses: the profile was written all the same."""
    out = tmp_path / "p.pyro"
    r = pyro("run", "-o", str(out), "-c", f"import sys; sys.exit({status})")
    assert r.returncode == status and out.stat().st_size > 0
    assert r.stderr == f"pyrometer: wrote {out}\n"


# ==== every option works in the mode or is refused there ====


@pytest.mark.parametrize(
    "argv,name",
    [
        (["--mode", "trace", "--rate", "100"], "--rate"),
        (["--mode", "trace", "--show-all"], "--show-all"),
        (["--mode", "trace", "--blocking"], "--blocking"),
        (["--no-builtins"], "--no-builtins"),
        (["--mode", "sample", "--backend", "legacy"], "--backend"),
        (["--rate", "0"], "--rate"),
        (["--rate", "1e6"], "--rate"),
        (["--limit", "-1"], "--limit"),
        (["--threshold", "101"], "--threshold"),
    ],
    ids=str,
)
def test_options_without_effect_are_refused(tmp_path, argv, name):
    """One line naming the option, status 2, and the program never starts."""
    prog, flag = _sentinel_program(tmp_path)
    r = pyro("run", *argv, str(prog))
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert r.stderr.startswith(f"pyrometer: {name} ")
    assert not flag.exists()


def test_report_refuses_sample_options_for_a_trace(tmp_path):
    out = tmp_path / "t.pyro"
    assert pyro("run", "--mode", "trace", "-o", str(out), target("fibrec.py"), "5").returncode == 0
    for opt in (["--clock", "cpu"], ["--show-all"]):
        r = pyro("report", *opt, str(out))
        assert r.returncode == 2 and opt[0] in r.stderr and r.stderr.count("\n") == 1
    assert pyro("report", "--sort", "ncalls", str(out)).returncode == 0


# ==== one owner per decision ====


def test_ranges_and_formats_come_from_the_core(tmp_path):
    from pyrometer import _core

    r = pyro("run", "-o", str(tmp_path / "p.xyz"), "-c", "pass")
    assert r.returncode == 2
    assert all(ext in r.stderr for ext, _ in _core.FORMAT_EXTENSIONS)
    assert ".svg" in r.stderr and ".speedscope.json" in r.stderr
    rate = f"between {_core.RATE_MIN:g} and {_core.RATE_MAX:g}"
    for cmd in (["run", "--rate", "0", "-c", "pass"], ["attach", "--rate", "0", "1"], ["top", "--rate", "0", "1"]):
        r = pyro(*cmd)
        assert r.returncode == 2 and f"--rate must be {rate}" in r.stderr, (cmd, r.stderr)
    assert f"(default: {_core.RATE_DEFAULT:g})" in pyro("attach", "--help").stdout
    assert f"(default: {_core.RENDER_DEFAULTS['limit']})" in pyro("report", "--help").stdout


def test_help_names_every_exit_status():
    """Every status pyrometer itself exits with is in `pyrometer --help`
    and in the module's docstring (the reference list)."""
    import re

    from pyrometer import _bench, cli

    own = {v for k, v in vars(cli).items() if k.startswith("EXIT_")}
    own |= {v for k, v in vars(_bench).items() if k.startswith("EXIT_")}
    own -= {0, 1}
    text = pyro("--help").stdout
    said = {int(n) for n in re.findall(r"(?<![\w.-])(\d{1,3})(?=\s+[a-z-])", text)}
    assert own <= said, sorted(own - said)
    listed = {int(n) for n in re.findall(r"^  (\d+) ", cli.__doc__ or "", re.M)}
    assert own <= listed, sorted(own - listed)


def test_commands_declare_options_only_from_the_tables():
    """Every command declares its options from the Opt tables (each shared
    option once), none with argparse calls of its own."""
    import pyrometer.cli as cli

    with open(cli.__file__) as f:
        source = f.read()
    assert "add_argument(" not in source
    assert "_core.Sampler(" in source and "rate must" not in source and "100000" not in source
    assert "-11:" not in source  # core error codes are not decoded by hand
    for table in (cli.RUN_OPTS, cli.ATTACH_OPTS):
        assert cli.RATE in table and cli.CLOCK in table and cli.BLOCKING in table and cli.OUTPUT in table


def test_sampled_program_that_forks_often_ends(tmp_path):
    """A forked child's copy of the sampler is the parent's (its thread and
    lock live in the parent only): stopping it in the child must not wait on
    the lock, which the sampling thread may have held at the fork (the child
    then hung, and the parent with it, waiting for the child)."""
    code = (
        "import os\n"
        "for i in range(60):\n"
        "    pid = os.fork()\n"
        "    if pid == 0:\n"
        "        sum(range(2000))\n"
        "        os._exit(3)\n"
        "    assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 3\n"
        "print('done')\n"
    )
    (tmp_path / "prog.py").write_text(code)
    r = pyro("run", "--rate", "20000", "-o", "s.json", "prog.py", cwd=tmp_path, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "done\n"
