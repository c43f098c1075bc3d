// SPDX-License-Identifier: GPL-2.0
/*
 * nested_npt_test: a 64-bit L1 runs L2 with nested paging (NPT), and KVM
 * shadows L1's NPT.
 *
 * With nested paging on in L1's VMCB, L2's guest-physical addresses are
 * translated by L1's NPT (nCR3, long-mode format because L1 runs in long
 * mode, with as many levels as L1's paging: 4, or 5 with CR4.LA57, which
 * the 7.x framework gives L1 when KVM reports 57-bit virtual addresses;
 * AMD APM vol. 2, 15.25.5, and include/x86_64/nested_npt.h).  KVM cannot
 * hand L1's NPT to the CPU: nested_svm_init_mmu_context()
 * (arch/x86/kvm/svm/nested.c) calls kvm_init_shadow_npt_mmu()
 * (arch/x86/kvm/mmu/mmu.c), which walks it at L1's depth and shadows it
 * with a root at KVM's own TDP level.  When the host is 5-level and L1's
 * NPT 4-level, that root gets role.passthrough (it has no guest table of
 * its own; kvm_mmu_page_get_gfn(), sp_has_gptes()).  When the host is
 * 4-level and L1's NPT 5-level, the level-4 root is the shadow page of
 * nCR3's table, L1's level-5 one, and its children are those of L1's
 * level-3 tables: FNAME(fetch) (paging_tmpl.h) walks the shadow tables
 * from the root's level and links below each the page of the guest
 * table one level down (gw->table_gfn[it.level - 2]), so L1's level-4
 * table has no shadow page (all L2 GPAs here are below 2^48, under
 * PML5E 0).  L2 runs 64-bit code on L1's page tables, which the NPTs map
 * at L2 GPA == L1 GPA; test pages sit in a window of L2 GPAs with no L1
 * memory.  What any correct KVM must do, checked by L1 on every #VMEXIT:
 *
 * - L2 reads, writes and executes the L1 page its L2 GPA maps to in the
 *   NPT nCR3 points to (APM 15.25.5), through 4 KiB, 2 MiB and 1 GiB NPT
 *   leaves, also after L1 switches nCR3 among several NPTs between VMRUNs
 *   (with a TLB flush: translations are tagged by ASID, not nCR3) and with
 *   nCR3's PWT/PCD bits set.  KVM calls kvm_mmu_new_pgd() on each nested
 *   VMRUN from kvm_init_shadow_npt_mmu(); a root cached for another nCR3
 *   must never be used.
 *
 * - An L2 access that L1's NPT does not allow exits to L1 with
 *   #VMEXIT(NPF) (APM 15.25.6): EXITINFO2 the faulting L2 GPA; EXITINFO1
 *   bits 31:0 a #PF-style error code (P iff the entry was present, W for
 *   writes, U always as nested walks are user accesses, RSV for a
 *   reserved bit, ID for a fetch from an NX leaf with L1's EFER.NXE=1),
 *   bit 32 for a fault on the final translation, bit 33 for one on an
 *   access of L2's own page walk.  KVM takes the error code from its walk
 *   of L1's NPT (paging_tmpl.h FNAME(walk_addr_generic)) and bits 63:32
 *   and EXITINFO2 from the hardware's exit (nested_svm_inject_npf_exit()).
 *
 * - After L1 changes an NPT entry (frame, permission, unmap, map, a PDE to
 *   another table) and runs L2 with TLB_CONTROL = 1 (flush all; APM
 *   15.16.1), L2 sees the new entry.  KVM write-protects shadowed NPT
 *   tables (kvm_mmu_track_write() zaps what L1 changes) or lets leaf ones
 *   go unsync and syncs them on nested VMRUN
 *   (nested_svm_transition_tlb_flush(): KVM_REQ_MMU_SYNC).  Run first
 *   without that flush, L2 sees the old entry or the new one, and then
 *   with TLB_CONTROL 3 or 7 (this guest's ASID, FlushByAsid) as with 1.
 *
 * - L2 in 32-bit protected mode, with paging off, 2-level paging (CR4.PSE=0,
 *   4 KiB pages) and PAE paging (nnpt_run_32()), runs under the same
 *   NPT: its reads reach the window page its table maps through a
 *   4 KiB NPT leaf (paging off: the L2 GPA itself), a read of an unmapped
 *   window page is #VMEXIT(NPF) at that L2 GPA with bit 32, and an access
 *   of L2's own walk to a page table the NPT does not map is one with bit
 *   33 at that table's page (APM 15.25.6; the offset in EXITINFO2 and W
 *   are left open, as for the 64-bit L2).  The NPT's format is L1's, not
 *   L2's: nested_svm_init_mmu_context() (svm/nested.c) builds the NPT MMU
 *   from vmcb01's CR4/EFER, while L2's CR0/CR4/EFER only select how KVM
 *   itself walks L2's tables (vcpu->arch.nested_mmu, init_kvm_nested_mmu():
 *   nonpaging, paging32 or paging64 gva_to_gpa, mmu/mmu.c).  The CPU walks
 *   L2's tables; an NPF on that walk reaches KVM with EXITINFO1 bit 33
 *   (npf_interception(), svm.c), KVM's walk of L1's NPT for the table's
 *   GPA fails (FNAME(walk_addr_generic): nested_page_fault, as mmu is not
 *   walk_mmu) and nested_svm_inject_npf_exit() passes the hardware's
 *   bits 63:32 and EXITINFO2 on to L1.
 *
 * - L2's OUTSB and INSB on a port L1's IOPM leaves clear (APM 15.10.1)
 *   are emulated by KVM (io_interception(), svm.c), not by the CPU: the
 *   emulator fetches them and translates their memory operand with
 *   vcpu->arch.nested_mmu, whose gva_to_gpa init_kvm_nested_mmu() (mmu.c)
 *   picks from L2's CR0/CR4/EFER (nonpaging, paging32, or paging64 for
 *   PAE and IA-32e), and every L2 GPA on the way through L1's NPT
 *   (translate_nested_gpa(), x86.c).  In 64-bit, paging-off, 2-level and
 *   PAE L2, through 4 KiB NPT leaves: OUTSB hands the host (KVM_EXIT_IO on
 *   EMU_PORT, not the ucall port) the byte the host put in the window page
 *   L2's address maps to, INSB stores the byte the host supplies there
 *   (the rest of its 8-byte word unchanged); every such exit must be the
 *   one L1 announced.  An OUTSB from an L2 GPA whose NPT leaf is not
 *   present is #VMEXIT(NPF) for L1, as if the CPU had made the access (APM
 *   15.25.6): bit 32, error code U, EXITINFO2 the L2 GPA, and no I/O.
 *   6.12 reports the GPA's page, without the offset
 *   (nested_svm_inject_npf_exit() copies the fault address of
 *   FNAME(walk_addr_generic)'s final translate_nested_gpa(), gfn_to_gpa()):
 *   XFAIL, a KVM deviation.  Under QEMU TCG a PAE L2's emulated accesses
 *   take a #PF (QEMU sets reserved bit 5 in the PDPTE, KVM's load_pdptrs()
 *   refuses it): XFAIL there, with the PDPTE (pae_pdpte_gap()).
 *
 * - Without nested paging for L1 (npt=0: svm_set_cpu_caps() sets
 *   X86_FEATURE_NPT only if npt_enabled) L1's CPUID says so, and VMRUN with
 *   NP_ENABLE fails with #VMEXIT(INVALID); so does an nCR3 beyond
 *   MAXPHYADDR when NPT is offered (__nested_vmcb_check_controls(),
 *   svm/nested.c).  L2 without nested paging reads and writes L1 memory
 *   through L1's page tables in every configuration.
 *
 * And, from kvmmmu trace events (include/kvm_trace.h), what KVM's shadow
 * NPT looks like in 6.12 (the role is computed by kvm_calc_cpu_role() from
 * L1's CR0/CR4/EFER, then kvm_init_shadow_npt_mmu() sets the root level):
 * every shadow page of L1's NPT has role.guest_mode=1 and 8-byte gptes,
 * also those made while L2 runs 32-bit code with 4-byte gptes;
 * the root of each NPT is a page for nCR3's gfn at KVM's TDP level (4, or
 * 5 on a 5-level host, then over a 4-level NPT with role.passthrough=1
 * over a level-4 page for the same gfn), and at each level below the
 * root's, L1's table of that level on the way to the window has a shadow
 * page (a 4-level root over a 5-level NPT: from level 3 down, see above);
 * switching among 3 NPTs after a warm-up reuses the cached roots
 * (fast_pgd_switch(), KVM_MMU_NUM_PREV_ROOTS = 3) and creates or zaps no
 * shadow NPT page; and VM teardown zaps every one of them.
 *
 * With npt=0 (the shadow configuration) the nested paging cases and the
 * introspection report SKIP with that reason; the others run.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "kvm_util.h"
#include "paging_bits.h"
#include "processor.h"
#include "svm_util.h"
#include "ucall_common.h"
#include "kselftest.h"

#include "kvm_compat.h"
#include "known_defects.h"
#include "emulator.h"
#include "kvm_mmu_config.h"
#include "kvm_role_btf.h"
#include "kvm_trace.h"
#include "nested_npt.h"
#include "vm_tables.h"

/*
 * L2 GPAs of the test window.  L1 has no memslot there; only L2 reaches
 * them, through NPT leaves L1 points at its own data pages.
 */
#define WIN_GPA		0x80000000ULL		/* PDPT index 2 */
#define HOLE_GPA	0xc0000000ULL		/* PDPT index 3: never mapped */
#define WIN_PAGE(i)	(WIN_GPA + (i) * PAGE_SIZE)
/*
 * L1 (and so L2) virtual addresses of the window: under PML4E 1, which
 * the framework leaves free (its addresses are far below 2^39) at either
 * paging depth: with 5-level paging PML4E 1 is in the PML4 of PML5E 0,
 * which also maps the framework's pages, but the tables from the PDPT
 * down are the window's own, as case_npf_guest_page_walk() needs of
 * l1_pt_gpa (main() asserts that PML4E 1 was free).
 */
#define WIN_VA		(1ULL << 39)
#define HOLE_VA		(WIN_VA + 64 * PAGE_SIZE)
/* A 1 GiB NPT leaf maps L2 GPA GB_GPA.. to L1 GPA 0.. */
#define GB_GPA		0x100000000ULL
#define GB_VA		(WIN_VA + 128 * PAGE_SIZE)
#define VA(i)		(WIN_VA + (i) * PAGE_SIZE)

/* Window pages. */
enum {
	PG_DATA,	/* D0 in NPT A, D2 in B, D4 in C */
	PG_STORE,	/* D1, read/write */
	PG_ABSENT,	/* PTE not present (the page table exists) */
	PG_RO,		/* D5, read-only leaf */
	PG_X,		/* D6 (code), executable */
	PG_NX,		/* D6 (code), NX leaf */
	PG_RSVD,	/* D0 with a reserved address bit in the leaf */
	PG_AD,		/* D0, A and D clear until L2 uses it */
	NR_WIN_PAGES,
};

#define NR_DATA		7
#define CODE_PAGE	6
/* NPTs 0..2 (A, B, C) map PG_DATA to D0, D2, D4; L1 switches among them. */
#define NR_SWITCH_NPTS	3
/* NPT 3 (NPT_WALK) is A without the L1 page table that maps the window's VAs. */
#define NPT_WALK	3
#define NR_NPTS		4
#define TAG(i)		(0xa5a5000000000000ULL | ((uint64_t)(i) << 8) | 0x11)
#define STORE_VAL	0x5eed0000cafe0001ULL
#define IDENT_VAL	0x1de0000000000042ULL
#define CODE_VAL	0xc0de0000000000c3ULL
/* nCR3 has CR3's format: bit 3 PWT, bit 4 PCD (APM 15.25.4). */
#define NCR3_PWT	BIT_ULL(3)
#define NCR3_PCD	BIT_ULL(4)
/* Offsets inside a page, so that EXITINFO2 shows the whole address. */
#define OFF_R		0x18
#define OFF_W		0x20

#define NPT_POOL_PAGES	32
#define NR_MMU_PAGES	1024
/*
 * __vm_create() sizes slot 0 for page tables of this many extra pages
 * (2 per 512): about 512 more pages for the NPT pool, the data pages and
 * L1's page tables, on top of the test binary.
 */
#define EXTRA_PAGES	(128 * 1024)

