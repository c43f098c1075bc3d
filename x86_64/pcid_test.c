// SPDX-License-Identifier: GPL-2.0
/*
 * pcid_test: what the TLB must drop, and may keep, with PCIDs.
 *
 * A 64-bit guest with CR4.PCIDE=1 has five address spaces (A..E, one
 * more than KVM caches: the current root and KVM_MMU_NUM_PREV_ROOTS = 3),
 * each with its own PCID (1..5) and its own page table mapping test_va to
 * a data page, and all sharing one page table that maps global_va with
 * G=1 (CR4.PGE=1).  The guest rewrites those leaves through an alias of
 * the tables and reads through them after each of the SDM's invalidations
 * (SDM vol. 3A 4.10.4.1; INVPCID in vol. 2B):
 *
 * - MOV CR3, bit 63 clear: all entries of the PCID loaded, except global;
 * - MOV CR3, bit 63 set: may keep the PCID's entries; what it keeps is
 *   that PCID's own (each PCID only ever ran on its own CR3 here);
 * - INVPCID 0: the (non-global) entry of one address in one PCID; 1: all
 *   non-global entries of one PCID; 2: all entries of all PCIDs; 3: all
 *   but global ones;
 * - INVLPG: the current PCID's entry for the page, and global entries for
 *   the page in every PCID;
 * - CR4.PCIDE 1 -> 0: every entry of every PCID; 0 -> 1: nothing, and
 *   #GP(0) unless CR3[11:0] = 0 (MOV to CR4 in vol. 2B).
 * A read after an invalidation that must drop the entry must return the
 * new leaf's page; where the entry may survive, the old or the new page
 * (and nothing else), counted and printed.  With TDP off, the current
 * PCID's rewritten entry must survive an INVPCID 0 of another PCID
 * (invpcid_individual_address): KVM syncs only the roots it names.
 *
 * Under shadow paging (kvm_intel ept=0) the guest's TLB is KVM's shadow
 * page tables: a leaf rewritten through the alias leaves its level-1
 * shadow page unsync, and it is only the invalidations that sync it.
 * 6.12 arch/x86/kvm/regs.c kvm_set_cr3() (7.3 the same) calls
 * kvm_invalidate_pcid() unless bit 63 is set; kvm_invalidate_pcid()
 * (6.12 and 7.3 arch/x86/kvm/x86.c) syncs the current root if the PCID is
 * the active one and frees the prev_roots whose CR3 has that PCID, which
 * kvm_mmu_new_pgd() -> fast_pgd_switch() -> cached_root_find_and_keep_current()
 * (arch/x86/kvm/mmu/mmu.c) would otherwise reuse unsynced on a no-flush
 * MOV CR3; a root found again in the hash is synced by kvm_mmu_load().
 * kvm_handle_invpcid() (x86.c) turns type 0 into kvm_mmu_invpcid_gva()
 * (mmu.c: the current root and the prev_roots of that PCID), type 1 into
 * kvm_invalidate_pcid(), types 2 and 3 into KVM_REQ_TLB_FLUSH_GUEST.
 * kvm_post_set_cr4() (regs.c) flushes the guest TLB on PCIDE 1 -> 0 and
 * unloads every root on 0 -> 1, since a no-flush MOV CR3 to a root cached
 * with PCIDE=0 would find it unsynced (pcide_enable_with_cached_roots).
 * With EPT the CPU does all of this; the cases are the same.
 *
 * Each case runs in a VM of its own, in a child process, so that one
 * failing case does not hide the others.  Without PCID in KVM's CPUID
 * the test skips (QEMU's TCG), without INVPCID the cases that execute it
 * (vm/bochs's AMD CPU on Debian's Bochs: ryzen with PCID added, but not
 * INVPCID, which that Bochs's SVM does not intercept; the patched Bochs
 * gets both); Bochs's Intel model has both.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kvm_util.h"
#include "paging_bits.h"
#include "processor.h"
#include "ucall_common.h"
#include "kselftest.h"

#include "kvm_compat.h"
#include "kvm_mmu_config.h"
#include "kvm_run.h"
#include "vm_tables.h"

#define NR_SPACES	5		/* A..E; a sixth, Z, maps nothing at test_va */
#define CACHED		4		/* the current root + 3 prev_roots */
#define SPACE_Z		NR_SPACES
#define PCID(s)		((uint64_t)(s) + 1)
#define CR3_NOFLUSH	BIT_ULL(63)
#define TAG(s, v)	(0x9c1d000000000000ULL | (uint64_t)(s) << 8 | (v))
#define GLOBAL		0xff
#define INDEX(va, l)	(((va) >> VM_LEVEL_SHIFT(l)) & 511)

