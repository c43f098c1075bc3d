// SPDX-License-Identifier: GPL-2.0
/*
 * unsync_test: guest page tables that KVM lets go out of sync, brought
 * back by INVLPG and MOV CR3 with the right permissions, in 2-level, PAE
 * and 64-bit guests.
 *
 * One guest page table PT is reached through two page-directory entries:
 * VA_RW (R/W=1) and VA_RO (R/W=0).  With TDP off, KVM shadows PT twice,
 * once per role.access (FNAME(fetch) -> kvm_mmu_get_child_sp(),
 * arch/x86/kvm/mmu/paging_tmpl.h).  The guest rewrites PT's entries
 * through an alias mapping: the first write makes KVM unsync PT's shadow
 * pages instead of write-protecting them (mmu_try_to_unsync_pages(),
 * arch/x86/kvm/mmu/mmu.c).  INVLPG (kvm_mmu_invlpg() ->
 * kvm_mmu_invalidate_addr()) and MOV CR3 (kvm_mmu_sync_roots() ->
 * kvm_sync_page()) must then bring each instance back in sync, with its
 * own access: kvm_sync_page_check() allows a sync under the current root
 * although the page's role.access (and quadrant, passthrough) differ from
 * the root's, by masking them with sync_role_ign; FNAME(sync_spte) takes
 * the access from sp->role.access & the new gpte.
 *
 * Guest-visible, every configuration (SDM 4.6: effective rights are the
 * combination of all levels; 4.10.4.1: after INVLPG the address uses the
 * new entry, after MOV CR3 every non-global one does; 4.10.4.3: P 0->1
 * needs no flush): each change of a leaf entry - frame, present ->
 * not-present, not-present -> present, R/W 0 -> 1, U/S 0 -> 1, XD - is
 * seen through VA_RW after INVLPG and through VA_RO after MOV CR3, and a
 * write through VA_RO always faults.  Before the flush any outcome the
 * architecture allows is accepted.
 *
 * TDP off, read back through kvmmmu events: PT was unsynced, synced, and
 * never zapped, in both roles.
 */
#include <stdio.h>
#include <string.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"
#include "kselftest.h"

#include "kvm_compat.h"
#include "kvm_mmu_config.h"
#include "kvm_trace.h"
#include "guest_paging.h"

#define VA_TABLES	0x20000000ull
/* Different page-directory entries in every mode, same page directory. */
#define VA_RW		0x40000000ull
#define VA_RO		0x40800000ull
#define EXEC_OFF	0x800
#define RET_INSN	0xc3

static const enum guest_paging_mode modes[] = {
	GUEST_PAGING_32BIT, GUEST_PAGING_PAE, GUEST_PAGING_4LEVEL,
};

static struct kvm_mmu_config cfg;

struct scene {
	struct paging_vm *pvm;
	struct guest_as *as;
	uint64_t data[4];	/* GPAs of pages tagged 0xd0..0xd3 */
	uint64_t pt;		/* GPA of the shared page table */
};

static uint32_t tag(int i)
{
	return 0xd0d0d000u | i;
}

static void build_scene(struct scene *s, enum guest_paging_mode mode)
{
	struct paging_vm *pvm = paging_vm_create(mode);
	uint64_t pde;
	int i;

	s->pvm = pvm;
	s->as = guest_as_create(pvm);
	guest_as_map_tables(s->as, VA_TABLES);
	for (i = 0; i < 4; i++) {
		s->data[i] = paging_vm_alloc(pvm, PAGE_SIZE, PAGE_SIZE);
		*(uint32_t *)paging_vm_hva(pvm, s->data[i]) = tag(i);
		*(uint8_t *)paging_vm_hva(pvm, s->data[i] + EXEC_OFF) = RET_INSN;
	}
	guest_as_map(s->as, VA_RW, s->data[0], 1, GP_P | GP_RW);
	guest_as_map(s->as, VA_RW + PAGE_SIZE, s->data[1], 1, GP_P | GP_RW);
	/* VA_RO's directory entry names the same table, read-only. */
	guest_as_share(s->as, VA_RO, s->as, VA_RW, 2);
	pde = guest_as_read_entry(s->as, VA_RO, 2);
	guest_as_write_entry(s->as, VA_RO, 2, pde & ~GP_RW);
	s->pt = pde & ~0xfffull & ~GP_NX;
}

