// SPDX-License-Identifier: GPL-2.0
/*
 * Running a 64-bit framework guest from one ucall to the next.
 */
#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"
#include "test_util.h"

#include "kvm_compat.h"
#include "kvm_run.h"

static void run_to_ucall(struct kvm_vcpu *vcpu, uint64_t cmd, uint64_t stage)
{
	struct ucall uc;

	vcpu_run(vcpu);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
	switch (get_ucall(vcpu, &uc)) {
	case UCALL_ABORT:
		REPORT_GUEST_ASSERT(uc);
		break;
	case UCALL_SYNC:
		TEST_ASSERT(cmd == UCALL_SYNC, "guest synced (stage %lu) where it should be done",
			    uc.args[1]);
		TEST_ASSERT(uc.args[1] == stage, "expected stage %lu, got %lu",
			    stage, uc.args[1]);
		break;
	case UCALL_DONE:
		TEST_ASSERT(cmd == UCALL_DONE, "guest done before stage %lu", stage);
		break;
	default:
		TEST_FAIL("unexpected ucall %lu", uc.cmd);
	}
}

void vcpu_run_to_sync(struct kvm_vcpu *vcpu, uint64_t stage)
{
	run_to_ucall(vcpu, UCALL_SYNC, stage);
}

void vcpu_run_to_done(struct kvm_vcpu *vcpu)
{
	run_to_ucall(vcpu, UCALL_DONE, 0);
}
