// SPDX-License-Identifier: GPL-2.0
/*
 * upper_level_writes_test: writes to guest page tables that KVM must not
 * let go unsync, but write-protect and emulate, in 2-level, PAE and
 * 64-bit guests: <mode>_upper_level_writes_emulated, in five parts (PDE
 * writes, write flooding, a misaligned PDE write, INSBs to a page table,
 * and in PAE and 64-bit an unsync page table reused as a page directory)
 * on unsync_test's scene, a page table PT at VA_RW
 * (unsync_scene_init_two_views()), and in 64-bit a sixth and a seventh:
 * writes to the root across a CR3 switch, and while it is cached.
 *
 * Three INSBs in a row (emulated string I/O) to VA_ALT's page table: a
 * level-1 page never floods (detect_write_flooding() skips it, since it
 * could be unsync instead), so mmu_flooded stays while mmu_pte_write
 * counts the three writes.
 *
 * Only level-1 shadow pages may be unsync: a page directory's shadow page
 * is write-tracked (account_shadowed(), mmu.c), so mmu_try_to_unsync_pages()
 * refuses it and each guest write to it faults and is emulated; the
 * emulator's write reaches kvm_mmu_track_write(), which zaps the SPTE of
 * the written entry (mmu_pde_zapped), or the whole shadow page when the
 * write is misaligned (detect_write_misaligned(): less than 4 bytes) or
 * the page is written 3 times without being used in a walk meanwhile
 * (detect_write_flooding()), counting mmu_flooded.  A level-1 page that is
 * unsync and then becomes a page directory too (PAE, 64-bit: VA_HIGH's
 * PDPTE names it) is zapped as a page table (kvm_mmu_find_shadow_page():
 * "zap unsync pages for the same gfn" when an upper-level page is
 * created), after which it is write-tracked and never unsync again.
 *
 * A use of the table between two writes resets its flooding count: a walk
 * through it (FNAME(fetch), and at every write fault on the way to the
 * written page, so a root, on every path, is never flooded by writes that
 * fault), and for a root a MOV CR3 that reuses it (kvm_mmu_new_pgd() ->
 * __clear_sp_write_flooding_count()).  The sixth part writes the root
 * with INSB, which KVM emulates as string I/O without a fault: two
 * writes, a switch to another address space and back, a third write; TDP
 * off, no flooding and no zap of the root.  The seventh writes it three
 * times while it is cached, from another address space: TDP off, it
 * floods, and KVM frees that obsolete cached root at once and keeps the
 * current one (check_cached_root_flooded()).  (2-level and PAE roots are
 * KVM's pae_root, not a shadow page.)
 *
 * Guest-visible, every configuration: each directory change is seen after
 * INVLPG (SDM 4.10.4.1); through VA_RW, whose PDE names the reused page,
 * the entries the guest wrote there read as data.  TDP off: no unsync
 * event for the page directory; its shadow page zapped (flooding,
 * misaligned write); the reused page's level-1 shadow pages zapped when
 * its level-2 one is created, and no unsync event for it afterwards; the
 * stats mmu_flooded and mmu_pde_zapped move; a remote TLB flush is
 * requested after each write that zaps a present SPTE, and none after
 * one that zaps nothing.
 *
 * On kvm_amd 7.3 a case that fails only on the emulation checks, every
 * step right, is XFAIL with the evidence of a known KVM bug
 * (vectoring_defect()).  Without kvmmmu tracing (the build or the host),
 * the guest-visible checks still run: a case fails on them, and otherwise
 * skips with the reason (paging_report_traced()).
 */
#include <stdio.h>
#include <string.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"
#include "kselftest.h"

#include "kvm_compat.h"
#include "known_defects.h"
#include "kvm_mmu_config.h"
#include "kvm_trace.h"
#include "guest_paging.h"
#include "unsync_scene.h"

/* detect_write_flooding(): the emulated write that floods a page table. */
#define FLOOD_AT	3
/* An entry of VA_ALT's page table, and the address it maps */
#define PT_INSB_IDX	256
#define VA_ALT_INSB	(VA_ALT + PT_INSB_IDX * PAGE_SIZE)
/* 64-bit: a PML4 entry nothing uses (the upper half of the VA space). */
#define ROOT_FLOOD_IDX	256
/* Different page-directory entries in every mode, same page directory. */
#define VA_RW		0x40000000ull
#define VA_RO		0x40800000ull
/* Other directory entries of the same page directory, in every mode. */
#define VA_ALT		0x41000000ull
#define VA_FLOOD	0x42000000ull
/* PAE and 64-bit: a page-directory-pointer entry of its own. */
#define VA_HIGH		0x80000000ull

static const enum guest_paging_mode modes[] = {
	GUEST_PAGING_32BIT, GUEST_PAGING_PAE, GUEST_PAGING_4LEVEL,
};

static struct kvm_mmu_config cfg;
/* TDP off: why there is no kvmmmu tracing, or NULL. */
static const char *no_trace;

enum upper_part {
	UPPER_PDE_WRITES,
	UPPER_FLOODING,
	UPPER_MISALIGNED,
	UPPER_PT_INSBS,
	UPPER_REUSE,
	UPPER_ROOT_FLOODING,
	UPPER_CACHED_ROOT_FLOODING,
	UPPER_NR_PARTS,
};

static const char *const upper_part_names[UPPER_NR_PARTS] = {
	"PDE writes", "write flooding", "misaligned PDE write",
	"INSBs to a page table", "unsync page table reused as a page directory",
	"root writes across a CR3 switch", "cached root flooded",
};

struct write_counts {
	uint64_t flushes;	/* remote_tlb_flush_requests */
	uint64_t pde_zapped, flooded;
};