struct nnpt_args {
	uint64_t svm_gva;
	uint64_t pool_gva;
	uint64_t ncr3[NR_NPTS];
	uint64_t data_gva[NR_DATA];
	uint64_t data_gpa[NR_DATA];
	uint64_t l1_pt_gpa;	/* L1's page table that maps WIN_VA */
	uint64_t alt_pt_gpa;	/* a copy of A's window page table, PG_DATA -> D3 */
	uint64_t rsvd_bit;	/* a reserved address bit of NPT entries, or 0 */
	uint64_t gbpages;	/* L1 has 1 GiB pages (CPUID) */
	uint64_t npt;		/* KVM offers L1 nested paging (CPUID) */
	uint64_t illegal_gpa;	/* 1 << MAXPHYADDR, or 0 if that is 2^52 */
	uint64_t iopm_gpa;	/* L1's IOPM: every port intercepted but EMU_PORT */
	uint64_t pdpte_gap;	/* QEMU TCG sets reserved bit 5 in PAE PDPTEs */
};

static struct nnpt_args args;

/*
 * 32-bit L2 (nnpt_run_32()): L2 VAs its 2-level and PAE tables map to
 * window pages, through another page table than the code's (the code page
 * is below 1 GiB, at L2 VA == L2 GPA).
 */
#define L2_32_VA_DATA		0x40000000U
#define L2_32_VA_ABSENT		(L2_32_VA_DATA + PAGE_SIZE)
#define L2_32_VA_STORE		(L2_32_VA_DATA + 2 * PAGE_SIZE)

/*
 * L2's OUTSB and INSB go to this port, which L1's IOPM leaves clear, so
 * that KVM emulates them and exits to the host with KVM_EXIT_IO (not the
 * ucall port, 0x1000).  OUTSB reads EMU_TAG(i), which the host puts at
 * OFF_OUTS of data page i; INSB writes the byte L1 asked the host for at
 * OFF_INS of D1, in an 8-byte word L1 clears first (D1 at 0x40..0x47 is
 * written by those cases only).  Odd offsets, so that a wrong byte shows.
 */
#define EMU_PORT		0x1035
#define OFF_OUTS		0x33
#define OFF_INS			0x41
#define EMU_TAG(i)		(0xe0 | (i))

static struct {
	struct nnpt_l2_32 l2;
	uint64_t pt_gpa[NNPT_L2_32_NR_MODES];	/* L2's page table for L2_32_VA_DATA */
} l2_32;

static volatile uint64_t ident_word = IDENT_VAL;

/* What L1 found, per case; the host reads it back after the run. */
struct case_result {
	uint64_t ran;
	uint64_t failed;
	const char *what;	/* first failed expectation (a string of this binary) */
	uint64_t line;
	uint64_t seen, want;
	uint64_t exit_code, info1, info2;
	const char *skipped;	/* why the case could not run */
	/* Runs without the flush L1 owed in which L2 used the old / new entry. */
	uint64_t stale, fresh;
	uint64_t flush;		/* TLB_CONTROL of the owed flush being checked */
	const char *unchecked;	/* what part of the case could not run */
	int xfail;		/* 1 + the known KVM defect seen (known_defects.h) */
	uint64_t xfail_info1;	/* its EXITINFO1 (seen: its EXITINFO2) */
	bool emulator_gap;	/* the emulated CPU's PDPTE bit 5 seen */
	uint64_t gap_pdpte;	/* L2's PDPTE 0 that shows it */
};

static void case_l2_reads_and_writes(void);
static void case_npf_absent_pte_read(void);
static void case_npf_absent_pte_write(void);
static void case_npf_absent_pdpte_read(void);
static void case_npf_write_read_only_leaf(void);
static void case_ncr3_switch(void);
static void case_leaf_frame_change_flush(void);
static void case_leaf_write_protect_flush(void);
static void case_leaf_unmap_flush(void);
static void case_leaf_map_flush(void);
static void case_npf_reserved_bit(void);
static void case_npf_fetch_nx(void);
static void case_npf_guest_page_walk(void);
static void case_ncr3_low_bits(void);
static void case_1g_leaf(void);
static void case_pde_change_flush(void);
static void case_frame_change_owed_flush(void);
static void case_write_protect_owed_flush(void);
static void case_unmap_owed_flush(void);
static void case_accessed_dirty(void);
static void case_l1_cpuid(void);
static void case_np_enable_without_npt(void);
static void case_illegal_ncr3(void);
static void case_l2_without_np(void);
static void case_l2_32_no_paging(void);
static void case_l2_32_2level(void);
static void case_l2_32_pae(void);
static void case_npf_l2_32_2level_walk(void);
static void case_npf_l2_32_pae_walk(void);
static void case_emu_64(void);
static void case_emu_32_no_paging(void);
static void case_emu_32_2level(void);
static void case_emu_32_pae(void);
static void case_npf_emu(void);
static void case_npf_emu_page_walk(void);

/* .np: L2 runs with nested paging (skipped when KVM offers L1 no NPT). */
static const struct {
	const char *name;
	void (*fn)(void);
	bool np;
} cases[] = {
	{ "l1_cpuid_npt_bit_is_kvms", case_l1_cpuid },
	{ "vmrun_np_enable_without_npt_refused_or_ignored", case_np_enable_without_npt },
	{ "vmrun_ncr3_beyond_maxphyaddr_is_invalid", case_illegal_ncr3 },
	{ "l2_without_nested_paging", case_l2_without_np },
	{ "l2_reads_and_writes_through_npt", case_l2_reads_and_writes, true },
	{ "npf_not_present_pte_read", case_npf_absent_pte_read, true },
	{ "npf_not_present_pte_write", case_npf_absent_pte_write, true },
	{ "npf_not_present_pdpte_read", case_npf_absent_pdpte_read, true },
	{ "npf_write_to_read_only_leaf", case_npf_write_read_only_leaf, true },
	{ "ncr3_switch_among_3_npts", case_ncr3_switch, true },
	{ "leaf_frame_change_with_flush", case_leaf_frame_change_flush, true },
	{ "leaf_write_protect_with_flush", case_leaf_write_protect_flush, true },
	{ "leaf_unmap_with_flush", case_leaf_unmap_flush, true },
	{ "leaf_map_after_npf_with_flush", case_leaf_map_flush, true },
	{ "npf_reserved_bit_in_npt_leaf", case_npf_reserved_bit, true },
	{ "npf_fetch_from_nx_leaf", case_npf_fetch_nx, true },
	{ "npf_on_guest_page_table_walk", case_npf_guest_page_walk, true },
	{ "l2_32bit_no_paging_through_npt", case_l2_32_no_paging, true },
	{ "l2_32bit_2level_paging_through_npt", case_l2_32_2level, true },
	{ "l2_32bit_pae_paging_through_npt", case_l2_32_pae, true },
	{ "npf_on_l2_32bit_2level_page_walk", case_npf_l2_32_2level_walk, true },
	{ "npf_on_l2_32bit_pae_page_walk", case_npf_l2_32_pae_walk, true },
	{ "l2_64bit_emulated_outsb_insb_through_npt", case_emu_64, true },
	{ "l2_32bit_no_paging_emulated_outsb_insb_through_npt", case_emu_32_no_paging, true },
	{ "l2_32bit_2level_emulated_outsb_insb_through_npt", case_emu_32_2level, true },
	{ "l2_32bit_pae_emulated_outsb_insb_through_npt", case_emu_32_pae, true },
	{ "npf_emulated_outsb_not_present_npt_leaf", case_npf_emu, true },
	{ "npf_emulated_outsb_on_l2_page_walk", case_npf_emu_page_walk, true },
	{ "ncr3_with_pwt_pcd_bits", case_ncr3_low_bits, true },
	{ "1g_npt_leaf", case_1g_leaf, true },
	{ "pde_change_with_flush", case_pde_change_flush, true },
	{ "leaf_frame_change_without_then_with_flush", case_frame_change_owed_flush, true },
	{ "leaf_write_protect_without_then_with_flush", case_write_protect_owed_flush, true },
	{ "leaf_unmap_and_map_without_then_with_flush", case_unmap_owed_flush, true },
	{ "npt_accessed_and_dirty_bits", case_accessed_dirty, true },
};

#define NR_CASES	ARRAY_SIZE(cases)
/* Results of report_introspection(), after the cases'. */
#define NR_INTROSPECTION	5
/* GUEST_SYNC(i) starts case i; this one ends the nCR3 switch warm-up. */
#define SYNC_NCR3_WARM	100
/*
 * GUEST_SYNC_ARGS(SYNC_EMU, EMU_OUT, i, ...): the next exit on EMU_PORT is
 * L2's OUTSB of EMU_TAG(i); (SYNC_EMU, EMU_IN, byte, ...): L2's INSB, to
 * be answered with byte.  Any other exit on EMU_PORT fails the case.
 */
#define SYNC_EMU	101
#define EMU_OUT		1
#define EMU_IN		2
/* (SYNC_EMU, EMU_NONE, ...): the announced exit is not coming after all. */
#define EMU_NONE	3

static struct case_result results[NR_CASES];

/* ---- L1 ---- */

static struct svm_test_data *svm;
static struct npt_pool *pool;
static struct case_result *cur;

static bool __expect(const char *what, uint64_t line, uint64_t seen, uint64_t want)
{
	struct vmcb_control_area *ctl = &svm->vmcb->control;

	if (seen == want)
		return true;
	if (!cur->failed) {
		cur->failed = 1;
		cur->what = what;
		cur->line = line;
		cur->seen = seen;
		cur->want = want;
		cur->exit_code = vmcb_exit_code(ctl);
		cur->info1 = ctl->exit_info_1;
		cur->info2 = ctl->exit_info_2;
	}
	return false;
}

#define EXPECT(what, seen, want)	__expect(what, __LINE__, seen, want)

static bool l2_load(uint64_t va, uint64_t want, uint8_t tlb_ctl)
{
	uint64_t exit = nnpt_run(svm, nnpt_l2_load, va, 0, tlb_ctl);

	return EXPECT("L2 load: #VMEXIT code (VMMCALL after the load)", exit, SVM_EXIT_VMMCALL) &&
	       EXPECT("L2 load: value read", nnpt_l2_result(svm), want);
}

static bool l2_store(uint64_t va, uint64_t val, uint8_t tlb_ctl)
{
	uint64_t exit = nnpt_run(svm, nnpt_l2_store, va, val, tlb_ctl);

	return EXPECT("L2 store: #VMEXIT code (VMMCALL after the store)", exit, SVM_EXIT_VMMCALL);
}

/* The exit L1 just got is #VMEXIT(NPF) at @gpa with @error_code. */
static bool expect_npf(uint64_t exit, uint64_t gpa, uint64_t error_code)
{
	struct nnpt_npf f = nnpt_npf(svm);

	return EXPECT("#VMEXIT code (NPF)", exit, SVM_EXIT_NPF) &&
	       EXPECT("EXITINFO2 (faulting L2 GPA)", f.gpa, gpa) &&
	       EXPECT("EXITINFO1[31:0] (error code: P, W, U, RSV, ID, ...)",
		      f.info1 & NPF_ERROR_CODE, error_code) &&
	       EXPECT("EXITINFO1[33:32] (final translation, not a guest page-table walk)",
		      f.info1 & NPF_WHERE, PFERR_GUEST_FINAL_MASK);
}

static uint64_t ncr3_a(void)
{
	return args.ncr3[0];
}

static uint64_t data(int i)
{
	return *(volatile uint64_t *)args.data_gva[i];
}

static uint64_t data_at(int i, uint64_t off)
{
	return *(volatile uint64_t *)(args.data_gva[i] + off);
}

static void case_l2_reads_and_writes(void)
{
	l2_load(VA(PG_DATA), TAG(0), TLB_CONTROL_DO_NOTHING);
	/* L2 code, stack and page tables reach L1 memory through the identity map. */
	l2_load((uint64_t)&ident_word, IDENT_VAL, TLB_CONTROL_DO_NOTHING);
	if (l2_store(VA(PG_STORE) + OFF_W, STORE_VAL, TLB_CONTROL_DO_NOTHING))
		EXPECT("L1 reads what L2 stored through the NPT",
		       *(volatile uint64_t *)(args.data_gva[1] + OFF_W), STORE_VAL);
	l2_load(VA(PG_RO), TAG(5), TLB_CONTROL_DO_NOTHING);
}

static void case_npf_absent_pte_read(void)
{
	uint64_t exit = nnpt_run(svm, nnpt_l2_load, VA(PG_ABSENT) + OFF_R, 0, 0);

	expect_npf(exit, WIN_PAGE(PG_ABSENT) + OFF_R, PFERR_USER_MASK);
}

static void case_npf_absent_pte_write(void)
{
	uint64_t exit = nnpt_run(svm, nnpt_l2_store, VA(PG_ABSENT) + OFF_W, 1, 0);

	expect_npf(exit, WIN_PAGE(PG_ABSENT) + OFF_W, PFERR_WRITE_MASK | PFERR_USER_MASK);
}