/* The tables and data pages, mapped at the same VA (the alias). */
#define TEST_SLOT	1
#define TEST_SLOT_GPA	0x10000000ULL
#define TEST_PAGES	64

enum { INVPCID_ADDR, INVPCID_CONTEXT, INVPCID_ALL, INVPCID_ALL_NON_GLOBAL };

static uint64_t cr3s[NR_SPACES + 1];
static uint64_t leaf_gva[NR_SPACES + 1];	/* [SPACE_Z]: the global leaf */
/*
 * Where a case gives each space a page table of its own for global_va
 * (copies of one, mapping the same global page): space s's global leaf.
 */
static uint64_t own_global_leaf_gva[NR_SPACES];
static uint64_t leaf_val[NR_SPACES + 1][2];	/* old (0) and new (1) leaves */
static uint64_t test_va, global_va;
/* TDP off: the guest's TLB is KVM's shadow page tables. */
static bool shadow_paging;
/* Guest only: the version each leaf has now, and the may-keep tally. */
static int ver[NR_SPACES + 1];
static uint64_t nr_kept, nr_may_keep;

static void mov_cr3(int s, uint64_t pcid, bool noflush)
{
	set_cr3(cr3s[s] | pcid | (noflush ? CR3_NOFLUSH : 0));
}

static void load(int s)
{
	mov_cr3(s, PCID(s), false);
}

static void load_noflush(int s)
{
	mov_cr3(s, PCID(s), true);
}

static void inv_pcid(uint64_t type, uint64_t pcid, uint64_t va)
{
	struct { uint64_t pcid, va; } desc = { pcid, va };

	asm volatile("invpcid %0, %1" : : "m"(desc), "r"(type) : "memory");
}

static void inv_page(uint64_t va)
{
	asm volatile("invlpg (%0)" : : "r"(va) : "memory");
}

/* Rewrite space @s's leaf (SPACE_Z: the global one) to its other page. */
static void flip(int s)
{
	ver[s] ^= 1;
	WRITE_ONCE(*(uint64_t *)leaf_gva[s], leaf_val[s][ver[s]]);
}

static uint64_t read_va(int s)
{
	return READ_ONCE(*(uint64_t *)(s == SPACE_Z ? global_va : test_va));
}

/* The tag of @s's page @v: SPACE_Z's entry is the global page's. */
static uint64_t tag_of(int s, int v)
{
	return TAG(s == SPACE_Z ? GLOBAL : s, v);
}

/* The entry of @s (SPACE_Z: global_va) must be its current leaf's. */
static void must(int s, const char *after)
{
	uint64_t got = read_va(s), want = tag_of(s, ver[s]);

	__GUEST_ASSERT(got == want,
		       "after %s: %s read 0x%lx, expected the new page's 0x%lx (CR3 0x%lx, CR4 0x%lx)",
		       after, s == SPACE_Z ? "global_va" : "test_va", got, want,
		       get_cr3(), get_cr4());
}

/* The old or the current leaf's page: the old entry may have survived. */
static void may_keep(int s, const char *after)
{
	uint64_t got = read_va(s), want = tag_of(s, ver[s]), old = tag_of(s, ver[s] ^ 1);

	__GUEST_ASSERT(got == want || got == old,
		       "after %s: %s read 0x%lx, expected 0x%lx (new) or 0x%lx (old) (CR3 0x%lx)",
		       after, s == SPACE_Z ? "global_va" : "test_va", got, want, old, get_cr3());
	nr_may_keep++;
	nr_kept += got == old;
}

/*
 * The entry of @s, rewritten but not named by the invalidation: it may
 * survive; with TDP off it must, as KVM syncs only the roots an
 * invalidation names (kvm_mmu_invpcid_gva(), 6.12 and 7.3 mmu.c) and
 * the stale SPTE is all the guest's TLB has.
 */
