// SPDX-License-Identifier: GPL-2.0-only
/*
 * hyperv_tlb_flush_target_out_test
 *
 * HvCallFlushVirtualAddressSpace must flush the target vCPUs' TLBs
 * (Hyper-V TLFS) even when a target is out of guest mode with a remote
 * TLB flush already pending.  kvm_hv_flush_tlb() queues
 * KVM_REQ_HV_TLB_FLUSH on the target; with TDP disabled,
 * kvm_hv_vcpu_flush_tlb() fails and vcpu_enter_guest() falls back to
 * kvm_vcpu_flush_tlb_guest(), which syncs the unsync shadow pages.  But
 * vcpu_enter_guest() handles KVM_REQ_TLB_FLUSH first, and on SVM
 * svm_flush_tlb_asid() purges a pending KVM_REQ_HV_TLB_FLUSH, as if an
 * ASID flush were a superset of it: with npt=0 it is not, nothing syncs
 * the shadow page and the target keeps the old translation.
 *
 * vCPU 0 (the target) reads the test page and exits to userspace.  While
 * it is out, vCPU 1 rewrites the test PTE with its own value and reloads
 * CR3 (with TDP off that syncs and write-protects the page table's shadow
 * page again, which flushes every vCPU's TLB: KVM_REQ_TLB_FLUSH pending on
 * vCPU 0), points the PTE at the second page and flushes vCPU 0 with the
 * hypercall.  vCPU 0 must then read the second page.
 *
 * Upstream's hyperv_tlb_flush test hits this only by chance, when a
 * worker vCPU happens to be preempted at the right time (with kvm_amd
 * npt=0); this is the deterministic form, on one thread.
 *
 * Upstream's selftests library only.
 */
#include <linux/sizes.h>

#include "test_util.h"
#include "kvm_util.h"
#include "processor.h"
#include "hyperv.h"

#define TARGET		0
#define SENDER		1
#define TAG(i)		(0x7e57da7a00000000ull | (i))
#define ALIAS_GVA	SZ_1G	/* its PTE is in another page table */

struct hv_tlb_flush {
	u64 address_space;
	u64 flags;
	u64 processor_mask;
} __packed;

struct test_data {
	gva_t page;		/* maps page 0, then page 1 */
	gva_t pte;		/* alias of page's PTE */
	u64 pte_val[2];		/* page's PTE for page 0 and page 1 */
	gva_t hcall;		/* input page, output page */
	gpa_t hcall_gpa;
};

static void target_code(struct test_data *data)
{
	GUEST_ASSERT_EQ(READ_ONCE(*(u64 *)data->page), TAG(0));
	GUEST_SYNC(0);
	GUEST_ASSERT_EQ(READ_ONCE(*(u64 *)data->page), TAG(1));
	GUEST_DONE();
}

static void sender_code(struct test_data *data)
{
	struct hv_tlb_flush *flush = (struct hv_tlb_flush *)data->hcall;

	wrmsr(HV_X64_MSR_GUEST_OS_ID, HYPERV_LINUX_OS_ID);
	wrmsr(HV_X64_MSR_HYPERCALL, data->hcall_gpa);

	WRITE_ONCE(*(u64 *)data->pte, data->pte_val[0]);
	set_cr3(get_cr3());
	WRITE_ONCE(*(u64 *)data->pte, data->pte_val[1]);

	flush->address_space = 0;
	flush->flags = HV_FLUSH_ALL_VIRTUAL_ADDRESS_SPACES;
	flush->processor_mask = BIT_ULL(TARGET);
	hyperv_hypercall(HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE, data->hcall_gpa,
			 data->hcall_gpa + PAGE_SIZE);
	GUEST_DONE();
}

static void guest_code(gva_t data)
{
	if (rdmsr(HV_X64_MSR_VP_INDEX) == TARGET)
		target_code((struct test_data *)data);
	else
		sender_code((struct test_data *)data);
}

static u64 run(struct kvm_vcpu *vcpu)
{
	struct ucall uc;

	vcpu_run(vcpu);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);

	switch (get_ucall(vcpu, &uc)) {
	case UCALL_ABORT:
		REPORT_GUEST_ASSERT(uc);
		break;
	case UCALL_SYNC:
	case UCALL_DONE:
		break;
	default:
		TEST_FAIL("Unknown ucall %lu", uc.cmd);
	}
	return uc.cmd;
}

int main(int argc, char *argv[])
{
	struct kvm_vcpu *vcpus[2];
	struct test_data *data;
	gva_t data_gva, pages;
	struct kvm_vm *vm;
	gpa_t pt_gpa;
	u64 *pte;
	int i;

	TEST_REQUIRE(kvm_has_cap(KVM_CAP_HYPERV_TLBFLUSH));

	vm = vm_create_with_vcpus(2, guest_code, vcpus);
	data_gva = vm_alloc_page(vm);
	data = addr_gva2hva(vm, data_gva);

	pages = vm_alloc_pages(vm, 2);
	for (i = 0; i < 2; i++)
		*(u64 *)addr_gva2hva(vm, pages + i * PAGE_SIZE) = TAG(i);
	data->page = pages;

	/*
	 * A=1, as after the first access: with TDP off a sync drops the SPTE
	 * of a gpte with A=0 and a new fault would hide the missed sync.
	 */
	pte = vm_get_pte(vm, pages);
	*pte |= BIT_ULL(5);
	data->pte_val[0] = *pte;
	data->pte_val[1] = (*pte & ~PHYSICAL_PAGE_MASK) |
			   addr_gva2gpa(vm, pages + PAGE_SIZE);

	/*
	 * The sender writes the PTE through an alias whose own PTE is in
	 * another page table, so that the write unsyncs the shadow page of
	 * the page table rather than being emulated.
	 */
	pt_gpa = addr_hva2gpa(vm, pte);
	virt_pg_map(vm, ALIAS_GVA, pt_gpa & PAGE_MASK);
	data->pte = ALIAS_GVA + (pt_gpa & ~PAGE_MASK);

	data->hcall = vm_alloc_pages(vm, 2);
	data->hcall_gpa = addr_gva2gpa(vm, data->hcall);
	TEST_ASSERT(addr_gva2gpa(vm, data->hcall + PAGE_SIZE) ==
		    data->hcall_gpa + PAGE_SIZE,
		    "Hypercall input and output pages not contiguous");

	for (i = 0; i < 2; i++) {
		vcpu_set_hv_cpuid(vcpus[i]);
		vcpu_set_msr(vcpus[i], HV_X64_MSR_VP_INDEX, i);
		vcpu_args_set(vcpus[i], 1, data_gva);
	}

	/* The target caches page 0's translation and stays out... */
	TEST_ASSERT_EQ(run(vcpus[TARGET]), UCALL_SYNC);
	/* ... while the sender rewrites the PTE and flushes it... */
	TEST_ASSERT_EQ(run(vcpus[SENDER]), UCALL_DONE);
	/* ... so it must see page 1. */
	TEST_ASSERT_EQ(run(vcpus[TARGET]), UCALL_DONE);

	kvm_vm_free(vm);
	return 0;
}