static void case_npf_absent_pdpte_read(void)
{
	uint64_t exit = nnpt_run(svm, nnpt_l2_load, HOLE_VA + OFF_R, 0, 0);

	expect_npf(exit, HOLE_GPA + OFF_R, PFERR_USER_MASK);
}

static void case_npf_write_read_only_leaf(void)
{
	uint64_t exit;

	l2_load(VA(PG_RO), TAG(5), 0);
	exit = nnpt_run(svm, nnpt_l2_store, VA(PG_RO) + OFF_W, STORE_VAL, 0);
	expect_npf(exit, WIN_PAGE(PG_RO) + OFF_W, PFERR_PRESENT_MASK | PFERR_WRITE_MASK |
		   PFERR_USER_MASK);
	EXPECT("read-only page after the faulting write", data(5), TAG(5));
	l2_load(VA(PG_RO), TAG(5), 0);
}

static void case_ncr3_switch(void)
{
	/* A warm-up pass, then every transition between the three, twice. */
	static const uint8_t order[] = { 0, 1, 2, 0, 2, 1, 1, 0, 0, 2, 2, 1, 0, 1, 2, 0, 1, 0, 2 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(order); i++) {
		if (i == NR_SWITCH_NPTS)
			GUEST_SYNC(SYNC_NCR3_WARM);
		nnpt_set_ncr3(svm, args.ncr3[order[i]]);
		if (!l2_load(VA(PG_DATA), TAG(2 * order[i]), 0))
			break;
	}
	nnpt_set_ncr3(svm, ncr3_a());
}

static void case_leaf_frame_change_flush(void)
{
	int round;

	for (round = 0; round < 4; round++) {
		npt_set_entry(pool, ncr3_a(), WIN_PAGE(PG_DATA), NPT_LEVEL_4K,
			     args.data_gpa[3] | NPT_RW);
		if (!l2_load(VA(PG_DATA), TAG(3), TLB_CONTROL_FLUSH_ALL_ASID))
			break;
		npt_set_entry(pool, ncr3_a(), WIN_PAGE(PG_DATA), NPT_LEVEL_4K,
			     args.data_gpa[0] | NPT_RW);
		if (!l2_load(VA(PG_DATA), TAG(0), TLB_CONTROL_FLUSH_ALL_ASID))
			break;
	}
	npt_set_entry(pool, ncr3_a(), WIN_PAGE(PG_DATA), NPT_LEVEL_4K,
		     args.data_gpa[0] | NPT_RW);
}

static void case_leaf_write_protect_flush(void)
{
	uint64_t exit;

	/* L2 has written the page before: KVM has a writable shadow SPTE. */
	l2_store(VA(PG_STORE), 1, 0);
	npt_set_entry(pool, ncr3_a(), WIN_PAGE(PG_STORE), NPT_LEVEL_4K,
		     args.data_gpa[1] | NPT_RO);
	l2_load(VA(PG_STORE), 1, TLB_CONTROL_FLUSH_ALL_ASID);
	exit = nnpt_run(svm, nnpt_l2_store, VA(PG_STORE) + OFF_W, 2, 0);
	expect_npf(exit, WIN_PAGE(PG_STORE) + OFF_W, PFERR_PRESENT_MASK | PFERR_WRITE_MASK |
		   PFERR_USER_MASK);
	EXPECT("write-protected page after the faulting write",
	       *(volatile uint64_t *)(args.data_gva[1] + OFF_W), STORE_VAL);

	npt_set_entry(pool, ncr3_a(), WIN_PAGE(PG_STORE), NPT_LEVEL_4K,
		     args.data_gpa[1] | NPT_RW);
	if (l2_store(VA(PG_STORE) + OFF_W, 3, TLB_CONTROL_FLUSH_ALL_ASID))
		EXPECT("L1 reads what L2 stored after write access came back",
		       *(volatile uint64_t *)(args.data_gva[1] + OFF_W), 3);
}

static void case_leaf_unmap_flush(void)
{
	uint64_t exit, old;

	l2_load(VA(PG_DATA), TAG(0), 0);
	old = npt_set_entry(pool, ncr3_a(), WIN_PAGE(PG_DATA), NPT_LEVEL_4K, 0);
	exit = nnpt_run(svm, nnpt_l2_load, VA(PG_DATA) + OFF_R, 0,
			TLB_CONTROL_FLUSH_ALL_ASID);
	expect_npf(exit, WIN_PAGE(PG_DATA) + OFF_R, PFERR_USER_MASK);
	npt_set_entry(pool, ncr3_a(), WIN_PAGE(PG_DATA), NPT_LEVEL_4K, old);
	l2_load(VA(PG_DATA), TAG(0), TLB_CONTROL_FLUSH_ALL_ASID);
}

static void case_leaf_map_flush(void)
{
	uint64_t exit;

	exit = nnpt_run(svm, nnpt_l2_load, VA(PG_ABSENT), 0, 0);
	if (!expect_npf(exit, WIN_PAGE(PG_ABSENT), PFERR_USER_MASK))
		return;
	npt_set_entry(pool, ncr3_a(), WIN_PAGE(PG_ABSENT), NPT_LEVEL_4K,
		     args.data_gpa[4] | NPT_RW);
	l2_load(VA(PG_ABSENT), TAG(4), TLB_CONTROL_FLUSH_ALL_ASID);
	npt_set_entry(pool, ncr3_a(), WIN_PAGE(PG_ABSENT), NPT_LEVEL_4K, 0);
	exit = nnpt_run(svm, nnpt_l2_load, VA(PG_ABSENT), 0, TLB_CONTROL_FLUSH_ALL_ASID);
	expect_npf(exit, WIN_PAGE(PG_ABSENT), PFERR_USER_MASK);
}

static void case_npf_reserved_bit(void)
{
	uint64_t exit;

	if (!args.rsvd_bit) {
		cur->skipped = "L1's MAXPHYADDR is 52: no reserved address bit";
		return;
	}
	exit = nnpt_run(svm, nnpt_l2_load, VA(PG_RSVD) + OFF_R, 0, 0);
	expect_npf(exit, WIN_PAGE(PG_RSVD) + OFF_R, PFERR_PRESENT_MASK | PFERR_RSVD_MASK |
		   PFERR_USER_MASK);
}

static void case_npf_fetch_nx(void)
{
	uint64_t exit;

	/* L1's EFER.NXE is set (the framework's vCPU setup): NX counts. */
	exit = nnpt_run(svm, (nnpt_l2_fn_t)VA(PG_X), 0, 0, 0);
	if (EXPECT("L2 runs code through an executable NPT leaf: #VMEXIT code", exit,
		   SVM_EXIT_VMMCALL))
		EXPECT("value the code returns", nnpt_l2_result(svm), CODE_VAL);
	exit = nnpt_run(svm, (nnpt_l2_fn_t)VA(PG_NX), 0, 0, 0);
	expect_npf(exit, WIN_PAGE(PG_NX), PFERR_PRESENT_MASK | PFERR_FETCH_MASK | PFERR_USER_MASK);
}

/*
 * L2's own page walk reads L1's page table for WIN_VA at an L2 GPA NPT_WALK
 * leaves unmapped: the NPF is for that access (EXITINFO1 bit 33), at that
 * page.  Whether EXITINFO2 has the entry's offset, and whether the access
 * counts as a write (accessed/dirty updates), is left open.
 */
static void case_npf_guest_page_walk(void)
{
	struct nnpt_npf f;
	uint64_t exit;

	nnpt_set_ncr3(svm, args.ncr3[NPT_WALK]);
	exit = nnpt_run(svm, nnpt_l2_load, VA(PG_DATA), 0, TLB_CONTROL_FLUSH_ALL_ASID);
	f = nnpt_npf(svm);
	(void)(EXPECT("#VMEXIT code (NPF)", exit, SVM_EXIT_NPF) &&
	EXPECT("EXITINFO1[33:32] (guest page-table walk, not final translation)",
	       f.info1 & NPF_WHERE, PFERR_GUEST_PAGE_MASK) &&
	EXPECT("EXITINFO2 page (L1's page table for the VA)", f.gpa & ~(PAGE_SIZE - 1),
	       args.l1_pt_gpa) &&
	EXPECT("EXITINFO1 P, U, RSV, ID (not present, user)",
	       f.info1 & (PFERR_PRESENT_MASK | PFERR_USER_MASK | PFERR_RSVD_MASK |
			  PFERR_FETCH_MASK), PFERR_USER_MASK));
	nnpt_set_ncr3(svm, ncr3_a());
}

/*
 * 32-bit L2: every run flushes the ASID.  L2's address spaces in the
 * three modes (and the 64-bit L2's) share ASID 1, whose TLB entries
 * survive world switches (APM 15.16): VMRUN loading another CR3 is no
 * MOV CR3.  TAG()'s low 32 bits differ per data page.
 */
static bool l2_32_load(enum nnpt_l2_32_mode mode, uint32_t addr, uint32_t want)
{
	uint64_t exit = nnpt_run_32(svm, &l2_32.l2, mode, addr, TLB_CONTROL_FLUSH_ALL_ASID);

	return EXPECT("32-bit L2 load: #VMEXIT code (VMMCALL after the load)", exit,
		      SVM_EXIT_VMMCALL) &&
	       EXPECT("32-bit L2 load: EAX", (uint32_t)nnpt_l2_result(svm), want);
}

/*
 * A read through a 4K NPT leaf, then a read of PG_ABSENT, which NPT A
 * leaves unmapped: #VMEXIT(NPF) on the final translation, at that L2 GPA.
 */
static void l2_32_reads(enum nnpt_l2_32_mode mode, uint32_t data, uint32_t absent)
{
	uint64_t exit;

	if (!l2_32_load(mode, data, (uint32_t)TAG(0)))
		return;
	exit = nnpt_run_32(svm, &l2_32.l2, mode, absent + OFF_R, TLB_CONTROL_FLUSH_ALL_ASID);
	expect_npf(exit, WIN_PAGE(PG_ABSENT) + OFF_R, PFERR_USER_MASK);
}

/* Paging off: L2's addresses are L2 GPAs. */
static void case_l2_32_no_paging(void)
{
	l2_32_reads(NNPT_L2_32_NO_PAGING, WIN_PAGE(PG_DATA), WIN_PAGE(PG_ABSENT));
}

static void case_l2_32_2level(void)
{
	l2_32_reads(NNPT_L2_32_2LEVEL, L2_32_VA_DATA, L2_32_VA_ABSENT);
}

static void case_l2_32_pae(void)
{
	l2_32_reads(NNPT_L2_32_PAE, L2_32_VA_DATA, L2_32_VA_ABSENT);
}

/*
 * NPT A without L2's page table for L2_32_VA_DATA (its 2 MiB leaf split,
 * one pool page, and the table's 4K leaf cleared): L2's walk faults
 * there, as in case_npf_guest_page_walk().  Then NPT A as before, and the
 * read goes through.
 */
static void l2_32_page_walk_npf(enum nnpt_l2_32_mode mode)
{
	uint64_t pt = l2_32.pt_gpa[mode], old_pde, old_pte, exit;
	struct nnpt_npf f;

	old_pde = npt_get_entry(pool, ncr3_a(), pt, NPT_LEVEL_2M);
	if (old_pde & NPT_PS)
		npt_split(pool, ncr3_a(), pt, NPT_LEVEL_2M);
	old_pte = npt_set_entry(pool, ncr3_a(), pt, NPT_LEVEL_4K, 0);
	exit = nnpt_run_32(svm, &l2_32.l2, mode, L2_32_VA_DATA, TLB_CONTROL_FLUSH_ALL_ASID);
	f = nnpt_npf(svm);
	(void)(EXPECT("#VMEXIT code (NPF)", exit, SVM_EXIT_NPF) &&
	EXPECT("EXITINFO1[33:32] (guest page-table walk, not final translation)",
	       f.info1 & NPF_WHERE, PFERR_GUEST_PAGE_MASK) &&
	EXPECT("EXITINFO2 page (L2's page table for the VA)", f.gpa & ~(PAGE_SIZE - 1), pt) &&
	EXPECT("EXITINFO1 P, U, RSV, ID (not present, user)",
	       f.info1 & (PFERR_PRESENT_MASK | PFERR_USER_MASK | PFERR_RSVD_MASK |
			  PFERR_FETCH_MASK), PFERR_USER_MASK));
	npt_set_entry(pool, ncr3_a(), pt, NPT_LEVEL_4K, old_pte);
	npt_set_entry(pool, ncr3_a(), pt, NPT_LEVEL_2M, old_pde);
	l2_32_load(mode, L2_32_VA_DATA, (uint32_t)TAG(0));
}

