// SPDX-License-Identifier: GPL-2.0
/*
 * The emulator the kernel under test runs on, and its known differences
 * from the hardware it emulates: include/emulator.h.
 */
#include <stdlib.h>
#include <string.h>

#include "emulator.h"

enum emulator emulator(void)
{
	const char *emu = getenv("SMMU_EMULATOR"), *accel = getenv("SMMU_ACCEL");

	/* Debian's Bochs, or a build of scripts/build-bochs. */
	if (emu && (!strcmp(emu, "bochs") || !strcmp(emu, "bochs-patched") ||
		    !strcmp(emu, "bochs-pristine")))
		return EMULATOR_BOCHS;
	/* SMMU_ACCEL=tcg alone: a runner from before SMMU_EMULATOR. */
	if (accel && !strcmp(accel, "tcg"))
		return EMULATOR_QEMU_TCG;
	return EMULATOR_NONE;
}

const char *emulator_name(void)
{
	static const char *const names[] = {
		[EMULATOR_NONE] = "none (hardware)",
		[EMULATOR_QEMU_TCG] = "QEMU TCG",
		[EMULATOR_BOCHS] = "Bochs",
	};
	const char *emu = getenv("SMMU_EMULATOR");

	if (emulator() == EMULATOR_BOCHS && !strcmp(emu, "bochs-patched"))
		return "Bochs (patched: docs/defects/bochs-*.md)";
	if (emulator() == EMULATOR_BOCHS && !strcmp(emu, "bochs-pristine"))
		return "Bochs (built from Debian's source, unpatched)";
	return names[emulator()];
}

/* The emulator's defects apply, unless SMMU_EMULATOR_GAPS asks otherwise. */
static bool qemu_tcg_defects(void)
{
	return emulator() == EMULATOR_QEMU_TCG && !getenv("SMMU_EMULATOR_GAPS");
}

bool emulator_sets_pdpte_bit5(bool npt)
{
	return npt && qemu_tcg_defects();
}

bool emulator_skips_pdpte_reserved_bits(void)
{
	return qemu_tcg_defects();
}
