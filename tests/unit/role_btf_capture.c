// SPDX-License-Identifier: GPL-2.0
/*
 * Record the fixtures role-btf-<series>.bin of tests/unit: from a kernel's
 * vmlinux (ELF with .BTF) and its kvm.ko (ELF with .BTF split on
 * vmlinux's), write a standalone raw BTF holding only union
 * kvm_mmu_page_role and the types it is made of, copied as they are
 * (btf__add_type) with their type IDs renumbered.
 *
 *   role_btf_capture VMLINUX KVM_KO OUT
 *
 * scripts/capture-role-btf gets the two files out of Debian's kernel image
 * package and runs this; tests/unit/fixtures/README has the commands.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>

#define ROLE_UNION	"kvm_mmu_page_role"
/* The union, its anonymous struct, the int types, a typedef or two. */
#define MAX_TYPES	32

static __u32 old_ids[MAX_TYPES];
static int nr_types;

static void die(const char *what, const char *arg)
{
	fprintf(stderr, "role_btf_capture: %s%s%s\n", what, arg ? ": " : "", arg ? arg : "");
	exit(1);
}

/* New ID of @old (IDs start at 1 in the new BTF), 0 for void, -1 if not kept. */
static int new_id(__u32 old)
{
	int i;

	if (!old)
		return 0;
	for (i = 0; i < nr_types; i++) {
		if (old_ids[i] == old)
			return i + 1;
	}
	return -1;
}

static void keep(__u32 old)
{
	if (!old || new_id(old) > 0)
		return;
	if (nr_types == MAX_TYPES)
		die("union " ROLE_UNION " needs more types than expected", NULL);
	old_ids[nr_types++] = old;
}

/* Pointers to the type-ID fields of @t, in @out; returns how many. */
static int ref_fields(struct btf_type *t, __u32 **out, int max)
{
	int i;

	switch (btf_kind(t)) {
	case BTF_KIND_INT:
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		return 0;
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_CONST:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_RESTRICT:
		out[0] = &t->type;
		return 1;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		if (btf_vlen(t) > max)
			die("struct or union with too many members", NULL);
		for (i = 0; i < btf_vlen(t); i++)
			out[i] = &btf_members(t)[i].type;
		return btf_vlen(t);
	default:
		die("union " ROLE_UNION " contains an unexpected kind of type", NULL);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct btf *base, *kvm, *out;
	__u32 *fields[64], size;
	const void *raw;
	int root, i, j, n;
	FILE *f;

	if (argc != 4) {
		fprintf(stderr, "usage: %s VMLINUX KVM_KO OUT\n", argv[0]);
		return 2;
	}
	base = btf__parse_elf(argv[1], NULL);
	if (!base)
		die("no BTF in vmlinux", argv[1]);
	kvm = btf__parse_elf_split(argv[2], base);
	if (!kvm)
		die("no split BTF in the kvm module", argv[2]);
	/* In kvm.ko's BTF, or in vmlinux's if some built-in code has it. */
	root = btf__find_by_name_kind(kvm, ROLE_UNION, BTF_KIND_UNION);
	if (root < 0)
		die("no union " ROLE_UNION " in the BTF of", argv[2]);

	/* Every type the union is made of, breadth first from the union. */
	keep(root);
	for (i = 0; i < nr_types; i++) {
		struct btf_type *t = (struct btf_type *)btf__type_by_id(kvm, old_ids[i]);

		n = ref_fields(t, fields, 64);
		for (j = 0; j < n; j++)
			keep(*fields[j]);
	}

	/* Copied in that order, then their references renumbered. */
	out = btf__new_empty();
	if (!out)
		die("btf__new_empty", strerror(errno));
	for (i = 0; i < nr_types; i++) {
		const struct btf_type *src = btf__type_by_id(kvm, old_ids[i]);
		struct btf_type *t;
		int id = btf__add_type(out, kvm, src);

		if (id != i + 1)
			die("btf__add_type", strerror(id < 0 ? -id : EINVAL));
		/* btf__add_type() leaves the type IDs as they were in kvm. */
		t = (struct btf_type *)btf__type_by_id(out, id);
		n = ref_fields(t, fields, 64);
		for (j = 0; j < n; j++)
			*fields[j] = new_id(*fields[j]);
	}

	raw = btf__raw_data(out, &size);
	if (!raw)
		die("btf__raw_data", strerror(errno));
	f = fopen(argv[3], "w");
	if (!f || fwrite(raw, 1, size, f) != size || fclose(f))
		die("cannot write", argv[3]);

	printf("%s: %u bytes, %d types; the union from %s's BTF:\n", argv[3], size, nr_types,
	       (__u32)root < btf__type_cnt(base) ? "vmlinux" : "kvm.ko");
	for (i = 0; i < nr_types; i++) {
		const struct btf_type *t = btf__type_by_id(out, i + 1);

		printf("  [%d] kind %u '%s' size/type %u vlen %u\n", i + 1, btf_kind(t),
		       btf__name_by_offset(out, t->name_off), t->size, btf_vlen(t));
	}
	btf__free(out);
	btf__free(kvm);
	btf__free(base);
	return 0;
}