static void not_named(int s, const char *after)
{
	uint64_t got = read_va(s), old = tag_of(s, ver[s] ^ 1);

	may_keep(s, after);
	__GUEST_ASSERT(!shadow_paging || got == old,
		       "after %s: %s read 0x%lx, expected the old page's 0x%lx: with TDP off KVM syncs only the roots named",
		       after, s == SPACE_Z ? "global_va" : "test_va", got, old);
}

static void pcid_on(void)
{
	set_cr4(get_cr4() | X86_CR4_PGE);
	set_cr4(get_cr4() | X86_CR4_PCIDE);	/* the framework's CR3[11:0] = 0 */
}

/* Load spaces 0..n-1 (each with its PCID), reading both VAs in each. */
static void warm(int n)
{
	int s;

	for (s = 0; s < n; s++) {
		load(s);
		must(s, "a first MOV CR3");
		must(SPACE_Z, "a first MOV CR3");
	}
}

static void guest_mov_cr3_flush(void)
{
	int s;

	pcid_on();
	warm(NR_SPACES);
	flip(NR_SPACES - 1);
	load(NR_SPACES - 1);		/* the same CR3 again */
	must(NR_SPACES - 1, "MOV CR3 of the current CR3 and PCID");
	/* A's root evicted from KVM's cache by E's, B..D's cached. */
	for (s = 0; s < NR_SPACES - 1; s++) {
		flip(s);
		load(s);
		must(s, "MOV CR3 without bit 63 to a PCID changed while not current");
	}
	GUEST_DONE();
}

static void guest_mov_cr3_noflush(void)
{
	int i, s;

	pcid_on();
	warm(NR_SPACES);
	for (i = 0; i < 3 * NR_SPACES; i++) {
		load_noflush(i % NR_SPACES);
		must(i % NR_SPACES, "MOV CR3 with bit 63 (leaf unchanged)");
		must(SPACE_Z, "MOV CR3 with bit 63 (leaf unchanged)");
	}
	/*
	 * The last CACHED spaces, whose roots KVM has cached (cycling through
	 * all NR_SPACES misses its cache on every switch).
	 */
	for (i = 0; i < CACHED; i++) {
		s = NR_SPACES - CACHED + i;
		flip(s);
		load_noflush(s);
		may_keep(s, "MOV CR3 with bit 63 to a PCID changed while not current");
		inv_page(test_va);
		must(s, "INVLPG after MOV CR3 with bit 63");
	}
	GUEST_DONE();
}

/*
 * INVPCID 0 of a PCID not current, with the current PCID's leaf also
 * rewritten: only the named PCID's entry must go.
 */
static void guest_invpcid_addr(void)
{
	int s, cur;

	pcid_on();
	warm(CACHED);
	flip(CACHED - 1);
	inv_pcid(INVPCID_ADDR, PCID(CACHED - 1), test_va);
	must(CACHED - 1, "INVPCID 0 of the current PCID");
	for (s = 0; s < CACHED - 1; s++) {
		cur = s ? s - 1 : CACHED - 1;
		flip(s);
		flip(cur);
		inv_pcid(INVPCID_ADDR, PCID(s), test_va);
		not_named(cur, "INVPCID 0 of another PCID");
		load_noflush(s);
		must(s, "INVPCID 0 of a PCID not current, then MOV CR3 with bit 63");
	}
	GUEST_DONE();
}

static void guest_invpcid_context(void)
{
	int c = NR_SPACES - 1;

	pcid_on();
	warm(NR_SPACES);
	flip(c);
	flip(SPACE_Z);
	inv_pcid(INVPCID_CONTEXT, PCID(c), 0);
	must(c, "INVPCID 1 of the current PCID");
	may_keep(SPACE_Z, "INVPCID 1 (a global entry)");
	/* A's root evicted from KVM's cache (prev_roots: below). */
	flip(0);
	inv_pcid(INVPCID_CONTEXT, PCID(0), 0);
	load_noflush(0);
	must(0, "INVPCID 1 of a PCID not current, then MOV CR3 with bit 63");
	GUEST_DONE();
}

