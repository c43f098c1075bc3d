// SPDX-License-Identifier: GPL-2.0
/*
 * vmx_nested_ept_test: KVM's shadow of an L1's EPT tables (nested EPT).
 *
 * A 64-bit VMX L1 runs a 64-bit L2 with EPT on tables it owns, built by
 * upstream's library (include/kvm_compat.h: tdp_map() and
 * tdp_identity_map_default_memslots() on 7.x, nested_map() and
 * nested_map_memslot() before): L1's memory identity-mapped, and an L2
 * guest-physical page T (3 GiB, above L1's memory, so that the EPT PDPTE,
 * PDE and PTE of T map nothing else) mapped to a data page of L1.  L2
 * shares L1's page tables (GUEST_CR3 = HOST_CR3, prepare_vmcs()), in which
 * linear address T maps guest-physical T.  KVM runs L2 on shadow EPT
 * pages of L1's tables: arch/x86/kvm/mmu/paging_tmpl.h with PTTYPE_EPT,
 * set up by nested_ept_init_mmu_context() (arch/x86/kvm/vmx/nested.c) ->
 * kvm_init_shadow_ept_mmu() (mmu/mmu.c), 6.12 and 7.3.
 *
 * Each row of cases[] edits one EPT entry of T's walk (or of the L2 page
 * table that maps linear T) with vm_ept_entry(), lets L2 read, write or
 * execute at T, and names the exit L1 must get, checked against the SDM
 * (vol. 3C; section numbers of the 2023+ editions, the older ones in
 * brackets):
 *
 * - EPT violation (29.3.3.2 [28.2.3.2]): not present, or the access not
 *   allowed by the AND of the R/W/X bits of the walk.  Exit qualification
 *   (Table 29-7 [28-7]): bits 0/1/2 read/write/fetch; bits 3/4/5 the AND of
 *   bits 0/1/2 of the EPT entries used; bit 7 the guest linear-address
 *   field is valid; bit 8 the access was to the translation of the linear
 *   address (1) or to a guest paging-structure entry (0); bit 12 NMI
 *   unblocking (0 here); bit 6 (MBEC) is not checked.  Guest-physical
 *   address: that of the access; guest-linear address: T + offset.  If
 *   EPT A/D is on (EPTP bit 6), the CPU's accesses to guest
 *   paging-structure entries are writes and such an EPT violation "sets
 *   both bit 0 and bit 1" (the table's footnote; 29.3.5 [28.2.4]).
 *   Bochs sets bit 1 alone, and 6.12's KVM passes its access bits on:
 *   XFAIL with that evidence (7.3's walker sets bit 0 itself;
 *   docs/defects/bochs-ept-ad-walk-violation-read-bit.md).
 *   KVM: the walker's fault.exit_qualification (paging_tmpl.h
 *   walk_addr_generic()), bits 7-8 from the hardware exit, and
 *   vmcs12's guest-physical address (nested_ept_inject_page_fault()).
 * - Execute-only entries (X=1, R=W=0) are allowed only where
 *   IA32_VMX_EPT_VPID_CAP bit 0 says so (A.10); KVM offers that bit to L1
 *   where its CPU has it (nested_vmx_setup_ctls_msrs()), and its walker
 *   takes them as present (FNAME(is_present_gpte): bits 2:0).  Their rows
 *   skip where KVM's capability MSR for L1 lacks the bit.
 * - EPT misconfiguration (29.3.3.1 [28.2.3.1]): write without read
 *   (W=1, R=0), a reserved memory type (2, 3, 7) in a leaf, bits
 *   51:MAXPHYADDR at every level, bits 6:3 of a PDE or PDPTE that
 *   references a table, bits 7:3 of a PML4E.  Guest-physical address:
 *   that of the access.  KVM: is_rsvd_bits_set() with the EPT masks of
 *   reset_rsvds_bits_mask_ept(), injected as EXIT_REASON_EPT_MISCONFIG.
 *   T's PML4E maps all of L1's memory (T is at 3 GiB, and L1's MAXPHYADDR
 *   may leave no address at 512 GiB): its rows expect L2's first access,
 *   the read of its own PML4E for RIP, to meet the edit.
 * - Memory types (29.3.7 [28.2.7]): a leaf's bits 5:3 may be 0, 1, 4, 5
 *   or 6, with bit 6 (ignore PAT) either way; in entries that reference
 *   tables bits 6:3 (PDE, PDPTE) or 7:3 (PML4E) are reserved.
 * - 2M and 1G leaves (bit 7 of a PDE or PDPTE, Tables 29-4 and 29-2),
 *   offered to L1 in IA32_VMX_EPT_VPID_CAP bits 16 and 17: mapped over a
 *   memslot of their own, with permissions, A/D, memory types and the
 *   reserved bits 20:12 / 29:12 of the large format (KVM's
 *   rsvd_bits_mask[1][] in __reset_rsvds_bits_mask_ept()).
 * - A/D (29.3.5 [28.2.4]): with EPTP bit 6 set the CPU sets bit 8 (A) of
 *   each entry used and bit 9 (D) of the leaf on a write; with it clear
 *   it sets neither.  KVM: role.ad_disabled = !EPTP[6]
 *   (kvm_calc_shadow_ept_root_page_role()), PT_HAVE_ACCESSED_DIRTY().
 * - INVEPT (31.3 INVEPT [30.3]; 29.4.3.1 [28.4.3.1]): after L1 changes
 *   the leaf of T (through an alias of its EPT page table, so that KVM's
 *   write protection sees it; the shadow page goes unsync), L2 may still
 *   read the old page; after INVEPT single-context with the EPTP, or
 *   global, it must read the new one.  KVM never syncs nested EPT on VM
 *   entry (nested_vmx_transition_tlb_flush()), which one case checks with
 *   kvmmmu (run_to_invept()); handle_invept() frees the roots of that
 *   EPTP (all roots for global), and the reload syncs.
 *
 * Each case runs in a VM of its own, in a child process.  Skips where
 * /dev/kvm is not kvm_intel with nested VMX and EPT for L1 (QEMU's TCG
 * has no VMX; with kvm_intel ept=0 KVM offers L1 no EPT).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"
#include "vmx.h"
#include "kselftest.h"

#include "emulator.h"
#include "ept_bits.h"
#include "known_defects.h"
#include "kvm_compat.h"
#include "kvm_mmu_config.h"
#include "kvm_run.h"
#include "kvm_trace.h"
#include "vm_tables.h"
#include "vmx_l1.h"

#define L2_GPA		0xc0000000ULL	/* T: linear = L2 GPA */
#define ALIAS_GVA	0xd0000000ULL	/* L1's alias of T's EPT page table */
#define BIG_GPA		0x80000000ULL	/* what a 2M or 1G EPT leaf for T maps */
#define BIG_SLOT	1
#define BIG_PAGES	512		/* 2M; a 1G leaf's L2 accesses stay in them */
#define OFF_DATA	0x128
#define OFF_CODE	0x340
#define TAG(v)		(0x3e97000000000000ULL | (v))
#define WRITE_VAL	0x77d0d0ULL
#define L2_STACK_SIZE	512

