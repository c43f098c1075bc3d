// SPDX-License-Identifier: GPL-2.0
/*
 * Role word decoding for KVM shadow pages (see include/kvm_role.h).  Pure
 * bit manipulation over a table of named bitfields: no KVM or selftests
 * dependency, so the unit tests and fuzzers link this file alone.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm_role.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

void kvm_role_layout_init(struct kvm_role_layout *layout, const char *source)
{
	memset(layout, 0, sizeof(*layout));
	snprintf(layout->source, sizeof(layout->source), "%s", source);
}

static uint32_t field_mask(unsigned int offset, unsigned int width)
{
	uint32_t bits = width >= 32 ? UINT32_MAX : (1u << width) - 1;

	return bits << offset;
}

const struct kvm_role_field *kvm_role_layout_find(const struct kvm_role_layout *layout,
						  const char *name)
{
	unsigned int i;

	for (i = 0; i < layout->nr_fields; i++) {
		if (!strcmp(layout->fields[i].name, name))
			return &layout->fields[i];
	}
	return NULL;
}

int kvm_role_layout_add(struct kvm_role_layout *layout, const char *name,
			unsigned int offset, unsigned int width)
{
	struct kvm_role_field *f;
	size_t len = strlen(name);
	unsigned int i;
	uint32_t mask;

	if (!len || len >= KVM_ROLE_NAME_LEN || !width || width > 32 ||
	    offset >= 32 || offset + width > 32)
		return -EINVAL;
	if (kvm_role_layout_find(layout, name))
		return -EINVAL;

	/* Overlapping fields would mean the layout was misread. */
	mask = field_mask(offset, width);
	for (i = 0; i < layout->nr_fields; i++) {
		if (mask & field_mask(layout->fields[i].offset, layout->fields[i].width))
			return -EINVAL;
	}
	if (layout->nr_fields >= KVM_ROLE_MAX_FIELDS)
		return -ENOSPC;

	f = &layout->fields[layout->nr_fields++];
	memcpy(f->name, name, len + 1);
	f->offset = offset;
	f->width = width;
	return 0;
}

bool kvm_role_layout_usable(const struct kvm_role_layout *layout)
{
	static const char * const needed[] = {
		"level", "has_4_byte_gpte", "quadrant", "direct", "access", "invalid",
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(needed); i++) {
		if (!kvm_role_layout_find(layout, needed[i]))
			return false;
	}
	return true;
}

/*
 * union kvm_mmu_page_role as declared in arch/x86/include/asm/kvm_host.h
 * of linux 6.1.192 and 6.12.117 (read from both trees: the same in each).
 * The five unnamed bits between passthrough and smm are padding.
 */
static const struct { const char *name; unsigned int width; } layout_6_1_to_6_12[] = {
	{ "level", 4 }, { "has_4_byte_gpte", 1 }, { "quadrant", 2 }, { "direct", 1 },
	{ "access", 3 }, { "invalid", 1 }, { "efer_nx", 1 }, { "cr0_wp", 1 },
	{ "smep_andnot_wp", 1 }, { "smap_andnot_wp", 1 }, { "ad_disabled", 1 },
	{ "guest_mode", 1 }, { "passthrough", 1 }, { NULL, 5 }, { "smm", 8 },
};

/*
 * union kvm_mmu_page_role of linux 7.3.4 (Debian's linux-source-7.3):
 * access widened to 4 bits (ACC_READ_MASK added, ACC_EXEC_MASK moved to
 * 8), smep_andnot_wp replaced by cr4_smep at bit 20, is_mirror at bit 19.
 */
static const struct { const char *name; unsigned int width; } layout_7_3[] = {
	{ "level", 4 }, { "has_4_byte_gpte", 1 }, { "quadrant", 2 }, { "direct", 1 },
	{ "access", 4 }, { "invalid", 1 }, { "efer_nx", 1 }, { "cr0_wp", 1 },
	{ "smap_andnot_wp", 1 }, { "ad_disabled", 1 }, { "guest_mode", 1 },
	{ "passthrough", 1 }, { "is_mirror", 1 }, { "cr4_smep", 1 }, { NULL, 3 },
	{ "smm", 8 },
};

