// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: role layouts built from arbitrary (name, offset, width)
 * triples and arbitrary kernel release strings, then decoding, setting and
 * formatting words with them (lib/kvm_role.c).
 *
 * Input: a release string up to the first NUL, then 4-byte records
 * (offset, width, name length, name byte), then a role word.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "kvm_role.h"

static void exercise(const struct kvm_role_layout *l, uint32_t word)
{
	struct kvm_mmu_role r;
	char buf[160], small[9];
	unsigned int i;

	kvm_role_decode(l, word, &r);
	kvm_role_format(&r, buf, sizeof(buf));
	kvm_role_format(&r, small, sizeof(small));
	assert(strlen(small) < sizeof(small));
	for (i = 0; i < l->nr_fields; i++) {
		const struct kvm_role_field *f = &l->fields[i];
		int v = kvm_role_get(l, word, f->name);
		uint32_t w = word;

		assert(f->width > 30 || (v >= 0 && (uint32_t)v < (1u << f->width)));
		/* Setting a field to what it holds changes nothing. */
		if (v >= 0) {
			assert(!kvm_role_set(l, &w, f->name, v));
			assert(w == word);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	struct kvm_role_layout l;
	char release[64] = "";
	uint32_t word = 0;
	size_t i;

	if (nul) {
		size_t len = nul - data;

		memcpy(release, data, len < sizeof(release) - 1 ? len : sizeof(release) - 1);
		size -= len + 1;
		data = nul + 1;
		if (!kvm_role_layout_builtin(release, &l))
			assert(kvm_role_layout_usable(&l));
	}

	kvm_role_layout_init(&l, "fuzz");
	for (i = 0; i + 4 <= size; i += 4) {
		char name[4] = { 'f', (char)('a' + data[i + 2] % 26), (char)data[i + 3], 0 };

		if (!name[2])
			name[2] = 'z';
		kvm_role_layout_add(&l, name, data[i], data[i + 1]);
		memcpy(&word, data + i, 4);
	}
	exercise(&l, word);
	if (!kvm_role_layout_builtin("6.12.117", &l))
		exercise(&l, word);
	return 0;
}