/* EPT-violation exit qualification (Table 29-7). */
#define Q_RD		BIT_ULL(0)
#define Q_WR		BIT_ULL(1)
#define Q_FETCH		BIT_ULL(2)
#define Q_R		BIT_ULL(3)
#define Q_W		BIT_ULL(4)
#define Q_X		BIT_ULL(5)
#define Q_GLA		BIT_ULL(7)
#define Q_XLAT		BIT_ULL(8)
#define Q_NMI		BIT_ULL(12)
#define Q_CHECKED	(GENMASK_ULL(5, 0) | Q_GLA | Q_XLAT | Q_NMI)
#define Q_DATA		(Q_GLA | Q_XLAT)	/* an access to T itself */

enum l2_access { L2_READ, L2_WRITE, L2_FETCH };
/*
 * The EPT entry a case edits: in T's walk; in the walk of the page of
 * L2's PTE for T; or T's PML4E, which maps all of L1's memory, so that
 * L2's first access meets it: the read of L2's PML4E for its RIP.
 */
enum target { AT_T, AT_L2_PT, AT_FIRST_ACCESS };

struct ept_case {
	const char *name;
	enum target target;
	int level;		/* of the EPT entry edited */
	uint64_t clear, set;
	bool rsvd_pa;		/* also set bit MAXPHYADDR */
	int large;		/* 2 or 3: T's entry there is a leaf mapping BIG_GPA */
	bool ad;		/* EPTP bit 6 */
	enum l2_access access;
	uint32_t exit;		/* EXIT_REASON_VMCALL: the access completed */
	uint64_t qual;		/* EPT violations: bits Q_CHECKED */
	bool check_ad;		/* the leaf's A and D after the run ... */
	uint64_t ad_bits;	/* ... must be these */
	int invept;		/* leaf change, then INVEPT of this type */
	bool no_sync_at_entry;	/* kvmmmu: the VM entry before INVEPT syncs nothing */
	uint64_t need;		/* IA32_VMX_EPT_VPID_CAP bits */
};

