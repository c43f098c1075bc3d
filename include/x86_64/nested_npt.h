/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Nested SVM with nested paging (NPT) for a 64-bit L1.
 *
 * L1 is ordinary framework guest code (64-bit, long mode).  Its NPT tables
 * (the long-mode format, AMD APM vol. 2, 15.25.5, with as many levels as
 * L1's own paging: see struct npt_pool) live in a pool of L1 pages that
 * the host allocates; the host builds the initial tables and L1 changes
 * them between VMRUNs with the same functions.  Every npt_*() function
 * below runs on the host and in L1: pass the pool pointer of the side you
 * are on (the host's pointer from npt_pool_create(), or in L1 the guest
 * virtual address it returned).
 *
 * L1 runs L2 on top of the framework's SVM helpers (vcpu_alloc_svm(),
 * generic_svm_setup(), run_guest()).  L2 runs 64-bit code of this binary on
 * L1's own page tables (the VMCB's CR3 is L1's CR3), so the NPT must map
 * L2 GPA == L1 GPA for all of L1's memory (npt_map_identity()); test pages
 * go at other L2 GPAs, reached by L2 through L1 virtual addresses that the
 * host maps to those L2 GPAs (virt_pg_map() with a GPA outside every
 * memslot: only L2, through the NPT, ever touches them).  L2 can also run
 * a few bytes of 32-bit code with paging off, 2-level or PAE paging on
 * tables in L1 pages (nnpt_l2_32_create(), nnpt_run_32()).
 */
#ifndef SELFTEST_KVM_NESTED_NPT_H
#define SELFTEST_KVM_NESTED_NPT_H

#include <stdbool.h>
#include <stdint.h>

#include "kvm_compat.h"
#include "kvm_util.h"
#include "processor.h"
#include "svm_util.h"

/*
 * NPT entries have the format of the host's long-mode page-table entries
 * (APM 15.25.5).  Nested walks are user accesses, so every level needs
 * U=1 for L2 to reach a page at all.
 */
#define NPT_P		BIT_ULL(0)
#define NPT_W		BIT_ULL(1)
#define NPT_U		BIT_ULL(2)
#define NPT_A		BIT_ULL(5)
#define NPT_D		BIT_ULL(6)
#define NPT_PS		BIT_ULL(7)
#define NPT_NX		BIT_ULL(63)
/* Bits 62:59, a long-mode leaf's protection key (SDM 4.6.2); NPT walks ignore them. */
#define NPT_PKEY(k)	((uint64_t)((k) & 0xf) << 59)
#define NPT_ADDR_MASK	GENMASK_ULL(51, 12)
#define NPT_RW		(NPT_P | NPT_W | NPT_U)
#define NPT_RO		(NPT_P | NPT_U)

/* Page sizes of NPT leaves, as the level of the entry that maps them. */
#define NPT_LEVEL_4K	1
#define NPT_LEVEL_2M	2
#define NPT_LEVEL_1G	3

/*
 * #VMEXIT(NPF) (exit code SVM_EXIT_NPF): EXITINFO1 holds a #PF-style error
 * code in bits 31:0 plus where the fault happened in bits 33:32, EXITINFO2
 * the faulting guest-physical (L2) address (APM 15.25.6).  The bits have
 * processor.h's names: PFERR_*_MASK, PFERR_GUEST_FINAL_MASK (translating
 * the final guest-physical address), PFERR_GUEST_PAGE_MASK (translating a
 * guest page-table access).
 */
#define NPF_ERROR_CODE	GENMASK_ULL(31, 0)
#define NPF_WHERE	(PFERR_GUEST_FINAL_MASK | PFERR_GUEST_PAGE_MASK)	/* bits 33:32 */

/*
 * A pool of contiguous L1 pages for NPT tables, itself in L1 memory.  The
 * header is at the start of its own page; table pages are handed out in
 * order and never freed.
 *
 * The NPTs have as many levels as L1's own paging: nested tables have the
 * format of the host's paging, here L1's (APM vol. 2, 15.25.5), so an L1
 * with CR4.LA57 has 5-level NPTs ("When the 5-level page table is enabled
 * on host OS, the nested page table for guest VMs must use 5-level as
 * well": commit 43e540cc9f2c, "KVM: SVM: Add 5-level page table support
 * for SVM").  KVM walks L1's NPT so: nested_svm_init_mmu_context()
 * (svm/nested.c) hands vmcb01's CR4 and EFER to kvm_init_shadow_npt_mmu()
 * (mmu/mmu.c), whose kvm_calc_cpu_role() gives the walk 5 levels iff
 * L1's CR4.LA57, in 6.12 and 7.3; upstream's own NPT builder does the
 * same (7.x vm_enable_npt(): tdp_mmu_init(vm, vm->mmu.pgtable_levels,
 * ...), lib/x86/svm.c).  L1 is the framework's guest, whose depth the
 * framework chooses (include/x86_64/vm_tables.h): npt_pool_create() takes
 * it from the VM.
 */