static void case_npf_l2_32_2level_walk(void)
{
	l2_32_page_walk_npf(NNPT_L2_32_2LEVEL);
}

static void case_npf_l2_32_pae_walk(void)
{
	l2_32_page_walk_npf(NNPT_L2_32_PAE);
}

/*
 * L2's string I/O, emulated by KVM.  L1 intercepts I/O with an IOPM that
 * has every port's bit set but EMU_PORT's (APM 15.10.1), so L2's OUTSB
 * and INSB on it are not L1's: nested_svm_intercept_ioio() (svm/nested.c)
 * reads that bit and leaves the exit to L0, whose io_interception()
 * (svm.c) emulates string I/O (kvm_emulate_instruction()).  The emulator
 * fetches the instruction and reads or writes its memory operand through
 * vcpu->arch.walk_mmu, which is vcpu->arch.nested_mmu while L2 runs with
 * nested paging (nested_svm_init_mmu_context()): L2's linear address goes
 * through L2's page tables with the walker init_kvm_nested_mmu() (mmu.c)
 * picked for L2's CR0/CR4/EFER (nonpaging, paging32 or paging64
 * gva_to_gpa), and every L2 GPA on the way, the tables' and the final
 * one, through L1's NPT (kvm_translate_gpa() -> translate_nested_gpa(),
 * x86.c, the walk of vcpu->arch.mmu).  The CPU's walk, checked by the
 * other cases, never sees these accesses.
 */
enum emu_l2 { EMU_L2_64, EMU_L2_32_NO_PAGING, EMU_L2_32_2LEVEL, EMU_L2_32_PAE };

static void intercept_io_but_emu_port(void)
{
	struct vmcb_control_area *ctl = &svm->vmcb->control;

	ctl->intercept |= BIT_ULL(INTERCEPT_IOIO_PROT);
	ctl->iopm_base_pa = args.iopm_gpa;
}

/* Bit 5 of a PAE PDPTE is reserved (SDM vol. 3A Table 4-8, APM Figure 5-10). */
#define PDPTE_BIT5	BIT_ULL(5)

/*
 * QEMU 7.2 TCG's walker sets bit 5 (A) in the PAE PDPTEs it uses
 * (docs/defects/qemu-tcg-npt-pae-pdpte-reserved-bits.md): fetching L2's
 * OUTSB or INSB before the I/O intercept sets it in PDPTE 0.  KVM's
 * emulator then reloads L2's PDPTEs for its own walk (kvm_pdptr_read() ->
 * svm_cache_reg() -> load_pdptrs(), x86.c, which refuses a present PDPTE
 * with a reserved bit and keeps the old ones), and its instruction fetch
 * takes a #PF that L1 intercepts.  No CPU sets that bit.  Where the runner
 * says the CPU is QEMU's (emulator_sets_pdpte_bit5()), L1
 * clears the bit before each PAE run, and that #PF with the bit set again
 * is reported as XFAIL, with the PDPTE.
 */
static bool pae_pdpte_gap(enum emu_l2 m, uint64_t exit)
{
	uint64_t pdpte = *(volatile uint64_t *)l2_32.l2.pdpt_gva;

	if (m != EMU_L2_32_PAE || !args.pdpte_gap ||
	    exit != SVM_EXIT_EXCP_BASE + PF_VECTOR || !(pdpte & PDPTE_BIT5))
		return false;
	cur->emulator_gap = true;
	cur->gap_pdpte = pdpte;
	return true;
}

/* L2 in @m does @op (OUTSB or INSB) at @addr, on EMU_PORT. */
static uint64_t emu_run(enum emu_l2 m, enum nnpt_l2_32_op op, uint64_t addr)
{
	static const enum nnpt_l2_32_mode mode32[] = {
		[EMU_L2_32_NO_PAGING] = NNPT_L2_32_NO_PAGING,
		[EMU_L2_32_2LEVEL] = NNPT_L2_32_2LEVEL,
		[EMU_L2_32_PAE] = NNPT_L2_32_PAE,
	};
	volatile uint64_t *pdpt = (volatile uint64_t *)l2_32.l2.pdpt_gva;
	int i;

	if (m == EMU_L2_32_PAE && args.pdpte_gap)
		for (i = 0; i < 4; i++)
			pdpt[i] &= ~PDPTE_BIT5;
	if (m == EMU_L2_64)
		return nnpt_run(svm, op == NNPT_L2_32_OUTSB ? nnpt_l2_outsb : nnpt_l2_insb,
				addr, EMU_PORT, TLB_CONTROL_DO_NOTHING);
	/* Every 32-bit run flushes the ASID (see l2_32_load()). */
	return nnpt_run_32_op(svm, &l2_32.l2, mode32[m], op, addr, EMU_PORT,
			      TLB_CONTROL_FLUSH_ALL_ASID);
}

/*
 * OUTSB of D0's EMU_TAG through @data (PG_DATA), checked by the host on
 * the KVM_EXIT_IO; INSB of a byte the host supplies through @store
 * (PG_STORE), checked here in D1.  Both window pages are 4 KiB NPT leaves.
 */
static void emu_outsb_insb(enum emu_l2 m, uint64_t data, uint64_t store)
{
	volatile uint64_t *word = (volatile uint64_t *)(args.data_gva[1] + (OFF_INS & ~7));
	uint8_t in = 0x50 + m;
	uint64_t exit;

	intercept_io_but_emu_port();
	GUEST_SYNC_ARGS(SYNC_EMU, EMU_OUT, 0, 0, 0);
	exit = emu_run(m, NNPT_L2_32_OUTSB, data + OFF_OUTS);
	if (pae_pdpte_gap(m, exit)) {
		/* No I/O came; the host must not wait for it. */
		GUEST_SYNC_ARGS(SYNC_EMU, EMU_NONE, 0, 0, 0);
		return;
	}
	if (!EXPECT("L2 OUTSB (emulated): #VMEXIT code (VMMCALL after it)", exit,
		    SVM_EXIT_VMMCALL))
		return;
	*word = 0;
	GUEST_SYNC_ARGS(SYNC_EMU, EMU_IN, in, 0, 0);
	exit = emu_run(m, NNPT_L2_32_INSB, store + OFF_INS);
	if (EXPECT("L2 INSB (emulated): #VMEXIT code (VMMCALL after it)", exit,
		   SVM_EXIT_VMMCALL))
		EXPECT("D1's word after L2's INSB: the host's byte at OFF_INS, nothing else",
		       *word, (uint64_t)in << (8 * (OFF_INS & 7)));
}

static void case_emu_64(void)
{
	emu_outsb_insb(EMU_L2_64, VA(PG_DATA), VA(PG_STORE));
}

/* Paging off: nonpaging_gva_to_gpa(), the L2 GPA itself goes to the NPT. */
static void case_emu_32_no_paging(void)
{
	emu_outsb_insb(EMU_L2_32_NO_PAGING, WIN_PAGE(PG_DATA), WIN_PAGE(PG_STORE));
}

/* 2-level paging: paging32_gva_to_gpa(), 4-byte entries. */
static void case_emu_32_2level(void)
{
	emu_outsb_insb(EMU_L2_32_2LEVEL, L2_32_VA_DATA, L2_32_VA_STORE);
}

/* PAE paging: paging64_gva_to_gpa() from the PDPTEs (kvm_pdptr_read()). */
static void case_emu_32_pae(void)
{
	emu_outsb_insb(EMU_L2_32_PAE, L2_32_VA_DATA, L2_32_VA_STORE);
}

/*
 * An emulated OUTSB from PG_ABSENT, whose NPT leaf is not present, in
 * every L2 mode: the emulator's read fails in L1's NPT, which is
 * #VMEXIT(NPF) for L1 as if the CPU had made the access (APM 15.25.6):
 * EXITINFO2 the L2 GPA of the access, EXITINFO1 bit 32 (final
 * translation) and the error code of a not-present user read (U; nested
 * walks are user accesses), and no I/O.  KVM hands the walk's fault to
 * nested_svm_inject_npf_exit() (svm/nested.c), which, as the exit it is
 * handling is IOIO and not NPF, makes EXITINFO1 = bit 32 | the error code
 * and EXITINFO2 = fault->address.  That address is what
 * FNAME(walk_addr_generic) (paging_tmpl.h) gave translate_nested_gpa():
 * gfn_to_gpa(gfn), the page of the final GPA, without the offset.  The
 * APM's EXITINFO2 is the faulting address, as for the CPU's NPFs (checked
 * with an offset by npf_not_present_pte_read); the page-aligned one is a
 * KVM deviation, reported as XFAIL, any other value fails.
 */
static bool npf_emu_outsb(enum emu_l2 m, uint64_t absent)
{
	uint64_t gpa = WIN_PAGE(PG_ABSENT) + OFF_OUTS;
	uint64_t exit = emu_run(m, NNPT_L2_32_OUTSB, absent + OFF_OUTS);
	struct nnpt_npf f = nnpt_npf(svm);

	if (pae_pdpte_gap(m, exit))
		return true;
	if (!EXPECT("emulated OUTSB from an L2 GPA without NPT leaf: #VMEXIT code (NPF)",
		    exit, SVM_EXIT_NPF) ||
	    !EXPECT("EXITINFO1[33:32] (final translation, not a guest page-table walk)",
		    f.info1 & NPF_WHERE, PFERR_GUEST_FINAL_MASK) ||
	    !EXPECT("EXITINFO1[31:0] (error code: U, a not-present read)",
		    f.info1 & NPF_ERROR_CODE, PFERR_USER_MASK) ||
	    !EXPECT("EXITINFO2 page (the L2 GPA of the OUTSB's operand)",
		    f.gpa & ~(PAGE_SIZE - 1), WIN_PAGE(PG_ABSENT)))
		return false;
	if (f.gpa == gpa)
		return true;
	if (f.gpa == WIN_PAGE(PG_ABSENT)) {
		/* The values, for the host to print with the XFAIL. */
		cur->seen = f.gpa;
		cur->want = gpa;
		cur->xfail_info1 = f.info1;
		cur->xfail = 1 + DEFECT_NESTED_EMULATED_NPF_EXITINFO2;
		return true;
	}
	return EXPECT("EXITINFO2 (the L2 GPA of the OUTSB's operand)", f.gpa, gpa);
}

/*
 * An emulated OUTSB whose operand needs an L2 page table that L1's NPT
 * does not map (NPT_WALK, as npf_on_guest_page_table_walk for the CPU's
 * own walk): #VMEXIT(NPF) with EXITINFO1 bit 33 (an access of L2's page
 * walk), not bit 32, P=0 and U, and EXITINFO2 the L2 GPA of the access,
 * i.e. of the entry that table has for the operand (APM 15.25.6).  The
 * operand is on window page PG_STORE, whose entry is not at offset 0.
 * 6.12 reports bit 32: FNAME(walk_addr_generic) passes
 * PFERR_GUEST_PAGE_MASK to kvm_translate_gpa(), but struct x86_exception
 * keeps a 16-bit error code and nested_svm_inject_npf_exit() sets bit 32
 * for every NPF it makes up (its TODO, and the FIXME after that call in
 * paging_tmpl.h).  6.12 and 7.3 report the table's page as EXITINFO2:
 * the walk translates gfn_to_gpa(table_gfn), not the entry's address.
 * Those exact deviations are XFAIL; anything else fails.
 */
static void case_npf_emu_page_walk(void)
{
	const uint64_t va = VA(PG_STORE) + OFF_OUTS;
	const uint64_t pte_gpa = args.l1_pt_gpa + ((va >> PAGE_SHIFT) & 511) * 8;
	struct nnpt_npf f;
	uint64_t exit;

	intercept_io_but_emu_port();
	nnpt_set_ncr3(svm, args.ncr3[NPT_WALK]);
	exit = emu_run(EMU_L2_64, NNPT_L2_32_OUTSB, va);
	f = nnpt_npf(svm);
	nnpt_set_ncr3(svm, ncr3_a());
	if (!EXPECT("emulated OUTSB, L2's page table not in the NPT: #VMEXIT code (NPF)",
		    exit, SVM_EXIT_NPF) ||
	    !EXPECT("EXITINFO2 page (L1's page table for the VA)", f.gpa & ~(PAGE_SIZE - 1),
		    args.l1_pt_gpa) ||
	    !EXPECT("EXITINFO1 P, U, RSV, ID (not present, user)",
		    f.info1 & (PFERR_PRESENT_MASK | PFERR_USER_MASK | PFERR_RSVD_MASK |
			       PFERR_FETCH_MASK), PFERR_USER_MASK))
		return;
	if ((f.info1 & NPF_WHERE) == PFERR_GUEST_FINAL_MASK) {
		cur->seen = cur->want = f.gpa;
		cur->xfail_info1 = f.info1;
		cur->xfail = 1 + DEFECT_NESTED_EMULATED_NPF_WALK_BIT;
		return;
	}
	if (!EXPECT("EXITINFO1[33:32] (an access of L2's page walk)",
		    f.info1 & NPF_WHERE, PFERR_GUEST_PAGE_MASK))
		return;
	if (f.gpa == args.l1_pt_gpa && pte_gpa != args.l1_pt_gpa) {
		cur->seen = f.gpa;
		cur->want = pte_gpa;
		cur->xfail_info1 = f.info1;
		cur->xfail = 1 + DEFECT_NESTED_EMULATED_NPF_EXITINFO2;
		return;
	}
	EXPECT("EXITINFO2 (the entry of L1's page table for the operand)", f.gpa, pte_gpa);
}