#define VIOL	EXIT_REASON_EPT_VIOLATION
#define MISC	EXIT_REASON_EPT_MISCONFIG
#define DONE	EXIT_REASON_VMCALL

static const struct ept_case cases[] = {
	{ "read_rwx_completes", AT_T, 1, 0, 0, .access = L2_READ, .exit = DONE },
	{ "fetch_rwx_completes", AT_T, 1, 0, 0, .access = L2_FETCH, .exit = DONE },
	{ "read_not_present_pte", AT_T, 1, EPT_RWX, 0, .access = L2_READ, .exit = VIOL,
	  .qual = Q_RD | Q_DATA },
	{ "write_not_present_pde", AT_T, 2, EPT_RWX, 0, .access = L2_WRITE, .exit = VIOL,
	  .qual = Q_WR | Q_DATA },
	{ "fetch_not_present_pdpte", AT_T, 3, EPT_RWX, 0, .access = L2_FETCH, .exit = VIOL,
	  .qual = Q_FETCH | Q_DATA },
	{ "write_read_only_pte", AT_T, 1, EPT_W | EPT_X, 0, .access = L2_WRITE, .exit = VIOL,
	  .qual = Q_WR | Q_R | Q_DATA },
	{ "write_read_execute_pte", AT_T, 1, EPT_W, 0, .access = L2_WRITE, .exit = VIOL,
	  .qual = Q_WR | Q_R | Q_X | Q_DATA },
	{ "write_read_execute_pde_is_anded", AT_T, 2, EPT_W, 0, .access = L2_WRITE, .exit = VIOL,
	  .qual = Q_WR | Q_R | Q_X | Q_DATA },
	{ "fetch_read_write_pte", AT_T, 1, EPT_X, 0, .access = L2_FETCH, .exit = VIOL,
	  .qual = Q_FETCH | Q_R | Q_W | Q_DATA },
	{ "read_through_read_write_pdpte_completes", AT_T, 3, EPT_X, 0, .access = L2_READ,
	  .exit = DONE },
	{ "fetch_execute_only_pte", AT_T, 1, EPT_R | EPT_W, 0, .access = L2_FETCH, .exit = DONE,
	  .need = EPT_CAP_EXEC_ONLY },
	{ "read_execute_only_pte", AT_T, 1, EPT_R | EPT_W, 0, .access = L2_READ, .exit = VIOL,
	  .qual = Q_RD | Q_X | Q_DATA, .need = EPT_CAP_EXEC_ONLY },
	{ "write_execute_only_pde", AT_T, 2, EPT_R | EPT_W, 0, .access = L2_WRITE, .exit = VIOL,
	  .qual = Q_WR | Q_X | Q_DATA, .need = EPT_CAP_EXEC_ONLY },
	{ "write_only_pte_misconfig", AT_T, 1, EPT_R | EPT_X, 0, .access = L2_READ, .exit = MISC },
	{ "write_execute_pte_misconfig", AT_T, 1, EPT_R, 0, .access = L2_FETCH, .exit = MISC },
	{ "write_only_pde_misconfig", AT_T, 2, EPT_R | EPT_X, 0, .access = L2_WRITE, .exit = MISC },
	{ "pte_memtype_2_misconfig", AT_T, 1, EPT_MT_MASK, EPT_MT(2), .access = L2_READ,
	  .exit = MISC },
	{ "pte_memtype_7_misconfig", AT_T, 1, EPT_MT_MASK, EPT_MT(7), .access = L2_READ,
	  .exit = MISC },
	{ "pte_memtype_uc_completes", AT_T, 1, EPT_MT_MASK, EPT_MT(0), .access = L2_READ,
	  .exit = DONE },
	{ "pte_memtype_wc_completes", AT_T, 1, EPT_MT_MASK, EPT_MT(1), .access = L2_READ,
	  .exit = DONE },
	{ "pte_memtype_wt_completes", AT_T, 1, EPT_MT_MASK, EPT_MT(4), .access = L2_WRITE,
	  .exit = DONE },
	{ "pte_memtype_wp_completes", AT_T, 1, EPT_MT_MASK, EPT_MT(5), .access = L2_READ,
	  .exit = DONE },
	{ "pte_ignore_pat_completes", AT_T, 1, EPT_MT_MASK, EPT_MT(0) | EPT_IPAT,
	  .access = L2_WRITE, .exit = DONE },
	{ "pde_reserved_bit_3_misconfig", AT_T, 2, 0, BIT_ULL(3), .access = L2_READ, .exit = MISC },
	{ "pde_ignore_pat_bit_misconfig", AT_T, 2, 0, EPT_IPAT, .access = L2_READ, .exit = MISC },
	{ "pdpte_reserved_bit_3_misconfig", AT_T, 3, 0, BIT_ULL(3), .access = L2_FETCH,
	  .exit = MISC },
	{ "pde_2m_read_completes", AT_T, 2, 0, 0, .large = 2, .access = L2_READ, .exit = DONE,
	  .need = EPT_CAP_2M },
	{ "pde_2m_fetch_completes", AT_T, 2, 0, 0, .large = 2, .access = L2_FETCH, .exit = DONE,
	  .need = EPT_CAP_2M },
	{ "pde_2m_write_read_execute_violation", AT_T, 2, EPT_W, 0, .large = 2,
	  .access = L2_WRITE, .exit = VIOL, .qual = Q_WR | Q_R | Q_X | Q_DATA, .need = EPT_CAP_2M },
	{ "pde_2m_fetch_execute_only_completes", AT_T, 2, EPT_R | EPT_W, 0, .large = 2,
	  .access = L2_FETCH, .exit = DONE, .need = EPT_CAP_2M | EPT_CAP_EXEC_ONLY },
	{ "pde_2m_reserved_bit_12_misconfig", AT_T, 2, 0, BIT_ULL(12), .large = 2,
	  .access = L2_READ, .exit = MISC, .need = EPT_CAP_2M },
	{ "pde_2m_reserved_bit_20_misconfig", AT_T, 2, 0, BIT_ULL(20), .large = 2,
	  .access = L2_WRITE, .exit = MISC, .need = EPT_CAP_2M },
	{ "pde_2m_memtype_3_misconfig", AT_T, 2, EPT_MT_MASK, EPT_MT(3), .large = 2,
	  .access = L2_READ, .exit = MISC, .need = EPT_CAP_2M },
	{ "pde_2m_ad_on_write_sets_accessed_and_dirty", AT_T, 2, 0, 0, .large = 2, .ad = true,
	  .access = L2_WRITE, .exit = DONE, .check_ad = true, .ad_bits = EPT_A | EPT_D,
	  .need = EPT_CAP_2M | VMX_EPT_VPID_CAP_AD_BITS },
	{ "pde_2m_ad_off_write_sets_neither", AT_T, 2, 0, 0, .large = 2, .access = L2_WRITE,
	  .exit = DONE, .check_ad = true, .ad_bits = 0, .need = EPT_CAP_2M },
	{ "pdpte_1g_read_completes", AT_T, 3, 0, 0, .large = 3, .access = L2_READ, .exit = DONE,
	  .need = VMX_EPT_VPID_CAP_1G_PAGES },
	{ "pdpte_1g_write_completes", AT_T, 3, 0, 0, .large = 3, .access = L2_WRITE,
	  .exit = DONE, .need = VMX_EPT_VPID_CAP_1G_PAGES },
	{ "pdpte_1g_fetch_read_write_violation", AT_T, 3, EPT_X, 0, .large = 3,
	  .access = L2_FETCH, .exit = VIOL, .qual = Q_FETCH | Q_R | Q_W | Q_DATA,
	  .need = VMX_EPT_VPID_CAP_1G_PAGES },
	{ "pdpte_1g_reserved_bit_12_misconfig", AT_T, 3, 0, BIT_ULL(12), .large = 3,
	  .access = L2_READ, .exit = MISC, .need = VMX_EPT_VPID_CAP_1G_PAGES },
	{ "pdpte_1g_reserved_bit_29_misconfig", AT_T, 3, 0, BIT_ULL(29), .large = 3,
	  .access = L2_FETCH, .exit = MISC, .need = VMX_EPT_VPID_CAP_1G_PAGES },
	{ "pdpte_1g_memtype_7_misconfig", AT_T, 3, EPT_MT_MASK, EPT_MT(7), .large = 3,
	  .access = L2_WRITE, .exit = MISC, .need = VMX_EPT_VPID_CAP_1G_PAGES },
	{ "pdpte_1g_ad_on_read_sets_accessed", AT_T, 3, 0, 0, .large = 3, .ad = true,
	  .access = L2_READ, .exit = DONE, .check_ad = true, .ad_bits = EPT_A,
	  .need = VMX_EPT_VPID_CAP_1G_PAGES | VMX_EPT_VPID_CAP_AD_BITS },
	{ "pte_reserved_bit_maxphyaddr_misconfig", AT_T, 1, 0, 0, .rsvd_pa = true,
	  .access = L2_READ, .exit = MISC },
	{ "pde_reserved_bit_maxphyaddr_misconfig", AT_T, 2, 0, 0, .rsvd_pa = true,
	  .access = L2_READ, .exit = MISC },
	{ "pdpte_reserved_bit_maxphyaddr_misconfig", AT_T, 3, 0, 0, .rsvd_pa = true,
	  .access = L2_READ, .exit = MISC },
	{ "pml4e_reserved_bit_3_misconfig", AT_FIRST_ACCESS, 4, 0, BIT_ULL(3), .access = L2_READ,
	  .exit = MISC },
	{ "pml4e_reserved_bit_7_misconfig", AT_FIRST_ACCESS, 4, 0, EPT_PS, .access = L2_READ,
	  .exit = MISC },
	{ "pml4e_reserved_bit_maxphyaddr_misconfig", AT_FIRST_ACCESS, 4, 0, 0, .rsvd_pa = true,
	  .access = L2_READ, .exit = MISC },
	{ "pml4e_not_present_first_walk", AT_FIRST_ACCESS, 4, EPT_RWX, 0, .access = L2_READ,
	  .exit = VIOL, .qual = Q_RD | Q_GLA },
	{ "l2_page_table_not_present_ad_off", AT_L2_PT, 1, EPT_RWX, 0, .access = L2_READ,
	  .exit = VIOL, .qual = Q_RD | Q_GLA },
	{ "l2_page_table_not_present_ad_on", AT_L2_PT, 1, EPT_RWX, 0, .ad = true,
	  .access = L2_READ, .exit = VIOL, .qual = Q_RD | Q_WR | Q_GLA,
	  .need = VMX_EPT_VPID_CAP_AD_BITS },
	{ "ad_on_read_sets_accessed", AT_T, 1, 0, 0, .ad = true, .access = L2_READ, .exit = DONE,
	  .check_ad = true, .ad_bits = EPT_A, .need = VMX_EPT_VPID_CAP_AD_BITS },
	{ "ad_on_write_sets_accessed_and_dirty", AT_T, 1, 0, 0, .ad = true, .access = L2_WRITE,
	  .exit = DONE, .check_ad = true, .ad_bits = EPT_A | EPT_D,
	  .need = VMX_EPT_VPID_CAP_AD_BITS },
	{ "ad_off_write_sets_neither", AT_T, 1, 0, 0, .access = L2_WRITE, .exit = DONE,
	  .check_ad = true, .ad_bits = 0 },
	{ "invept_single_context_flushes_leaf_change", AT_T, 1, 0, 0, .access = L2_READ,
	  .exit = DONE, .invept = VMX_INVEPT_SINGLE_CONTEXT, .need = EPT_CAP_INVEPT_CTX },
	{ "invept_global_flushes_leaf_change", AT_T, 1, 0, 0, .access = L2_READ,
	  .exit = DONE, .invept = VMX_INVEPT_GLOBAL, .need = EPT_CAP_INVEPT_ALL },
	{ "vm_entry_syncs_no_nested_ept_page", AT_T, 1, 0, 0, .access = L2_READ,
	  .exit = DONE, .invept = VMX_INVEPT_SINGLE_CONTEXT, .no_sync_at_entry = true,
	  .need = EPT_CAP_INVEPT_CTX },
};