struct npt_pool {
	uint64_t gpa;		/* L1 GPA of the first table page */
	uint64_t gva;		/* L1 virtual address of the first table page */
	uint64_t hva;		/* host virtual address of the first table page */
	uint64_t self_hva;	/* host address of this header */
	uint32_t nr_pages;
	uint32_t nr_used;
	int levels;		/* NPT levels: L1's, 4 or 5 */
};

/*
 * Host: a pool of @nr_pages table pages for NPTs of @vm's L1, with
 * vm_mmu_levels(@vm) levels; *@pool_gva is the header for L1.
 */
struct npt_pool *npt_pool_create(struct kvm_vm *vm, unsigned int nr_pages,
				 gva_t *pool_gva);

/* A new, empty NPT (a zeroed top-level table); returns its L1 GPA, an nCR3 value. */
uint64_t npt_new(struct npt_pool *pool);

/*
 * The entry at @level (1 = PTE ... pool->levels = the top-level entry)
 * that translates @l2_gpa in the NPT at @ncr3, or NULL when a table above
 * it is not present or is a large leaf.  With @alloc, missing tables are
 * allocated (P|W|U entries).
 */
uint64_t *npt_entry(struct npt_pool *pool, uint64_t ncr3, uint64_t l2_gpa,
		    int level, bool alloc);

/* Map @l2_gpa to @l1_gpa with a leaf at @level and @flags (NPT_RW, ...). */
void npt_map(struct npt_pool *pool, uint64_t ncr3, uint64_t l2_gpa,
	     uint64_t l1_gpa, int level, uint64_t flags);

/* Map [@l2_gpa, +@size) to [@l1_gpa, +@size), 2 MiB leaves where aligned. */
void npt_map_range(struct npt_pool *pool, uint64_t ncr3, uint64_t l2_gpa,
		   uint64_t l1_gpa, uint64_t size, uint64_t flags);

/*
 * Replace the entry at @level for @l2_gpa (a leaf, or a table pointer):
 * @pte is the whole new entry, 0 to unmap.  Returns the old entry.  The
 * tables above it must exist.  A change is visible to L2 only after the
 * flush the APM asks for (nnpt_run() with a TLB_CONTROL value).
 */
uint64_t npt_set_entry(struct npt_pool *pool, uint64_t ncr3, uint64_t l2_gpa,
		       int level, uint64_t pte);

/* The entry at @level for @l2_gpa now, or 0 if a table above is missing. */
uint64_t npt_get_entry(struct npt_pool *pool, uint64_t ncr3, uint64_t l2_gpa,
		       int level);

/*
 * Replace the large leaf at @level (2 MiB or 1 GiB) for @l2_gpa by a new
 * table of 512 leaves one level down with the same frames and flags.
 */
void npt_split(struct npt_pool *pool, uint64_t ncr3, uint64_t l2_gpa, int level);

/* Pointer (on this side) to the pool's table page at L1 GPA @gpa. */
uint64_t *npt_table(struct npt_pool *pool, uint64_t gpa);

/* Host: L2 GPA == L1 GPA, read/write, for all of memslot 0 (2 MiB leaves). */
void npt_map_identity(struct npt_pool *pool, uint64_t ncr3, struct kvm_vm *vm);

/* ---- L1 side: run L2 with nested paging ---- */

/*
 * generic_svm_setup() plus nested paging: NP_ENABLE in misc_ctl, @ncr3
 * as nCR3.  L2 then runs on L1's CR3, segments, CR0/CR4/EFER.
 */
void nnpt_svm_setup(struct svm_test_data *svm, uint64_t ncr3);

/* The same VMCB without nested paging: L2 GPA == L1 GPA. */
void nnpt_svm_setup_no_np(struct svm_test_data *svm);

