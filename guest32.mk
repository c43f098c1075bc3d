# SPDX-License-Identifier: GPL-2.0
#
# The guest step engine (lib/guest32/), included by suite.mk once LIB_OBJS
# is set.  One freestanding source is built twice, -m32 for 32-bit
# protected mode and -m64 for IA-32e paging, linked at GSTEP_CODE_GPA,
# turned into flat binaries and embedded in the host library with .incbin
# (lib/guest32/blobs.S), whose object joins LIB_OBJS.
#
# Guest code gets its own flags, not $(CFLAGS): no libc headers, no
# -march=x86-64-v2, no red zone (exceptions run on the same stack), and
# general registers only (the engine never enables SSE).  The tools
# headers give it READ_ONCE()/WRITE_ONCE() (<linux/compiler.h>).

GUEST_SRC := $(SMMU_DIR)/lib/guest32
GUEST_OUT := $(OUTPUT)/lib/guest32

GUEST_CFLAGS := -O2 -g -std=gnu99 -Wall -Wstrict-prototypes -ffreestanding \
	-fno-pic -fno-pie -fno-stack-protector -fcf-protection=none \
	-fno-asynchronous-unwind-tables -mgeneral-regs-only -mno-red-zone \
	-fno-builtin -nostdinc -isystem $(shell $(CC) -print-file-name=include) \
	-I$(SMMU_DIR)/include/x86_64 -I$(GUEST_SRC) \
	-I$(KSRC)/tools/include -I$(KSRC)/usr/include -MD -MP
GUEST_CFLAGS_32 := -m32 -march=i686
GUEST_CFLAGS_64 := -m64 -mcmodel=small
GUEST_LD_32 := elf_i386
GUEST_LD_64 := elf_x86_64
OBJCOPY ?= objcopy

GUEST_BITS := 32 64
GUEST_OBJS := $(foreach b,$(GUEST_BITS),$(GUEST_OUT)/engine$(b).o $(GUEST_OUT)/entry$(b).o)
GUEST_BINS := $(foreach b,$(GUEST_BITS),$(GUEST_OUT)/engine$(b).bin)
GUEST_ELFS := $(GUEST_BINS:.bin=.elf)
GUEST_LDS := $(GUEST_OUT)/engine.lds
GUEST_BLOBS_OBJ := $(GUEST_OUT)/blobs.o

LIB_OBJS += $(GUEST_BLOBS_OBJ)

-include $(patsubst %.o,%.d,$(GUEST_OBJS) $(GUEST_BLOBS_OBJ))

$(GUEST_BITS:%=$(GUEST_OUT)/engine%.o): $(GUEST_OUT)/engine%.o: $(GUEST_SRC)/engine.c
	$(call msg,CC,guest$*,$@)
	$(Q)$(CC) $(GUEST_CFLAGS) $(GUEST_CFLAGS_$*) -c $< -o $@

$(GUEST_BITS:%=$(GUEST_OUT)/entry%.o): $(GUEST_OUT)/entry%.o: $(GUEST_SRC)/entry.S
	$(call msg,AS,guest$*,$@)
	$(Q)$(CC) $(GUEST_CFLAGS) $(GUEST_CFLAGS_$*) -c $< -o $@

$(GUEST_LDS): $(GUEST_SRC)/engine.lds.S
	$(call msg,CPP,guest,$@)
	$(Q)$(CC) -E -P -x c -D__ASSEMBLER__ -nostdinc -I$(SMMU_DIR)/include/x86_64 $< -o $@

$(GUEST_ELFS): $(GUEST_OUT)/engine%.elf: $(GUEST_OUT)/entry%.o $(GUEST_OUT)/engine%.o $(GUEST_LDS)
	$(call msg,LD,guest$*,$@)
	$(Q)$(LD) -m $(GUEST_LD_$*) -nostdlib --no-dynamic-linker -T $(GUEST_LDS) \
		$(GUEST_OUT)/entry$*.o $(GUEST_OUT)/engine$*.o -o $@

$(GUEST_BINS): $(GUEST_OUT)/engine%.bin: $(GUEST_OUT)/engine%.elf
	$(call msg,OBJCOPY,guest$*,$@)
	$(Q)$(OBJCOPY) -O binary $< $@

$(GUEST_BLOBS_OBJ): $(GUEST_SRC)/blobs.S $(GUEST_BINS)
	$(call msg,AS,guest,$@)
	$(Q)$(CC) $(CFLAGS) -DGSTEP_ENGINE32_BIN='"$(GUEST_OUT)/engine32.bin"' \
		-DGSTEP_ENGINE64_BIN='"$(GUEST_OUT)/engine64.bin"' -c $< -o $@

EXTRA_CLEAN += $(GUEST_OBJS) $(GUEST_BINS) $(GUEST_ELFS) $(GUEST_LDS) $(GUEST_BLOBS_OBJ) \
	       $(patsubst %.o,%.d,$(GUEST_OBJS) $(GUEST_BLOBS_OBJ))