/* What L1 saw at each exit from L2: 0 the access, 1 without INVEPT, 2 with. */
struct l1_exit {
	uint64_t reason, qual, gpa, gla, value;
};

/* Shared by host, L1 and L2 (L2 reaches L1's memory through the identity map). */
static struct ept_case the_case;
static uint64_t leaf_new;		/* T's leaf, to the second page */
static struct l1_exit exits[3];
static int nr_exits;
static uint64_t l2_value;
static uint8_t l2_stack[L2_STACK_SIZE] __aligned(16);

static void l2_guest(void)
{
	for (;;) {
		switch (the_case.access) {
		case L2_READ:
			l2_value = READ_ONCE(*(uint64_t *)(L2_GPA + OFF_DATA));
			break;
		case L2_WRITE:
			WRITE_ONCE(*(uint64_t *)(L2_GPA + OFF_DATA), WRITE_VAL);
			break;
		case L2_FETCH:
			((void (*)(void))(L2_GPA + OFF_CODE))();
			break;
		}
		vmcall();
	}
}

static void record(void)
{
	struct l1_exit *e = &exits[nr_exits++];

	e->reason = vmreadz(VM_EXIT_REASON);
	e->qual = vmreadz(EXIT_QUALIFICATION);
	e->gpa = vmreadz(GUEST_PHYSICAL_ADDRESS);
	e->gla = vmreadz(GUEST_LINEAR_ADDRESS);
	e->value = l2_value;
}

