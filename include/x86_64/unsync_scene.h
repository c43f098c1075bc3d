/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The scene of the tests of unsync shadow pages (unsync_test,
 * upper_level_writes_test, sync_role_test, sync_role_2level_test): a
 * paging VM whose one address space maps every page table of the VM at
 * UNSYNC_SCENE_VA_TABLES, so that the guest writes its own entries
 * (gstep_write_entry()), data pages tagged unsync_scene_tag(i) with a
 * RET at PAGING_EXEC_OFF (paging_vm_tagged_page()), and the guest page
 * table under test, PT, whose entry 0 maps ->pt_va.
 */
#ifndef SELFTEST_KVM_UNSYNC_SCENE_H
#define SELFTEST_KVM_UNSYNC_SCENE_H

#include <stdint.h>

#include "guest_paging.h"

#define UNSYNC_SCENE_VA_TABLES	0x20000000ull
#define UNSYNC_SCENE_MAX_DATA	8

struct unsync_scene {
	struct paging_vm *pvm;
	struct guest_as *as;
	uint64_t data[UNSYNC_SCENE_MAX_DATA];	/* GPAs of the tagged pages */
	uint64_t pt;				/* GPA of PT */
	uint64_t pt_va;				/* what PT's entry 0 maps */
};

/* What the first 32-bit word of data page @i holds. */
static inline uint32_t unsync_scene_tag(int i)
{
	return 0xd0d0d000u | i;
}

/* The VA that PT's entry @idx maps. */
static inline uint64_t unsync_scene_va(const struct unsync_scene *s, int idx)
{
	return s->pt_va + idx * PAGE_SIZE;
}

/*
 * A VM in @mode and its address space, which maps the tables, and
 * @nr_data tagged pages; the test maps them, and sets ->pt and ->pt_va.
 */
struct paging_vm *unsync_scene_init(struct unsync_scene *s, enum guest_paging_mode mode,
				    int nr_data);

/*
 * The scene of unsync_test and upper_level_writes_test: four tagged
 * pages, and PT, which maps data page 0 and 1 at @va_rw and the next
 * page, reached through two page-directory entries: @va_rw's (R/W=1) and
 * @va_ro's (R/W=0), so that KVM shadows PT once per role.access.
 */
void unsync_scene_init_two_views(struct unsync_scene *s, enum guest_paging_mode mode,
				 uint64_t va_rw, uint64_t va_ro);

/* Write PT's entry @idx, from the host: before the first run only. */
void unsync_scene_set_pte(struct unsync_scene *s, int idx, uint64_t val);
/* A step: the guest writes PT's entry @idx. */
int unsync_scene_write_pte(struct unsync_scene *s, int idx, uint64_t val);

#endif /* SELFTEST_KVM_UNSYNC_SCENE_H */
