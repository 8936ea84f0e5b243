#!/usr/bin/python3
"""Boot benchmark: MVM boot to user space, under Shyper versus without it.

Boots the board N times in each mode, alternating (hypervisor, direct,
hypervisor, ...) so that drift in host load hits both sides alike, and
times each boot from QEMU's start to the MVM's first user-space line,
"shyper-mvm: user space reached". Writes the section "MVM boot to user
space" of docs/benchmarks.md (replacing an older one).

Run: /usr/bin/python3 tests/bench/boot_ratio.py [--runs N] [--out docs/benchmarks.md]
"""

import argparse
import datetime
import os
import platform
import re
import selectors
import shlex
import statistics
import subprocess
import sys
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BOARD = os.path.join(REPO_ROOT, "packaging", "shyper-board")
sys.path.insert(0, os.path.join(REPO_ROOT, "packaging"))
import qemu_board  # noqa: E402  (packaging/qemu_board.py)
DEFAULT_HYPERVISOR = os.path.join(REPO_ROOT, "build", "hypervisor", "shyper.bin")
DEFAULT_OUT = os.path.join(REPO_ROOT, "docs", "benchmarks.md")
KERNEL_VERSION_FILE = os.path.join(REPO_ROOT, "build", "mvm", "kernel-version")

SECTION_TITLE = "## MVM boot to user space"
USER_SPACE_LINE = b"shyper-mvm: user space reached"


def qemu_command(mode_args, smp, mem, hv_args):
    """The exact QEMU argv shyper-board would run (interactive mode)."""
    cmd = [BOARD] + mode_args + ["--smp", str(smp), "--mem", mem, "--dry-run"]
    if hv_args:
        cmd += ["--hv-args", hv_args]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit("boot_ratio: shyper-board failed: " + result.stderr.strip())
    return shlex.split(result.stdout.strip())