static void case_npf_emu(void)
{
	intercept_io_but_emu_port();
	(void)(npf_emu_outsb(EMU_L2_64, VA(PG_ABSENT)) &&
	       npf_emu_outsb(EMU_L2_32_NO_PAGING, WIN_PAGE(PG_ABSENT)) &&
	       npf_emu_outsb(EMU_L2_32_2LEVEL, L2_32_VA_ABSENT) &&
	       npf_emu_outsb(EMU_L2_32_PAE, L2_32_VA_ABSENT));
}

/* nCR3 bits 3 and 4 are PWT and PCD for the NPT root, not address bits. */
static void case_ncr3_low_bits(void)
{
	nnpt_set_ncr3(svm, ncr3_a() | NCR3_PWT | NCR3_PCD);
	l2_load(VA(PG_DATA), TAG(0), 0);
	nnpt_set_ncr3(svm, args.ncr3[1] | NCR3_PWT | NCR3_PCD);
	l2_load(VA(PG_DATA), TAG(2), 0);
	nnpt_set_ncr3(svm, ncr3_a());
	l2_load(VA(PG_DATA), TAG(0), 0);
}

static void case_1g_leaf(void)
{
	if (!args.gbpages) {
		cur->skipped = "L1 has no 1 GiB pages (CPUID 0x80000001 EDX.Page1GB)";
		return;
	}
	l2_load(GB_VA, TAG(0), 0);
}

/* A non-leaf change: A's PDE for the window points to another table. */
static void case_pde_change_flush(void)
{
	uint64_t old;
	int round;

	for (round = 0; round < 2; round++) {
		old = npt_set_entry(pool, ncr3_a(), WIN_GPA, NPT_LEVEL_2M,
				    args.alt_pt_gpa | NPT_RW);
		if (!l2_load(VA(PG_DATA), TAG(3), TLB_CONTROL_FLUSH_ALL_ASID) ||
		    !l2_load(VA(PG_RO), TAG(5), 0))
			break;
		npt_set_entry(pool, ncr3_a(), WIN_GPA, NPT_LEVEL_2M, old);
		if (!l2_load(VA(PG_DATA), TAG(0), TLB_CONTROL_FLUSH_ALL_ASID))
			break;
	}
	npt_set_entry(pool, ncr3_a(), WIN_GPA, NPT_LEVEL_2M, old);
}

/*
 * L1 changes a leaf and runs L2 first without the flush it owes, then
 * with it.  Without it L2 may use the old entry or the new one, nothing
 * else: translations are tagged by ASID, not by nCR3 or by table
 * contents, and TLB_CONTROL on VMRUN is how a VMM drops them (APM vol. 2,
 * 15.16.1-15.16.2).  With TLB_CONTROL 1 (all ASIDs), 3 (this guest's
 * ASID) or 7 (its non-global entries; L1's page tables, which L2 uses,
 * have G clear) L2 must use the new entry.  KVM 6.12 syncs the shadow NPT
 * and flushes on every nested VMRUN whatever TLB_CONTROL says
 * (nested_svm_transition_tlb_flush(), svm/nested.c; its TODO lists
 * honouring L1's TLB_CONTROL) and offers L1 FLUSHBYASID on that ground
 * (svm_set_cpu_caps()).  The leaves here are in a level-1 NPT table, whose
 * shadow page L1's write lets go unsync (mmu_try_to_unsync_pages()), so
 * only that sync brings the new entry to L2: a KVM that syncs only for
 * some TLB_CONTROL values fails here, one that skips the sync when no
 * flush is asked for passes (the host prints how often L2 then used the
 * old entry).
 */
static const uint8_t owed_flushes[] = {
	TLB_CONTROL_FLUSH_ASID, TLB_CONTROL_FLUSH_ASID_LOCAL, TLB_CONTROL_FLUSH_ALL_ASID,
};

/* TLB_CONTROL 3 and 7 need CPUID 0x8000000A EDX.FlushByAsid (APM 15.16.1). */
#define X86_FEATURE_FLUSHBYASID_L1	KVM_X86_CPU_FEATURE(0x8000000A, 0, EDX, 6)

static bool skip_without_flushbyasid(uint8_t tlb_ctl)
{
	if (tlb_ctl == TLB_CONTROL_FLUSH_ALL_ASID || this_cpu_has(X86_FEATURE_FLUSHBYASID_L1))
		return false;
	cur->unchecked = "TLB_CONTROL 3 and 7: L1 has no FlushByAsid in CPUID";
	return true;
}

/* L2 loads @va without the owed flush: the old entry's value or the new one's. */
static bool l2_load_old_or_new(uint64_t va, uint64_t old, uint64_t new)
{
	uint64_t exit = nnpt_run(svm, nnpt_l2_load, va, 0, TLB_CONTROL_DO_NOTHING);

	if (!EXPECT("L2 load without the owed flush: #VMEXIT code", exit, SVM_EXIT_VMMCALL))
		return false;
	if (nnpt_l2_result(svm) == old) {
		cur->stale++;
		return true;
	}
	cur->fresh++;
	return EXPECT("L2 load without the owed flush: the new entry's value (or the old one's)",
		      nnpt_l2_result(svm), new);
}

/*
 * Run @round once per owed flush (TLB_CONTROL 3, 7, 1), until one fails:
 * each round warms KVM's shadow SPTE, changes the leaf, runs L2 without
 * the flush and then with it, and puts the leaf back with that flush.
 */
static void for_each_owed_flush(bool (*round)(uint8_t tlb_ctl))
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(owed_flushes); i++) {
		if (skip_without_flushbyasid(owed_flushes[i]))
			continue;
		cur->flush = owed_flushes[i];
		if (!round(owed_flushes[i]))
			break;
	}
}

static void set_data_leaf(uint64_t pte)
{
	npt_set_entry(pool, ncr3_a(), WIN_PAGE(PG_DATA), NPT_LEVEL_4K, pte);
}

static bool frame_change_round(uint8_t flush)
{
	/* KVM has a shadow SPTE for the old frame. */
	if (!l2_load(VA(PG_DATA), TAG(0), 0))
		return false;
	set_data_leaf(args.data_gpa[3] | NPT_RW);
	if (!l2_load_old_or_new(VA(PG_DATA), TAG(0), TAG(3)) ||
	    !l2_load(VA(PG_DATA), TAG(3), flush))
		return false;
	set_data_leaf(args.data_gpa[0] | NPT_RW);
	return l2_load(VA(PG_DATA), TAG(0), flush);
}

static void case_frame_change_owed_flush(void)
{
	for_each_owed_flush(frame_change_round);
	set_data_leaf(args.data_gpa[0] | NPT_RW);
}

/* D1 at this offset is written by this case only. */
#define OFF_OWED	0x28
#define OWED_VA		(VA(PG_STORE) + OFF_OWED)
#define OWED_GPA	(WIN_PAGE(PG_STORE) + OFF_OWED)

static uint64_t owed_word(void)
{
	return data_at(1, OFF_OWED);
}

static void set_store_leaf(uint64_t pte)
{
	npt_set_entry(pool, ncr3_a(), WIN_PAGE(PG_STORE), NPT_LEVEL_4K, pte);
}

static bool write_protect_round(uint8_t flush)
{
	uint64_t exit, before;

	/* KVM has a writable shadow SPTE. */
	if (!l2_store(OWED_VA, 1, 0))
		return false;
	set_store_leaf(args.data_gpa[1] | NPT_RO);
	exit = nnpt_run(svm, nnpt_l2_store, OWED_VA, 2, TLB_CONTROL_DO_NOTHING);
	if (exit == SVM_EXIT_VMMCALL) {
		cur->stale++;
		if (!EXPECT("store without the owed flush, through the old writable entry",
			    owed_word(), 2))
			return false;
	} else {
		cur->fresh++;
		if (!expect_npf(exit, OWED_GPA, PFERR_PRESENT_MASK | PFERR_WRITE_MASK |
				PFERR_USER_MASK) ||
		    !EXPECT("page after a store that faulted", owed_word(), 1))
			return false;
	}
	before = owed_word();
	exit = nnpt_run(svm, nnpt_l2_store, OWED_VA, 3, flush);
	if (!expect_npf(exit, OWED_GPA, PFERR_PRESENT_MASK | PFERR_WRITE_MASK | PFERR_USER_MASK) ||
	    !EXPECT("page after a store that faulted", owed_word(), before))
		return false;
	set_store_leaf(args.data_gpa[1] | NPT_RW);
	return l2_store(OWED_VA, 4, flush) &&
	       EXPECT("store after write access came back", owed_word(), 4);
}

static void case_write_protect_owed_flush(void)
{
	for_each_owed_flush(write_protect_round);
	set_store_leaf(args.data_gpa[1] | NPT_RW);
}

static bool unmap_and_map_round(uint8_t flush)
{
	uint64_t exit;

	if (!l2_load(VA(PG_DATA), TAG(0), 0))
		return false;
	set_data_leaf(0);
	exit = nnpt_run(svm, nnpt_l2_load, VA(PG_DATA), 0, TLB_CONTROL_DO_NOTHING);
	if (exit == SVM_EXIT_VMMCALL) {
		cur->stale++;
		if (!EXPECT("load without the owed flush, through the old entry",
			    nnpt_l2_result(svm), TAG(0)))
			return false;
	} else {
		cur->fresh++;
		if (!expect_npf(exit, WIN_PAGE(PG_DATA), PFERR_USER_MASK))
			return false;
	}
	exit = nnpt_run(svm, nnpt_l2_load, VA(PG_DATA), 0, flush);
	if (!expect_npf(exit, WIN_PAGE(PG_DATA), PFERR_USER_MASK))
		return false;
	/* Mapped again: the NPF (old) or the page (new), then the page. */
	set_data_leaf(args.data_gpa[0] | NPT_RW);
	exit = nnpt_run(svm, nnpt_l2_load, VA(PG_DATA), 0, TLB_CONTROL_DO_NOTHING);
	if (exit == SVM_EXIT_NPF) {
		cur->stale++;
		if (!expect_npf(exit, WIN_PAGE(PG_DATA), PFERR_USER_MASK))
			return false;
	} else {
		cur->fresh++;
		if (!EXPECT("load without the owed flush, through the new entry: #VMEXIT code",
			    exit, SVM_EXIT_VMMCALL) ||
		    !EXPECT("load without the owed flush, through the new entry",
			    nnpt_l2_result(svm), TAG(0)))
			return false;
	}
	return l2_load(VA(PG_DATA), TAG(0), flush);
}

/* Unmap, then map again, each first without the flush, then with it. */
static void case_unmap_owed_flush(void)
{
	for_each_owed_flush(unmap_and_map_round);
	set_data_leaf(args.data_gpa[0] | NPT_RW);
}

/* The CPUID KVM gives L1 says whether it offers nested paging. */
static void case_l1_cpuid(void)
{
	EXPECT("L1 CPUID 0x8000000A EDX.NP == KVM's supported CPUID",
	       this_cpu_has(X86_FEATURE_NPT), args.npt);
}

/*
 * Without NPT for L1 (CPUID Fn8000_000A_EDX[NP] = 0), VMRUN with NP_ENABLE:
 * the APM's consistency checks (vol. 2, 15.5.1) do not list it, so either
 * outcome is allowed: #VMEXIT(INVALID) (6.12: __nested_vmcb_check_controls(),
 * svm/nested.c) or the bit ignored and L2 run without nested paging (7.1+:
 * __nested_copy_vmcb_control_to_cache() clears it, "KVM: nSVM: Drop the
 * non-architectural consistency check for NP_ENABLE").  Not allowed: L2
 * translated through the NPT at nCR3, any other exit.
 */
