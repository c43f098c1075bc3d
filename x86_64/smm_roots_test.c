// SPDX-License-Identifier: GPL-2.0
/*
 * smm_roots_test: SMRAM is seen in System Management Mode only, and only
 * SMRAM is seen there, whatever KVM mapped for the guest outside SMM.
 *
 * KVM gives SMM its own address space (memslots with as_id 1,
 * kvm_arch_vcpu_memslots_id()) and keeps the translations of the two apart
 * by role.smm, which is part of every root's role: kvm_calc_cpu_role()
 * for shadow paging and kvm_calc_tdp_mmu_root_page_role() with TDP
 * (arch/x86/kvm/mmu/mmu.c, 6.12 and 7.3).  SMI entry and RSM reset the
 * MMU context (kvm_smm_changed(), smm.c), so each side runs on roots of
 * its own role; a root shared by both would hand one side the other's
 * pages.
 *
 * Here two GPAs have a page in each address space: the ordinary one,
 * which the guest reads outside SMM, and the SMRAM one, which the SMI
 * handler reads and reports on an I/O port.  One is first read outside
 * SMM, the other first in SMM, so a shared root shows in either order:
 * - outside SMM, then an SMI: the handler must read the SMRAM page;
 * - read in SMM first, then after RSM: the guest must read its own page.
 * The SMI comes twice, so that the second one runs on roots KVM kept.
 */
#include <string.h>
#include <sys/mman.h>

#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "kselftest.h"

#include "kvm_compat.h"
#include "vm_tables.h"
#include "kvm_mmu_config.h"
#include "kvm_run.h"

/* SMBASE, and the 64 KiB of SMRAM from it (the state save area ends at SMBASE + 0xffff). */
#define SMBASE			0x1000000
#define SMRAM_SIZE		0x10000
#define SMRAM_SLOT		((1 << 16) | 1)	/* address space 1 (SMM), slot 1 */
/* KVM enters the handler at SMBASE + 0x8000 (SDM 32.5.1). */
#define SMI_ENTRY_OFFSET	0x8000
/* The pages in both address spaces: the first read outside SMM, the second in SMM. */
#define SHARED_SLOT		2
#define GPA_READ_OUTSIDE_FIRST	(SMBASE + 0x2000)
#define GPA_READ_IN_SMM_FIRST	(SMBASE + 0x3000)
#define NR_SHARED_PAGES		2
#define SMI_PORT		0x5a5
#define NR_SMIS			2

/* The first word of each page, in each address space. */
#define OUTSIDE_TAG(gpa)	(0x0a000000U | ((gpa) >> 12))
#define SMRAM_TAG(gpa)		(0x5a000000U | ((gpa) >> 12))

/* 16-bit code: mov $gpa, %ebx; mov (%ebx), %eax; out %eax, %dx. */
struct report_word_at {
	uint8_t mov_ebx[2];
	uint32_t gpa;
	uint8_t load_and_out[6];
} __packed;

#define MOV_EBX_IMM32		{ 0x66, 0xbb }
#define LOAD_EBX_OUT_DX		{ 0x67, 0x66, 0x8b, 0x03, 0x66, 0xef }

/*
 * The SMI handler, 16-bit code: SMM starts with CS based at SMBASE and
 * the data segments based at 0 with 4 GiB limits (SDM 32.5.1, Table
 * 32-4; enter_smm(), smm.c).  It reports each page's first word on
 * SMI_PORT, the page read outside SMM first before the other, and resumes
 * the guest.
 */
static const struct {
	uint8_t mov_dx;		/* mov $port, %dx */
	uint16_t port;
	struct report_word_at report[2];
	uint8_t rsm[2];
} __packed smi_handler = {
	.mov_dx = 0xba,
	.port = SMI_PORT,
	.report = {
		{ MOV_EBX_IMM32, GPA_READ_OUTSIDE_FIRST, LOAD_EBX_OUT_DX },
		{ MOV_EBX_IMM32, GPA_READ_IN_SMM_FIRST, LOAD_EBX_OUT_DX },
	},
	.rsm = { 0x0f, 0xaa },
};

static void guest_code(void)
{
	int i;

	GUEST_ASSERT_EQ(READ_ONCE(*(uint32_t *)GPA_READ_OUTSIDE_FIRST),
			OUTSIDE_TAG(GPA_READ_OUTSIDE_FIRST));
	for (i = 0; i < NR_SMIS; i++) {
		/* The host makes an SMI pending here; the handler runs before the next line. */
		GUEST_SYNC(i);
		GUEST_ASSERT_EQ(READ_ONCE(*(uint32_t *)GPA_READ_IN_SMM_FIRST),
				OUTSIDE_TAG(GPA_READ_IN_SMM_FIRST));
		GUEST_ASSERT_EQ(READ_ONCE(*(uint32_t *)GPA_READ_OUTSIDE_FIRST),
				OUTSIDE_TAG(GPA_READ_OUTSIDE_FIRST));
	}
	GUEST_DONE();
}

