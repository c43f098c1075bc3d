# SPDX-License-Identifier: GPL-2.0
#
# Build rules of the suite, included by the Makefile once KSRC is known.
# Tests and the host library here are linked with the objects of the kernel
# tree's own KVM selftests library, compiled from $(KSRC) into $(OUTPUT)/ksrc.

KVM_SELFTESTS := $(KSRC)/tools/testing/selftests/kvm

# 6.14 renamed the x86_64 directories of the KVM selftests to x86.
ARCH_DIR := $(if $(wildcard $(KVM_SELFTESTS)/lib/x86/processor.c),x86,x86_64)

# Every x86_64/*_test.c is a test program.
TEST_GEN_PROGS := $(patsubst $(SMMU_DIR)/%.c,%,$(wildcard $(SMMU_DIR)/x86_64/*_test.c))

SMMU_LIB_C := $(wildcard $(SMMU_DIR)/lib/*.c $(SMMU_DIR)/lib/x86_64/*.c)

KVM_LIB_STRING := $(KVM_SELFTESTS)/lib/string_override.c
KVM_LIB_C := $(filter-out $(KVM_LIB_STRING), \
	$(wildcard $(KVM_SELFTESTS)/lib/*.c $(KVM_SELFTESTS)/lib/$(ARCH_DIR)/*.c))
KVM_LIB_S := $(wildcard $(KVM_SELFTESTS)/lib/$(ARCH_DIR)/*.S)

OVERRIDE_TARGETS := 1
include $(KSRC)/tools/testing/selftests/lib.mk

SMMU_LIB_OBJS := $(patsubst $(SMMU_DIR)/%.c,$(OUTPUT)/%.o,$(SMMU_LIB_C))
KVM_LIB_OBJS := $(patsubst $(KVM_SELFTESTS)/%.c,$(OUTPUT)/ksrc/%.o,$(KVM_LIB_C)) \
		$(patsubst $(KVM_SELFTESTS)/%.S,$(OUTPUT)/ksrc/%.o,$(KVM_LIB_S))
KVM_LIB_STRING_OBJ := $(patsubst $(KVM_SELFTESTS)/%.c,$(OUTPUT)/ksrc/%.o,$(KVM_LIB_STRING))
# Objects, not an archive: an archive could leave out string_override.o (guest
# code would then call libc's memcpy) and the strong definitions of the
# library's __weak hooks.
LIB_OBJS := $(SMMU_LIB_OBJS) $(KVM_LIB_OBJS) $(KVM_LIB_STRING_OBJ)
include $(SMMU_DIR)/guest32.mk

include $(SMMU_DIR)/compat.mk

# The same flags as tools/testing/selftests/kvm/Makefile, plus our headers.
CFLAGS += -Wall -Wstrict-prototypes -Wuninitialized -O2 -g -std=gnu99 \
	-MD -MP -DCONFIG_64BIT -U_FORTIFY_SOURCE \
	-fno-builtin-memcmp -fno-builtin-memcpy \
	-fno-builtin-memset -fno-builtin-strnlen \
	-fno-stack-protector -fno-PIE -fno-strict-aliasing \
	-I$(SMMU_DIR)/include -I$(SMMU_DIR)/include/x86_64 \
	-I$(KSRC)/tools/include -I$(KSRC)/tools/arch/x86/include \
	-I$(KSRC)/usr/include -I$(KVM_SELFTESTS)/include \
	-I$(KVM_SELFTESTS)/include/$(ARCH_DIR) -I$(KVM_SELFTESTS)/lib \
	-I$(KSRC)/tools/testing/selftests -I$(KSRC)/tools/testing/selftests/rseq \
	$(COMPAT_FLAGS) $(EXTRA_CFLAGS) $(KHDR_INCLUDES)
ifeq ($(shell echo "void foo(void) { }" | $(CC) -march=x86-64-v2 -x c - -c -o /dev/null 2>/dev/null; echo "$$?"),0)
CFLAGS += -march=x86-64-v2
endif

# Tracing and BTF through the libraries made for them (Debian's libtracefs,
# libtraceevent and libbpf, which ship static archives too).
TRACE_PKGS := libtracefs libtraceevent libbpf
CFLAGS += $(shell pkg-config --cflags $(TRACE_PKGS))
LDLIBS += $(shell pkg-config --static --libs $(TRACE_PKGS)) -lzstd -ldl
LDFLAGS += -pthread -no-pie
# Static binaries run in the runner's minimal initramfs.  Never static-pie:
# the framework loads the test's own ELF into the guest at its link address.
ifeq ($(STATIC),1)
LDFLAGS += -static
endif

TEST_GEN_OBJ := $(patsubst %,%.o,$(TEST_GEN_PROGS))
-include $(patsubst %.o,%.d,$(TEST_GEN_OBJ) $(LIB_OBJS))

$(shell mkdir -p $(sort $(dir $(TEST_GEN_PROGS) $(LIB_OBJS))))

$(TEST_GEN_PROGS): %: %.o $(LIB_OBJS)
	$(call msg,LD,,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $< $(LIB_OBJS) $(LDLIBS) -o $@

$(TEST_GEN_OBJ): $(OUTPUT)/%.o: $(SMMU_DIR)/%.c
	$(call msg,CC,,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(SMMU_LIB_OBJS): $(OUTPUT)/%.o: $(SMMU_DIR)/%.c
	$(call msg,CC,,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(OUTPUT)/ksrc/%.o: $(KVM_SELFTESTS)/%.c
	$(call msg,CC,ksrc,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(OUTPUT)/ksrc/%.o: $(KVM_SELFTESTS)/%.S
	$(call msg,AS,ksrc,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

# Compiled freestanding, as upstream does, so that the compiler cannot turn
# memcmp() into a call to memcmp().
$(KVM_LIB_STRING_OBJ): $(KVM_LIB_STRING)
	$(call msg,CC,ksrc,$@)
	$(Q)$(CC) $(CFLAGS) -ffreestanding -c $< -o $@

# docs/defects/reproducers/*.c: upstream-style reproducers of the KVM
# defects, on upstream's library alone (no include path or object of this
# suite's).  Not tests of the suite (the runner would run them all, and
# some crash an unfixed host): "make reproducers" builds them into
# $(OUTPUT)/reproducers, for scripts/verify-fixes.  They are written for
# the newest selftests tree (7.3).
REPRO_PROGS := $(patsubst $(SMMU_DIR)/docs/defects/%.c,$(OUTPUT)/%, \
		 $(wildcard $(SMMU_DIR)/docs/defects/reproducers/*.c))
REPRO_CFLAGS := $(filter-out -I$(SMMU_DIR)/include -I$(SMMU_DIR)/include/x86_64 \
		  $(COMPAT_FLAGS),$(CFLAGS))

.PHONY: reproducers
reproducers: $(REPRO_PROGS)

$(REPRO_PROGS): $(OUTPUT)/reproducers/%: $(SMMU_DIR)/docs/defects/reproducers/%.c \
		$(KVM_LIB_OBJS) $(KVM_LIB_STRING_OBJ)
	$(call msg,CC,,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(REPRO_CFLAGS) $(LDFLAGS) $< $(KVM_LIB_OBJS) $(KVM_LIB_STRING_OBJ) \
		$(LDLIBS) -o $@

EXTRA_CLEAN += $(REPRO_PROGS)

EXTRA_CLEAN += $(TEST_GEN_OBJ) $(LIB_OBJS) $(patsubst %.o,%.d,$(TEST_GEN_OBJ) $(LIB_OBJS)) \
	       $(OUTPUT)/ksrc