/*
 * Point nCR3 at another NPT.  Translations in the TLB are tagged with the
 * ASID, not with nCR3, so when nCR3 changes the next nnpt_run() flushes the
 * ASID's TLB entries (TLB_CONTROL_FLUSH_ALL_ASID unless the caller asks for
 * more), as a hypervisor reusing an ASID for another NPT must.
 */
void nnpt_set_ncr3(struct svm_test_data *svm, uint64_t ncr3);

/* An L2 function: its return leaves to L1 with result 0. */
typedef void (*nnpt_l2_fn_t)(uint64_t arg0, uint64_t arg1);

/*
 * Run L2 from the start of @fn(@arg0, @arg1) (one of the nnpt_l2_*()
 * functions below, or any function of this binary; nnpt_l2_exit() leaves
 * with a result), on a fresh stack.  @tlb_ctl goes into the VMCB's
 * TLB_CONTROL for this VMRUN only (TLB_CONTROL_DO_NOTHING,
 * TLB_CONTROL_FLUSH_ALL_ASID, ...; APM 15.16.1); after nnpt_set_ncr3()
 * changed nCR3, DO_NOTHING becomes FLUSH_ALL_ASID.  Returns the exit code.
 */
uint64_t nnpt_run(struct svm_test_data *svm, nnpt_l2_fn_t fn, uint64_t arg0,
		  uint64_t arg1, uint8_t tlb_ctl);

/* L2's RAX at the last #VMEXIT: the value nnpt_l2_exit() passed. */
static inline uint64_t nnpt_l2_result(struct svm_test_data *svm)
{
	return svm->vmcb->save.rax;
}

/* L2: leave to L1 with #VMEXIT(VMMCALL), @val in RAX.  Never resumed. */
static inline __noreturn void nnpt_l2_exit(uint64_t val)
{
	asm volatile("vmmcall" : : "a"(val) : "memory");
	for (;;)
		asm volatile("ud2");
}

/* L2 entry points for nnpt_run(): */
/* Read the 64-bit word at @va; the value is the VMMCALL's result. */
void nnpt_l2_load(uint64_t va, uint64_t unused);
/* Write @val to the 64-bit word at @va; result 0. */
void nnpt_l2_store(uint64_t va, uint64_t val);
/*
 * OUTSB of the byte at @va to I/O port @port, INSB from @port to @va;
 * result 0.  String I/O that L1 does not intercept is emulated by KVM
 * (io_interception(), svm.c), so @va goes through KVM's own walk of L2's
 * page tables and of L1's NPT (vcpu->arch.nested_mmu), not the CPU's.
 */
void nnpt_l2_outsb(uint64_t va, uint64_t port);
void nnpt_l2_insb(uint64_t va, uint64_t port);

/* ---- L2 in 32-bit protected mode ---- */

/*
 * L2 can also run 32-bit protected-mode code (EFER.LME=0, CS.D=1, flat
 * 4 GiB segments, CPL 0) with paging off, in 2-level paging with CR4.PSE=0
 * (4-byte entries, 4 KiB pages only) or in PAE paging (SDM vol. 3A 4.3,
 * 4.4; APM vol. 2 5.2, 5.3).  Its code and its page tables are L1 pages
 * below 4 GiB that L2 names by their L1 GPA: with nested paging, the NPT
 * must map them at L2 GPA == L1 GPA (npt_map_identity()); the tables map
 * the code at L2 VA == L2 GPA, so that it runs in every mode.
 *
 * The code is "mov (operand), %ebx; mov (%ebx), %eax; vmmcall": it reads
 * the 32-bit word at the address nnpt_run_32() stores into an operand
 * word of the code page (not a register: run_guest() sets L2's RAX from
 * the framework's guest_regs, see lib/x86_64/nested_npt.c).  The same page
 * has an OUTSB and an INSB sequence (nnpt_run_32_op()), whose address and
 * port come from operand words too.
 */
enum nnpt_l2_32_mode {
	NNPT_L2_32_NO_PAGING,
	NNPT_L2_32_2LEVEL,	/* CR4.PSE=0 */
	NNPT_L2_32_PAE,
	NNPT_L2_32_NR_MODES,
};

/* What the 32-bit L2 does at its address (nnpt_run_32_op()). */
enum nnpt_l2_32_op {
	NNPT_L2_32_LOAD,	/* mov (addr), %eax */
	NNPT_L2_32_OUTSB,	/* outsb from DS:addr to the port */
	NNPT_L2_32_INSB,	/* insb from the port to ES:addr */
	NNPT_L2_32_SWITCH_CR3,	/* mov addr, %cr3; mov %cr3, %eax; CR3 back */
	NNPT_L2_32_OUT,		/* mov (addr), %al; out %al to the port */
	NNPT_L2_32_NR_OPS,
};