/*
 * The prev_roots per PCID: spaces 0..3 all cached; from the current one
 * change v's and w's leaves, INVPCID 1 of v only, then go to v, x and w
 * without flushing: v must show its new page, x its unchanged one, w
 * either.  The current PCID's leaf, changed too, may survive the INVPCID
 * of v, and with TDP off must (not_named()).  v comes first: a miss on
 * the way would rotate KVM's root cache
 * (cached_root_find_and_keep_current()) and could evict v's root, hiding
 * a root that KVM wrongly kept.
 */
static void guest_prev_roots(void)
{
	int c = CACHED - 1, round, v, w, x;

	pcid_on();
	warm(CACHED);
	for (round = 0; round < 2 * CACHED; round++) {
		v = (c + 1) % CACHED;
		w = (c + 2) % CACHED;
		x = (c + 3) % CACHED;
		/* All four roots cached again (INVPCID 1 frees prev_roots). */
		load_noflush(v);
		must(v, "MOV CR3 with bit 63 (leaf invalidated since)");
		load_noflush(w);
		must(w, "MOV CR3 with bit 63 (leaf invalidated since)");
		load_noflush(x);
		must(x, "MOV CR3 with bit 63 (leaf invalidated since)");
		load_noflush(c);
		must(c, "MOV CR3 with bit 63 (leaf invalidated since)");
		flip(v);
		flip(w);
		/* The current PCID's leaf too, put back after the check. */
		flip(c);
		inv_pcid(INVPCID_CONTEXT, PCID(v), 0);
		not_named(c, "INVPCID 1 of another PCID");
		flip(c);
		inv_page(test_va);
		load_noflush(v);
		must(v, "INVPCID 1 of a PCID not current, then MOV CR3 with bit 63");
		load_noflush(x);
		must(x, "MOV CR3 with bit 63 (leaf unchanged)");
		load_noflush(w);
		may_keep(w, "MOV CR3 with bit 63, no INVPCID of this PCID");
		inv_pcid(INVPCID_CONTEXT, PCID(w), 0);
		must(w, "INVPCID 1 of the current PCID");
		c = w;
	}
	GUEST_DONE();
}

/*
 * One CR3 under two PCIDs: KVM caches a root per CR3 value, PCID included
 * (is_root_usable(), mmu.c), and both share one shadow root page.  Each
 * PCID's entries are its own: invalidating one must drop its entries even
 * though the other's root, with the same unsync children, stays current.
 */
static void guest_one_cr3_two_pcids(void)
{
	const uint64_t other = PCID(NR_SPACES);

	pcid_on();
	load(0);
	must(0, "a first MOV CR3");
	mov_cr3(0, other, false);
	must(0, "MOV CR3 of the same tables with another PCID");
	mov_cr3(0, PCID(0), true);
	must(0, "MOV CR3 with bit 63 (leaf unchanged)");
	flip(0);
	inv_pcid(INVPCID_CONTEXT, other, 0);
	mov_cr3(0, other, true);
	must(0, "INVPCID 1 of the other PCID of this CR3, then MOV CR3 with bit 63");
	inv_pcid(INVPCID_ADDR, PCID(0), test_va);
	mov_cr3(0, PCID(0), true);
	must(0, "INVPCID 0 of the first PCID of this CR3, then MOV CR3 with bit 63");
	GUEST_DONE();
}

static void guest_invpcid_all(uint64_t type)
{
	const char *what = type == INVPCID_ALL ? "INVPCID 2" : "INVPCID 3";
	int c = CACHED - 1, s;

	pcid_on();
	warm(CACHED);
	for (s = 0; s < CACHED; s++)
		flip(s);
	flip(SPACE_Z);
	inv_pcid(type, 0, 0);
	must(c, what);
	for (s = 0; s < CACHED; s++) {
		load_noflush(s);
		must(s, what);
		if (type == INVPCID_ALL)
			must(SPACE_Z, what);
		else
			may_keep(SPACE_Z, what);
	}
	GUEST_DONE();
}

static void guest_invpcid_all_incl_global(void)
{
	guest_invpcid_all(INVPCID_ALL);
}

static void guest_invpcid_all_non_global(void)
{
	guest_invpcid_all(INVPCID_ALL_NON_GLOBAL);
}