struct upper {
	struct unsync_scene s;
	struct guest_as *as2;	/* 64-bit: another address space, to switch to */
	uint64_t root;		/* 64-bit: the PML4 of s.as */
	uint64_t pde_alt, pde_rw, pde_gpa, pd;
	uint32_t alt_pte;
	uint64_t alt_table_va;	/* the alias of VA_ALT's page table */
	int quadrant;	/* of VA_RW's directory shadow page (2-level: 1) */
	int phase[UPPER_NR_PARTS];
	uint64_t flooded[UPPER_NR_PARTS], pde_zapped[UPPER_NR_PARTS];
	uint64_t pte_write[UPPER_NR_PARTS];
	/* The counts at each GSTEP_SYNC of a part, to tell single writes apart */
	struct write_counts at[UPPER_NR_PARTS][6];
	int nr_at[UPPER_NR_PARTS];
	enum upper_part running;
};

static void read_write_counts(struct paging_vm *pvm, uint32_t step, void *arg)
{
	struct upper *u = arg;
	struct write_counts *c = &u->at[u->running][u->nr_at[u->running]++];

	TEST_ASSERT(u->nr_at[u->running] <= ARRAY_SIZE(u->at[0]), "more GSTEP_SYNCs than reads");
	c->flushes = vm_stat_by_name(pvm->vm, "remote_tlb_flush_requests");
	c->pde_zapped = vm_stat_by_name(pvm->vm, "mmu_pde_zapped");
	c->flooded = vm_stat_by_name(pvm->vm, "mmu_flooded");
}

/*
 * The writes KVM emulates for one guest write of an entry: a PAE guest's
 * 32-bit code uses a locked CMPXCHG8B from a guess of 0 (store8() in
 * lib/guest32/engine.c), which over a non-zero entry first fails and
 * writes the old value back (SDM Vol. 2A, CMPXCHG8B), then succeeds.
 */
static int emulated_writes(struct upper *u, bool over_nonzero)
{
	return u->s.pvm->mode == GUEST_PAGING_PAE && over_nonzero ? 2 : 1;
}

/*
 * The flooding part's write that holds its FLOOD_AT'th emulated one: its
 * even writes set the entry (0 before), its odd ones clear it.
 */
static int flooding_write(struct upper *u)
{
	int i, n = 0;

	for (i = 0; n + emulated_writes(u, i & 1) < FLOOD_AT; i++)
		n += emulated_writes(u, i & 1);
	return i;
}

/* A PDE write between two GSTEP_SYNCs, to count its remote TLB flushes. */
static void write_pde_counted(struct upper *u, uint64_t pde)
{
	gstep_sync(u->s.pvm);
	gstep_write_entry(u->s.pvm, u->s.as, VA_RW, 2, pde);
	gstep_sync(u->s.pvm);
}