/* "6.12.117+deb12-amd64" -> 6, 12.  Returns -ENOENT for anything else. */
static int parse_release(const char *release, unsigned long *major, unsigned long *minor)
{
	char *end;

	if (release[0] < '0' || release[0] > '9')
		return -ENOENT;
	*major = strtoul(release, &end, 10);
	if (*end != '.' || end[1] < '0' || end[1] > '9')
		return -ENOENT;
	*minor = strtoul(end + 1, &end, 10);
	/* 6.1 must not match 6.10 .. 6.19: the version ends here. */
	if (*end != '\0' && *end != '.' && *end != '-' && *end != '+')
		return -ENOENT;
	return 0;
}

int kvm_role_layout_builtin(const char *release, struct kvm_role_layout *layout)
{
	unsigned long major, minor;
	unsigned int i, offset = 0;
	char source[64];

	if (parse_release(release, &major, &minor))
		return -ENOENT;
	if (!(major == 6 && (minor == 1 || minor == 12)) && !(major == 7 && minor == 3))
		return -ENOENT;

	snprintf(source, sizeof(source), "built-in table for %lu.%lu", major, minor);
	kvm_role_layout_init(layout, source);
	if (major == 7) {
		for (i = 0; i < ARRAY_SIZE(layout_7_3); i++) {
			if (layout_7_3[i].name &&
			    kvm_role_layout_add(layout, layout_7_3[i].name, offset,
						layout_7_3[i].width))
				return -EINVAL;
			offset += layout_7_3[i].width;
		}
		return 0;
	}
	for (i = 0; i < ARRAY_SIZE(layout_6_1_to_6_12); i++) {
		if (layout_6_1_to_6_12[i].name &&
		    kvm_role_layout_add(layout, layout_6_1_to_6_12[i].name, offset,
					layout_6_1_to_6_12[i].width))
			return -EINVAL;
		offset += layout_6_1_to_6_12[i].width;
	}
	return 0;
}

static uint32_t field_get(const struct kvm_role_field *f, uint32_t word)
{
	return (word & field_mask(f->offset, f->width)) >> f->offset;
}

int kvm_role_get(const struct kvm_role_layout *layout, uint32_t word, const char *name)
{
	const struct kvm_role_field *f = kvm_role_layout_find(layout, name);

	/* No role field is wider than 8 bits in any kernel: it fits an int. */
	if (!f || f->width > 30)
		return KVM_ROLE_ABSENT;
	return field_get(f, word);
}

int kvm_role_set(const struct kvm_role_layout *layout, uint32_t *word,
		 const char *name, uint32_t val)
{
	const struct kvm_role_field *f = kvm_role_layout_find(layout, name);
	uint32_t mask;

	if (!f)
		return -ENOENT;
	mask = field_mask(f->offset, f->width);
	if (f->width < 32 && val >> f->width)
		return -ERANGE;
	*word = (*word & ~mask) | (val << f->offset);
	return 0;
}

void kvm_role_decode(const struct kvm_role_layout *layout, uint32_t word,
		     struct kvm_mmu_role *r)
{
	r->word = word;
	r->level = kvm_role_get(layout, word, "level");
	r->has_4_byte_gpte = kvm_role_get(layout, word, "has_4_byte_gpte");
	r->quadrant = kvm_role_get(layout, word, "quadrant");
	r->direct = kvm_role_get(layout, word, "direct");
	r->access = kvm_role_get(layout, word, "access");
	r->invalid = kvm_role_get(layout, word, "invalid");
	r->efer_nx = kvm_role_get(layout, word, "efer_nx");
	r->cr0_wp = kvm_role_get(layout, word, "cr0_wp");
	r->smep_andnot_wp = kvm_role_get(layout, word, "smep_andnot_wp");
	r->smap_andnot_wp = kvm_role_get(layout, word, "smap_andnot_wp");
	r->ad_disabled = kvm_role_get(layout, word, "ad_disabled");
	r->guest_mode = kvm_role_get(layout, word, "guest_mode");
	r->passthrough = kvm_role_get(layout, word, "passthrough");
	r->is_mirror = kvm_role_get(layout, word, "is_mirror");
	r->cr4_smep = kvm_role_get(layout, word, "cr4_smep");
	r->smm = kvm_role_get(layout, word, "smm");
	r->rights = kvm_role_access_rights(layout, r->access);
}