static void guest_invlpg(void)
{
	int c = CACHED - 1, s;

	pcid_on();
	warm(CACHED);
	flip(c);
	inv_page(test_va);
	must(c, "INVLPG in the current PCID");
	flip(SPACE_Z);
	inv_page(global_va);
	must(SPACE_Z, "INVLPG of a global page");
	for (s = 0; s < CACHED - 1; s++) {
		load_noflush(s);
		must(SPACE_Z, "INVLPG of a global page in another PCID, then MOV CR3 with bit 63");
	}
	/* On space 2: another PCID's non-global entry for the page may stay. */
	flip(0);
	inv_page(test_va);
	load_noflush(0);
	may_keep(0, "INVLPG in another PCID, then MOV CR3 with bit 63");
	GUEST_DONE();
}

/* Rewrite the global leaf in every space's own table, alike (SDM 4.10.2.4). */
static void flip_global_everywhere(void)
{
	int s;

	ver[SPACE_Z] ^= 1;
	for (s = 0; s < NR_SPACES; s++)
		WRITE_ONCE(*(uint64_t *)own_global_leaf_gva[s], leaf_val[SPACE_Z][ver[SPACE_Z]]);
}

/*
 * INVLPG invalidates global translations of the page in every PCID, as
 * above, but here each space maps global_va through a page table of its
 * own: KVM has a shadow page per space to sync, in each cached root
 * (kvm_mmu_invlpg(): KVM_MMU_ROOTS_ALL), not just one shared by all.
 */
static void guest_invlpg_global_own_tables(void)
{
	const char *after = "INVLPG of a global page in per-PCID tables, then MOV CR3 with bit 63";
	int s;

	pcid_on();
	warm(CACHED);
	flip_global_everywhere();
	inv_page(global_va);
	must(SPACE_Z, "INVLPG of a global page");
	for (s = 0; s < CACHED - 1; s++) {
		load_noflush(s);
		must(SPACE_Z, after);
	}
	GUEST_DONE();
}

static void guest_pcide_off(void)
{
	int c = CACHED - 1;

	pcid_on();
	warm(CACHED);
	flip(c);
	flip(1);
	flip(SPACE_Z);
	set_cr4(get_cr4() & ~X86_CR4_PCIDE);	/* CR3[11:0] = PCID(c), ignored now */
	must(c, "clearing CR4.PCIDE");
	must(SPACE_Z, "clearing CR4.PCIDE");
	/* Every PCID was flushed; PCID(1) has not been used since. */
	mov_cr3(0, 0, false);
	set_cr4(get_cr4() | X86_CR4_PCIDE);
	load_noflush(1);
	must(1, "clearing CR4.PCIDE, then setting it and MOV CR3 with bit 63");
	GUEST_DONE();
}

static uint8_t set_pcide(void)
{
	return kvm_asm_safe("mov %[v], %%cr4", [v] "r"(get_cr4() | X86_CR4_PCIDE));
}

static void guest_pcide_on(void)
{
	const uint64_t low[] = { 0x001, 0x800 };
	uint8_t vec;
	int i;

	set_cr4(get_cr4() | X86_CR4_PGE);
	for (i = 0; i < ARRAY_SIZE(low); i++) {
		mov_cr3(0, low[i], false);
		vec = set_pcide();
		__GUEST_ASSERT(vec == GP_VECTOR && !(get_cr4() & X86_CR4_PCIDE),
			       "setting CR4.PCIDE with CR3 0x%lx: vector %u, CR4 0x%lx; expected #GP and PCIDE clear",
			       get_cr3(), vec, get_cr4());
	}
	/*
	 * With PCIDE=0 MOV CR3 flushed PCID 0's entries for A; Z maps nothing
	 * at test_va, so no PCID 0 entry for it can exist when PCIDE is set.
	 */
	mov_cr3(0, 0, false);
	must(0, "MOV CR3 with CR4.PCIDE=0");
	mov_cr3(SPACE_Z, 0, false);
	flip(0);
	vec = set_pcide();
	__GUEST_ASSERT(!vec && (get_cr4() & X86_CR4_PCIDE),
		       "setting CR4.PCIDE with CR3 0x%lx: vector %u, CR4 0x%lx; expected no fault",
		       get_cr3(), vec, get_cr4());
	mov_cr3(0, 0, true);
	must(0, "setting CR4.PCIDE, then MOV CR3 with bit 63 and PCID 0");
	GUEST_DONE();
}

