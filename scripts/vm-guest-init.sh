# PID 1 of the guest that scripts/vm-run boots, run by bash from the control share /run/vm-run once
# the initramfs has switched to the overlay root. Sets up a cgroup-v2-only system the way systemd
# would, runs the command, writes its exit status to /run/vm-run/rc and powers off. If this script
# itself fails, PID 1 exits, the kernel panics, qemu stops (-no-reboot) and vm-run reports 125.
set -u
ctl=/run/vm-run

mount -t proc proc /proc
mount -t sysfs sysfs /sys
# Only cgroup2 (the kernel was booted with cgroup_no_v1=all), with systemd's mount options.
mount -t cgroup2 -o nsdelegate,memory_recursiveprot cgroup2 /sys/fs/cgroup
mkdir -p /dev/pts /dev/shm /dev/mqueue
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t mqueue mqueue /dev/mqueue
ip link set lo up
hostname vm-run

# systemd's layout: PID 1 in /init.scope, every controller enabled at the root (which, alone, may
# have both processes and controller-enabled children), and each workload in a leaf of its own.
cg=/sys/fs/cgroup
mkdir $cg/init.scope && echo $$ >$cg/init.scope/cgroup.procs
echo "+cpu +memory +io +pids" >$cg/cgroup.subtree_control
mkdir $cg/vm-command

# The scratch disk vm-run made (ext4 on /dev/vda), for tests that need a real block device.
mkdir -p /mnt/scratch
if [ -b /dev/vda ]; then
  mount -t ext4 /dev/vda /mnt/scratch || echo "vm-run guest: mounting the scratch disk failed" >&2
fi
chmod 1777 /mnt/scratch

. $ctl/env.sh
cd "$(cat $ctl/cwd)" || exit 1
# The command, in its own cgroup, with stdout and stderr a pipe (no TTY, so no colour codes).
(
  echo $BASHPID >$cg/vm-command/cgroup.procs
  exec bash $ctl/cmd.sh </dev/null 2>&1
) | cat
rc=${PIPESTATUS[0]}
echo "$rc" >$ctl/rc
sync
echo o >/proc/sysrq-trigger
# Wait for the power-off with a builtin: running /usr/bin/sleep could race the 9p root going away.
read -r -t 60 _ </dev/console || true
