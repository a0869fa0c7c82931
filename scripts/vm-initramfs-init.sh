#!/bin/sh
# /init of the initramfs that scripts/vm-run builds (busybox sh, PID 1 of the guest at first).
# Loads the modules vm-run copied, builds the root filesystem the guest runs on and switches to it:
#   /             the host's / (9p share "hostroot", read-only) under a tmpfs overlay, so the guest
#                 can write anywhere and nothing reaches the host; what it writes is lost at poweroff
#   /tmp /var/tmp fresh tmpfs
#   <cwd>         the directory vm-run was started in (9p share "cwd"), read-write, at the same path
#   /run/vm-run   the control share: guest-init.sh, cmd.sh, env.sh, cwd; the exit status goes back there
# then runs /run/vm-run/guest-init.sh (scripts/vm-guest-init.sh) with bash as PID 1.

fail() {
  echo "vm-run initramfs: $*" >&2
  # Without a status file vm-run reports 125; power off rather than hang until the timeout.
  echo o >/proc/sysrq-trigger
  sleep 30
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

while read -r module; do
  insmod "/modules/$module.ko" || fail "insmod $module failed"
done </modules/order

p9=trans=virtio,version=9p2000.L,msize=512000
mount -t 9p -o "$p9,ro,cache=loose" hostroot /lower || fail "mounting the host's / over 9p failed"
mount -t tmpfs -o size=50%,mode=0755 tmpfs /upper || fail "tmpfs for the overlay failed"
mkdir -p /upper/data /upper/work
mount -t overlay -o lowerdir=/lower,upperdir=/upper/data,workdir=/upper/work overlay /newroot ||
  fail "the overlay root failed"

mkdir -p /newroot/run/vm-run
mount -t 9p -o "$p9" ctl /newroot/run/vm-run || fail "mounting the control share failed"
# Fresh /tmp and /var/tmp before the cwd is mounted (the cwd may live under either).
mount -t tmpfs -o mode=1777 tmpfs /newroot/tmp
mount -t tmpfs -o mode=1777 tmpfs /newroot/var/tmp
cwd=$(cat /newroot/run/vm-run/cwd)
mkdir -p "/newroot$cwd"
mount -t 9p -o "$p9" cwd "/newroot$cwd" || fail "mounting $cwd failed"

umount /proc /sys
mount --move /dev /newroot/dev
exec switch_root /newroot /bin/bash /run/vm-run/guest-init.sh