/*
 * INVPCID's #GP(0) conditions (SDM vol. 2B INVPCID, 64-bit mode
 * exceptions): a type above 3, descriptor bits 63:12 set, a non-canonical
 * address for type 0, a PCID other than 0 for types 0 and 1 with
 * CR4.PCIDE=0.  6.12 and 7.3 kvm_handle_invpcid() (x86.c) check them.
 */
static void guest_invpcid_faults(void)
{
	static const struct {
		uint64_t type, pcid, va;
		bool pcide;
		uint8_t vector;
	} t[] = {
		{ 4, 0, 0, true, GP_VECTOR },
		{ INVPCID_CONTEXT, 1ULL << 12, 0, true, GP_VECTOR },
		{ INVPCID_ADDR, 1, 1ULL << 63, true, GP_VECTOR },
		{ INVPCID_ADDR, 1, 0, false, GP_VECTOR },
		{ INVPCID_CONTEXT, 1, 0, false, GP_VECTOR },
		{ INVPCID_CONTEXT, 0, 0, false, 0 },
		{ INVPCID_ALL, 0, 0, false, 0 },
		{ INVPCID_ADDR, 1, 0, true, 0 },
	};
	struct { uint64_t pcid, va; } desc;
	uint8_t vec;
	int i;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		if (t[i].pcide)
			set_cr4(get_cr4() | X86_CR4_PCIDE);
		else
			set_cr4(get_cr4() & ~X86_CR4_PCIDE);
		desc.pcid = t[i].pcid;
		desc.va = t[i].va;
		vec = kvm_asm_safe("invpcid (%[d]), %[t]", [d] "r"(&desc), [t] "r"(t[i].type),
				   "m"(desc));
		__GUEST_ASSERT(vec == t[i].vector,
			       "INVPCID type %lu, PCID 0x%lx, address 0x%lx, CR4.PCIDE=%d: vector %u, expected %u",
			       t[i].type, t[i].pcid, t[i].va, t[i].pcide, vec, t[i].vector);
	}
	GUEST_DONE();
}

struct pcid_case {
	const char *name;
	void (*guest)(void);
	bool invpcid;		/* the case executes INVPCID */
	bool own_global_pts;	/* each space maps global_va with its own table */
};

static const struct pcid_case cases[] = {
	{ "mov_cr3_flushes_the_pcid_loaded", guest_mov_cr3_flush },
	{ "mov_cr3_noflush_keeps_only_own_entries", guest_mov_cr3_noflush },
	{ "invpcid_individual_address", guest_invpcid_addr, true },
	{ "invpcid_single_context", guest_invpcid_context, true },
	{ "invpcid_single_context_frees_that_pcids_prev_roots", guest_prev_roots, true },
	{ "one_cr3_two_pcids_invalidated_apart", guest_one_cr3_two_pcids, true },
	{ "invpcid_all_including_global", guest_invpcid_all_incl_global, true },
	{ "invpcid_all_non_global", guest_invpcid_all_non_global, true },
	{ "invlpg_current_pcid_and_global_pages", guest_invlpg },
	{ "invlpg_global_page_in_each_pcids_own_table", guest_invlpg_global_own_tables,
	  .own_global_pts = true },
	{ "invpcid_faults", guest_invpcid_faults, true },
	{ "pcide_off_flushes_all_pcids", guest_pcide_off },
	{ "pcide_on_needs_cr3_low_bits_clear_and_drops_cached_roots", guest_pcide_on },
};

/* The two leaves of @s (SPACE_Z: the global ones), and where its PTE is. */
static void make_leaves(struct kvm_vm *vm, int s, uint64_t pt, uint64_t va, uint64_t flags)
{
	int v;

	for (v = 0; v < 2; v++)
		leaf_val[s][v] = vm_tagged_page(vm, TEST_SLOT, 0, tag_of(s, v)) | flags;
	leaf_gva[s] = pt + 8 * INDEX(va, 1);
	vm_table(vm, pt)[INDEX(va, 1)] = leaf_val[s][0];
}