static void resume_after_vmcall(void)
{
	vmx_l1_skip_vmcall();
	GUEST_ASSERT(!vmresume());
	record();
}

static void l1_guest(struct vmx_pages *vmx)
{
	uint64_t eptp;

	vmx_l1_prepare_l2(vmx, l2_guest, &l2_stack[L2_STACK_SIZE]);
	eptp = vmreadz(EPT_POINTER) & ~EPTP_AD;
	if (the_case.ad)
		eptp |= EPTP_AD;
	vmwrite(EPT_POINTER, eptp);

	GUEST_ASSERT(!vmlaunch());
	record();
	if (the_case.invept) {
		/* The host traces from here to the INVEPT. */
		GUEST_SYNC(1);
		/* The leaf, through L1's alias of T's EPT page table. */
		WRITE_ONCE(*(uint64_t *)(ALIAS_GVA + 8 * ((L2_GPA >> 12) & 511)), leaf_new);
		resume_after_vmcall();
		GUEST_SYNC(2);
		GUEST_ASSERT(!vmx_l1_invept(the_case.invept, eptp));
		resume_after_vmcall();
	}
	GUEST_DONE();
}

/* A page of L1's memory that L2 reads @tag from, and returns from a call to. */
static uint64_t l2_page(struct kvm_vm *vm, uint64_t tag)
{
	uint64_t gpa = vm_tagged_page(vm, 0, OFF_DATA, tag);

	*(uint8_t *)addr_gpa2hva(vm, gpa + OFF_CODE) = 0xc3;	/* RET */
	return gpa;
}