static void case_np_enable_without_npt(void)
{
	uint64_t exit;

	if (args.npt) {
		cur->skipped = "KVM offers L1 nested paging";
		return;
	}
	svm->vmcb->control.misc_ctl |= SVM_MISC_ENABLE_NP;
	svm->vmcb->control.nested_cr3 = ncr3_a();
	exit = nnpt_run(svm, nnpt_l2_load, args.data_gva[0], 0, 0);
	if (exit == SVM_EXIT_ERR)
		return;
	/* NP_ENABLE ignored: L2 runs on L1's page tables, L2 GPA = L1 GPA. */
	if (EXPECT("#VMEXIT code (VMEXIT_INVALID, or VMMCALL with NP_ENABLE ignored)",
		   exit, SVM_EXIT_VMMCALL))
		EXPECT("L2 load with NP_ENABLE ignored (through L1's tables)",
		       nnpt_l2_result(svm), TAG(0));
}

/* nCR3 must be a legal GPA (__nested_vmcb_check_controls(), svm/nested.c). */
static void case_illegal_ncr3(void)
{
	uint64_t exit;

	if (!args.npt) {
		cur->skipped = "KVM offers L1 no nested paging";
		return;
	}
	if (!args.illegal_gpa) {
		cur->skipped = "L1's MAXPHYADDR is 52";
		return;
	}
	svm->vmcb->control.misc_ctl |= SVM_MISC_ENABLE_NP;
	nnpt_set_ncr3(svm, args.illegal_gpa);
	exit = nnpt_run(svm, nnpt_l2_load, VA(PG_DATA), 0, 0);
	EXPECT("#VMEXIT code (VMEXIT_INVALID)", exit, SVM_EXIT_ERR);
	nnpt_set_ncr3(svm, ncr3_a());
	l2_load(VA(PG_DATA), TAG(0), 0);
}

/* No nested paging: L2 GPA == L1 GPA, through L1's page tables. */
static void case_l2_without_np(void)
{
	l2_load(args.data_gva[0], TAG(0), 0);
	if (l2_store(args.data_gva[1] + OFF_R, STORE_VAL, 0))
		EXPECT("L1 reads what L2 stored", data_at(1, OFF_R), STORE_VAL);
	l2_load((uint64_t)&ident_word, IDENT_VAL, 0);
}

/*
 * The walk of L1's NPT sets Accessed in every entry it uses and Dirty in
 * the leaf of a write, as for any long-mode page table (APM 5.4.2; nested
 * walks use the host's format, 15.25.5).  KVM does it for the CPU in
 * FNAME(update_accessed_dirty_bits) (paging_tmpl.h).  Dirty is set only
 * by writes.
 */
static void case_accessed_dirty(void)
{
	uint64_t leaf;
	int level;

	leaf = npt_get_entry(pool, ncr3_a(), WIN_PAGE(PG_AD), NPT_LEVEL_4K);
	if (!EXPECT("leaf before L2 uses it: A, D", leaf & (NPT_A | NPT_D), 0))
		return;
	if (!l2_load(VA(PG_AD), TAG(0), 0))
		return;
	leaf = npt_get_entry(pool, ncr3_a(), WIN_PAGE(PG_AD), NPT_LEVEL_4K);
	EXPECT("leaf after an L2 read: A, D", leaf & (NPT_A | NPT_D), NPT_A);
	for (level = pool->levels; level > NPT_LEVEL_4K; level--)
		EXPECT("table entries above the leaf after an L2 read: A",
		       npt_get_entry(pool, ncr3_a(), WIN_PAGE(PG_AD), level) & NPT_A, NPT_A);
	if (!l2_store(VA(PG_AD) + OFF_W, STORE_VAL, 0))
		return;
	leaf = npt_get_entry(pool, ncr3_a(), WIN_PAGE(PG_AD), NPT_LEVEL_4K);
	EXPECT("leaf after an L2 write: A, D", leaf & (NPT_A | NPT_D), NPT_A | NPT_D);
	EXPECT("L1 reads what L2 stored", data_at(0, OFF_W), STORE_VAL);
}

static void l1_guest_code(void)
{
	unsigned int i;

	svm = (struct svm_test_data *)args.svm_gva;
	pool = (struct npt_pool *)args.pool_gva;
	for (i = 0; i < NR_CASES; i++) {
		cur = &results[i];
		GUEST_SYNC(i);
		if (cases[i].np && !args.npt) {
			cur->skipped = "KVM offers L1 no nested paging (no NPT in its CPUID)";
			cur->ran = 1;
			continue;
		}
		if (cases[i].np || args.npt)
			nnpt_svm_setup(svm, ncr3_a());
		else
			nnpt_svm_setup_no_np(svm);
		if (!cases[i].np)
			svm->vmcb->control.misc_ctl = 0;
		cases[i].fn();
		if (!cur->failed) {
			cur->exit_code = vmcb_exit_code(&svm->vmcb->control);
			cur->info1 = svm->vmcb->control.exit_info_1;
			cur->info2 = svm->vmcb->control.exit_info_2;
		}
		cur->ran = 1;
	}
	GUEST_DONE();
}

/* ---- host ---- */

/* movabs $CODE_VAL, %rax; vmmcall; ud2 */
static void write_code(uint8_t *p)
{
	uint64_t val = CODE_VAL;

	p[0] = 0x48;
	p[1] = 0xb8;
	memcpy(&p[2], &val, 8);
	p[10] = 0x0f;
	p[11] = 0x01;
	p[12] = 0xd9;
	p[13] = 0x0f;
	p[14] = 0x0b;
}

/* L1 GPA of L1's page table (level 1) that maps @va. */
static uint64_t l1_page_table(struct kvm_vm *vm, uint64_t va)
{
	uint64_t e = *vm_guest_entry(vm, va, 2);

	TEST_ASSERT((e & GP_P) && !(e & GP_PS), "L1's PDE for 0x%lx: 0x%lx", va, e);
	return e & NPT_ADDR_MASK;
}

/* NPT @n: L1 memory at L2 GPA == L1 GPA, and the window. */
static uint64_t make_npt(struct npt_pool *p, struct kvm_vm *vm, int n)
{
	uint64_t ncr3 = npt_new(p);

	npt_map_identity(p, ncr3, vm);
	npt_map(p, ncr3, WIN_PAGE(PG_DATA), args.data_gpa[2 * n], NPT_LEVEL_4K, NPT_RW);
	npt_map(p, ncr3, WIN_PAGE(PG_STORE), args.data_gpa[1], NPT_LEVEL_4K, NPT_RW);
	npt_map(p, ncr3, WIN_PAGE(PG_RO), args.data_gpa[5], NPT_LEVEL_4K, NPT_RO);
	npt_map(p, ncr3, WIN_PAGE(PG_X), args.data_gpa[CODE_PAGE], NPT_LEVEL_4K, NPT_RW);
	npt_map(p, ncr3, WIN_PAGE(PG_NX), args.data_gpa[CODE_PAGE], NPT_LEVEL_4K,
		NPT_RW | NPT_NX);
	npt_map(p, ncr3, WIN_PAGE(PG_RSVD), args.data_gpa[0], NPT_LEVEL_4K, NPT_RW);
	npt_map(p, ncr3, WIN_PAGE(PG_AD), args.data_gpa[0], NPT_LEVEL_4K, NPT_RW);
	*npt_entry(p, ncr3, WIN_PAGE(PG_RSVD), NPT_LEVEL_4K, false) |= args.rsvd_bit;
	if (args.gbpages)
		npt_map(p, ncr3, GB_GPA, 0, NPT_LEVEL_1G, NPT_RW);
	/* PG_ABSENT: its page table exists, its PTE does not. */
	TEST_ASSERT(!npt_get_entry(p, ncr3, WIN_PAGE(PG_ABSENT), NPT_LEVEL_4K),
		    "window page %d must start unmapped", PG_ABSENT);
	return ncr3;
}

/* 32-bit L2: its code and tables, mapping L2_32_VA_* to window pages. */
static void make_l2_32(struct kvm_vm *vm)
{
	int mode;

	nnpt_l2_32_create(vm, &l2_32.l2);
	nnpt_l2_32_map(vm, &l2_32.l2, L2_32_VA_DATA, WIN_PAGE(PG_DATA));
	nnpt_l2_32_map(vm, &l2_32.l2, L2_32_VA_ABSENT, WIN_PAGE(PG_ABSENT));
	nnpt_l2_32_map(vm, &l2_32.l2, L2_32_VA_STORE, WIN_PAGE(PG_STORE));
	for (mode = NNPT_L2_32_2LEVEL; mode <= NNPT_L2_32_PAE; mode++) {
		l2_32.pt_gpa[mode] = nnpt_l2_32_page_table(vm, &l2_32.l2, mode, L2_32_VA_DATA);
		TEST_ASSERT(l2_32.pt_gpa[mode] !=
			    nnpt_l2_32_page_table(vm, &l2_32.l2, mode, l2_32.l2.code_gpa),
			    "L2 mode %d: the code and L2_32_VA_DATA share a page table", mode);
	}
	sync_global_to_guest(vm, l2_32);
}

static unsigned int mmio_exits[NR_CASES];

/*
 * L1's IOPM (APM 15.10.1: 12 KiB, one bit per port, set = intercepted):
 * every port but EMU_PORT, so that only L2's emulated string I/O there
 * reaches the host.
 */
static uint64_t make_iopm(struct kvm_vm *vm)
{
	const size_t size = 3 * PAGE_SIZE;
	uint64_t gpa = vm_phy_pages_alloc(vm, size / PAGE_SIZE,
					  KVM_GUEST_PAGE_TABLE_MIN_PADDR, 0);
	uint8_t *iopm = addr_gpa2hva(vm, gpa);

	memset(iopm, 0xff, size);
	iopm[EMU_PORT / 8] &= ~BIT(EMU_PORT % 8);
	return gpa;
}

static const char *tlb_control_name(uint64_t tlb_ctl)
{
	switch (tlb_ctl) {
	case TLB_CONTROL_FLUSH_ALL_ASID:
		return "; owed flush: TLB_CONTROL 1 (all ASIDs)";
	case TLB_CONTROL_FLUSH_ASID:
		return "; owed flush: TLB_CONTROL 3 (this guest's ASID)";
	case TLB_CONTROL_FLUSH_ASID_LOCAL:
		return "; owed flush: TLB_CONTROL 7 (this guest's non-global entries)";
	}
	return "; owed flush: TLB_CONTROL ?";
}

static const char *pdpte_text(uint64_t pdpte)
{
	static char buf[160];

	snprintf(buf, sizeof(buf),
		 "L2's PDPTE 0 0x%lx had reserved bit 5 set at the I/O intercept, so the emulator's fetch took #PF: ",
		 pdpte);
	return buf;
}

/* Each case ends in a ucall within milliseconds, even under TCG. */
#define CASE_TIMEOUT_S	30

static void on_alarm(int sig)
{
}

/*
 * KVM_RUN, interrupted after CASE_TIMEOUT_S (a signal makes KVM_RUN return
 * -EINTR, which the framework's vcpu_run() would retry).  Returns false
 * if it was.
 */
static bool run_vcpu(struct kvm_vcpu *vcpu)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	int r;

	sigaction(SIGALRM, &sa, NULL);
	alarm(CASE_TIMEOUT_S);
	r = ioctl(vcpu->fd, KVM_RUN, NULL);
	alarm(0);
	if (r < 0 && errno == EINTR)
		return false;
	TEST_ASSERT(!r, "KVM_RUN: %s", strerror(errno));
	return true;
}

/*
 * No access of this test reaches a GPA outside L1's memory: L2's window
 * GPAs are translated by the NPT, or fault.  An MMIO exit means KVM let an
 * access through to a frame that does not exist (e.g. it followed an NPT
 * entry with a reserved address bit).  Count it against the case, complete
 * it (reads return 0) and go on, so the other cases still report.
 */
static void mmio_exit(struct kvm_vcpu *vcpu, unsigned int c)
{
	struct kvm_run *run = vcpu->run;

	if (mmio_exits[c]++ < 4)
		ksft_print_msg("%s: KVM_EXIT_MMIO, %s of %u bytes at GPA 0x%llx\n",
			       cases[c].name, run->mmio.is_write ? "write" : "read",
			       run->mmio.len, run->mmio.phys_addr);
	TEST_ASSERT(mmio_exits[c] < 1000, "%s: MMIO exit storm", cases[c].name);
	if (!run->mmio.is_write)
		memset(run->mmio.data, 0, sizeof(run->mmio.data));
}

