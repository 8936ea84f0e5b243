"""shyperctl in the MVM: every command, plain and --json, on the session board."""

import json
import os
import re

import pytest

from conftest import REPO_ROOT, SESSION_RAM_BYTES, SESSION_SMP, requires_hypervisor

pytestmark = requires_hypervisor

# Errors are one line on stderr starting with this.
ERROR_LINE_RE = re.compile(r"^shyperctl: [^\n]+\n$")


def shyperctl_json(board, args):
    output = board.check("shyperctl %s --json" % args)
    try:
        return json.loads(output)
    except ValueError as error:
        board.fail("`shyperctl %s --json` is not JSON (%s):\n%s" % (args, error, output))


def stderr_of(board, command):
    """(status, stderr) of COMMAND, stdout thrown away."""
    return board.run("%s 2>&1 >/dev/null" % command)


def test_version_and_help(board):
    assert re.match(r"shyperctl \S+ \(libshyper \S+, ABI 1\.\d+\)\n$",
                    board.check("shyperctl --version"))
    for args in ["", "hv", "hv info", "hv log", "vm", "vm list", "vm info"]:
        output = board.check("shyperctl %s --help" % args)
        assert output.startswith("Usage: shyperctl"), args
        assert "--json" in output, args


def test_hv_info_json(board):
    info = shyperctl_json(board, "hv info")
    assert info["schema"] == 1
    assert info["pcpu_count"] == SESSION_SMP
    assert info["abi_major"] == 1
    assert info["abi_version"].startswith("1.")
    assert info["version"] and info["board"]
    assert info["gic_version"] == 3
    assert info["memory_total_bytes"] == SESSION_RAM_BYTES
    assert 0 < info["memory_hypervisor_bytes"] < info["memory_total_bytes"]
    assert 0 < info["pool_total_bytes"] < info["memory_total_bytes"]
    assert 0 <= info["pool_free_bytes"] <= info["pool_total_bytes"]
    assert info["uptime_ns"] > 0
    assert 1 <= info["vm_count"] <= info["vm_max"]
    # The build id is the start of the digest the build sealed the image with.
    with open(os.path.join(REPO_ROOT, "build", "hypervisor", "shyper.bin"), "rb") as f:
        sealed = f.read()[64 + 80:64 + 88]  # struct shyper_image_header.sha256
    assert info["build_id"] == sealed.hex(), info
    assert info["state_version"] >= 4


def test_hv_info_plain(board):
    output = board.check("shyperctl hv info")
    fields = dict(line.split(":", 1) for line in output.strip().splitlines())
    fields = {key: value.strip() for key, value in fields.items()}
    assert fields["Hypervisor"].startswith("Shyper ")
    assert fields["ABI version"].startswith("1.")
    assert re.fullmatch(r"[0-9a-f]{16}", fields["Build id"]), fields
    assert fields["State layout"].startswith("version ")
    assert fields["pCPUs"] == str(SESSION_SMP)
    assert fields["GIC version"] == "GICv3"
    assert fields["Memory total"] == "2 GiB"
    for key in ["Board", "Memory hypervisor", "Guest pool total", "Guest pool free", "Uptime"]:
        assert fields[key], key


def test_vm_list(board):
    vms = shyperctl_json(board, "vm list")
    assert vms["schema"] == 1
    mvm = [vm for vm in vms["vms"] if vm["id"] == 0]
    assert len(mvm) == 1, vms
    mvm = mvm[0]
    assert mvm["name"] == "mvm"
    assert mvm["type"] == "mvm"
    assert mvm["state"] == "running"
    assert mvm["vcpu_count"] == SESSION_SMP
    assert 0 < mvm["memory_bytes"] < SESSION_RAM_BYTES

    lines = board.check("shyperctl vm list").strip().splitlines()
    assert lines[0].split() == ["ID", "NAME", "TYPE", "STATE", "VCPUS", "MEMORY"]
    row = lines[1].split()
    assert row[:5] == ["0", "mvm", "mvm", "running", str(SESSION_SMP)]


def test_vm_info_by_name_and_id_agree(board):
    by_name = shyperctl_json(board, "vm info mvm")
    by_id = shyperctl_json(board, "vm info 0")
    for info in (by_name, by_id):
        assert info["schema"] == 1
        assert info["vcpu_count"] == SESSION_SMP
        assert [v["vcpu"] for v in info["vcpus"]] == list(range(SESSION_SMP))
        assert all(0 <= v["pcpu"] < SESSION_SMP for v in info["vcpus"])
    # Uptime and exits move on between two calls; the rest must agree.
    for key in ["id", "name", "type", "state", "vcpu_count", "memory_bytes", "vcpus"]:
        assert by_name[key] == by_id[key], key
    assert by_id["uptime_ns"] > 0

    output = board.check("shyperctl vm info mvm")
    assert re.search(r"^Name: +mvm$", output, re.M)
    assert re.search(r"^State: +running$", output, re.M)
    assert re.search(r"^vCPU 0: +pCPU \d+$", output, re.M)


def test_vm_info_missing_vm(board):
    status, err = stderr_of(board, "shyperctl vm info nosuchvm")
    assert status == 1
    assert ERROR_LINE_RE.match(err), err
    assert "nosuchvm" in err


def test_usage_errors(board):
    for command in ["shyperctl frobnicate", "shyperctl vm info", "shyperctl hv info --bogus"]:
        status, err = stderr_of(board, command)
        assert status == 2, command
        assert ERROR_LINE_RE.match(err), (command, err)


def test_hv_log(board):
    output = board.check("shyperctl hv log")
    assert "Shyper" in output
    log = shyperctl_json(board, "hv log")
    assert log["schema"] == 1
    assert "Shyper" in log["text"]
    assert log["length_bytes"] > 0
    assert log["written_bytes"] >= log["length_bytes"]


@pytest.mark.parametrize("command", ["hv info", "vm list", "hv log"])
def test_non_root_is_refused(board, command):
    # busybox su needs a user in /etc/passwd: nobody, only for this.
    board.check("grep -q '^nobody:' /etc/passwd || "
                "echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >>/etc/passwd")
    status, err = stderr_of(board, "su nobody -s /bin/sh -c 'shyperctl %s'" % command)
    assert status == 1
    assert ERROR_LINE_RE.match(err), err
    assert "are you root?" in err
