#!/bin/sh
# Runner check: a kernel WARNING logged while this test runs must fail it,
# even though it exits 0.  (The runner reads kernel messages, so a line
# written to /dev/kmsg stands for a real WARN here.)
echo "WARNING: CPU: 0 PID: $$ at runner-check/kmsg_warn.c:1 injected by the runner check" > /dev/kmsg
exit 0
