/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The scene and the harness of the nested_npt_*_test programs: a 64-bit
 * L1 that runs L2 with nested paging on NPTs it owns (nested_npt.h), and
 * checks on every #VMEXIT what any correct KVM must do.  A program is a
 * table of cases, each a row that carries its arguments, and the shadow
 * NPT checks it wants after them (NNPT_CHECK_*); nnpt_cases_main() builds
 * the scene, runs every case in L1 and reports one TAP result per case
 * and per check.
 *
 * The scene, the same in every program:
 * - a window of L2 GPAs (NNPT_WIN_GPA) with no L1 memory behind it, whose
 *   pages (enum nnpt_win_page) NPT leaves point at L1 data pages D0..D6,
 *   and which L1 (and L2, on L1's page tables) reaches at NNPT_VA(page);
 * - NPTs 0..2 (A, B, C), which map NNPT_PG_DATA to D0, D2, D4, and NPT
 *   NNPT_WALK, A without the L1 page table that maps the window's VAs;
 * - L2's 32-bit code and tables (nnpt_l2_32), mapping NNPT_L2_32_VA_* to
 *   window pages, and an IOPM that intercepts every port but
 *   NNPT_EMU_PORT, where L2's OUTSB and INSB are left to KVM's emulator.
 *
 * In L1, a case records what it found in nnpt_cur through NNPT_EXPECT(),
 * the first failed expectation with the #VMEXIT that came with it.
 */
#ifndef SELFTEST_KVM_NNPT_CASES_H
#define SELFTEST_KVM_NNPT_CASES_H

#include <stdbool.h>
#include <stdint.h>

#include "kvm_util.h"
#include "processor.h"
#include "svm_util.h"

#include "nested_npt.h"

/*
 * L2 GPAs of the test window.  L1 has no memslot there; only L2 reaches
 * them, through NPT leaves L1 points at its own data pages.
 */
#define NNPT_WIN_GPA		0x80000000ULL	/* PDPT index 2 */
#define NNPT_HOLE_GPA		0xc0000000ULL	/* PDPT index 3: never mapped */
#define NNPT_WIN_PAGE(i)	(NNPT_WIN_GPA + (i) * PAGE_SIZE)
/*
 * L1 (and so L2) virtual addresses of the window: under PML4E 1, which
 * the framework leaves free (its addresses are far below 2^39) at either
 * paging depth: with 5-level paging PML4E 1 is in the PML4 of PML5E 0,
 * which also maps the framework's pages, but the tables from the PDPT
 * down are the window's own, as the NPF on L2's page walk needs of
 * l1_pt_gpa (the scene asserts that PML4E 1 was free).
 */
#define NNPT_WIN_VA		BIT_ULL(39)
#define NNPT_HOLE_VA		(NNPT_WIN_VA + 64 * PAGE_SIZE)
/* A 1 GiB NPT leaf maps L2 GPA NNPT_GB_GPA.. to L1 GPA 0.. */
#define NNPT_GB_GPA		0x100000000ULL
#define NNPT_GB_VA		(NNPT_WIN_VA + 128 * PAGE_SIZE)
#define NNPT_VA(i)		(NNPT_WIN_VA + (i) * PAGE_SIZE)
/*
 * L1's second address space (nnpt_args.cached_cr3): the framework's, plus
 * NNPT_CACHED_VA (under a top-level entry of its own at either paging
 * depth) through a page table only it has, which L1 reaches through
 * NNPT_CACHED_ALIAS_VA in either address space.
 */
#define NNPT_CACHED_VA		0xffff800000000000ULL
#define NNPT_CACHED_ALIAS_VA	(NNPT_WIN_VA + 192 * PAGE_SIZE)

/* Window pages. */
enum nnpt_win_page {
	NNPT_PG_DATA,	/* D0 in NPT A, D2 in B, D4 in C */
	NNPT_PG_STORE,	/* D1, read/write */
	NNPT_PG_ABSENT,	/* PTE not present (the page table exists) */
	NNPT_PG_RO,	/* D5, read-only leaf */
	NNPT_PG_X,	/* D6 (code), executable */
	NNPT_PG_NX,	/* D6 (code), NX leaf */
	NNPT_PG_RSVD,	/* D0 with a reserved address bit in the leaf */
	NNPT_PG_AD,	/* D0, A and D clear until L2 uses it */
	NNPT_NR_WIN_PAGES,
};

#define NNPT_NR_DATA		7
#define NNPT_CODE_PAGE		6
/* NPTs 0..2 (A, B, C) map NNPT_PG_DATA to D0, D2, D4; L1 switches among them. */
#define NNPT_NR_SWITCH_NPTS	3
/* NPT NNPT_WALK is A without the L1 page table that maps the window's VAs. */
#define NNPT_WALK		3
#define NNPT_NR_NPTS		4
/* The first word of data page i. */
#define NNPT_TAG(i)		(0xa5a5000000000000ULL | ((uint64_t)(i) << 8) | 0x11)
#define NNPT_STORE_VAL		0x5eed0000cafe0001ULL
#define NNPT_IDENT_VAL		0x1de0000000000042ULL
/* What the code on NNPT_PG_X returns. */
#define NNPT_CODE_VAL		0xc0de0000000000c3ULL
/* Offsets inside a page, so that EXITINFO2 shows the whole address. */
#define NNPT_OFF_R		0x18
#define NNPT_OFF_W		0x20

/*
 * 32-bit L2 (nnpt_run_32()): L2 VAs its 2-level and PAE tables map to
 * window pages, through another page table than the code's (the code page
 * is below 1 GiB, at L2 VA == L2 GPA).
 */
#define NNPT_L2_32_VA_DATA	0x40000000U
#define NNPT_L2_32_VA_ABSENT	(NNPT_L2_32_VA_DATA + PAGE_SIZE)
#define NNPT_L2_32_VA_STORE	(NNPT_L2_32_VA_DATA + 2 * PAGE_SIZE)

/*
 * L2's OUTSB and INSB go to this port, which L1's IOPM leaves clear, so
 * that KVM emulates them and exits to the host with KVM_EXIT_IO (not the
 * ucall port, 0x1000).  OUTSB reads NNPT_EMU_TAG(i), which the host puts
 * at NNPT_OFF_OUTS of data page i; INSB writes the byte L1 asked the host
 * for at NNPT_OFF_INS of D1, in an 8-byte word L1 clears first (D1 at
 * 0x40..0x47 is written by those cases only).  Odd offsets, so that a
 * wrong byte shows.
 */
#define NNPT_EMU_PORT		0x1035
#define NNPT_OFF_OUTS		0x33
#define NNPT_OFF_INS		0x41
#define NNPT_EMU_TAG(i)		(0xe0 | (i))

/* GUEST_SYNC(NNPT_SYNC_NCR3_WARM): the nCR3 switch warm-up is over. */
#define NNPT_SYNC_NCR3_WARM	100
/*
 * GUEST_SYNC_ARGS(NNPT_SYNC_EMU, NNPT_EMU_OUT, i, ...): the next exit on
 * NNPT_EMU_PORT is L2's OUTSB of NNPT_EMU_TAG(i); (NNPT_SYNC_EMU,
 * NNPT_EMU_IN, byte, ...): L2's INSB, to be answered with byte;
 * (NNPT_SYNC_EMU, NNPT_EMU_NONE, ...): the announced exit is not coming
 * after all.  Any other exit on NNPT_EMU_PORT fails the case.
 */
#define NNPT_SYNC_EMU		101
#define NNPT_EMU_OUT		1
#define NNPT_EMU_IN		2
#define NNPT_EMU_NONE		3

/*
 * GUEST_SYNC(NNPT_SYNC_TLB_FLUSHES): the host stores the vCPU's tlb_flush
 * stat in nnpt_tlb_flushes (nnpt_vcpu_tlb_flushes()).
 */
#define NNPT_SYNC_TLB_FLUSHES	102
/*
 * GUEST_SYNC(NNPT_SYNC_PAE_L2_WARM): the warm-up round trip to a PAE L2
 * without nested paging is over; NNPT_CHECK_L1_ROOT_CACHED looks at what
 * comes after.
 */
#define NNPT_SYNC_PAE_L2_WARM	103
/*
 * GUEST_SYNC(NNPT_SYNC_CACHED_UNSYNC): L1 has left a page table of its
 * cached root unsync, and a round trip to L2 follows;
 * GUEST_SYNC(NNPT_SYNC_CACHED_BACK): L1 goes back to that root
 * (NNPT_CHECK_CACHED_ROOT_KEPT).
 */
#define NNPT_SYNC_CACHED_UNSYNC	104
#define NNPT_SYNC_CACHED_BACK	105

/* What the scene tells L1. */
struct nnpt_args {
	uint64_t svm_gva;
	uint64_t pool_gva;
	uint64_t ncr3[NNPT_NR_NPTS];
	uint64_t data_gva[NNPT_NR_DATA];
	uint64_t data_gpa[NNPT_NR_DATA];
	uint64_t l1_pt_gpa;	/* L1's page table that maps NNPT_WIN_VA */
	uint64_t alt_pt_gpa;	/* a copy of A's window page table, PG_DATA -> D3 */
	uint64_t rsvd_bit;	/* a reserved address bit of NPT entries, or 0 */
	uint64_t gbpages;	/* L1 has 1 GiB pages (CPUID) */
	uint64_t npt;		/* KVM offers L1 nested paging (CPUID) */
	uint64_t illegal_gpa;	/* 1 << MAXPHYADDR, or 0 if that is 2^52 */
	uint64_t iopm_gpa;	/* L1's IOPM: every port intercepted but NNPT_EMU_PORT */
	uint64_t pdpte_gap;	/* QEMU TCG sets reserved bit 5 in PAE PDPTEs */
	uint64_t cached_cr3;	/* the second address space (NNPT_CACHED_VA) */
	uint64_t cached_pt_gpa;	/* its page table for NNPT_CACHED_VA, -> D1 */
	const struct nnpt_case *cases;
	uint64_t nr_cases;
};

/*
 * L2's 32-bit code and tables, its page table for NNPT_L2_32_VA_DATA per
 * mode, and a second PAE PDPT (nnpt_l2_32_pdpt_alias(), PDPTE 3 an alias
 * of the code's), for a PAE L2 to switch to.
 */
struct nnpt_l2_32_scene {
	struct nnpt_l2_32 l2;
	uint64_t pt_gpa[NNPT_L2_32_NR_MODES];
	uint64_t pdpt_alias_gpa, pdpt_alias_gva;
};

/* What L1 found, per case; the host reads it back after the run. */
struct nnpt_result {
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

/* How a 32-bit L2, or a 64-bit one, runs an emulated access. */
enum nnpt_emu_l2 { NNPT_EMU_L2_64, NNPT_EMU_L2_32_NO_PAGING, NNPT_EMU_L2_32_2LEVEL,
		   NNPT_EMU_L2_32_PAE };

/*
 * A case: @fn runs in L1 with the row itself, whose other fields are its
 * arguments (each case says which it reads).  @np: L2 runs with nested
 * paging (the case is skipped when KVM offers L1 no NPT); without it L1's
 * VMCB has nested paging off.
 */
struct nnpt_case {
	const char *name;
	void (*fn)(const struct nnpt_case *c);
	bool np;
	bool write;		/* a store, not a load */
	int mode;		/* enum nnpt_l2_32_mode or enum nnpt_emu_l2 */
	uint64_t va;		/* the L2 address accessed */
	uint64_t va2;		/* a second one (unmapped, or where to store) */
	uint64_t gpa;		/* the L2 GPA an NPF reports */
	uint64_t err;		/* the NPF's error code */
	bool (*round)(uint8_t tlb_ctl);	/* one round of an owed-flush case */
	/* At L2's OUTSB exit the host writes back KVM_GET_SREGS2's state. */
	bool set_sregs2;
};

/* Checks of KVM's shadow NPT from kvmmmu trace events, after the cases. */
enum {
	/* L2 without nested paging gets a root of its own (guest_mode=1). */
	NNPT_CHECK_L2_ROOT = BIT(0),
	/* Every shadow NPT page: guest_mode=1, 8-byte gptes, passthrough only at the root. */
	NNPT_CHECK_ROLES = BIT(1),
	/* A root per nCR3 at KVM's TDP level, and a page per table on the way. */
	NNPT_CHECK_TABLES = BIT(2),
	/* nCR3 switches after the warm-up find, create and zap nothing. */
	NNPT_CHECK_NO_REBUILD = BIT(3),
	/* VM teardown zaps every shadow NPT page. */
	NNPT_CHECK_TEARDOWN = BIT(4),
	/*
	 * TDP off: after NNPT_SYNC_PAE_L2_WARM, #VMEXITs from a PAE L2
	 * without nested paging take L1's root from the cache.
	 */
	NNPT_CHECK_L1_ROOT_CACHED = BIT(5),
	/*
	 * TDP off: a round trip to L2 keeps L1's cached root with its unsync
	 * page table (NNPT_SYNC_CACHED_UNSYNC); L1's MOV CR3 back takes it
	 * from the cache and syncs that page table.
	 */
	NNPT_CHECK_CACHED_ROOT_KEPT = BIT(6),
};

/* Build the scene, run @cases in L1 and report them and @checks.  Never returns. */
void __noreturn nnpt_cases_main(const struct nnpt_case *cases, unsigned int nr_cases,
				unsigned int checks);

/* ---- L1 ---- */

extern struct nnpt_args nnpt_args;
extern struct nnpt_l2_32_scene nnpt_l2_32;
extern struct svm_test_data *nnpt_svm;
extern struct npt_pool *nnpt_pool;
extern struct nnpt_result *nnpt_cur;
extern uint64_t nnpt_ident_word;
extern uint64_t nnpt_tlb_flushes;

/* How many TLB flushes KVM has done for this vCPU (its tlb_flush stat). */
uint64_t nnpt_vcpu_tlb_flushes(void);

/*
 * @seen == @want, or the case fails with @what, the line and the last
 * #VMEXIT (the first failure of a case is the one kept).
 */
bool __nnpt_expect(const char *what, uint64_t line, uint64_t seen, uint64_t want);
#define NNPT_EXPECT(what, seen, want)	__nnpt_expect(what, __LINE__, seen, want)

/* L2 loads @va (expecting @want) or stores @val, then exits with VMMCALL. */
bool nnpt_l2_load_expect(uint64_t va, uint64_t want, uint8_t tlb_ctl);
bool nnpt_l2_store_expect(uint64_t va, uint64_t val, uint8_t tlb_ctl);
/* 32-bit L2 in @mode loads @addr, flushing the ASID: EAX == @want. */
bool nnpt_l2_32_load_expect(enum nnpt_l2_32_mode mode, uint32_t addr, uint32_t want);

/* Bit 5 of a PAE PDPTE is reserved (SDM vol. 3A Table 4-8, APM Figure 5-10). */
#define PDPTE_BIT5	BIT_ULL(5)

/*
 * L1: clear bit 5 of the 32-bit L2's PAE PDPTEs (both PDPTs) where the emulated CPU
 * sets it (nnpt_args.pdpte_gap, docs/defects/qemu-tcg-npt-pae-pdpte-reserved-bits.md),
 * so that KVM's load_pdptrs() of them (x86.c) sees what a real CPU leaves.
 */
void nnpt_l2_32_clear_pdpte_gap(void);

/* The exit L1 just got is #VMEXIT(NPF) at @gpa with @error_code, final translation. */
bool nnpt_expect_npf(uint64_t exit, uint64_t gpa, uint64_t error_code);
/* ... an NPF on an access of L2's own page walk, to the table at @table_gpa. */
bool nnpt_expect_walk_npf(uint64_t exit, uint64_t table_gpa);

/* NPT A's nCR3, the one every case starts with. */
static inline uint64_t nnpt_ncr3_a(void)
{
	return nnpt_args.ncr3[0];
}

/* The word at offset @off of data page @i, as L1 sees it. */
static inline uint64_t nnpt_data_at(int i, uint64_t off)
{
	return READ_ONCE(*(uint64_t *)(nnpt_args.data_gva[i] + off));
}

/* Set NPT A's 4K leaf for window page @page. */
static inline uint64_t nnpt_set_leaf(int page, uint64_t pte)
{
	return npt_set_entry(nnpt_pool, nnpt_ncr3_a(), NNPT_WIN_PAGE(page), NPT_LEVEL_4K, pte);
}

#endif /* SELFTEST_KVM_NNPT_CASES_H */