/*
 * Make T's EPT entry @e (a PDE or PDPTE) a write-back leaf with T's
 * rights that maps BIG_GPA (SDM Tables 29-4 and 29-2 [28-4, 28-2]).  Only
 * the first 2M behind it are memory (a memslot of their own): L2 touches
 * T's first page alone, and KVM maps a large guest leaf with 4K SPTEs
 * where the host's memory is in small pages (kvm_mmu_max_mapping_level()).
 */
static void map_big_leaf(struct kvm_vm *vm, uint64_t *e)
{
	uint8_t *big;

	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, BIG_GPA, BIG_SLOT, BIG_PAGES, 0);
	big = addr_gpa2hva(vm, BIG_GPA);
	*(uint64_t *)(big + OFF_DATA) = TAG(2);
	big[OFF_CODE] = 0xc3;	/* RET */
	*e = (*e & EPT_RWX) | EPT_MT_WB | EPT_PS | BIG_GPA;
}

/* What a missing IA32_VMX_EPT_VPID_CAP bit offers (Appendix A.10). */
static const char *cap_name(uint64_t missing)
{
	if (missing & EPT_CAP_EXEC_ONLY)
		return "execute-only";
	if (missing & (EPT_CAP_2M | VMX_EPT_VPID_CAP_1G_PAGES))
		return missing & EPT_CAP_2M ? "2-MByte EPT pages" : "1-GByte EPT pages";
	if (missing & VMX_EPT_VPID_CAP_AD_BITS)
		return "EPT A/D";
	return "an INVEPT type";
}

static const char *exit_name(uint64_t reason)
{
	switch (reason) {
	case VIOL:
		return "EPT violation";
	case MISC:
		return "EPT misconfiguration";
	case DONE:
		return "VMCALL (the access completed)";
	}
	return "another exit";
}

#define NO_SYNC_FMT							\
	"from L1's change of T's EPT leaf (gfn 0x%lx) to its INVEPT: %zu unsync, %zu synced (expected 1, 0)"

/*
 * L1's change of T's EPT leaf unsyncs the shadow page of that EPT page
 * table (mmu_try_to_unsync_pages(), mmu.c), and the VM entry that follows,
 * before any INVEPT, syncs no page: L1 uses no VPID, so the entry requests
 * KVM_REQ_TLB_FLUSH_GUEST (nested_vmx_transition_tlb_flush(), vmx/nested.c:
 * "KVM _never_ needs to sync nEPT entries on VM-Enter"), and
 * kvm_vcpu_flush_tlb_guest() (x86.c) syncs roots only without TDP (6.12
 * and 7.3).  Traced with kvmmmu where @c asks for it.
 */
