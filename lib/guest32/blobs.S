/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The two flat builds of the guest step engine, embedded in the host
 * library (built by guest32.mk, which passes their paths).
 */
	.section .rodata, "a"

	.p2align 12
	.globl gstep_engine32_start, gstep_engine32_end
gstep_engine32_start:
	.incbin GSTEP_ENGINE32_BIN
gstep_engine32_end:

	.p2align 12
	.globl gstep_engine64_start, gstep_engine64_end
gstep_engine64_start:
	.incbin GSTEP_ENGINE64_BIN
gstep_engine64_end:

	.section .note.GNU-stack, "", @progbits
