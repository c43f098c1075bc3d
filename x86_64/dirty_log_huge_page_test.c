// SPDX-License-Identifier: GPL-2.0
/*
 * dirty_log_huge_page_test: dirty logging turned on for a memslot that
 * KVM maps with a 2-MByte page, then guest writes into it.
 *
 * The guest maps a 2M memslot backed by a transparent huge page with one
 * 2M page (PDE.PS = 1) and writes every 4K page of it, so that KVM maps
 * it with a huge SPTE: its own large SPTE under shadow paging (the
 * guest's page is 2M), L0's under TDP.  Then userspace turns on
 * KVM_MEM_LOG_DIRTY_PAGES, and the guest reads and writes some pages.
 *
 * The KVM API (Documentation/virt/kvm/api.rst, KVM_GET_DIRTY_LOG): the
 * log has the pages dirtied since it was turned on, at 4K granularity:
 * every page written, and none the guest did not touch (a page read may
 * be logged, below).  And the guest reads its own values.
 *
 * KVM (6.12 and 7.3): turning dirty logging on write-protects the slot's
 * SPTEs, huge ones too (kvm_mmu_slot_apply_flags() ->
 * kvm_mmu_slot_remove_write_access(), mmu.c), and a slot with dirty
 * logging is mapped with 4K SPTEs only (kvm_mmu_max_mapping_level()).
 * The TDP MMU splits huge SPTEs eagerly (kvm_mmu_slot_try_split_huge_pages(),
 * eager_page_split); the shadow MMU (shadow paging and the legacy TDP
 * MMU) at the first write fault: FNAME(fetch) (paging_tmpl.h) or
 * direct_map() meets the present large SPTE above the 4K goal and
 * replaces it with a page table (kvm_mmu_get_child_sp() refuses a large
 * SPTE, link_shadow_page() drops it).  So after a write the VM's 2M
 * mappings (the pages_2m stat) are fewer than before it.
 *
 * Skips without transparent huge pages, or if KVM mapped no 2M page.
 */
#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "kselftest.h"

#include "kvm_compat.h"
#include "vm_tables.h"
#include "kvm_mmu_config.h"
#include "kvm_run.h"

#define DATA_SLOT	1
#define DATA_GPA	0x40000000ULL	/* 2M-aligned, above memslot 0 */
#define DATA_GVA	DATA_GPA
#define HUGE_SIZE	(2ULL << 20)
#define NR_PAGES	(HUGE_SIZE / PAGE_SIZE)
#define MAX_LISTED	4
#define TAG(i)		(0xd1a7e00000000000ULL | (i))
#define NEW_TAG(i)	(0x3e37a00000000000ULL | (i))

struct dirty_case {
	const char *name;
	/* After dirty logging is on: the pages written and read (-1 ends). */
	int written[MAX_LISTED];
	int read[MAX_LISTED];
};

static const struct dirty_case cases[] = {
	{ "write_one_page", { 5, -1 }, { 5, -1 } },
	{ "write_two_pages_read_others", { 5, 300, -1 }, { 0, 7, 511, -1 } },
	{ "read_only", { -1 }, { 0, 5, 511, -1 } },
};

static struct dirty_case the_case;

static uint64_t *data_page(int i)
{
	return (uint64_t *)(DATA_GVA + (uint64_t)i * PAGE_SIZE);
}

static bool listed(const int *list, int page)
{
	int i;

	for (i = 0; i < MAX_LISTED && list[i] >= 0; i++)
		if (list[i] == page)
			return true;
	return false;
}

static void guest_code(void)
{
	int i;

	for (i = 0; i < NR_PAGES; i++)
		WRITE_ONCE(*data_page(i), TAG(i));
	GUEST_SYNC(1);
	for (i = 0; i < MAX_LISTED && the_case.written[i] >= 0; i++)
		WRITE_ONCE(*data_page(the_case.written[i]), NEW_TAG(the_case.written[i]));
	for (i = 0; i < MAX_LISTED && the_case.read[i] >= 0; i++) {
		int p = the_case.read[i];

		GUEST_ASSERT_EQ(READ_ONCE(*data_page(p)),
				listed(the_case.written, p) ? NEW_TAG(p) : TAG(p));
	}
	GUEST_SYNC(2);
	GUEST_DONE();
}