/*
 * L2's emulated OUTSB/INSB on EMU_PORT.  L1 announces each one
 * (SYNC_EMU); the exit must be that one, once: an OUT of EMU_TAG(i), the
 * byte the host put in the data page L2's operand maps to, or an IN,
 * answered with the byte L1 chose.  Anything else on EMU_PORT (a second
 * exit, a wrong byte, size or count, an announced exit that never came)
 * fails the case.
 */
static struct {
	bool armed;
	uint64_t dir;
	uint8_t byte;
} emu_want;
static unsigned int emu_exits[NR_CASES], emu_bad[NR_CASES];

/* An announced exit that never came fails case @c. */
static void emu_check_consumed(unsigned int c)
{
	if (!emu_want.armed)
		return;
	emu_want.armed = false;
	emu_bad[c]++;
	ksft_print_msg("%s: L2's emulated %s on port 0x%x never reached the host\n",
		       cases[c].name, emu_want.dir == EMU_OUT ? "OUTSB" : "INSB", EMU_PORT);
}

static void emu_announce(unsigned int c, uint64_t dir, uint64_t arg)
{
	TEST_ASSERT((dir == EMU_OUT || dir == EMU_IN || dir == EMU_NONE) && arg < 256,
		    "bad SYNC_EMU %lu, %lu", dir, arg);
	if (dir == EMU_NONE) {
		emu_want.armed = false;
		return;
	}
	emu_check_consumed(c);
	emu_want.armed = true;
	emu_want.dir = dir;
	emu_want.byte = dir == EMU_OUT ? EMU_TAG(arg) : arg;
}

static void emu_exit(struct kvm_vcpu *vcpu, unsigned int c)
{
	struct kvm_run *run = vcpu->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool out = run->io.direction == KVM_EXIT_IO_OUT;
	bool want = emu_want.armed && emu_want.dir == (out ? EMU_OUT : EMU_IN);

	emu_exits[c]++;
	TEST_ASSERT(emu_exits[c] < 1000, "%s: I/O exit storm on port 0x%x", cases[c].name,
		    EMU_PORT);
	emu_want.armed = false;
	if (!want || run->io.size != 1 || run->io.count != 1) {
		emu_bad[c]++;
		ksft_print_msg("%s: unexpected KVM_EXIT_IO on port 0x%x: %s, %u x %u bytes, first 0x%02x\n",
			       cases[c].name, EMU_PORT, out ? "out" : "in", run->io.count,
			       run->io.size, out ? data[0] : 0);
		if (!out)
			memset(data, 0, run->io.size * run->io.count);
		return;
	}
	if (!out) {
		data[0] = emu_want.byte;
	} else if (data[0] != emu_want.byte) {
		emu_bad[c]++;
		ksft_print_msg("%s: L2's emulated OUTSB gave the host 0x%02x, the page its operand maps to has 0x%02x\n",
			       cases[c].name, data[0], emu_want.byte);
	}
}

/* ---- host: introspection of the shadow NPT ---- */

static struct kvm_mmu_config cfg;
static struct kvm_trace *trace;
static char phase_names[NR_CASES + 1][KVM_MMU_PHASE_NAME_LEN];
#define MAX_PAGES	512

static void phase(const char *name)
{
	if (!trace)
		return;
	if (kvm_trace_phase(trace) >= 0)
		kvm_trace_stop(trace);
	if (name)
		kvm_trace_start(trace, name);
}

static int role(uint32_t word, const char *field)
{
	return kvm_role_get(&kvm_trace_model(trace)->layout, word, field);
}

static size_t npt_pages(struct kvm_mmu_page_summary *pages)
{
	size_t n, total;

	n = kvm_mmu_model_pages(kvm_trace_model(trace), pages, MAX_PAGES, &total);
	TEST_ASSERT(n == total, "more than %d shadow pages", MAX_PAGES);
	return n;
}

static bool is_npt_page(uint32_t word)
{
	return role(word, "guest_mode") == 1 && !role(word, "direct");
}

/*
 * The root of a shadow NPT has role.passthrough iff it is a level-5 root
 * over a 4-level NPT (kvm_init_shadow_npt_mmu(): root_role.level is the
 * TDP level, the NPT's is L1's, npt_pool.levels).
 */
static bool root_passthrough(const struct npt_pool *p)
{
	return cfg.host_paging_levels == 5 && p->levels == 4;
}

/*
 * Every shadow page of L1's NPT has guest_mode=1 and 8-byte gptes, a level
 * from 1 up to the root's, KVM's TDP level (the host's paging depth on
 * AMD), and passthrough only at the root (root_passthrough()).
 */
static bool check_roles(struct kvm_mmu_page_summary *pages, size_t n, const struct npt_pool *p)
{
	int tdp_level = cfg.host_paging_levels;
	size_t i, npt = 0, by_level[6] = { 0 }, passthrough_pages = 0;
	bool ok = true;

	for (i = 0; i < n; i++) {
		uint32_t w = pages[i].role;
		int level = role(w, "level");
		bool passthrough = role(w, "passthrough") == 1;

		if (!is_npt_page(w))
			continue;
		npt++;
		by_level[level >= 1 && level <= 5 ? level : 0]++;
		passthrough_pages += passthrough;
		if (role(w, "has_4_byte_gpte") ||
		    level < 1 || level > tdp_level ||
		    passthrough != (level == tdp_level && root_passthrough(p))) {
			ksft_print_msg("shadow NPT page gfn 0x%lx role 0x%x: level %d, has_4_byte_gpte %d, passthrough %d; expected 8-byte gptes, level 1..%d, passthrough only at level 5 over a 4-level NPT (this one: %d-level)\n",
				       pages[i].gfn, w, level, role(w, "has_4_byte_gpte"),
				       passthrough, tdp_level, p->levels);
			ok = false;
		}
	}
	ksft_print_msg("shadow NPT pages (guest_mode=1, direct=0): %zu; by level 5..1: %zu %zu %zu %zu %zu; passthrough: %zu\n",
		       npt, by_level[5], by_level[4], by_level[3], by_level[2], by_level[1],
		       passthrough_pages);
	if (!npt) {
		ksft_print_msg("no shadow page with guest_mode=1 and direct=0 was traced\n");
		ok = false;
	}
	return ok;
}

static bool has_page(struct kvm_mmu_page_summary *pages, size_t n, uint64_t gfn,
		     int level, int passthrough)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint32_t w = pages[i].role;

		if (is_npt_page(w) && pages[i].gfn == gfn && role(w, "level") == level &&
		    role(w, "passthrough") == passthrough)
			return true;
	}
	return false;
}

/*
 * Each NPT's root is a shadow page for nCR3's gfn at KVM's TDP level
 * (kvm_mmu_get_tdp_level(): 5 iff the host runs LA57, svm.c
 * get_npt_level()), passthrough over a 4-level NPT on a 5-level host
 * (root_passthrough()), and below the root, at each level, L1's table of
 * that level on the way to the window has its shadow page (FNAME(fetch),
 * paging_tmpl.h): the passthrough root's child is the page of nCR3's
 * table itself, and a 4-level root over a 5-level NPT skips L1's level-4
 * table (see the top of this file).
 */
static bool check_tables(struct kvm_mmu_page_summary *pages, size_t n, struct npt_pool *p)
{
	int tdp_level = cfg.host_paging_levels;
	bool passthrough = root_passthrough(p);
	bool ok = true;
	int i, level;

	for (i = 0; i < NR_SWITCH_NPTS; i++) {
		uint64_t ncr3 = args.ncr3[i];

		if (!has_page(pages, n, ncr3 >> PAGE_SHIFT, tdp_level, passthrough)) {
			ksft_print_msg("NPT %d (nCR3 0x%lx, %d-level): no level-%d root shadow page%s for its gfn\n",
				       i, ncr3, p->levels, tdp_level,
				       passthrough ? " with passthrough=1" : "");
			ok = false;
		}
		for (level = tdp_level - 1; level >= NPT_LEVEL_4K; level--) {
			uint64_t table = ncr3;

			if (level < p->levels)
				table = *npt_entry(p, ncr3, WIN_GPA, level + 1, false);
			table = (table & NPT_ADDR_MASK) >> PAGE_SHIFT;
			if (!has_page(pages, n, table, level, 0)) {
				ksft_print_msg("NPT %d: no level-%d shadow page (passthrough=0) for L1's table at gfn 0x%lx\n",
					       i, level, table);
				ok = false;
			}
		}
	}
	return ok;
}

/* After the warm-up, nCR3 switches among 3 NPTs create and zap nothing. */
static bool check_no_rebuild(int ph)
{
	struct kvm_mmu_model *m = kvm_trace_model(trace);
	size_t i, created = 0, zapped = 0;

	for (i = 0; i < m->nr_events; i++) {
		struct kvm_mmu_event *e = &m->events[i];

		if (e->phase != ph || !is_npt_page(e->role))
			continue;
		created += e->type == KVM_MMU_GET_PAGE && e->created;
		zapped += e->type == KVM_MMU_PREPARE_ZAP_PAGE;
	}
	ksft_print_msg("nCR3 switches after warm-up: %zu shadow NPT pages created, %zu zapped\n",
		       created, zapped);
	return !created && !zapped;
}

/*
 * L2 without nested paging never shares L1's roots: the root role has
 * guest_mode = is_guest_mode() (kvm_calc_cpu_role(); for TDP
 * kvm_calc_tdp_mmu_root_page_role(), mmu.c).  With TDP, L2 gets a direct
 * root at the TDP level; with shadow paging, a root for L2's CR3 (here
 * L1's page tables) at L2's paging depth, which is L1's, as L2 runs on
 * L1's CR4 (generic_svm_setup() copies it): role.base.level is 5 iff
 * CR4.LA57 (kvm_calc_cpu_role()).
 */
static bool check_l2_root(struct kvm_vm *vm)
{
	struct kvm_mmu_model *m = kvm_trace_model(trace);
	/*
	 * Created by then: an earlier case may have run L2 without nested
	 * paging first (vmrun_np_enable_without_npt_refused_or_ignored, when KVM
	 * ignores NP_ENABLE), whose root this case then reuses.
	 */
	int ph = kvm_mmu_model_phase(m, "l2_without_nested_paging");
	int level = cfg.tdp ? cfg.host_paging_levels : vm_mmu_levels(vm);
	size_t i, found = 0;

	for (i = 0; ph >= 0 && i < m->nr_events; i++) {
		struct kvm_mmu_event *e = &m->events[i];

		if (e->phase > ph || e->type != KVM_MMU_GET_PAGE || !e->created ||
		    role(e->role, "guest_mode") != 1 || role(e->role, "level") != level ||
		    role(e->role, "direct") != cfg.tdp)
			continue;
		if (!cfg.tdp && e->gfn != vm_mmu_pgd(vm) >> PAGE_SHIFT)
			continue;
		found++;
	}
	if (!found)
		ksft_print_msg("L2 without nested paging: no level-%d %s root with guest_mode=1 created%s\n",
			       level, cfg.tdp ? "direct" : "shadow",
			       cfg.tdp ? "" : " for L1's CR3");
	return found;
}

/* Shadow NPT pages still live after the VM is gone. */
static size_t live_npt_pages(void)
{
	struct kvm_mmu_page_summary pages[MAX_PAGES];
	size_t i, n, live = 0;

	n = npt_pages(pages);
	for (i = 0; i < n; i++)
		live += is_npt_page(pages[i].role) && pages[i].live;
	return live;
}

/* The VM, L1's arguments, the window, L2's 32-bit tables and the NPTs. */
static struct kvm_vm *setup_vm(struct kvm_vcpu **vcpu_out, struct npt_pool **pool_out)
{
	struct kvm_vcpu *vcpu;
	struct npt_pool *p;
	gva_t svm_gva, pool_gva;
	struct kvm_vm *vm;
	unsigned int i;