static void build_upper_part(struct upper *u, enum upper_part part)
{
	struct unsync_scene *s = &u->s;
	struct paging_vm *pvm = s->pvm;
	uint64_t high, root_entry, big = guest_paging_level_size(pvm->mode, 2);
	int i;

	gstep_phase(pvm, upper_part_names[part]);
	switch (part) {
	case UPPER_PDE_WRITES:
		gstep_load(pvm, VA_RW, 4, EXPECT_VALUE(unsync_scene_tag(0)));
		gstep_load(pvm, VA_ALT, 4, EXPECT_VALUE(unsync_scene_tag(2)));
		/* Both writes replace a PDE whose SPTE is present. */
		write_pde_counted(u, u->pde_alt);
		gstep_invlpg(pvm, VA_RW);
		gstep_load(pvm, VA_RW, 4, EXPECT_VALUE(unsync_scene_tag(2)));
		write_pde_counted(u, 0);
		gstep_invlpg(pvm, VA_RW);
		gstep_load(pvm, VA_RW, 4, EXPECT_PF(0, VA_RW));
		gstep_write_entry(pvm, s->as, VA_RW, 2, u->pde_rw);
		gstep_invlpg(pvm, VA_RW);
		gstep_load(pvm, VA_RW, 4, EXPECT_VALUE(unsync_scene_tag(0)));
		if (pvm->mode != GUEST_PAGING_PAE)
			break;
		/*
		 * PAE: the entry's high half rewritten (unchanged): KVM reads
		 * the whole entry for a 4-byte write (mmu_pte_write_fetch_gpte()),
		 * so it counts a new PDE whatever that half holds.  A walk
		 * then resets the flooding count.
		 */
		gstep_sync(pvm);
		gstep_store(pvm, paging_vm_table_va(pvm, u->pde_gpa) + 4, 4, u->pde_rw >> 32,
			    EXPECT_OK());
		gstep_sync(pvm);
		gstep_invlpg(pvm, VA_RW);
		gstep_load(pvm, VA_RW, 4, EXPECT_VALUE(unsync_scene_tag(0)));
		break;
	case UPPER_FLOODING:
		/*
		 * No walk through the directory between the writes; a
		 * GSTEP_SYNC before the one that floods it, and after.
		 */
		gstep_sync(pvm);
		for (i = 0; i < 4; i++) {
			if (i == flooding_write(u))
				gstep_sync(pvm);
			gstep_write_entry(pvm, s->as, VA_FLOOD, 2, i & 1 ? 0 : u->pde_alt);
			if (i == flooding_write(u))
				gstep_sync(pvm);
		}
		gstep_load(pvm, VA_FLOOD, 4, EXPECT_PF(0, VA_FLOOD));
		gstep_load(pvm, VA_RW, 4, EXPECT_VALUE(unsync_scene_tag(0)));
		break;
	case UPPER_MISALIGNED:
		/* The low 2 bytes: flags and address bits 15:12; R/W cleared. */
		gstep_store(pvm, paging_vm_table_va(pvm, u->pde_gpa), 2,
			    (u->pde_rw & 0xffff) & ~GP_RW, EXPECT_OK());
		gstep_invlpg(pvm, VA_RW);
		gstep_load(pvm, VA_RW, 4, EXPECT_VALUE(unsync_scene_tag(0)));
		gstep_store(pvm, VA_RW + 8, 4, 1, EXPECT_PF(PFERR_PRESENT_MASK | PFERR_WRITE_MASK,
							    VA_RW + 8));
		gstep_store(pvm, paging_vm_table_va(pvm, u->pde_gpa), 2, u->pde_rw & 0xffff,
			    EXPECT_OK());
		gstep_invlpg(pvm, VA_RW);
		gstep_store(pvm, VA_RW + 8, 4, 1, EXPECT_OK());
		break;
	case UPPER_PT_INSBS:
		/*
		 * Byte 0 (misaligned otherwise) of VA_ALT_INSB's entry, whose
		 * SPTE the load makes: the first INSB zaps it and so requests
		 * a remote TLB flush.  The entry keeps its frame.
		 */
		gstep_load(pvm, VA_ALT_INSB, 4, EXPECT_VALUE(unsync_scene_tag(3)));
		for (i = 0; i < 3; i++) {
			if (!i)
				gstep_sync(pvm);
			gstep_insb(pvm, u->alt_table_va +
				   PT_INSB_IDX * guest_paging_entry_size(pvm->mode), EXPECT_OK());
			if (!i)
				gstep_sync(pvm);
		}
		gstep_load(pvm, VA_ALT_INSB, 4, EXPECT_VALUE(unsync_scene_tag(3)));
		break;
	case UPPER_REUSE:
		/* Unsync PT, then make its entry 0 a PDE naming VA_ALT's table. */
		unsync_scene_write_pte(s, 1, s->data[3] | GP_P | GP_RW);
		unsync_scene_write_pte(s, 0, u->pde_alt);
		high = pvm->mode == GUEST_PAGING_PAE ? s->pt | GP_P : s->pt | GP_P | GP_RW | GP_US;
		gstep_write_entry(pvm, s->as, VA_HIGH, 3, high);
		/*
		 * PAE: PDPTEs are loaded at MOV CR3 (SDM 4.4.1), and KVM builds
		 * the shadow page of each present one's directory then
		 * (mmu_alloc_shadow_roots()).  64-bit: INVLPG is enough
		 * (4.10.4.1), and does not sync PT as a whole as MOV CR3 would.
		 */
		if (pvm->mode == GUEST_PAGING_PAE) {
			gstep_switch_as(pvm, s->as);
		} else {
			gstep_invlpg(pvm, VA_HIGH);
			gstep_invlpg(pvm, VA_RW);
			gstep_invlpg(pvm, VA_RW + PAGE_SIZE);
		}
		gstep_load(pvm, VA_HIGH, 4, EXPECT_VALUE(unsync_scene_tag(2)));
		/*
		 * Through VA_RW, PT is still a page table: entry 0 maps VA_ALT's
		 * table, whose entry 0 the walks above marked accessed (SDM 4.8).
		 */
		gstep_load(pvm, VA_RW, 4, EXPECT_VALUE(u->alt_pte));
		gstep_load(pvm, VA_RW + PAGE_SIZE, 4, EXPECT_VALUE(unsync_scene_tag(3)));

		/* Now shadowed at two levels: written entries seen both ways. */
		unsync_scene_write_pte(s, 2, u->pde_alt);
		gstep_invlpg(pvm, VA_HIGH + 2 * big);
		gstep_invlpg(pvm, VA_RW + 2 * PAGE_SIZE);
		gstep_load(pvm, VA_HIGH + 2 * big, 4, EXPECT_VALUE(unsync_scene_tag(2)));
		gstep_load(pvm, VA_RW + 2 * PAGE_SIZE, 4, EXPECT_VALUE(u->alt_pte));
		unsync_scene_write_pte(s, 0, 0);
		gstep_invlpg(pvm, VA_HIGH);
		gstep_invlpg(pvm, VA_RW);
		gstep_load(pvm, VA_HIGH, 4, EXPECT_PF(0, VA_HIGH));
		gstep_load(pvm, VA_RW, 4, EXPECT_PF(0, VA_RW));
		break;
	case UPPER_ROOT_FLOODING:
		if (!u->as2)
			break;
		root_entry = paging_vm_table_va(pvm, u->root) + 8 * ROOT_FLOOD_IDX;
		/*
		 * INSB, which KVM emulates (string I/O) without a #PF: no
		 * walk clears the root's flooding count between the writes.
		 */
		/* The first one between GSTEP_SYNCs: the entry has no SPTE. */
		gstep_sync(pvm);
		gstep_insb(pvm, root_entry, EXPECT_OK());
		gstep_sync(pvm);
		gstep_insb(pvm, root_entry, EXPECT_OK());
		gstep_switch_as(pvm, u->as2);
		gstep_switch_as(pvm, s->as);
		gstep_insb(pvm, root_entry, EXPECT_OK());
		gstep_load(pvm, VA_ALT, 4, EXPECT_VALUE(unsync_scene_tag(2)));
		break;
	case UPPER_CACHED_ROOT_FLOODING:
		if (!u->as2)
			break;
		/* The same writes while the root is cached, not current: no use between. */
		root_entry = paging_vm_table_va(pvm, u->root) + 8 * ROOT_FLOOD_IDX;
		gstep_switch_as(pvm, u->as2);
		gstep_insb(pvm, root_entry, EXPECT_OK());
		gstep_insb(pvm, root_entry, EXPECT_OK());
		gstep_insb(pvm, root_entry, EXPECT_OK());
		gstep_switch_as(pvm, s->as);
		gstep_load(pvm, VA_ALT, 4, EXPECT_VALUE(unsync_scene_tag(2)));
		break;
	default:
		break;
	}
}