/*
 * Why the dirty log of the data slot is not right, or NULL: every page
 * written is in it, and no page that was neither written nor read.  A
 * page read may be (make_spte(), spte.c: a read fault may map the page
 * writable, if the guest's and the host's mappings allow it, and then
 * logs it, as it can be written without a fault from then on).
 */
static const char *check_log(const struct dirty_case *c, unsigned long *bitmap,
			     char *why, size_t size)
{
	int i;

	for (i = 0; i < NR_PAGES; i++) {
		bool dirty = test_bit(i, bitmap);

		if (listed(c->written, i) && !dirty) {
			snprintf(why, size, "page %d, written, is not in the dirty log", i);
			return why;
		}
		if (dirty && !listed(c->written, i) && !listed(c->read, i)) {
			snprintf(why, size, "page %d, %s, is in the dirty log", i,
				 "neither written nor read since logging began");
			return why;
		}
	}
	return NULL;
}

/* Returns false (with a skip) when KVM did not map the slot with a 2M page. */
static bool run_case(const struct dirty_case *c, const char *cfg_name)
{
	unsigned long bitmap[NR_PAGES / BITS_PER_LONG] = {};
	uint64_t huge_before, huge_after;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	const char *bad;
	char why[112];

	vm = __vm_create_with_one_vcpu(&vcpu, VM_SLOT0_ROOM_PAGES, guest_code);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS_THP, DATA_GPA, DATA_SLOT,
				    NR_PAGES, 0);
	virt_map_level(vm, DATA_GVA, DATA_GPA, HUGE_SIZE, PG_LEVEL_2M);
	the_case = *c;
	sync_global_to_guest(vm, the_case);

	vcpu_run_to_sync(vcpu, 1);
	huge_before = vm_stat_by_name(vm, "pages_2m");
	if (!huge_before) {
		ksft_test_result_skip("%s_%s: KVM mapped no 2M page (pages_2m 0): %s\n",
				      c->name, cfg_name, "no transparent huge page for the slot");
		kvm_vm_free(vm);
		return false;
	}
	vm_mem_region_set_flags(vm, DATA_SLOT, KVM_MEM_LOG_DIRTY_PAGES);
	vcpu_run_to_sync(vcpu, 2);
	huge_after = vm_stat_by_name(vm, "pages_2m");
	kvm_vm_get_dirty_log(vm, DATA_SLOT, bitmap);

	bad = check_log(c, bitmap, why, sizeof(why));
	if (!bad && c->written[0] >= 0 && huge_after >= huge_before) {
		snprintf(why, sizeof(why), "2M mappings %lu before the writes, %lu after",
			 huge_before, huge_after);
		bad = why;
	}
	ksft_test_result(!bad, "%s_%s%s%s\n", c->name, cfg_name, bad ? ": " : "", bad ?: "");
	kvm_vm_free(vm);
	return true;
}

int main(void)
{
	struct kvm_mmu_config cfg;
	unsigned int i;

	kvm_mmu_test_start(&cfg);
	if (!thp_configured())
		ksft_exit_skip("no transparent huge pages in the host kernel: %s\n",
			       "KVM maps no 2M page to split");
	ksft_set_plan(ARRAY_SIZE(cases));
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		if (!run_case(&cases[i], kvm_mmu_config_name(&cfg)))
			break;
	for (i++; i < ARRAY_SIZE(cases); i++)
		ksft_test_result_skip("%s_%s: as above\n", cases[i].name,
				      kvm_mmu_config_name(&cfg));
	ksft_finished();
}
