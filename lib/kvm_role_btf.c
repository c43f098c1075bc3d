// SPDX-License-Identifier: GPL-2.0
/*
 * Reading union kvm_mmu_page_role from BTF with libbpf, so that the role
 * words of kvmmmu trace events decode right on whatever kernel runs,
 * including one with a patch that moves role bits around.
 *
 * Built with -DKVM_MMU_NO_LIBBPF (a kernel tree's kvm target without
 * libbpf: pkg-config decides), there is no BTF, only the built-in table.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "kvm_role.h"
#include "kvm_role_btf.h"

#define ROLE_UNION	"kvm_mmu_page_role"

#ifndef KVM_MMU_NO_LIBBPF

#include <bpf/btf.h>

/* Anonymous structs nest at most this deep in any sane declaration. */
#define MAX_NESTING	4

static int add_members(const struct btf *btf, const struct btf_type *t,
		       unsigned int base, int depth, struct kvm_role_layout *layout);

/*
 * One member: a named field becomes a layout entry; an anonymous struct or
 * union is flattened, as C makes its members those of the enclosing type.
 */
static int add_member(const struct btf *btf, const struct btf_type *t, int i,
		      unsigned int base, int depth, struct kvm_role_layout *layout)
{
	const struct btf_member *m = btf_members(t) + i;
	const char *name = btf__name_by_offset(btf, m->name_off);
	unsigned int offset = base + btf_member_bit_offset(t, i);
	unsigned int width = btf_member_bitfield_size(t, i);
	const struct btf_type *mt;
	int type_id;

	type_id = btf__resolve_type(btf, m->type);
	if (type_id < 0)
		return -EINVAL;
	mt = btf__type_by_id(btf, type_id);
	if (!mt)
		return -EINVAL;

	if (!name || !name[0]) {
		if (btf_is_composite(mt))
			return add_members(btf, mt, offset, depth + 1, layout);
		return 0;	/* unnamed padding */
	}
	/*
	 * Every role field is an unsigned bitfield.  A named member of any
	 * other kind (a struct, pointer, array...) is not a layout this code
	 * can read: refuse it rather than decode its bits as a number.
	 */
	if (!btf_is_int(mt) && !btf_is_enum(mt))
		return -EINVAL;
	/* "word", the whole u32, is the union's other view, not a field. */
	if (!strcmp(name, "word") && depth == 0)
		return 0;
	if (!width) {
		__s64 sz = btf__resolve_size(btf, m->type);

		if (sz <= 0 || sz > 4)
			return -EINVAL;
		width = sz * 8;
	}
	return kvm_role_layout_add(layout, name, offset, width);
}

static int add_members(const struct btf *btf, const struct btf_type *t,
		       unsigned int base, int depth, struct kvm_role_layout *layout)
{
	int i, r;

	if (depth > MAX_NESTING)
		return -EINVAL;
	for (i = 0; i < btf_vlen(t); i++) {
		r = add_member(btf, t, i, base, depth, layout);
		if (r)
			return r;
	}
	return 0;
}

int kvm_role_layout_from_btf(const struct btf *btf, struct kvm_role_layout *layout)
{
	const struct btf_type *t;
	int id, r;

	id = btf__find_by_name_kind(btf, ROLE_UNION, BTF_KIND_UNION);
	if (id < 0)
		return -ENOENT;
	t = btf__type_by_id(btf, id);
	/* The role is a u32 in every kernel; trace events copy role.word. */
	if (!t || t->size != 4)
		return -EINVAL;

	kvm_role_layout_init(layout, "BTF");
	r = add_members(btf, t, 0, 0, layout);
	if (r)
		return r == -ENOSPC ? -EINVAL : r;
	return kvm_role_layout_usable(layout) ? 0 : -EINVAL;
}

#else /* KVM_MMU_NO_LIBBPF */

int kvm_role_layout_from_btf(const struct btf *btf, struct kvm_role_layout *layout)
{
	return -EOPNOTSUPP;
}

#endif /* KVM_MMU_NO_LIBBPF */

int kvm_role_layout_choose(const struct btf *btf, const char *btf_name,
			   const char *release, struct kvm_role_layout *layout,
			   char *why, size_t size)
{
	char btf_why[160];
	int r = -ENOENT;

	if (btf) {
		r = kvm_role_layout_from_btf(btf, layout);
		if (!r) {
			snprintf(layout->source, sizeof(layout->source), "BTF of %s", btf_name);
			return 0;
		}
		snprintf(btf_why, sizeof(btf_why), "%s BTF has %s union %s (%s)", btf_name,
			 r == -ENOENT ? "no" : "an unreadable", ROLE_UNION, strerror(-r));
	} else {
		snprintf(btf_why, sizeof(btf_why), "%s", btf_name);
	}

	/*
	 * The kernel declares the union, but not in a way this code can read:
	 * its layout may be anything, so a table of other kernels' layouts
	 * would decode garbage.
	 */
	if (r != -ENOENT) {
		snprintf(why, size, "%s; not falling back to a built-in table", btf_why);
		return -EINVAL;
	}
	if (!kvm_role_layout_builtin(release, layout))
		return 0;
	snprintf(why, size, "%s, and no built-in role layout for kernel %s (known: 6.1, 6.12)",
		 btf_why, release);
	return -ENOENT;
}

#ifndef KVM_MMU_NO_LIBBPF

/* KVM as a module has split BTF on vmlinux's; built in, it is in vmlinux. */
int kvm_role_layout_load(struct kvm_role_layout *layout, char *why, size_t size)
{
	struct btf *vmlinux, *kvm = NULL;
	char no_btf[128];
	struct utsname u;
	int r;

	if (uname(&u))
		snprintf(u.release, sizeof(u.release), "(unknown: uname: %s)", strerror(errno));

	vmlinux = btf__parse("/sys/kernel/btf/vmlinux", NULL);
	if (!vmlinux) {
		snprintf(no_btf, sizeof(no_btf), "no kernel BTF (/sys/kernel/btf/vmlinux: %s)",
			 strerror(errno));
		return kvm_role_layout_choose(NULL, no_btf, u.release, layout, why, size);
	}
	kvm = btf__parse_split("/sys/kernel/btf/kvm", vmlinux);
	if (!kvm)
		kvm = btf__load_module_btf("kvm", vmlinux);
	r = kvm_role_layout_choose(kvm ? kvm : vmlinux, kvm ? "the kvm module" : "vmlinux",
				   u.release, layout, why, size);
	btf__free(kvm);
	btf__free(vmlinux);
	return r;
}

#else /* KVM_MMU_NO_LIBBPF */

int kvm_role_layout_load(struct kvm_role_layout *layout, char *why, size_t size)
{
	struct utsname u;

	if (uname(&u))
		snprintf(u.release, sizeof(u.release), "(unknown: uname: %s)", strerror(errno));
	return kvm_role_layout_choose(NULL, "built without libbpf (pkg-config found none)",
				      u.release, layout, why, size);
}

#endif /* KVM_MMU_NO_LIBBPF */