/* Events of @part's phase for @gfn: of @type, at @level (and @quadrant). */
static size_t upper_count(struct upper *u, struct kvm_mmu_model *m, enum upper_part part,
			  int type, uint64_t gfn, int level, int quadrant)
{
	return kvm_mmu_model_count(m, KVM_MMU_QUERY(.phase = u->phase[part], .type = type,
						    .gfn = gfn, .level = level,
						    .quadrant = quadrant));
}

/* What check_upper() found wrong. */
#define UPPER_BAD_UNSYNC	BIT(0)	/* the directory went unsync */
#define UPPER_BAD_EMULATION	BIT(1)	/* a faulting write not tracked, or miscounted */
#define UPPER_BAD_REUSE		BIT(2)	/* the reused page table */
#define UPPER_BAD_ROOT_FLOOD	BIT(3)	/* the root flooded across a switch */
#define UPPER_BAD_WRITE_COUNTS	BIT(4)	/* an INSB's flushes, mmu_pde_zapped, flooding */
#define UPPER_BAD_TRACKED	BIT(5)	/* TDP on: an emulated write tracked */
#define UPPER_BAD_CACHED_ROOT	BIT(6)	/* the flooded cached root, or the current one */

#define UPPER_COUNTS_FMT						\
	"%s: PD gfn 0x%lx: %zu unsync events; PDE writes: mmu_pde_zapped +%lu; flooding: mmu_flooded +%lu, %zu zap; misaligned write: mmu_flooded +%lu, %zu zap\n"
#define UPPER_REUSE_FMT							\
	"%s: PT gfn 0x%lx reused as a directory: %zu level-1 zap events, %zu level-2 pages created, %zu unsync events after that\n"
#define UPPER_ROOT_FMT							\
	"%s: root gfn 0x%lx, 3 INSBs to it, a switch back after the 2nd: mmu_flooded +%lu, %zu zap events\n"
#define UPPER_REUSE_EXPECT_FMT						\
	"%s: expected PT's unsync level-1 pages zapped when its level-2 page is created, and no unsync after that\n"

/*
 * TDP on, KVM shadows no guest page table (indirect_shadow_pages is 0),
 * and kvm_mmu_track_write() (6.12 and 7.3 mmu.c) returns before it takes
 * mmu_lock for an emulated write, so mmu_pte_write stays.  The INSBs to
 * VA_ALT's page table and, 64-bit, to the root are such writes (emulated
 * string I/O, emulator_write_phys() in x86.c); the other parts emulate
 * nothing.
 */
static int check_tdp_writes_untracked(struct upper *u)
{
	uint64_t tracked = u->pte_write[UPPER_PT_INSBS] + u->pte_write[UPPER_ROOT_FLOODING] +
			   u->pte_write[UPPER_CACHED_ROOT_FLOODING];

	ksft_print_msg("%s: TDP on: %d INSBs: mmu_pte_write +%lu\n", u->s.pvm->name,
		       u->as2 ? 9 : 3, tracked);
	if (!tracked)
		return 0;
	ksft_print_msg("%s: expected none: no shadow page, no write tracking\n", u->s.pvm->name);
	return UPPER_BAD_TRACKED;
}

/* @part's counts from its GSTEP_SYNC @from to the next one. */
static struct write_counts count_delta(struct upper *u, enum upper_part part, int from)
{
	struct write_counts *a = &u->at[part][from], *b = a + 1;

	return (struct write_counts){
		.flushes = b->flushes - a->flushes,
		.pde_zapped = b->pde_zapped - a->pde_zapped,
		.flooded = b->flooded - a->flooded,
	};
}

/*
 * kvm_mmu_track_write() (6.12 and 7.3 mmu.c) zaps the SPTE of the entry
 * written and, if it was present, asks kvm_mmu_remote_flush_or_zap() for a
 * flush of every vCPU: any of them may hold translations made through it;
 * if not, for none.  The guest cannot see a missing flush here (QEMU and
 * Bochs flush their whole TLB at every VM exit, and the write is one);
 * the remote_tlb_flush_requests stat, which counts every
 * kvm_flush_remote_tlbs() (virt/kvm/kvm_main.c), can.  It counts
 * mmu_pde_zapped once per SPTE zapped for a non-zero entry above level 1:
 * a 2-level PDE has two (get_written_sptes(): the quadrant's page only).
 * The two PDE writes replace entries with an SPTE, the second with 0.
 * These writes fault and are emulated: emulation counts, which a known
 * 7.3 defect can make XFAIL (vectoring_defect()).
 */
#define UPPER_WRITES_FMT						\
	"%s: remote TLB flushes, mmu_pde_zapped: PDE write %lu, +%lu; PDE cleared %lu, +%lu\n"
#define UPPER_WRITES_EXPECT_FMT						\
	"%s: expected a flush after each zap of a present SPTE, mmu_pde_zapped +%d for a new PDE and none for 0\n"

