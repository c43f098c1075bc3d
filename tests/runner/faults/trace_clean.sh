#!/bin/sh
# Runner check: runs after trace_hang.sh; fails unless tracing is as the
# VM booted (no instance, no event enabled, no filter on the KVM events).
t=/sys/kernel/tracing
fail=0
[ -z "$(ls $t/instances)" ] || { echo "instances left: $(ls $t/instances)"; fail=1; }
[ -z "$(cat $t/set_event)" ] || { echo "events left enabled: $(cat $t/set_event)"; fail=1; }
for f in "$t"/events/kvm*/*/filter; do
	[ "$(cat "$f")" = none ] || { echo "filter left on $f: $(cat "$f")"; fail=1; }
done
[ $fail -eq 0 ] && echo "tracing is as the VM booted"
exit $fail