int kvm_role_access_rights(const struct kvm_role_layout *layout, int access)
{
	const struct kvm_role_field *f = kvm_role_layout_find(layout, "access");
	int rights = 0;

	if (!f || access < 0)
		return -1;
	switch (f->width) {
	case 3:		/* ACC_EXEC_MASK 1, ACC_WRITE_MASK 2, ACC_USER_MASK 4 */
		rights = KVM_ROLE_ACC_R;
		if (access & 1)
			rights |= KVM_ROLE_ACC_X;
		if (access & 2)
			rights |= KVM_ROLE_ACC_W;
		if (access & 4)
			rights |= KVM_ROLE_ACC_U;
		return rights;
	case 4:		/* ACC_READ_MASK 1, WRITE 2, USER 4, ACC_EXEC_MASK 8 */
		return access;
	default:
		return -1;
	}
}

/* Append one flag: "name" when set, "!name" when clear, nothing when absent. */
static size_t put_flag(char *buf, size_t size, size_t len, int val, const char *name)
{
	int n;

	if (val == KVM_ROLE_ABSENT || len >= size)
		return len;
	n = snprintf(buf + len, size - len, " %s%s", val ? "" : "!", name);
	return n < 0 ? len : len + n;
}

char *kvm_role_format(const struct kvm_mmu_role *r, char *buf, size_t size)
{
	/* The same access notation as KVM_MMU_PAGE_PRINTK() in mmutrace.h. */
	char acc[5] = "????";
	size_t len;
	int n;

	if (!size)
		return buf;
	if (r->rights >= 0) {
		acc[0] = r->rights & KVM_ROLE_ACC_R ? 'r' : '-';
		acc[1] = r->rights & KVM_ROLE_ACC_W ? 'w' : '-';
		acc[2] = r->rights & KVM_ROLE_ACC_U ? 'u' : '-';
		acc[3] = r->rights & KVM_ROLE_ACC_X ? 'x' : '-';
	}
	n = snprintf(buf, size, "l%d %sb q%d %s", r->level,
		     r->has_4_byte_gpte == KVM_ROLE_ABSENT ? "?" :
		     r->has_4_byte_gpte ? "4" : "8", r->quadrant, acc);
	len = n < 0 ? 0 : (size_t)n;
	len = put_flag(buf, size, len, r->direct, "direct");
	len = put_flag(buf, size, len, r->cr0_wp, "wp");
	len = put_flag(buf, size, len, r->efer_nx, "nx");
	len = put_flag(buf, size, len, r->ad_disabled == KVM_ROLE_ABSENT ?
		       KVM_ROLE_ABSENT : !r->ad_disabled, "ad");
	/* The rarely set ones only when set, to keep the line short. */
	if (r->invalid > 0)
		len = put_flag(buf, size, len, 1, "invalid");
	if (r->smep_andnot_wp > 0)
		len = put_flag(buf, size, len, 1, "smep_andnot_wp");
	if (r->cr4_smep > 0)
		len = put_flag(buf, size, len, 1, "smep");
	if (r->is_mirror > 0)
		len = put_flag(buf, size, len, 1, "mirror");
	if (r->smap_andnot_wp > 0)
		len = put_flag(buf, size, len, 1, "smap_andnot_wp");
	if (r->guest_mode > 0)
		len = put_flag(buf, size, len, 1, "guest");
	if (r->passthrough > 0)
		len = put_flag(buf, size, len, 1, "passthrough");
	if (r->smm > 0 && len < size)
		snprintf(buf + len, size - len, " smm%d", r->smm);
	return buf;
}