struct nnpt_l2_32 {
	uint64_t code_gpa;	/* L1 GPA == L2 GPA == L2 VA of the code page */
	uint64_t code_gva;	/* L1's virtual address of the code page */
	uint64_t cr3[NNPT_L2_32_NR_MODES];	/* L2's CR3 per mode (0: no paging) */
	uint64_t pdpt_gva;	/* L1's virtual address of the PAE PDPT */
};

/* Host: L2's code page, and 2-level and PAE tables that map it. */
void nnpt_l2_32_create(struct kvm_vm *vm, struct nnpt_l2_32 *l2);

/*
 * Host: map L2 VA @va to L2 GPA @l2_gpa (below 4 GiB) with a 4 KiB page
 * (P, R/W, supervisor) in the 2-level and in the PAE tables.
 */
void nnpt_l2_32_map(struct kvm_vm *vm, struct nnpt_l2_32 *l2, uint32_t va,
		    uint64_t l2_gpa);

/*
 * Host: a second PAE PDPT for L2, made after the last nnpt_l2_32_map():
 * a copy of L2's with PDPTE @index, unused there, a copy of the code's
 * PDPTE.  The same mappings plus an alias, so other PDPTEs.  Returns its
 * L1 GPA (a PAE CR3 below 4 GiB), and in *@gva its GVA.
 */
uint64_t nnpt_l2_32_pdpt_alias(struct kvm_vm *vm, const struct nnpt_l2_32 *l2,
			       unsigned int index, uint64_t *gva);

/* Host: the L1 GPA of @mode's page table (level 1) that maps @va. */
uint64_t nnpt_l2_32_page_table(struct kvm_vm *vm, const struct nnpt_l2_32 *l2,
			       enum nnpt_l2_32_mode mode, uint32_t va);

/*
 * L1: run L2 in @mode on the VMCB that nnpt_svm_setup() or
 * nnpt_svm_setup_no_np() prepared: it reads the 32-bit word at @addr (a
 * virtual address; with paging off, the L2 GPA) and exits with VMMCALL,
 * the word in EAX (bits 31:0 of nnpt_l2_result()).  @tlb_ctl as for
 * nnpt_run().  Afterwards the VMCB's save area is as before, but RAX.
 * Returns the exit code.
 */
uint64_t nnpt_run_32(struct svm_test_data *svm, const struct nnpt_l2_32 *l2,
		     enum nnpt_l2_32_mode mode, uint32_t addr, uint8_t tlb_ctl);

/*
 * L1: as nnpt_run_32(), but L2 does @op at @addr: NNPT_L2_32_LOAD is
 * nnpt_run_32(); NNPT_L2_32_OUTSB and NNPT_L2_32_INSB move one byte
 * between @addr and I/O port @port (flat segments, 32-bit address size,
 * DF=0), then exit with VMMCALL.  NNPT_L2_32_SWITCH_CR3 moves @addr to CR3,
 * reads CR3 into EAX and moves its CR3 before back, then exits: two
 * MOV CR3 that L1 does not intercept.  L1 must not intercept @port for KVM to
 * emulate it (see nnpt_l2_outsb()).
 */
uint64_t nnpt_run_32_op(struct svm_test_data *svm, const struct nnpt_l2_32 *l2,
			enum nnpt_l2_32_mode mode, enum nnpt_l2_32_op op,
			uint32_t addr, uint16_t port, uint8_t tlb_ctl);

/* #VMEXIT(NPF) decoded. */
struct nnpt_npf {
	bool npf;		/* exit code was SVM_EXIT_NPF */
	uint64_t info1;		/* EXITINFO1 */
	uint64_t gpa;		/* EXITINFO2: the faulting L2 GPA */
};

static inline struct nnpt_npf nnpt_npf(struct svm_test_data *svm)
{
	struct vmcb_control_area *ctl = &svm->vmcb->control;

	return (struct nnpt_npf) {
		.npf = vmcb_exit_code(ctl) == SVM_EXIT_NPF,
		.info1 = ctl->exit_info_1,
		.gpa = ctl->exit_info_2,
	};
}

#endif /* SELFTEST_KVM_NESTED_NPT_H */