static void write_pte(struct scene *s, int idx, uint64_t val)
{
	gstep_write_entry(s->pvm, s->as, VA_RW + idx * PAGE_SIZE, 1, val);
}

/* After a flush of everything: both views of entry @idx agree. */
static void check_both(struct scene *s, int idx, struct gstep_expect rw,
		       struct gstep_expect ro)
{
	gstep_load(s->pvm, VA_RW + idx * PAGE_SIZE, 4, rw);
	gstep_load(s->pvm, VA_RO + idx * PAGE_SIZE, 4, ro);
}

static void build_steps(struct scene *s)
{
	struct paging_vm *pvm = s->pvm;
	const uint64_t ro_write = GP_PFEC_P | GP_PFEC_W;
	bool nx = pvm->mode != GUEST_PAGING_32BIT && (pvm->efer & GP_EFER_NX);

	gstep_phase(pvm, "warm up both views");
	check_both(s, 0, EXPECT_VALUE(tag(0)), EXPECT_VALUE(tag(0)));
	check_both(s, 1, EXPECT_VALUE(tag(1)), EXPECT_VALUE(tag(1)));
	gstep_store(pvm, VA_RO, 4, 1, EXPECT_PF(ro_write, VA_RO));

	gstep_phase(pvm, "frame change");
	write_pte(s, 0, s->data[2] | GP_P | GP_RW);
	gstep_load(pvm, VA_RO, 4, EXPECT_ANY());
	gstep_invlpg(pvm, VA_RW);
	gstep_load(pvm, VA_RW, 4, EXPECT_VALUE(tag(2)));
	gstep_switch_as(pvm, s->as);
	check_both(s, 0, EXPECT_VALUE(tag(2)), EXPECT_VALUE(tag(2)));
	gstep_store(pvm, VA_RO, 4, 1, EXPECT_PF(ro_write, VA_RO));

	gstep_phase(pvm, "present -> not present");
	write_pte(s, 1, 0);
	gstep_invlpg(pvm, VA_RW + PAGE_SIZE);
	gstep_load(pvm, VA_RW + PAGE_SIZE, 4, EXPECT_PF(0, VA_RW + PAGE_SIZE));
	gstep_switch_as(pvm, s->as);
	gstep_load(pvm, VA_RO + PAGE_SIZE, 4, EXPECT_PF(0, VA_RO + PAGE_SIZE));

	gstep_phase(pvm, "not present -> present, read-only");
	write_pte(s, 1, s->data[3] | GP_P);
	check_both(s, 1, EXPECT_VALUE(tag(3)), EXPECT_VALUE(tag(3)));
	gstep_store(pvm, VA_RW + PAGE_SIZE, 4, 1, EXPECT_PF(ro_write, VA_RW + PAGE_SIZE));

	gstep_phase(pvm, "R/W 0 -> 1");
	write_pte(s, 1, s->data[3] | GP_P | GP_RW);
	gstep_invlpg(pvm, VA_RW + PAGE_SIZE);
	gstep_store(pvm, VA_RW + PAGE_SIZE + 8, 4, 0x77, EXPECT_OK());
	gstep_switch_as(pvm, s->as);
	gstep_load(pvm, VA_RO + PAGE_SIZE + 8, 4, EXPECT_VALUE(0x77));
	gstep_store(pvm, VA_RO + PAGE_SIZE, 4, 1, EXPECT_PF(ro_write, VA_RO + PAGE_SIZE));

	gstep_phase(pvm, "U/S 0 -> 1");
	gstep_load_user(pvm, VA_RW, 4, EXPECT_PF(GP_PFEC_P | GP_PFEC_U, VA_RW));
	write_pte(s, 0, s->data[2] | GP_P | GP_RW | GP_US);
	gstep_invlpg(pvm, VA_RW);
	gstep_load_user(pvm, VA_RW, 4, EXPECT_VALUE(tag(2)));
	gstep_switch_as(pvm, s->as);
	gstep_load_user(pvm, VA_RO, 4, EXPECT_VALUE(tag(2)));
	gstep_store_user(pvm, VA_RO, 4, 1, EXPECT_PF(ro_write | GP_PFEC_U, VA_RO));

	gstep_phase(pvm, "R/W 1 -> 0");
	write_pte(s, 0, s->data[2] | GP_P | GP_US);
	gstep_invlpg(pvm, VA_RW);
	gstep_store(pvm, VA_RW + 8, 4, 1, EXPECT_PF(ro_write, VA_RW + 8));

	if (nx) {
		gstep_phase(pvm, "XD 0 -> 1 -> 0");
		gstep_exec(pvm, VA_RW + EXEC_OFF, EXPECT_OK());
		write_pte(s, 0, s->data[2] | GP_P | GP_NX);
		gstep_invlpg(pvm, VA_RW);
		gstep_exec(pvm, VA_RW + EXEC_OFF,
			   EXPECT_PF(GP_PFEC_P | GP_PFEC_I, VA_RW + EXEC_OFF));
		gstep_switch_as(pvm, s->as);
		gstep_exec(pvm, VA_RO + EXEC_OFF,
			   EXPECT_PF(GP_PFEC_P | GP_PFEC_I, VA_RO + EXEC_OFF));
		write_pte(s, 0, s->data[2] | GP_P);
		gstep_invlpg(pvm, VA_RW);
		gstep_exec(pvm, VA_RW + EXEC_OFF, EXPECT_OK());
	}
}

