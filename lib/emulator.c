// SPDX-License-Identifier: GPL-2.0
/*
 * The emulator the kernel under test runs on, and its known differences
 * from the hardware it emulates: include/emulator.h.
 */
#include <stdlib.h>
#include <string.h>

#include "kselftest.h"

#include "emulator.h"

/*
 * The QEMUs the runner knows (scripts/lib.sh QEMU_TABLE), by the name it
 * gives in SMMU_EMULATOR, and which of QEMU TCG's defects each has:
 * "qemu" is the machine's QEMU 7.2, "qemu-10.0" Debian's 10.0 built from
 * source, "qemu-patched" the same with the fixes of
 * docs/defects/patches/qemu-*.patch.
 */
static const struct qemu_build {
	const char *name, *desc;
	bool pdpte_bit5;		/* qemu-tcg-pae-pdpte-accessed-bit */
	bool pdpte_rsvd_unchecked;	/* qemu-tcg-npt-pae-pdpte-reserved-bits */
	bool rsvd_pf_without_p;		/* the same document: RSVD without P */
	bool vmexit_host_cr0;		/* qemu-tcg-svm-vmexit-host-cr0 */
	bool cr0_upper_bits;		/* qemu-tcg-cr0-upper-bits */
} qemu_builds[] = {
	{ "qemu", "QEMU TCG", true, true, true, true, true },
	{ "qemu-10.0", "QEMU 10.0 TCG", true, true, true, true, true },
	{ "qemu-patched", "QEMU 10.0 TCG with the fixes of docs/defects/patches/qemu-*.patch",
	  false, false, false, false, false },
};

/*
 * QEMU under TCG: the build SMMU_EMULATOR names; without SMMU_EMULATOR (a
 * runner from before it) or with a name not in the table, the machine's
 * QEMU, the one with the defects.
 */
static const struct qemu_build *qemu_build(void)
{
	const char *emu = getenv("SMMU_EMULATOR"), *accel = getenv("SMMU_ACCEL");
	unsigned int i;

	if (!accel || strcmp(accel, "tcg") || (emu && !strncmp(emu, "bochs", 5)))
		return NULL;
	for (i = 0; emu && i < ARRAY_SIZE(qemu_builds); i++)
		if (!strcmp(emu, qemu_builds[i].name))
			return &qemu_builds[i];
	return &qemu_builds[0];
}

enum emulator emulator(void)
{
	const char *emu = getenv("SMMU_EMULATOR");

	/* Debian's Bochs, or a build of scripts/build-bochs. */
	if (emu && (!strcmp(emu, "bochs") || !strcmp(emu, "bochs-patched") ||
		    !strcmp(emu, "bochs-pristine")))
		return EMULATOR_BOCHS;
	return qemu_build() ? EMULATOR_QEMU_TCG : EMULATOR_NONE;
}

const char *emulator_name(void)
{
	const char *emu = getenv("SMMU_EMULATOR");

	switch (emulator()) {
	case EMULATOR_QEMU_TCG:
		return qemu_build()->desc;
	case EMULATOR_BOCHS:
		if (!strcmp(emu, "bochs-patched"))
			return "Bochs (patched: docs/defects/bochs-*.md)";
		if (!strcmp(emu, "bochs-pristine"))
			return "Bochs (built from Debian's source, unpatched)";
		return "Bochs";
	default:
		return "none (hardware)";
	}
}

/* The QEMU build's defects, unless SMMU_EMULATOR_GAPS asks otherwise. */
static const struct qemu_build *qemu_tcg_defects(void)
{
	return getenv("SMMU_EMULATOR_GAPS") ? NULL : qemu_build();
}

bool emulator_sets_pdpte_bit5(bool npt)
{
	const struct qemu_build *q = qemu_tcg_defects();

	return npt && q && q->pdpte_bit5;
}

bool emulator_skips_pdpte_reserved_bits(void)
{
	const struct qemu_build *q = qemu_tcg_defects();

	return q && q->pdpte_rsvd_unchecked;
}

bool emulator_rsvd_pf_without_p(bool npt)
{
	const struct qemu_build *q = qemu_tcg_defects();

	return npt && q && q->rsvd_pf_without_p;
}

bool emulator_drops_cr0_upper_bits(bool npt)
{
	const struct qemu_build *q = qemu_tcg_defects();

	return npt && q && q->cr0_upper_bits;
}

bool emulator_vmexit_keeps_guest_cr0(bool npt)
{
	const struct qemu_build *q = qemu_tcg_defects();

	return npt && q && q->vmexit_host_cr0;
}

bool emulator_ept_ad_walk_violation_without_read(void)
{
	/* Every Bochs: no patch of scripts/build-bochs fixes it yet. */
	return !getenv("SMMU_EMULATOR_GAPS") && emulator() == EMULATOR_BOCHS;
}