static bool pde_write_counts_ok(struct upper *u)
{
	struct write_counts w1 = count_delta(u, UPPER_PDE_WRITES, 0);
	struct write_counts w2 = count_delta(u, UPPER_PDE_WRITES, 2);
	int sptes = u->s.pvm->mode == GUEST_PAGING_32BIT ? 2 : 1;
	int zaps = sptes * emulated_writes(u, true);
	bool ok = w1.flushes && w2.flushes;

	/* Not emulated at all (0): check_upper()'s emulation check. */
	if (w1.pde_zapped)
		ok &= w1.pde_zapped == zaps;
	/* Cleared: only PAE's write-back of the old entry counts. */
	ok &= w2.pde_zapped == sptes * (emulated_writes(u, true) - 1);
	if (u->nr_at[UPPER_PDE_WRITES] == 6) {
		struct write_counts half = count_delta(u, UPPER_PDE_WRITES, 4);

		ksft_print_msg("%s: PAE: the high half rewritten: %lu, +%lu\n", u->s.pvm->name,
			       half.flushes, half.pde_zapped);
		ok &= half.flushes && half.pde_zapped == 1;
	}
	ksft_print_msg(UPPER_WRITES_FMT, u->s.pvm->name, w1.flushes, w1.pde_zapped, w2.flushes,
		       w2.pde_zapped);
	if (!ok)
		ksft_print_msg(UPPER_WRITES_EXPECT_FMT, u->s.pvm->name, zaps);
	return ok;
}

/*
 * The first INSB of each INSB part (string I/O: emulated without a fault):
 * to a PTE whose SPTE is present, it zaps it and requests a flush; to the
 * empty root entry (64-bit), it zaps nothing and requests none, and one
 * byte counts no mmu_pde_zapped (mmu_pte_write_fetch_gpte(): no entry).
 */
static bool insb_counts_ok(struct upper *u)
{
	char root[48] = "-";
	uint64_t pte = 0;
	bool ok = true;

	if (u->nr_at[UPPER_PT_INSBS] == 2) {
		pte = count_delta(u, UPPER_PT_INSBS, 0).flushes;
		ok &= pte;
	}
	if (u->nr_at[UPPER_ROOT_FLOODING] == 2) {
		struct write_counts w = count_delta(u, UPPER_ROOT_FLOODING, 0);

		snprintf(root, sizeof(root), "%lu, +%lu", w.flushes, w.pde_zapped);
		ok &= !w.flushes && !w.pde_zapped;
	}
	ksft_print_msg("%s: INSB to a present PTE: %lu flushes; to an empty root entry: %s\n",
		       u->s.pvm->name, pte, root);
	if (!ok)
		ksft_print_msg("%s: %s\n", u->s.pvm->name,
			       "expected a flush for the PTE, none and no mmu_pde_zapped for the root");
	return ok;
}

/*
 * detect_write_flooding(): the FLOOD_AT'th emulated write to a page table
 * with no walk through it in between zaps it, not one before.  Checked
 * when it flooded at all (else check_upper()'s emulation check fails).
 */
static bool flooding_counts_ok(struct upper *u)
{
	uint64_t before = count_delta(u, UPPER_FLOODING, 0).flooded;
	uint64_t at = count_delta(u, UPPER_FLOODING, 1).flooded;

	if (u->nr_at[UPPER_FLOODING] != 3 || !u->flooded[UPPER_FLOODING])
		return true;
	ksft_print_msg("%s: mmu_flooded before write %d +%lu, at it +%lu\n", u->s.pvm->name,
		       FLOOD_AT, before, at);
	if (!before && at)
		return true;
	ksft_print_msg("%s: expected the directory flooded at emulated write %d\n",
		       u->s.pvm->name, FLOOD_AT);
	return false;
}

static int check_write_counts(struct upper *u)
{
	int bad = 0;

	/* Steps that stopped early are a failure already. */
	if (u->nr_at[UPPER_PDE_WRITES] < 4)
		return 0;
	if (!(pde_write_counts_ok(u) & flooding_counts_ok(u)))
		bad |= UPPER_BAD_EMULATION;
	if (!insb_counts_ok(u))
		bad |= UPPER_BAD_WRITE_COUNTS;
	return bad;
}

#define UPPER_CACHED_ROOT_FMT						\
	"%s: cached root gfn 0x%lx, 3 INSBs to it: mmu_flooded +%lu, zapped while cached %zu, released %zu; lookups of the current root (gfn 0x%lx) %zu\n"

/*
 * 64-bit, TDP off: s.as's root flooded while cached (prev_roots: root_count
 * 1).  A root in use that is zapped is marked invalid and every vCPU gets
 * KVM_REQ_MMU_FREE_OBSOLETE_ROOTS (__kvm_mmu_prepare_zap_page(), 6.12 and
 * 7.3 mmu.c), whose __kvm_mmu_free_obsolete_roots() frees the obsolete
 * roots, current or cached, and no other: the flooded root drops to
 * root_count 0 and is zapped for good (mmu_free_root_page()), while the
 * current root, as2's, is kept, with no kvm_mmu_get_page for it.  (The
 * switch back makes s.as's root anew, and as2's is cached again.)
 */
