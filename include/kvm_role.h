/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Decoding of the role word of a KVM shadow page (union kvm_mmu_page_role
 * in arch/x86/include/asm/kvm_host.h), which the kvmmmu trace events print
 * as a raw u32 ("role").  The layout changes between kernels, so it is
 * read from the running kernel's BTF (lib/kvm_role_btf.c) or taken from a
 * built-in table of layouts checked by hand against the kernel source.
 *
 * Nothing here depends on KVM or the selftests framework: tests/unit and
 * tests/fuzz link lib/kvm_role.c alone.
 */
#ifndef SELFTEST_KVM_ROLE_H
#define SELFTEST_KVM_ROLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A role word has 32 bits, so at most 32 named fields. */
#define KVM_ROLE_MAX_FIELDS	32
#define KVM_ROLE_NAME_LEN	32

struct kvm_role_field {
	char name[KVM_ROLE_NAME_LEN];
	uint8_t offset;		/* bit offset in the role word */
	uint8_t width;		/* bits, 1..32 */
};

struct kvm_role_layout {
	/* Where the layout came from, for diagnostics ("BTF", "built-in 6.12"). */
	char source[64];
	unsigned int nr_fields;
	struct kvm_role_field fields[KVM_ROLE_MAX_FIELDS];
};

/*
 * The fields tests ask about, by name.  A field that the running kernel's
 * layout does not have decodes as -1 (KVM_ROLE_ABSENT).
 */
#define KVM_ROLE_ABSENT		(-1)

struct kvm_mmu_role {
	uint32_t word;
	int level;
	int has_4_byte_gpte;
	int quadrant;
	int direct;
	int access;
	int invalid;
	int efer_nx;
	int cr0_wp;
	int smep_andnot_wp;
	int smap_andnot_wp;
	int ad_disabled;
	int guest_mode;
	int passthrough;
	int is_mirror;
	int cr4_smep;
	int smm;
	/* role.access as rights (KVM_ROLE_ACC_*), whatever the kernel's encoding; or -1. */
	int rights;
};

/*
 * The rights role.access grants, in the suite's own encoding: the kernel's
 * ACC_* bits changed (6.x: ACC_EXEC_MASK 1, ACC_WRITE_MASK 2, ACC_USER_MASK 4,
 * read implied, 3-bit field; 7.x: ACC_READ_MASK 1, WRITE 2, USER 4, EXEC 8,
 * 4-bit field, arch/x86/kvm/mmu.h).
 */
#define KVM_ROLE_ACC_R	1
#define KVM_ROLE_ACC_W	2
#define KVM_ROLE_ACC_U	4
#define KVM_ROLE_ACC_X	8
#define KVM_ROLE_ACC_ALL	15

/* The rights of a raw role.access value under @layout, or -1 if unknown. */
int kvm_role_access_rights(const struct kvm_role_layout *layout, int access);

/* Empty @layout, with its source named. */
void kvm_role_layout_init(struct kvm_role_layout *layout, const char *source);

/*
 * Add a named bitfield.  Returns -EINVAL for an empty or too long name, a
 * zero width, bits beyond 31, a field overlapping another, or a duplicate
 * name; -ENOSPC when the table is full.
 */
int kvm_role_layout_add(struct kvm_role_layout *layout, const char *name,
			unsigned int offset, unsigned int width);

/* The field called @name, or NULL. */
const struct kvm_role_field *kvm_role_layout_find(const struct kvm_role_layout *layout,
						  const char *name);

/*
 * Whether the layout has the fields every shadow MMU test relies on
 * (level, direct, quadrant, access, has_4_byte_gpte, invalid).
 */
bool kvm_role_layout_usable(const struct kvm_role_layout *layout);

/*
 * The built-in layout for kernel release @release (uname -r), for when the
 * kernel has no BTF.  Only releases whose layout was checked against their
 * source are known.  Returns 0, or -ENOENT.
 */
int kvm_role_layout_builtin(const char *release, struct kvm_role_layout *layout);

/* Field @name of @word, or KVM_ROLE_ABSENT. */
int kvm_role_get(const struct kvm_role_layout *layout, uint32_t word, const char *name);

/* Decode @word into named fields. */
void kvm_role_decode(const struct kvm_role_layout *layout, uint32_t word,
		     struct kvm_mmu_role *role);

/*
 * Set field @name of *@word to @val.  Returns -ENOENT when the layout has
 * no such field, -ERANGE when @val does not fit.
 */
int kvm_role_set(const struct kvm_role_layout *layout, uint32_t *word,
		 const char *name, uint32_t val);

/*
 * A compact, kvmmmu-like description ("l1 8b q0 !direct wux wp nx ...") of
 * @role into @buf; always NUL-terminated.  Returns @buf.
 */
char *kvm_role_format(const struct kvm_mmu_role *role, char *buf, size_t size);

#endif /* SELFTEST_KVM_ROLE_H */
