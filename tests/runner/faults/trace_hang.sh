#!/bin/sh
# Runner check: a test that leaves tracing changed and is then killed by
# its timeout: a tracefs instance with an event enabled and filtered (as
# the library's trace capture does), and at the top level an enabled event
# and a filter.  The runner must undo each and say so.
t=/sys/kernel/tracing
e=kvmmmu/kvm_mmu_get_page
mkdir $t/instances/smmu_runner_check
echo 'common_pid==1' > $t/instances/smmu_runner_check/events/$e/filter
echo 1 > $t/instances/smmu_runner_check/events/$e/enable
echo 1 > $t/events/$e/enable
echo 'common_pid==1' > $t/events/kvmmmu/kvm_mmu_sync_page/filter
echo "tracing left changed"
while :; do :; done
