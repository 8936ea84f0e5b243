"""Guest networking end to end on the session board: <interface> NICs are
virtio-net devices whose backend is shyperd, a tap per NIC on a bridge of
the MVM. Two Linux guests get addresses by DHCP from the MVM on network
"default" (bridge virbr0), reach the MVM and each other (ping, and a TCP
transfer checked byte for byte both ways), and keep their MACs across a
reboot.
"""

import re
import time

from conftest import requires_hypervisor
from test_virtio import disk_guest, guest_shell
from test_vm_commands import console_text, defs, vm  # noqa: F401

pytestmark = requires_hypervisor

MVM_IP = "192.168.122.1"


def net_guest(name, pcpu, interface):
    """The shipped Linux guest on its PL011, 1 vCPU on PCPU, 128 MiB, one NIC."""
    text = disk_guest(name, interface)
    return text.replace("cpuset='2'", "cpuset='%d'" % pcpu)


def wait_address(board, name, timeout=240):
    """Waits for guest NAME's init to say eth0 has an address; returns it."""
    deadline = time.time() + timeout
    seen = ""
    while time.time() < deadline:
        seen += console_text(board, name, 3)
        # The line's end too: the console may have given half of it so far.
        m = re.search(r"shyper-guest: eth0 has (\d+\.\d+\.\d+\.\d+)[\r\n]", seen)
        if m:
            return m.group(1)
    raise AssertionError("guest %s got no address:\n%s" % (name, seen))


def guest_mac(board, name):
    text = guest_shell(board, name, "echo mac=$(cat /sys/class/net/eth0/address)",
                       r"mac=[0-9a-f:]{17}")
    return re.search(r"mac=([0-9a-f:]{17})", text).group(1)


def test_guests_reach_the_mvm_and_each_other(board, defs):  # noqa: F811
    board.check("shyperctl vm create %s" % defs("neta.xml", net_guest(
        "neta", 2, "<interface type='network'><source network='default'/></interface>")))
    board.check("shyperctl vm create %s" % defs("netb.xml", net_guest(
        "netb", 3, "<interface type='bridge'><source bridge='virbr0'/>"
        "<mac address='52:54:00:12:34:56'/><model type='virtio'/></interface>")))
    ip_a = wait_address(board, "neta")
    ip_b = wait_address(board, "netb")
    assert ip_a != ip_b and ip_a.startswith("192.168.122.") and ip_b.startswith("192.168.122.")

    # Each NIC is a tap on virbr0, named after its VM's id and slot.
    ids = {name: vm(board, name)["id"] for name in ("neta", "netb")}
    ports = board.check("ls /sys/class/net/virbr0/brif")
    for name, vm_id in ids.items():
        assert "shy%d-0" % vm_id in ports.split(), (name, ports)

    # The MVM reaches both guests.
    for ip in (ip_a, ip_b):
        out = board.check("ping -c 3 -W 10 %s" % ip, 60)
        assert re.search(r"3 packets transmitted, 3 packets received", out), out

    # TCP, guest to MVM: guest A serves 512 KiB of random bytes over HTTP,
    # the MVM fetches them; the checksums agree.
    text = guest_shell(board, "neta",
                       "mkdir -p /tmp/www && dd if=/dev/urandom of=/tmp/www/blob bs=1k "
                       "count=512 2>/dev/null && httpd -p 8080 -h /tmp/www && "
                       "echo sum=$(md5sum < /tmp/www/blob)", r"sum=[0-9a-f]{32}")
    sum_a = re.search(r"sum=([0-9a-f]{32})", text).group(1)
    out = board.check("wget -q -O - http://%s:8080/blob | md5sum" % ip_a, 120)
    assert out.split()[0] == sum_a, (out, sum_a)

    # Guest to guest, and MVM to guest: guest B fetches guest A's file and
    # one the MVM serves.
    board.check("mkdir -p /tmp/www && dd if=/dev/urandom of=/tmp/www/mvmblob bs=1k count=256 "
                "2>/dev/null && (httpd -p 8081 -h /tmp/www)")
    sum_mvm = board.check("md5sum < /tmp/www/mvmblob").split()[0]
    text = guest_shell(board, "netb",
                       "ping -c 3 -W 10 %s | grep transmitted; "
                       "echo g''g=$(wget -q -O - http://%s:8080/blob | md5sum); "
                       "echo m''g=$(wget -q -O - http://%s:8081/mvmblob | md5sum)"
                       % (ip_a, ip_a, MVM_IP), r"mg=[0-9a-f]{32}", 180)
    assert "3 packets transmitted, 3 packets received" in text, text
    assert "gg=%s" % sum_a in text, text
    assert "mg=%s" % sum_mvm in text, text

    # MACs: the one the XML gives, and a generated one that the stored
    # definition names and that survives a reboot.
    assert guest_mac(board, "netb") == "52:54:00:12:34:56"
    mac_a = guest_mac(board, "neta")
    assert "<mac address=\"%s\"" % mac_a in board.check("shyperctl vm dumpxml neta")
    board.check("shyperctl vm reboot neta")
    wait_address(board, "neta")
    assert guest_mac(board, "neta") == mac_a
    # The reboot made a new tap for the same id; the old one is gone.
    ports = board.check("ls /sys/class/net/virbr0/brif").split()
    assert ports.count("shy%d-0" % ids["neta"]) == 1, ports

    for name in ("neta", "netb"):
        board.check("shyperctl vm stop --timeout 60 %s" % name, 120)
    board.check("kill $(pidof httpd) 2>/dev/null; true")
    # Their taps went with them; shyperd carries on.
    deadline = time.time() + 30
    while time.time() < deadline:
        ports = board.check("ls /sys/class/net/virbr0/brif").split()
        if not any(p.startswith("shy") for p in ports):
            break
        time.sleep(1)
    assert not any(p.startswith("shy") for p in ports), ports
    board.check("kill -0 $(cat /run/shyperd.pid)")


def test_interface_on_a_missing_bridge_is_refused(board, defs):  # noqa: F811
    path = defs("nobr.xml", net_guest(
        "nobr", 2, "<interface type='bridge'><source bridge='br9'/></interface>"))
    status, out = board.run("shyperctl vm create %s" % path)
    assert status == 1, out
    assert "no bridge 'br9'" in out, out
    # Nothing was left behind: no VM, no definition.
    assert "nobr" not in board.check("shyperctl vm list")
