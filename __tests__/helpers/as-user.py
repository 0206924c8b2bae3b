"""Runs a command as another user, the way a self-hosted runner's service
account runs a job, optionally where that user may create no user
namespace (as on Ubuntu 24.04, whose AppArmor policy refuses them).

    python3 as-user.py UID GID DENY_USERNS COMMAND [ARG...]

DENY_USERNS=1: the command runs in a user namespace that maps ids 0-65535
to themselves (so setuid programs such as sudo work as usual) and whose
limit of further user namespaces is 0. Must be started as root.
"""
import ctypes
import os
import sys

CLONE_NEWUSER = 0x10000000
libc = ctypes.CDLL(None, use_errno=True)

uid, gid, deny = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "1"
command = sys.argv[4:]


def become_user():
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    os.execv(command[0], command)


if not deny:
    become_user()

ready_r, ready_w = os.pipe()
mapped_r, mapped_w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(ready_r)
    os.close(mapped_w)
    if libc.unshare(CLONE_NEWUSER) != 0:
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWUSER)")
    os.write(ready_w, b"x")
    os.close(ready_w)
    os.read(mapped_r, 1)
    with open("/proc/sys/user/max_user_namespaces", "w") as limit:
        limit.write("0")
    become_user()
os.close(ready_w)
os.close(mapped_r)
os.read(ready_r, 1)
for name in ("uid_map", "gid_map"):
    with open("/proc/%d/%s" % (pid, name), "w") as ids:
        ids.write("0 0 65536\n")
os.write(mapped_w, b"x")
os.close(mapped_w)
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