static int check_cached_root_flooded(struct upper *u, struct kvm_mmu_model *m)
{
	uint64_t gfn = u->root >> 12, cur_gfn = guest_as_cr3(u->as2) >> 12;
	int ph = u->phase[UPPER_CACHED_ROOT_FLOODING];
	size_t zapped = kvm_mmu_model_count(m, KVM_MMU_QUERY(.phase = ph, .gfn = gfn,
							     .type = KVM_MMU_PREPARE_ZAP_PAGE,
							     .root_count = 1));
	size_t released = kvm_mmu_model_count(m, KVM_MMU_QUERY(.phase = ph, .gfn = gfn,
							       .type = KVM_MMU_PREPARE_ZAP_PAGE,
							       .root_count = 0));
	size_t lookups = kvm_mmu_model_count(m, KVM_MMU_QUERY(.phase = ph, .gfn = cur_gfn,
							      .type = KVM_MMU_GET_PAGE));

	ksft_print_msg(UPPER_CACHED_ROOT_FMT, u->s.pvm->name, gfn,
		       u->flooded[UPPER_CACHED_ROOT_FLOODING], zapped, released, cur_gfn, lookups);
	if (u->flooded[UPPER_CACHED_ROOT_FLOODING] == 1 && zapped == 1 && released == 1 &&
	    !lookups)
		return 0;
	ksft_print_msg("%s: %s\n", u->s.pvm->name,
		       "expected the cached root flooded once, zapped, released at once, and no lookup of the current root");
	return UPPER_BAD_CACHED_ROOT;
}

static int check_upper(struct upper *u, struct kvm_trace *t, int nr_parts)
{
	struct kvm_mmu_model *m = kvm_trace_model(t);
	uint64_t pd_gfn = u->pd >> 12, pt_gfn = u->s.pt >> 12;
	const char *name = u->s.pvm->name;
	size_t pd_unsync = kvm_mmu_model_count(m, KVM_MMU_QUERY(.type = KVM_MMU_UNSYNC_PAGE,
								 .gfn = pd_gfn));
	size_t flood_zap = upper_count(u, m, UPPER_FLOODING, KVM_MMU_PREPARE_ZAP_PAGE, pd_gfn,
				       2, u->quadrant);
	size_t misaligned_zap = upper_count(u, m, UPPER_MISALIGNED, KVM_MMU_PREPARE_ZAP_PAGE,
					    pd_gfn, 2, u->quadrant);
	int bad = 0;

	ksft_print_msg(UPPER_COUNTS_FMT,
		       name, pd_gfn, pd_unsync, u->pde_zapped[UPPER_PDE_WRITES],
		       u->flooded[UPPER_FLOODING], flood_zap, u->flooded[UPPER_MISALIGNED],
		       misaligned_zap);
	if (pd_unsync) {
		ksft_print_msg("%s: expected the directory never unsync\n", name);
		bad |= UPPER_BAD_UNSYNC;
	}
	/*
	 * kvm_mmu_track_write(): two non-zero PDE writes, each zapping the
	 * written SPTE; flooding and the misaligned write each zap VA_RW's
	 * directory shadow page and count mmu_flooded.
	 */
	if (u->pde_zapped[UPPER_PDE_WRITES] < 2 || !u->flooded[UPPER_FLOODING] || !flood_zap ||
	    !u->flooded[UPPER_MISALIGNED] || !misaligned_zap ||
	    u->pte_write[UPPER_PT_INSBS] < 3) {
		ksft_print_msg("%s: %s\n", name,
			       "expected PDE writes emulated (mmu_pde_zapped >= 2), the directory's shadow page zapped by flooding and by a misaligned write (mmu_flooded, zap events), the INSBs tracked (mmu_pte_write)");
		bad |= UPPER_BAD_EMULATION;
	}
	ksft_print_msg("%s: 3 INSBs to a page table: mmu_pte_write +%lu, mmu_flooded +%lu\n", name,
		       u->pte_write[UPPER_PT_INSBS], u->flooded[UPPER_PT_INSBS]);
	if (u->flooded[UPPER_PT_INSBS]) {
		ksft_print_msg("%s: expected no flooding of a level-1 page\n", name);
		bad |= UPPER_BAD_WRITE_COUNTS;
	}
	if (nr_parts > UPPER_REUSE) {
		size_t zap1 = upper_count(u, m, UPPER_REUSE, KVM_MMU_PREPARE_ZAP_PAGE, pt_gfn, 1,
					  KVM_MMU_ANY);
		size_t made2 = kvm_mmu_model_count(m, KVM_MMU_QUERY(.phase = u->phase[UPPER_REUSE],
					.type = KVM_MMU_GET_PAGE, .created = 1, .gfn = pt_gfn,
					.level = 2));
		size_t unsync_after = 0, i;
		bool level2 = false;

		for (i = 0; i < m->nr_events; i++) {
			const struct kvm_mmu_event *e = &m->events[i];

			if (e->gfn != pt_gfn)
				continue;
			if (e->type == KVM_MMU_GET_PAGE &&
			    kvm_role_get(&m->layout, e->role, "level") == 2)
				level2 = true;
			if (e->type == KVM_MMU_UNSYNC_PAGE && level2)
				unsync_after++;
		}
		ksft_print_msg(UPPER_REUSE_FMT, name, pt_gfn, zap1, made2, unsync_after);
		if (!zap1 || !made2 || unsync_after) {
			ksft_print_msg(UPPER_REUSE_EXPECT_FMT, name);
			bad |= UPPER_BAD_REUSE;
		}
	}
	if (u->as2 && nr_parts > UPPER_ROOT_FLOODING) {
		size_t root_zap = upper_count(u, m, UPPER_ROOT_FLOODING, KVM_MMU_PREPARE_ZAP_PAGE,
					      u->root >> 12, KVM_MMU_ANY, KVM_MMU_ANY);

		ksft_print_msg(UPPER_ROOT_FMT, name, u->root >> 12, u->flooded[UPPER_ROOT_FLOODING],
			       root_zap);
		if (u->flooded[UPPER_ROOT_FLOODING] || root_zap) {
			ksft_print_msg("%s: %s\n", name,
				       "expected no flooding: the switch back to the root is a use of it");
			bad |= UPPER_BAD_ROOT_FLOOD;
		}
	}
	if (u->as2 && nr_parts > UPPER_CACHED_ROOT_FLOODING)
		bad |= check_cached_root_flooded(u, m);
	bad |= check_write_counts(u);
	if (bad)
		kvm_trace_print(t);
	return bad;
}

