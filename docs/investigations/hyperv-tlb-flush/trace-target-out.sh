#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Trace kvm and kvmmmu events of tlb_shootdown_test's
# hv_flush_va_space_target_out case (3 iterations) in a private tracefs
# instance, and print them.  Put it in a suite directory next to
# tlb_shootdown_test and run it with vm/vmtest (docs/investigations/
# hyperv-tlb-flush-shadow.md, "Traces").
# Does the (emulated) CPU offer FlushByAsid (CPUID 8000_000A EDX[6])?
echo "# cpuinfo: flushbyasid in $(grep -c '^flags.* flushbyasid' /proc/cpuinfo) of $(grep -c '^processor' /proc/cpuinfo) CPUs"
T=/sys/kernel/tracing
[ -d $T/instances ] || mount -t tracefs nodev $T
I=$T/instances/i11_trace
mkdir $I || exit 1
echo 4096 > $I/buffer_size_kb
for e in kvm/kvm_exit kvm/kvm_entry kvm/kvm_userspace_exit \
	 kvm/kvm_hv_hypercall kvm/kvm_hv_flush_tlb \
	 kvmmmu/kvm_mmu_sync_page kvmmmu/kvm_mmu_unsync_page \
	 kvmmmu/kvm_mmu_prepare_zap_page kvmmmu/kvm_mmu_set_spte \
	 kvmmmu/kvm_mmu_pagetable_walk; do
	echo 1 > $I/events/$e/enable
done
echo 1 > $I/tracing_on
"$(dirname "$0")"/tlb_shootdown_test -c hv_flush_va_space_target_out -n 3
rc=$?
echo 0 > $I/tracing_on
sed 's/^/# trace: /' $I/trace
rmdir $I
exit $rc
