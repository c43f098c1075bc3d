// SPDX-License-Identifier: GPL-2.0
/*
 * The scene of the tests of unsync shadow pages: see
 * include/x86_64/unsync_scene.h.
 */
#include <string.h>

#include "kvm_util.h"
#include "processor.h"

#include "unsync_scene.h"

struct paging_vm *unsync_scene_init(struct unsync_scene *s, enum guest_paging_mode mode,
				    int nr_data)
{
	struct paging_vm *pvm = paging_vm_create(mode);
	int i;

	TEST_ASSERT(nr_data <= UNSYNC_SCENE_MAX_DATA, "%d data pages: at most %d", nr_data,
		    UNSYNC_SCENE_MAX_DATA);
	memset(s, 0, sizeof(*s));
	s->pvm = pvm;
	s->as = guest_as_create(pvm);
	guest_as_map_tables(s->as, UNSYNC_SCENE_VA_TABLES);
	for (i = 0; i < nr_data; i++)
		s->data[i] = paging_vm_tagged_page(pvm, unsync_scene_tag(i));
	return pvm;
}

void unsync_scene_init_two_views(struct unsync_scene *s, enum guest_paging_mode mode,
				 uint64_t va_rw, uint64_t va_ro)
{
	uint64_t pde;

	unsync_scene_init(s, mode, 4);
	s->pt_va = va_rw;
	guest_as_map(s->as, va_rw, s->data[0], 1, GP_P | GP_RW);
	guest_as_map(s->as, va_rw + PAGE_SIZE, s->data[1], 1, GP_P | GP_RW);
	/* @va_ro's directory entry names the same table, read-only. */
	guest_as_share(s->as, va_ro, s->as, va_rw, 2);
	pde = guest_as_read_entry(s->as, va_ro, 2);
	guest_as_write_entry(s->as, va_ro, 2, pde & ~GP_RW);
	s->pt = pde & ~0xfffull & ~GP_NX;
}

void unsync_scene_set_pte(struct unsync_scene *s, int idx, uint64_t val)
{
	guest_as_write_entry(s->as, unsync_scene_va(s, idx), 1, val);
}

int unsync_scene_write_pte(struct unsync_scene *s, int idx, uint64_t val)
{
	return gstep_write_entry(s->pvm, s->as, unsync_scene_va(s, idx), 1, val);
}