	vm = __vm_create_with_one_vcpu(&vcpu, EXTRA_PAGES, l1_guest_code);
	/*
	 * KVM's default limit for a VM this size is 64 shadow pages
	 * (kvm_arch_commit_memory_region(), KVM_MIN_ALLOC_MMU_PAGES, x86.c);
	 * past it make_mmu_pages_available() zaps pages, which would make the
	 * zap and reuse counts depend on how many pages the other cases used.
	 */
	vm_ioctl(vm, KVM_SET_NR_MMU_PAGES, (void *)NR_MMU_PAGES);
	vcpu_alloc_svm(vm, &svm_gva);
	p = npt_pool_create(vm, NPT_POOL_PAGES, &pool_gva);
	args.svm_gva = svm_gva;
	args.pool_gva = pool_gva;
	for (i = 0; i < NR_DATA; i++) {
		args.data_gva[i] = vm_alloc_page(vm);
		args.data_gpa[i] = addr_gva2gpa(vm, args.data_gva[i]);
		*(uint64_t *)addr_gva2hva(vm, args.data_gva[i]) = TAG(i);
		if (i != CODE_PAGE)
			*(uint8_t *)addr_gva2hva(vm, args.data_gva[i] + OFF_OUTS) = EMU_TAG(i);
	}
	args.iopm_gpa = make_iopm(vm);
	args.pdpte_gap = emulator_sets_pdpte_bit5(cfg.tdp);
	write_code(addr_gva2hva(vm, args.data_gva[CODE_PAGE]));
	/* Bits MAXPHYADDR..51 of NPT entries are reserved (APM 5.3.1, 15.25.5). */
	if (vm->pa_bits < 52)
		args.rsvd_bit = 1ULL << vm->pa_bits;
	args.gbpages = kvm_cpu_has(X86_FEATURE_GBPAGES);
	if (vm->pa_bits < 52)
		args.illegal_gpa = 1ULL << vm->pa_bits;
	TEST_ASSERT(!*vm_guest_entry(vm, WIN_VA, 4),
		    "the framework uses PML4E 1, where the window goes");
	for (i = 0; i < NR_WIN_PAGES; i++)
		virt_pg_map(vm, VA(i), WIN_PAGE(i));
	virt_pg_map(vm, HOLE_VA, HOLE_GPA);
	virt_pg_map(vm, GB_VA, GB_GPA + args.data_gpa[0]);
	args.l1_pt_gpa = l1_page_table(vm, WIN_VA);
	make_l2_32(vm);

	for (i = 0; i < NR_NPTS; i++)
		args.ncr3[i] = make_npt(p, vm, i == NPT_WALK ? 0 : i);
	/* NPT_WALK: the 2 MiB around L1's window page table in 4K pages, without it. */
	npt_split(p, args.ncr3[NPT_WALK], args.l1_pt_gpa, NPT_LEVEL_2M);
	npt_set_entry(p, args.ncr3[NPT_WALK], args.l1_pt_gpa, NPT_LEVEL_4K, 0);
	/* A copy of A's window page table, with PG_DATA -> D3. */
	args.alt_pt_gpa = npt_new(p);
	memcpy(npt_table(p, args.alt_pt_gpa),
	       npt_table(p, npt_get_entry(p, args.ncr3[0], WIN_GPA, NPT_LEVEL_2M) & NPT_ADDR_MASK),
	       PAGE_SIZE);
	npt_table(p, args.alt_pt_gpa)[0] = args.data_gpa[3] | NPT_RW;
	ksft_print_msg("%d-level NPTs at nCR3 0x%lx 0x%lx 0x%lx (%u pool pages); L2 GPA window 0x%llx, hole 0x%llx\n",
		       p->levels, args.ncr3[0], args.ncr3[1], args.ncr3[2], p->nr_used,
		       WIN_GPA, HOLE_GPA);
	sync_global_to_guest(vm, args);
	*vcpu_out = vcpu;
	*pool_out = p;
	return vm;
}

/*
 * Run L1 through every case, serving its syncs, L2's emulated I/O and
 * stray MMIO; false if a case hung, with *@cur_case the one that did.
 */
static bool run_cases(struct kvm_vcpu *vcpu, unsigned int *cur_case_out)
{
	unsigned int cur_case = 0;
	bool done = false, hung = false;
	struct ucall uc;

	while (!done) {
		if (!run_vcpu(vcpu)) {
			hung = true;
			ksft_print_msg("%s: no exit to the host for %d s: KVM keeps L1 or L2 in a loop (e.g. a fault it never resolves)\n",
				       cases[cur_case].name, CASE_TIMEOUT_S);
			break;
		}
		if (vcpu->run->exit_reason == KVM_EXIT_MMIO) {
			mmio_exit(vcpu, cur_case);
			continue;
		}
		TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
		if (vcpu->run->io.port == EMU_PORT) {
			emu_exit(vcpu, cur_case);
			continue;
		}
		switch (get_ucall(vcpu, &uc)) {
		case UCALL_SYNC:
			if (uc.args[1] == SYNC_NCR3_WARM) {
				phase("ncr3_switch_after_warmup");
				break;
			}
			if (uc.args[1] == SYNC_EMU) {
				emu_announce(cur_case, uc.args[2], uc.args[3]);
				break;
			}
			/* The last case's announced I/O, if it never came. */
			emu_check_consumed(cur_case);
			TEST_ASSERT(uc.args[1] < NR_CASES, "unexpected sync %lu", uc.args[1]);
			cur_case = uc.args[1];
			snprintf(phase_names[uc.args[1]], sizeof(phase_names[0]), "%.*s",
				 (int)sizeof(phase_names[0]) - 1, cases[uc.args[1]].name);
			phase(phase_names[uc.args[1]]);
			break;
		case UCALL_DONE:
			emu_check_consumed(cur_case);
			done = true;
			break;
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
			break;
		default:
			TEST_FAIL("unexpected ucall %lu", uc.cmd);
		}
	}
	phase(NULL);
	*cur_case_out = cur_case;
	return !hung;
}

/* Each case's TAP result, and what L1 and the host saw of it. */
static void report_cases(bool hung, unsigned int cur_case)
{
	unsigned int i;

	for (i = 0; i < NR_CASES; i++) {
		struct case_result *r = &results[i];
		bool ok = r->ran && !r->failed && !mmio_exits[i] && !emu_bad[i];

		if (mmio_exits[i])
			ksft_print_msg("%s: %u KVM_EXIT_MMIO: an L1 or L2 access reached a GPA without memory\n",
				       cases[i].name, mmio_exits[i]);
		if (emu_exits[i] || emu_bad[i])
			ksft_print_msg("%s: %u KVM_EXIT_IO on port 0x%x (L2's emulated string I/O), %u not as L1 announced\n",
				       cases[i].name, emu_exits[i], EMU_PORT, emu_bad[i]);
		if (r->failed)
			ksft_print_msg("%s: %s (line %lu): expected 0x%lx, seen 0x%lx; last #VMEXIT: code 0x%lx, EXITINFO1 0x%lx, EXITINFO2 0x%lx%s (%s)\n",
				       cases[i].name, r->what, r->line, r->want,
				       r->seen, r->exit_code, r->info1, r->info2,
				       r->flush ? tlb_control_name(r->flush) : "",
				       kvm_mmu_config_name(&cfg));
		if (r->stale + r->fresh)
			ksft_print_msg("%s: without the flush L1 owed, L2 used the old entry %lu times, the new one %lu times (both allowed)\n",
				       cases[i].name, r->stale, r->fresh);
		if (ok && r->xfail && r->seen != r->want)
			ksft_print_msg("%s: emulated NPF: EXITINFO1 0x%lx, EXITINFO2 0x%lx (the APM's: 0x%lx)\n",
				       cases[i].name, r->xfail_info1, r->seen, r->want);
		else if (ok && r->xfail)
			ksft_print_msg("%s: emulated NPF: EXITINFO1 0x%lx, EXITINFO2 0x%lx\n",
				       cases[i].name, r->xfail_info1, r->seen);
		if (r->unchecked)
			ksft_print_msg("%s: not checked: %s\n", cases[i].name, r->unchecked);
		else if (r->ran && r->exit_code == SVM_EXIT_NPF)
			ksft_print_msg("%s: last #VMEXIT NPF, EXITINFO1 0x%lx, EXITINFO2 0x%lx\n",
				       cases[i].name, r->info1, r->info2);
		if (hung && i > cur_case)
			ksft_test_result_skip("%s: not run, %s hung\n", cases[i].name,
					      cases[cur_case].name);
		else if (ok && r->skipped)
			ksft_test_result_skip("%s: %s\n", cases[i].name, r->skipped);
		else if (ok && (r->xfail || r->emulator_gap))
			ksft_test_result_xfail("%s_%s: %s%s%s%s\n", cases[i].name,
					       kvm_mmu_config_name(&cfg),
					       r->xfail ? known_defect(r->xfail - 1) : "",
					       r->xfail && r->emulator_gap ? "; " : "",
					       r->emulator_gap ? pdpte_text(r->gap_pdpte) : "",
					       r->emulator_gap ?
					       known_defect(DEFECT_QEMU_TCG_NPT_PAE_PDPTE_RESERVED_BITS) : "");
		else
			ksft_test_result(ok, "%s_%s\n", cases[i].name,
					 kvm_mmu_config_name(&cfg));
	}
}

/*
 * The results of the shadow NPT's introspection (NR_INTROSPECTION of
 * them); frees the VM (its teardown is one of them) and ends the test.
 */
static void report_introspection(struct kvm_vm *vm, struct npt_pool *p, bool hung,
				 const char *no_trace)
{
	struct kvm_mmu_page_summary pages[MAX_PAGES];
	size_t n;

	if (hung)
		no_trace = "a case hung";
	if (!trace || hung) {
		ksft_test_result_skip("l2_without_np_gets_a_guest_mode_root: %s\n", no_trace);
		ksft_test_result_skip("shadow_npt_page_roles: %s\n", no_trace);
		ksft_test_result_skip("shadow_npt_root_and_tables_per_ncr3: %s\n", no_trace);
		ksft_test_result_skip("ncr3_switch_after_warmup_creates_and_zaps_nothing: %s\n", no_trace);
		ksft_test_result_skip("teardown_zaps_every_shadow_npt_page: %s\n", no_trace);
		kvm_vm_free(vm);
		if (trace)
			kvm_trace_destroy(trace);
		ksft_finished();
	}

	ksft_test_result(check_l2_root(vm), "l2_without_np_gets_a_guest_mode_root_%s\n",
			 kvm_mmu_config_name(&cfg));
	if (!args.npt) {
		no_trace = "KVM offers L1 no nested paging";
		ksft_test_result_skip("shadow_npt_page_roles: %s\n", no_trace);
		ksft_test_result_skip("shadow_npt_root_and_tables_per_ncr3: %s\n", no_trace);
		ksft_test_result_skip("ncr3_switch_after_warmup_creates_and_zaps_nothing: %s\n", no_trace);
		ksft_test_result_skip("teardown_zaps_every_shadow_npt_page: %s\n", no_trace);
		kvm_vm_free(vm);
		kvm_trace_destroy(trace);
		ksft_finished();
	}

	n = npt_pages(pages);
	ksft_test_result(check_roles(pages, n, p), "shadow_npt_page_roles_%s\n",
			 kvm_mmu_config_name(&cfg));
	ksft_test_result(check_tables(pages, n, p), "shadow_npt_root_and_tables_per_ncr3_%s\n",
			 kvm_mmu_config_name(&cfg));
	ksft_test_result(check_no_rebuild(kvm_mmu_model_phase(kvm_trace_model(trace),
							      "ncr3_switch_after_warmup")),
			 "ncr3_switch_after_warmup_creates_and_zaps_nothing_%s\n",
			 kvm_mmu_config_name(&cfg));

	kvm_trace_start(trace, "teardown");
	kvm_vm_free(vm);
	kvm_trace_stop(trace);
	n = live_npt_pages();
	if (n)
		ksft_print_msg("%zu shadow NPT pages were never zapped\n", n);
	ksft_test_result(!n, "teardown_zaps_every_shadow_npt_page_%s\n",
			 kvm_mmu_config_name(&cfg));
	if (ksft_get_fail_cnt())
		kvm_trace_print(trace);
	kvm_trace_destroy(trace);
	ksft_finished();
}

int main(int argc, char *argv[])
{
	const char *no_trace;
	struct kvm_vcpu *vcpu;
	unsigned int cur_case;
	struct npt_pool *p;
	struct kvm_vm *vm;
	bool hung;

	ksft_print_header();
	kvm_mmu_config_read(&cfg);
	kvm_mmu_config_print(&cfg);
	kvm_mmu_config_require_standard(&cfg);
	kvm_mmu_config_require_nested_svm(&cfg);
	args.npt = kvm_cpu_has(X86_FEATURE_NPT);
	if (!args.npt)
		ksft_print_msg(
			"KVM offers L1 no nested paging (NPT not in KVM's supported CPUID; npt=%d: svm_set_cpu_caps() sets it only with npt_enabled): the nested paging cases skip\n",
			cfg.tdp);
	no_trace = kvm_trace_unavailable();
	if (!no_trace)
		trace = kvm_trace_create();
	ksft_set_plan(NR_CASES + NR_INTROSPECTION);

	vm = setup_vm(&vcpu, &p);
	hung = !run_cases(vcpu, &cur_case);
	sync_global_from_guest(vm, results);
	report_cases(hung, cur_case);
	report_introspection(vm, p, hung, no_trace);
}
