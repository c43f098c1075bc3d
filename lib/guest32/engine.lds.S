/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Link the step engine at GSTEP_CODE_GPA, entry first; the host copies
 * the flat binary (objcopy -O binary) there.  objcopy drops .bss: the
 * memslot is fresh anonymous memory, so it reads as zero.
 */
#include "guest_steps.h"

ENTRY(_start)

PHDRS {
	text PT_LOAD FLAGS(5);
	data PT_LOAD FLAGS(6);
}

SECTIONS {
	. = GSTEP_CODE_GPA;
	.text : {
		*(.text.entry)
		*(.text .text.*)
	} :text
	/* User-mode code on pages of its own: the host maps them U/S=1. */
	. = ALIGN(4096);
	__user_start = .;
	.usertext : { *(.usertext) } :text
	. = ALIGN(4096);
	__user_end = .;
	.rodata : { *(.rodata .rodata.*) } :text
	. = ALIGN(4096);
	.data : { *(.data .data.*) } :data
	.bss : { *(.bss .bss.* COMMON) } :data
	/DISCARD/ : { *(.eh_frame .note .note.* .comment) }
	ASSERT(. <= GSTEP_CODE_GPA + GSTEP_CODE_MAX, "the step engine is too large")
}