/*
 * A copy of the framework's top-level table (code, stack, ucall and the
 * alias stay mapped), and for spaces A..E tables under entry 1 down to a
 * page directory whose entry 0 is the space's page table (test_va) and
 * entry 1 the shared global one (global_va).
 */
static uint64_t make_space(struct kvm_vm *vm, int s, uint64_t global_pt, bool own_global_pt)
{
	uint64_t top, pd, pt;

	if (s == SPACE_Z)
		return vm_new_address_space(vm, TEST_SLOT, test_va, vm_mmu_levels(vm), NULL);
	top = vm_new_address_space(vm, TEST_SLOT, test_va, 2, &pd);
	if (own_global_pt) {
		global_pt = vm_table_copy(vm, TEST_SLOT, global_pt);
		own_global_leaf_gva[s] = global_pt + 8 * INDEX(global_va, 1);
	}
	pt = vm_zeroed_page(vm, TEST_SLOT);
	vm_table(vm, pd)[INDEX(test_va, 2)] = pt | GP_P | GP_RW;
	vm_table(vm, pd)[INDEX(global_va, 2)] = global_pt | GP_P | GP_RW;
	make_leaves(vm, s, pt, test_va, GP_P | GP_RW);
	return top;
}

static struct kvm_vm *create_vm(struct kvm_vcpu **vcpu, const struct pcid_case *c)
{
	struct kvm_vm *vm;
	uint64_t global_pt;
	int s;

	vm = vm_create_with_test_slot(vcpu, c->guest, TEST_PAGES, TEST_SLOT, TEST_SLOT_GPA,
				      TEST_PAGES);
	virt_map(vm, TEST_SLOT_GPA, TEST_SLOT_GPA, TEST_PAGES);
	test_va = 1ULL << VM_LEVEL_SHIFT(vm_mmu_levels(vm));
	global_va = test_va + (1ULL << VM_LEVEL_SHIFT(2));
	global_pt = vm_zeroed_page(vm, TEST_SLOT);
	make_leaves(vm, SPACE_Z, global_pt, global_va, GP_P | GP_RW | GP_G);
	for (s = 0; s <= SPACE_Z; s++)
		cr3s[s] = make_space(vm, s, global_pt, c->own_global_pts);
	sync_global_to_guest(vm, cr3s);
	sync_global_to_guest(vm, own_global_leaf_gva);
	sync_global_to_guest(vm, leaf_gva);
	sync_global_to_guest(vm, leaf_val);
	sync_global_to_guest(vm, test_va);
	sync_global_to_guest(vm, global_va);
	sync_global_to_guest(vm, shadow_paging);
	return vm;
}

/* In a child: run one case to GUEST_DONE(); a guest assertion fails it. */
static void run_case(const void *arg)
{
	const struct pcid_case *c = arg;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	vm = create_vm(&vcpu, c);
	vcpu_run_to_done(vcpu);
	sync_global_from_guest(vm, nr_kept);
	sync_global_from_guest(vm, nr_may_keep);
	if (nr_may_keep)
		ksft_print_msg("%s: an entry that may survive did %lu of %lu times\n",
			       c->name, nr_kept, nr_may_keep);
	kvm_vm_free(vm);
}

int main(int argc, char *argv[])
{
	struct kvm_mmu_config cfg;
	unsigned int i;

	kvm_mmu_test_start(&cfg);
	shadow_paging = !cfg.tdp;
	if (!kvm_cpu_has(X86_FEATURE_PCID))
		ksft_exit_skip("KVM offers guests no PCID: its CPU lacks it (QEMU's TCG)\n");
	ksft_set_plan(ARRAY_SIZE(cases));

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		if (cases[i].invpcid && !kvm_cpu_has(X86_FEATURE_INVPCID))
			ksft_test_result_skip("%s_%s: KVM offers guests no INVPCID: %s\n",
					      cases[i].name, kvm_mmu_config_name(&cfg),
					      "its CPU lacks it (vm/bochs's AMD on Debian's Bochs)");
		else
			ksft_test_result(kvm_run_in_child(run_case, &cases[i]) == KSFT_PASS,
					 "%s_%s\n", cases[i].name, kvm_mmu_config_name(&cfg));
	}
	ksft_finished();
}
