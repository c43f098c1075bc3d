// SPDX-License-Identifier: GPL-2.0
/*
 * Running a 64-bit framework guest from one ucall to the next, a case in
 * a child process, and KVM_EXIT_INTERNAL_ERROR's report.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"
#include "test_util.h"
#include "kselftest.h"

#include "kvm_compat.h"
#include "kvm_run.h"

/* W in a #PF error code (SDM vol. 3A 4.7; APM vol. 2 8.4.2). */
#define PF_ERROR_W	BIT(1)

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

#define MMIO_READ_FMT	"MMIO exit: %s of 0x%llx, expected the guest's read of 0x%lx"

void vcpu_run_to_mmio_read(struct kvm_vcpu *vcpu, uint64_t gpa, uint64_t value)
{
	struct kvm_run *run = vcpu->run;

	vcpu_run(vcpu);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_MMIO);
	TEST_ASSERT(run->mmio.phys_addr == gpa && !run->mmio.is_write, MMIO_READ_FMT,
		    run->mmio.is_write ? "write" : "read", run->mmio.phys_addr, gpa);
	TEST_ASSERT(run->mmio.len <= sizeof(value), "MMIO read of %u bytes", run->mmio.len);
	memcpy(run->mmio.data, &value, run->mmio.len);
}

int kvm_run_in_child(void (*fn)(const void *arg), const void *arg)
{
	int status;
	pid_t pid;

	/* Else the child would print the parent's buffered TAP again. */
	fflush(stdout);
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (!pid) {
		fn(arg);
		exit(KSFT_PASS);
	}
	TEST_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid");
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void __noreturn kvm_run_child_cases(const struct kvm_child_case *cases, size_t nr,
				    const char *config_name)
{
	size_t i;

	ksft_set_plan(nr);
	for (i = 0; i < nr; i++)
		ksft_test_result(kvm_run_in_child(cases[i].run, NULL) == KSFT_PASS, "%s_%s\n",
				 cases[i].name, config_name);
	ksft_finished();
}

void kvm_internal_error_save(const struct kvm_run *run, struct kvm_internal_error *e)
{
	memset(e, 0, sizeof(*e));
	e->suberror = run->internal.suberror;
	e->ndata = min_t(uint32_t, run->internal.ndata, ARRAY_SIZE(e->data));
	memcpy(e->data, run->internal.data, e->ndata * sizeof(e->data[0]));
}

bool kvm_internal_error_is_svm_pf_delivery_ev(const struct kvm_internal_error *e,
					      uint64_t addr, uint64_t len, bool write)
{
	/* data[]: EXITINFO2, exit code, EXITINFO1, GPA or linear address. */
	return e->suberror == KVM_INTERNAL_ERROR_DELIVERY_EV && e->ndata >= 4 &&
	       e->data[1] == SVM_EXIT_EXCP_BASE + PF_VECTOR &&
	       e->data[0] >= addr && e->data[0] - addr < len &&
	       !!(e->data[2] & PF_ERROR_W) == write;
}

void kvm_internal_error_format(const struct kvm_internal_error *e, char *buf, size_t size)
{
	size_t len = strlen(buf);
	unsigned int i;

	len += snprintf(buf + len, size - len, " [suberror %u, data", e->suberror);
	for (i = 0; i < e->ndata && len < size; i++)
		len += snprintf(buf + len, size - len, " 0x%lx", e->data[i]);
	if (len < size)
		snprintf(buf + len, size - len, "]");
}