#define VECTORING_DEFECT	DEFECT_SVM_VECTORING_IGNORES_EXITINTINFO_V

/*
 * The KVM bug of docs/defects/kvm-svm-vectoring-ignores-exitintinfo-v.md:
 * on kvm_amd, 7.3's svm_check_emulate_instruction() (arch/x86/kvm/svm/
 * svm.c) refuses to emulate at a #PF intercept when EXITINTINFO's type
 * bits are set, V or not.  QEMU TCG leaves the type and vector of the
 * last event it delivered there with V clear, so the first write to a
 * write-tracked page after KVM injected a #PF (the steps that expect one)
 * is not emulated: x86_emulate_instruction() (arch/x86/kvm/x86.c) has
 * kvm_unprotect_and_retry_on_failure() zap every shadow page of the gfn
 * and lets the guest redo the write natively, which kvm_mmu_track_write()
 * never sees (mmu_pde_zapped, mmu_flooded and the zaps of flooding miss
 * it).  The guest-visible outcome is the architectural one either way.
 *
 * Evidence that this is why check_upper() failed, in the same VM: the
 * same write of a PDE (VA_ALT's, its own value) in three runs that differ
 * only in the step before it, a load of a present page or of a
 * not-present one whose #PF KVM injects.  Without the #PF, before and
 * after, it is emulated (mmu_pde_zapped or mmu_flooded move) and no
 * shadow page of the directory is zapped: an aligned write zaps only the
 * SPTE it changes, unless it floods.  Right after the #PF, the
 * directory's shadow pages are zapped without mmu_flooded moving: the
 * unprotect.  (With 2-level paging the directory is the root, which KVM
 * rebuilds before the guest redoes the write: that write faults again,
 * in a new VMRUN, and is emulated then.)  Any #VMEXIT between the #PF
 * and the write (a host interrupt) starts a new VMRUN, whose EXITINTINFO
 * no longer has the #PF: so up to PROBE_TRIES tries after a #PF, the
 * first unprotected one is the evidence.  A KVM that emulates, or
 * declines to, whatever came before the write shows no difference.
 */
#define PROBE_TRIES	4

struct probe {
	uint64_t pde_zapped, flooded;
	size_t pd_zaps;
	bool steps_ok;
};

static void probe_run(struct upper *u, struct kvm_trace *t, bool after_pf, struct probe *p)
{
	struct paging_vm *pvm = u->s.pvm;
	const uint64_t np = VA_ALT + PAGE_SIZE;
	uint64_t pde_zapped, flooded;
	int phase;

	gstep_phase(pvm, after_pf ? "probe: PDE write after an injected #PF" : "probe: PDE write");
	gstep_load(pvm, VA_ALT, 4, EXPECT_VALUE(unsync_scene_tag(2)));
	if (after_pf)
		gstep_load(pvm, np, 4, EXPECT_PF(0, np));
	else
		gstep_load(pvm, VA_ALT, 4, EXPECT_VALUE(unsync_scene_tag(2)));
	gstep_write_entry(pvm, u->s.as, VA_ALT, 2, u->pde_alt);

	flooded = vm_stat_by_name(pvm->vm, "mmu_flooded");
	pde_zapped = vm_stat_by_name(pvm->vm, "mmu_pde_zapped");
	kvm_trace_start(t, after_pf ? "probe after #PF" : "probe");
	phase = kvm_trace_phase(t);
	p->steps_ok = !paging_vm_run_steps(pvm);
	kvm_trace_stop(t);
	p->flooded = vm_stat_by_name(pvm->vm, "mmu_flooded") - flooded;
	p->pde_zapped = vm_stat_by_name(pvm->vm, "mmu_pde_zapped") - pde_zapped;
	p->pd_zaps = kvm_mmu_model_count(kvm_trace_model(t),
					 KVM_MMU_QUERY(.phase = phase,
						       .type = KVM_MMU_PREPARE_ZAP_PAGE,
						       .gfn = u->pd >> 12));
}

static bool probe_emulated(const struct probe *p)
{
	return p->steps_ok && (p->pde_zapped || p->flooded) && !p->pd_zaps;
}

/* The directory's shadow pages zapped, and not by flooding. */
static bool probe_unprotected(const struct probe *p)
{
	return p->steps_ok && !p->flooded && p->pd_zaps;
}

/* Whether check_upper()'s failure is that defect's: the evidence, printed. */
static bool vectoring_defect(struct upper *u, struct kvm_trace *t, char *why, size_t size)
{
	const char *name = u->s.pvm->name;
	struct probe before, after, again;
	char counts[320];
	int tries = 0;

	if (strcmp(cfg.vendor_module, "kvm_amd") || u->s.pvm->dead)
		return false;
	probe_run(u, t, false, &before);
	do
		probe_run(u, t, true, &after);
	while (++tries < PROBE_TRIES && !probe_unprotected(&after));
	probe_run(u, t, false, &again);
	snprintf(counts, sizeof(counts),
		 "without a #PF before it: mmu_pde_zapped +%lu, mmu_flooded +%lu, %zu zap events of the directory (again after: +%lu, +%lu, %zu); right after an injected #PF, try %d of %d: %zu zap events of the directory, mmu_flooded +%lu, mmu_pde_zapped +%lu",
		 before.pde_zapped, before.flooded, before.pd_zaps, again.pde_zapped,
		 again.flooded, again.pd_zaps, tries, PROBE_TRIES, after.pd_zaps, after.flooded,
		 after.pde_zapped);
	ksft_print_msg("%s: probe, the same PDE write %s\n", name, counts);
	if (!probe_emulated(&before) || !probe_emulated(&again) || !probe_unprotected(&after))
		return false;
	snprintf(why, size,
		 "the same PDE write is emulated without a #PF before it and unprotected right after KVM injected one (%s)",
		 counts);
	if (known_defect_seen_on_this_kernel(VECTORING_DEFECT))
		return true;
	ksft_print_msg("%s: %s: the signature of %s, on a kernel where it is not known\n", name,
		       why, known_defect(VECTORING_DEFECT));
	return false;
}