static void run_to_invept(struct kvm_vcpu *vcpu, const struct ept_case *c, uint64_t ept_pt_gfn)
{
	struct kvm_trace *t = NULL;
	struct kvm_mmu_model *m;
	size_t unsynced, synced;

	vcpu_run_to_sync(vcpu, 1);
	if (c->no_sync_at_entry) {
		t = kvm_trace_create();
		kvm_trace_start(t, "leaf change and VM entry");
	}
	vcpu_run_to_sync(vcpu, 2);
	if (!t)
		return;
	kvm_trace_stop(t);
	m = kvm_trace_model(t);
	unsynced = kvm_mmu_model_count(m, KVM_MMU_QUERY(.type = KVM_MMU_UNSYNC_PAGE,
							.gfn = ept_pt_gfn));
	synced = kvm_mmu_model_count(m, KVM_MMU_QUERY(.type = KVM_MMU_SYNC_PAGE));
	if (unsynced != 1 || synced)
		kvm_trace_print(t);
	TEST_ASSERT(unsynced == 1 && !synced, NO_SYNC_FMT, ept_pt_gfn, unsynced, synced);
	kvm_trace_destroy(t);
}

/* In a child: one case in a VM of its own; a failed assertion fails it. */
static void run_case(const void *arg)
{
	const struct ept_case *c = arg;
	uint64_t page[2], root, *e, *leaf, want_gpa, want_gla, off, pt_gpa, data_gpa, ept_pt_gpa;
	struct vmx_pages *vmx;
	struct kvm_vcpu *vcpu;
	struct l1_exit *x;
	struct kvm_vm *vm;
	gva_t vmx_gva;
	int level, levels;

	vm = __vm_create_with_one_vcpu(&vcpu, VM_SLOT0_ROOM_PAGES, l1_guest);
	vm_enable_ept(vm);
	vmx = vcpu_alloc_vmx(vm, &vmx_gva);
	vcpu_args_set(vcpu, 1, vmx_gva);
	root = vmx->eptp_gpa;

	page[0] = l2_page(vm, TAG(0));
	page[1] = l2_page(vm, TAG(1));
	tdp_map(vm, L2_GPA, page[0], PAGE_SIZE);
	virt_pg_map(vm, L2_GPA, L2_GPA);
	virt_pg_map(vm, ALIAS_GVA, *vm_ept_entry(vm, root, L2_GPA, 2) & EPT_ADDR);
	/* After every L1 page L2 walks or runs on is allocated. */
	tdp_identity_map_default_memslots(vm);

	/* Bits 9:8 clear in T's walk (6.12's builder sets A/D in leaves). */
	for (level = 1; level <= 4; level++)
		*vm_ept_entry(vm, root, L2_GPA, level) &= ~(EPT_A | EPT_D);
	leaf_new = (*vm_ept_entry(vm, root, L2_GPA, 1) & ~EPT_ADDR) | page[1];
	if (c->large)
		map_big_leaf(vm, vm_ept_entry(vm, root, L2_GPA, c->large));

	pt_gpa = *vm_guest_entry(vm, L2_GPA, 2) & EPT_ADDR;
	if (c->target == AT_L2_PT)
		e = vm_ept_entry(vm, root, pt_gpa, c->level);
	else
		e = vm_ept_entry(vm, root, L2_GPA, c->level);
	*e = (*e & ~c->clear) | c->set;
	if (c->rsvd_pa)
		*e |= BIT_ULL(vm->pa_bits);

	/* Bits 51:MAXPHYADDR are reserved (Tables 29-1 to 29-6); none if 52. */
	if (c->rsvd_pa && vm->pa_bits >= 52)
		exit(KSFT_SKIP);
	the_case = *c;
	sync_global_to_guest(vm, the_case);
	sync_global_to_guest(vm, leaf_new);
	if (c->invept) {
		ept_pt_gpa = *vm_ept_entry(vm, root, L2_GPA, 2) & EPT_ADDR;
		run_to_invept(vcpu, c, ept_pt_gpa >> PAGE_SHIFT);
	}
	vcpu_run_to_done(vcpu);
	sync_global_from_guest(vm, exits);
	sync_global_from_guest(vm, nr_exits);

	x = &exits[0];
	TEST_ASSERT(x->reason == c->exit,
		    "L2's %s: exit %lu (%s), expected %u (%s); qualification 0x%lx, GPA 0x%lx",
		    c->access == L2_READ ? "read" : c->access == L2_WRITE ? "write" : "fetch",
		    x->reason, exit_name(x->reason), c->exit, exit_name(c->exit), x->qual, x->gpa);

	off = c->access == L2_FETCH ? OFF_CODE : OFF_DATA;
	want_gla = L2_GPA + off;
	want_gpa = c->target == AT_T ? L2_GPA + off : pt_gpa + 8 * ((L2_GPA >> 12) & 511);
	if (c->target == AT_FIRST_ACCESS) {
		want_gla = (uint64_t)l2_guest;
		levels = vm_mmu_levels(vm);
		want_gpa = vm_mmu_pgd(vm) + 8 * (want_gla >> VM_LEVEL_SHIFT(levels) & 511);
	}
	if (c->exit != DONE)
		TEST_ASSERT_EQ(x->gpa, want_gpa);
	if (c->exit == VIOL) {
		TEST_ASSERT_EQ(x->gla, want_gla);
		/*
		 * The evidence of Bochs's defect: an A/D page-walk violation
		 * right in all but bit 0.
		 */
		if (c->target == AT_L2_PT && c->ad &&
		    (x->qual & Q_CHECKED) == (c->qual & ~Q_RD) &&
		    emulator_ept_ad_walk_violation_without_read()) {
			ksft_print_msg("%s: exit qualification 0x%lx, expected bits 0x%lx\n",
				       c->name, x->qual, c->qual);
			exit(KSFT_XFAIL);
		}
		TEST_ASSERT((x->qual & Q_CHECKED) == c->qual,
			    "exit qualification 0x%lx: bits 0-5,7,8,12 are 0x%llx, expected 0x%lx",
			    x->qual, x->qual & Q_CHECKED, c->qual);
	}
	data_gpa = c->large ? BIG_GPA : page[0];
	if (c->exit == DONE && c->access == L2_READ)
		TEST_ASSERT_EQ(x->value, c->large ? TAG(2) : TAG(0));
	if (c->access == L2_WRITE && c->exit == DONE)
		TEST_ASSERT_EQ(*(uint64_t *)addr_gpa2hva(vm, data_gpa + OFF_DATA), WRITE_VAL);
	if (c->check_ad) {
		leaf = vm_ept_entry(vm, root, L2_GPA, c->large ?: 1);
		TEST_ASSERT((*leaf & (EPT_A | EPT_D)) == c->ad_bits,
			    "EPT leaf 0x%lx after the access: A/D 0x%llx, expected 0x%lx (EPTP A/D %s)",
			    *leaf, *leaf & (EPT_A | EPT_D), c->ad_bits, c->ad ? "on" : "off");
	}
	if (c->invept) {
		TEST_ASSERT_EQ(nr_exits, 3);
		TEST_ASSERT(exits[1].value == TAG(0) || exits[1].value == TAG(1),
			    "without INVEPT L2 read 0x%lx: neither the old nor the new page",
			    exits[1].value);
		ksft_print_msg("%s: before INVEPT L2 read the %s page\n", c->name,
			       exits[1].value == TAG(0) ? "old" : "new");
		TEST_ASSERT(exits[2].value == TAG(1),
			    "after INVEPT type %d L2 read 0x%lx, the new page has 0x%llx (old 0x%llx)",
			    c->invept, exits[2].value, TAG(1), TAG(0));
	}
	kvm_vm_free(vm);
	exit(KSFT_PASS);
}