static const uint64_t shared_gpas[] = { GPA_READ_OUTSIDE_FIRST, GPA_READ_IN_SMM_FIRST };

/*
 * SMRAM, in address space 1 only: through the raw ioctl, as the library
 * keeps one memslot per GPA and the ordinary pages overlap it.
 */
static void *add_smram(struct kvm_vm *vm, struct kvm_vcpu *vcpu)
{
	void *smram = mmap(NULL, SMRAM_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int i;

	TEST_ASSERT(smram != MAP_FAILED, "mmap of SMRAM");
	memcpy(smram + SMI_ENTRY_OFFSET, &smi_handler, sizeof(smi_handler));
	for (i = 0; i < ARRAY_SIZE(shared_gpas); i++)
		*(uint32_t *)(smram + shared_gpas[i] - SMBASE) = SMRAM_TAG(shared_gpas[i]);
	vm_set_user_memory_region(vm, SMRAM_SLOT, 0, SMBASE, SMRAM_SIZE, smram);
	vcpu_set_msr(vcpu, MSR_IA32_SMBASE, SMBASE);
	return smram;
}

/* The ordinary pages at the same GPAs, in address space 0, mapped 1:1 for the guest. */
static void add_outside_pages(struct kvm_vm *vm)
{
	int i;

	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, GPA_READ_OUTSIDE_FIRST,
				    SHARED_SLOT, NR_SHARED_PAGES, 0);
	virt_map(vm, GPA_READ_OUTSIDE_FIRST, GPA_READ_OUTSIDE_FIRST, NR_SHARED_PAGES);
	for (i = 0; i < ARRAY_SIZE(shared_gpas); i++)
		*(uint32_t *)addr_gpa2hva(vm, shared_gpas[i]) = OUTSIDE_TAG(shared_gpas[i]);
}

static bool vcpu_in_smm(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_events events;

	vcpu_events_get(vcpu, &events);
	return events.smi.smm;
}

/* Run @vcpu to the SMI handler's next OUT: the word it read at @gpa. */
static uint32_t smm_read(struct kvm_vcpu *vcpu, uint64_t gpa)
{
	struct kvm_run *run = vcpu->run;

	vcpu_run(vcpu);
	TEST_ASSERT(run->exit_reason == KVM_EXIT_IO && run->io.port == SMI_PORT &&
		    run->io.direction == KVM_EXIT_IO_OUT && run->io.size == 4,
		    "SMI handler's read of 0x%x: exit %s (port 0x%x), expected its OUT",
		    (unsigned int)gpa, exit_reason_str(run->exit_reason), run->io.port);
	TEST_ASSERT(vcpu_in_smm(vcpu), "the SMI handler's OUT came from outside SMM");
	return *(uint32_t *)((void *)run + run->io.data_offset);
}

static void smram_apart_from_outside(const void *arg)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	void *smram;
	int i;

	vm = __vm_create_with_one_vcpu(&vcpu, VM_SLOT0_ROOM_PAGES, guest_code);
	smram = add_smram(vm, vcpu);
	add_outside_pages(vm);

	for (i = 0; i < NR_SMIS; i++) {
		vcpu_run_to_sync(vcpu, i);
		vcpu_ioctl(vcpu, KVM_SMI, NULL);
		TEST_ASSERT_EQ(smm_read(vcpu, GPA_READ_OUTSIDE_FIRST),
			       SMRAM_TAG(GPA_READ_OUTSIDE_FIRST));
		TEST_ASSERT_EQ(smm_read(vcpu, GPA_READ_IN_SMM_FIRST),
			       SMRAM_TAG(GPA_READ_IN_SMM_FIRST));
	}
	/* After RSM: the ordinary pages again. */
	vcpu_run_to_done(vcpu);
	TEST_ASSERT(!vcpu_in_smm(vcpu), "the guest finished in SMM");
	kvm_vm_free(vm);
	munmap(smram, SMRAM_SIZE);
}

static const struct kvm_child_case cases[] = {
	{ "smram_apart_from_outside", smram_apart_from_outside },
};

int main(void)
{
	struct kvm_mmu_config cfg;

	kvm_mmu_test_start(&cfg);
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_X86_SMM));
	kvm_run_child_cases(cases, ARRAY_SIZE(cases), kvm_mmu_config_name(&cfg));
}
