"""--share DIR: files cross between the host and the MVM through 9p."""

import os
import secrets


def test_host_to_mvm(board, share_dir):
    content = "from the host %s" % secrets.token_hex(8)
    with open(os.path.join(share_dir, "host-file.txt"), "w") as f:
        f.write(content + "\n")
    seen = board.check("cat /mnt/share/host-file.txt").strip()
    assert seen == content


def test_mvm_to_host(board, share_dir):
    content = "from the mvm %s" % secrets.token_hex(8)
    board.check("echo '%s' > /mnt/share/mvm-file.txt && sync" % content)
    with open(os.path.join(share_dir, "mvm-file.txt")) as f:
        assert f.read().strip() == content


def test_share_is_mounted_9p(board):
    mounts = board.check("grep ' /mnt/share ' /proc/mounts")
    assert " 9p " in mounts and "trans=virtio" in mounts, mounts