/* A case in a child process of its own: its verdict from how the child exited. */
static void report_case(const struct kvm_mmu_config *cfg, const struct ept_case *c)
{
	int status = kvm_run_in_child(run_case, c);

	if (status == KSFT_XFAIL)
		ksft_test_result_xfail("%s_%s: %s\n", c->name, kvm_mmu_config_name(cfg),
				       known_defect(DEFECT_BOCHS_EPT_AD_WALK_READ_BIT));
	else if (status == KSFT_SKIP)
		ksft_test_result_skip("%s_%s: MAXPHYADDR is 52, no reserved address bit\n",
				      c->name, kvm_mmu_config_name(cfg));
	else
		ksft_test_result(status == KSFT_PASS, "%s_%s\n", c->name, kvm_mmu_config_name(cfg));
}

int main(int argc, char *argv[])
{
	struct kvm_mmu_config cfg;
	const char *no_trace;
	uint64_t caps;
	unsigned int i;

	caps = kvm_mmu_nested_ept_test_start(&cfg);
	no_trace = kvm_trace_unavailable();
	ksft_set_plan(ARRAY_SIZE(cases));

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct ept_case *c = &cases[i];

		if ((caps & c->need) != c->need)
			ksft_test_result_skip("%s_%s: %s 0x%lx lacks 0x%lx (%s)\n",
					      c->name, kvm_mmu_config_name(&cfg),
					      "KVM's IA32_VMX_EPT_VPID_CAP for L1", caps,
					      c->need & ~caps, cap_name(c->need & ~caps));
		else if (c->no_sync_at_entry && no_trace)
			ksft_test_result_skip("%s_%s: %s\n", c->name, kvm_mmu_config_name(&cfg),
					      no_trace);
		else
			report_case(&cfg, c);
	}
	ksft_finished();
}
