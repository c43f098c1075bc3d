// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: loading events from text into the shadow page model
 * (lib/kvm_trace_model.c), then every query and the printers.  What loads
 * must dump and load back to the same events.
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm_role.h"
#include "kvm_trace_model.h"

static void queries(const struct kvm_mmu_model *m)
{
	struct kvm_mmu_page_summary pages[8];
	size_t total, all, n;
	int type, level;

	all = kvm_mmu_model_count(m, KVM_MMU_QUERY());
	assert(all == m->nr_events);
	for (type = 0; type < KVM_MMU_NR_EVENT_TYPES; type++) {
		n = kvm_mmu_model_count(m, KVM_MMU_QUERY(.type = type, .created = 1));
		assert(n <= all);
		assert(kvm_mmu_model_count_pages(m, KVM_MMU_QUERY(.type = type, .created = 1,
								  .root = 1)) <= n);
	}
	for (level = 1; level <= 5; level++)
		assert(kvm_mmu_model_count(m, KVM_MMU_QUERY(.level = level, .direct = 0)) <= all);
	n = kvm_mmu_model_pages(m, pages, 8, &total);
	assert(n <= 8 && n <= total);
	assert(kvm_mmu_model_count_live(m) <= total);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	struct kvm_role_layout l;
	struct kvm_mmu_model m, back;
	char *text = NULL;
	size_t len = 0, i;
	FILE *f;

	if (!devnull)
		devnull = fopen("/dev/null", "w");
	assert(!kvm_role_layout_builtin("6.12.117", &l));
	kvm_mmu_model_init(&m, &l);
	if (kvm_mmu_model_load(&m, (const char *)data, size))
		goto out;
	queries(&m);
	kvm_mmu_model_print(&m, devnull, "# ");

	f = open_memstream(&text, &len);
	kvm_mmu_model_dump(&m, f, "", KVM_MMU_ANY);
	fclose(f);
	kvm_mmu_model_init(&back, &l);
	assert(!kvm_mmu_model_load(&back, text, len));
	assert(back.nr_events == m.nr_events);
	for (i = 0; i < m.nr_events; i++) {
		assert(back.events[i].gfn == m.events[i].gfn);
		assert(back.events[i].role == m.events[i].role);
		assert(back.events[i].type == m.events[i].type);
	}
	kvm_mmu_model_free(&back);
	free(text);
out:
	kvm_mmu_model_free(&m);
	return 0;
}