static void run_upper(enum guest_paging_mode mode)
{
	int nr_parts = mode == GUEST_PAGING_32BIT ? UPPER_REUSE : UPPER_NR_PARTS;
	struct kvm_trace *t = NULL;
	struct upper u;
	struct unsync_scene *s = &u.s;
	uint64_t flooded, zapped, pte_write;
	bool steps_ok = true, xfail = false;
	char why[640];
	int part, bad = 0;

	memset(&u, 0, sizeof(u));
	unsync_scene_init_two_views(s, mode, VA_RW, VA_RO);
	guest_as_map(s->as, VA_ALT, s->data[2], 1, GP_P | GP_RW);
	guest_as_map(s->as, VA_ALT_INSB, s->data[3], 1, GP_P | GP_RW);
	/* Ask for every entry the steps write once before the first run. */
	guest_as_entry_gpa(s->as, VA_FLOOD, 2);
	if (nr_parts > UPPER_REUSE)
		guest_as_entry_gpa(s->as, VA_HIGH, 3);
	u.pde_alt = guest_as_read_entry(s->as, VA_ALT, 2);
	u.pde_rw = guest_as_read_entry(s->as, VA_RW, 2);
	u.pde_gpa = guest_as_entry_gpa(s->as, VA_RW, 2);
	u.pd = u.pde_gpa & ~0xfffull;
	u.alt_pte = s->data[2] | GP_P | GP_RW | GP_A;
	u.alt_table_va = guest_as_entry_gpa(s->as, VA_ALT, 1) & ~0xfffull;
	u.alt_table_va = paging_vm_table_va(s->pvm, u.alt_table_va);
	/* kvm_mmu_child_role(): a 2-level directory is shadowed in quarters. */
	u.quadrant = mode == GUEST_PAGING_32BIT ? VA_RW >> 30 : 0;
	/* Only a 64-bit guest's root has a shadow page (others: pae_root). */
	if (mode == GUEST_PAGING_4LEVEL) {
		u.root = guest_as_cr3(s->as) & ~0xfffull;
		u.as2 = guest_as_create(s->pvm);
		guest_as_map_tables(u.as2, UNSYNC_SCENE_VA_TABLES);
	}
	if (!cfg.tdp && !no_trace)
		t = kvm_trace_create();

	for (part = 0; part < nr_parts; part++) {
		build_upper_part(&u, part);
		flooded = vm_stat_by_name(s->pvm->vm, "mmu_flooded");
		zapped = vm_stat_by_name(s->pvm->vm, "mmu_pde_zapped");
		pte_write = vm_stat_by_name(s->pvm->vm, "mmu_pte_write");
		if (t) {
			kvm_trace_start(t, upper_part_names[part]);
			u.phase[part] = kvm_trace_phase(t);
		}
		u.running = part;
		s->pvm->sync_fn = read_write_counts;
		s->pvm->sync_arg = &u;
		steps_ok &= !paging_vm_run_steps(s->pvm);
		s->pvm->sync_fn = NULL;
		if (t)
			kvm_trace_stop(t);
		u.flooded[part] = vm_stat_by_name(s->pvm->vm, "mmu_flooded") - flooded;
		u.pde_zapped[part] = vm_stat_by_name(s->pvm->vm, "mmu_pde_zapped") - zapped;
		u.pte_write[part] = vm_stat_by_name(s->pvm->vm, "mmu_pte_write") - pte_write;
	}
	if (cfg.tdp)
		bad = check_tdp_writes_untracked(&u);
	if (t) {
		bad = check_upper(&u, t, nr_parts);
		/* Only a failure that defect explains, with every step right. */
		if (steps_ok && bad == UPPER_BAD_EMULATION)
			xfail = vectoring_defect(&u, t, why, sizeof(why));
		kvm_trace_destroy(t);
	}
	if (xfail)
		ksft_test_result_xfail("%s_upper_level_writes_emulated_%s: %s; %s\n",
				       guest_paging_mode_name(mode), kvm_mmu_config_name(&cfg),
				       known_defect(VECTORING_DEFECT), why);
	else
		paging_report_traced(steps_ok && !bad, no_trace,
				     "%s_upper_level_writes_emulated_%s",
				     guest_paging_mode_name(mode), kvm_mmu_config_name(&cfg));
	paging_vm_free(s->pvm);
}

int main(int argc, char *argv[])
{
	const char *why;
	unsigned int i;

	kvm_mmu_test_start(&cfg);
	/* Each case frees its VM before the next: one VM, reset, for all. */
	paging_vm_reuse_vms(true);
	if (!cfg.tdp)
		no_trace = kvm_trace_unavailable();
	ksft_set_plan(ARRAY_SIZE(modes));

	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		if (guest_paging_mode_supported(modes[i], &why))
			run_upper(modes[i]);
		else
			ksft_test_result_skip("%s: %s\n", guest_paging_mode_name(modes[i]), why);
	}
	ksft_finished();
}
