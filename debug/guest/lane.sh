# SPDX-License-Identifier: MIT
# shellcheck shell=dash
# The debug lane's hook into /init (vm/init.sh sources it once the base
# modules are loaded): the debug kernel's own reports fail a run too, and
# kmemleak starts from a clean slate.

# Most reports also print "WARNING:" or "BUG:"; listed so that none is missed.
DMESG_ALARM="$DMESG_ALARM|BUG: KASAN|possible circular locking|possible recursive locking"
DMESG_ALARM="$DMESG_ALARM|inconsistent lock state|suspicious RCU usage|DMA-API:|kmemleak:"
DMESG_ALARM="$DMESG_ALARM|sleeping function called from invalid context|UBSAN:"
# Fault injection can fail kmemleak's own bookkeeping; it then scans more, and
# says so. Not a report.
DMESG_IGNORE="kmemleak: Cannot allocate a scan area"

mount -t debugfs debugfs /sys/kernel/debug

# What the kernel leaked while booting is not the runs' doing: forget it. The
# runs scan when they mean to (kmemleak_test); kmemleak's own scan, every 10
# minutes, would only take the guest's CPU in the middle of a run.
if [ -w /sys/kernel/debug/kmemleak ]; then
	echo scan=off >/sys/kernel/debug/kmemleak
	echo scan >/sys/kernel/debug/kmemleak
	echo clear >/sys/kernel/debug/kmemleak
fi