static size_t count(struct kvm_mmu_model *m, int type, uint64_t gfn)
{
	struct kvm_mmu_query q = KVM_MMU_QUERY(.type = type, .gfn = gfn, .level = 1);

	return kvm_mmu_model_count(m, q);
}

static size_t count_pages(struct kvm_mmu_model *m, uint64_t gfn)
{
	struct kvm_mmu_query q = KVM_MMU_QUERY(.type = KVM_MMU_GET_PAGE, .gfn = gfn,
					       .level = 1, .direct = 0);

	return kvm_mmu_model_count_pages(m, q);
}

/* TDP off: PT's two shadow pages went unsync and were synced, not zapped. */
static bool check_sync_not_zap(struct scene *s, struct kvm_trace *t)
{
	struct kvm_mmu_model *m = kvm_trace_model(t);
	uint64_t gfn = s->pt >> 12;
	size_t pages = count_pages(m, gfn), unsync = count(m, KVM_MMU_UNSYNC_PAGE, gfn);
	size_t sync = count(m, KVM_MMU_SYNC_PAGE, gfn);
	size_t zap = count(m, KVM_MMU_PREPARE_ZAP_PAGE, gfn);
	bool ok = pages == 2 && unsync >= 2 && sync >= 2 && !zap;

	ksft_print_msg("%s: PT gfn 0x%lx: %zu shadow pages, %zu unsync, %zu sync, %zu zap events\n",
		       s->pvm->name, gfn, pages, unsync, sync, zap);
	if (!ok) {
		ksft_print_msg("%s: expected 2 shadow pages (R/W and R/O directory entries), each unsynced and synced, none zapped\n",
			       s->pvm->name);
		kvm_trace_print(t);
	}
	return ok;
}

static void run_mode(enum guest_paging_mode mode)
{
	struct kvm_trace *t = NULL;
	struct scene s;
	bool ok;

	build_scene(&s, mode);
	build_steps(&s);
	if (!cfg.tdp) {
		t = kvm_trace_create();
		kvm_trace_start(t, guest_paging_mode_name(mode));
	}
	ok = !paging_vm_run_steps(s.pvm);
	if (t) {
		kvm_trace_stop(t);
		ok &= check_sync_not_zap(&s, t);
		kvm_trace_destroy(t);
	}
	ksft_test_result(ok, "%s_leaf_changes_synced_in_both_roles_%s\n",
			 guest_paging_mode_name(mode), kvm_mmu_config_name(&cfg));
	paging_vm_free(s.pvm);
}

int main(int argc, char *argv[])
{
	const char *why;
	unsigned int i;

	ksft_print_header();
	kvm_mmu_config_read(&cfg);
	kvm_mmu_config_print(&cfg);
	kvm_mmu_config_require_standard(&cfg);
	ksft_set_plan(ARRAY_SIZE(modes));

	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		if (!guest_paging_mode_supported(modes[i], &why)) {
			ksft_test_result_skip("%s: %s\n", guest_paging_mode_name(modes[i]), why);
			continue;
		}
		run_mode(modes[i]);
	}
	ksft_finished();
}