def time_boot(qemu_argv, timeout):
    """Starts QEMU, returns seconds until the user-space line, stops QEMU."""
    start = time.monotonic()
    proc = subprocess.Popen(qemu_argv, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    seen = b""
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    try:
        while True:
            left = start + timeout - time.monotonic()
            if left <= 0:
                raise RuntimeError("no user-space line after %gs" % timeout)
            if not selector.select(timeout=min(left, 1.0)):
                continue
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                raise RuntimeError("QEMU exited before user space; console tail:\n"
                                   + seen[-2000:].decode(errors="replace"))
            seen += chunk
            if USER_SPACE_LINE in seen:
                return time.monotonic() - start
            seen = seen[-4096:]
    finally:
        selector.close()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def qemu_version():
    out = subprocess.run([qemu_board.QEMU, "--version"],
                         capture_output=True, text=True).stdout
    return out.splitlines()[0].strip() if out else "unknown"


def host_cpu():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def render_section(results, facts):
    hv, direct = results["hypervisor"], results["direct"]
    hv_median, direct_median = statistics.median(hv), statistics.median(direct)
    rows = "\n".join("| %d | %.2f | %.2f |" % (i + 1, h, d)
                     for i, (h, d) in enumerate(zip(hv, direct)))
    return f"""{SECTION_TITLE}

Wall time from QEMU start to the MVM's first user-space line
(`shyper-mvm: user space reached`), with Shyper and without it
(the same kernel and initramfs booted straight under QEMU).

- Date: {facts['date']}
- QEMU: {facts['qemu']} (TCG), host CPU: {facts['cpu']} ({facts['host_cpus']} cores)
- MVM kernel: Debian {facts['kernel']}, busybox initramfs
- Board: `virt`, GICv3, cortex-a57, {facts['smp']} vCPUs, {facts['mem']} RAM
- Hypervisor arguments: `{facts['hv_args'] or '(none)'}`

| run | with Shyper (s) | direct (s) |
|---:|---:|---:|
{rows}
| **median** | **{hv_median:.2f}** | **{direct_median:.2f}** |

**Median ratio (with Shyper / direct): {hv_median / direct_median:.2f}**

How it was measured: `tests/bench/boot_ratio.py --runs {facts['runs']}`
asks `packaging/shyper-board --dry-run` for the exact QEMU command of each
mode (interactive mode: the MVM's default kernel arguments, no script),
starts QEMU itself with stdin from /dev/null, and stops the clock when the
console line appears; QEMU is then terminated. Runs alternate between the
two modes so that changes in host load fall on both alike. One QEMU runs
at a time. Under TCG every guest instruction is emulated, so the figures
are wall-clock and depend on the host; the ratio is the figure to compare.
"""


def write_section(path, section):
    """Replaces (or appends) the section in PATH, keeping the rest."""
    text = ""
    if os.path.exists(path):
        with open(path) as f:
            text = f.read()
    if not text.strip():
        text = "# Shyper benchmarks\n\n"
    pattern = re.compile(r"^%s\n.*?(?=^## |\Z)" % re.escape(SECTION_TITLE),
                         re.MULTILINE | re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    text = text.rstrip("\n") + "\n"
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="boots per mode (default: 5)")
    parser.add_argument("--out", default=DEFAULT_OUT,
                        help="markdown file to update (default: docs/benchmarks.md)")
    parser.add_argument("--no-write", action="store_true",
                        help="print the results only, leave --out alone")
    parser.add_argument("--hypervisor", default=DEFAULT_HYPERVISOR,
                        help="hypervisor image (default: build/hypervisor/shyper.bin)")
    parser.add_argument("--hv-args", default="", help="hypervisor command line")
    parser.add_argument("--smp", type=int, default=2, help="vCPUs (default: 2)")
    parser.add_argument("--mem", default="2G", help="board RAM (default: 2G)")
    parser.add_argument("--timeout", type=float, default=300,
                        help="give up on a boot after this many seconds")
    # Development only: time direct boots on both sides (no hypervisor
    # needed). Never writes --out, so no such figures reach docs/.
    parser.add_argument("--selftest-direct-both", action="store_true",
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    if args.selftest_direct_both:
        hv_mode = ["--direct"]
        args.no_write = True
        print("boot_ratio: self-test, 'hypervisor' side boots direct too; "
              "nothing is written", file=sys.stderr)
    else:
        if not os.path.isfile(args.hypervisor):
            sys.exit("boot_ratio: hypervisor image %s not found (build it first)"
                     % args.hypervisor)
        hv_mode = ["--hypervisor", args.hypervisor]
    commands = {
        "hypervisor": qemu_command(hv_mode, args.smp, args.mem, args.hv_args),
        "direct": qemu_command(["--direct"], args.smp, args.mem, ""),
    }

    results = {"hypervisor": [], "direct": []}
    for run in range(args.runs):
        for mode in ("hypervisor", "direct"):
            try:
                seconds = time_boot(commands[mode], args.timeout)
            except RuntimeError as err:
                sys.exit("boot_ratio: %s boot %d failed: %s" % (mode, run + 1, err))
            results[mode].append(seconds)
            print("run %d %-10s %6.2f s" % (run + 1, mode, seconds), flush=True)

    hv_median = statistics.median(results["hypervisor"])
    direct_median = statistics.median(results["direct"])
    print("median: hypervisor %.2f s, direct %.2f s, ratio %.2f"
          % (hv_median, direct_median, hv_median / direct_median))

    if args.no_write:
        return 0
    kernel = "unknown"
    if os.path.exists(KERNEL_VERSION_FILE):
        with open(KERNEL_VERSION_FILE) as f:
            kernel = f.read().strip()
    facts = {
        "date": datetime.date.today().isoformat(),
        "qemu": qemu_version(),
        "cpu": host_cpu(),
        "host_cpus": os.cpu_count(),
        "kernel": kernel,
        "smp": args.smp,
        "mem": args.mem,
        "hv_args": args.hv_args,
        "runs": args.runs,
    }
    write_section(args.out, render_section(results, facts))
    print("boot_ratio: wrote %s" % os.path.relpath(args.out, REPO_ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
