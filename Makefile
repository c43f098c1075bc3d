# SPDX-License-Identifier: GPL-2.0
#
# shadow-mmu-selftests: regression tests for KVM's x86 shadow MMU.
#
# Two ways to use this directory:
#
#  1. Standalone (this repository):
#       make run      run the suite in a VM on the default kernel, print a table
#       make check    the project's own tests: unit tests, runner checks, the suite
#       make bochs-patched   Bochs with the project's fixes (docs/bochs.md)
#       make KSRC=/path/to/linux [STATIC=1] [OUTPUT=dir]    just build
#       make KSRC=/path/to/linux reproducers   docs/defects/reproducers/*.c only
#
#  2. As tools/testing/selftests/<dir> of a kernel tree (kselftest):
#       make -C tools/testing/selftests TARGETS=<dir> run_tests
#     KSRC is then the enclosing tree.
#
# The suite is built from the kernel tree's own KVM selftests library
# (tools/testing/selftests/kvm/lib), which this repository never copies.

SMMU_DIR := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))

# Inside a kernel tree, build against that tree.  Standalone, use the tree
# that scripts/fetch-kernel unpacks into the cache ("make run" fetches it).
ifneq ($(wildcard $(SMMU_DIR)/../lib.mk),)
KSRC ?= $(abspath $(SMMU_DIR)/../../../..)
else
KSRC ?= $(shell $(SMMU_DIR)/scripts/fetch-kernel --print-ksrc)
endif

all:

# Targets of the standalone workflow; they need no kernel tree up front.
STANDALONE_GOALS := run run-bochs check unit fuzz runner-check intree-check series-check compat-check \
		    bench mutants verify-fixes qemu-patched deps help bochs-patched
.PHONY: $(STANDALONE_GOALS)

run:
	@$(SMMU_DIR)/scripts/run-suite
run-bochs:
	@$(SMMU_DIR)/scripts/run-suite --bochs
check:
	@$(SMMU_DIR)/scripts/check
unit fuzz:
	@$(MAKE) --no-print-directory -C $(SMMU_DIR)/tests $@
runner-check:
	@$(SMMU_DIR)/tests/runner/run-checks
intree-check:
	@$(SMMU_DIR)/scripts/intree-check
series-check:
	@$(SMMU_DIR)/scripts/series-check
compat-check:
	@$(SMMU_DIR)/scripts/compat-check
bench:
	@$(SMMU_DIR)/scripts/bench
# make mutants [MUTANTS="name... or patch files"] [SMOKE=1] [KERNEL=7.3] [TESTS="test..."] [GUARDED=1]
mutants:
	@$(SMMU_DIR)/scripts/mutants $(if $(SMOKE),--smoke) $(if $(GUARDED),--guarded) $(if $(KERNEL),--kernel $(KERNEL)) $(foreach t,$(TESTS),--test $(t)) $(MUTANTS)
# make verify-fixes [DEFECTS="doc ..."] [KERNEL=7.3]
verify-fixes:
	@$(SMMU_DIR)/scripts/verify-fixes $(if $(KERNEL),--kernel $(KERNEL)) $(DEFECTS)
# make qemu-patched: QEMU 10.0 with docs/defects/patches/qemu-*.patch, built
# once (long: one job); SMMU_QEMU=qemu-patched make run then runs on it.
qemu-patched:
	@$(SMMU_DIR)/scripts/build-qemu --name qemu-patched
deps:
	@$(SMMU_DIR)/scripts/install-deps
# Bochs with the fixes of docs/defects/patches/bochs-*.patch (about 7
# minutes once, then cached; not part of run or check); "make run-bochs
# BOCHS=patched" runs the Bochs configurations on it (scripts/lib.sh,
# SMMU_BOCHS), and builds it itself if it has to.
bochs-patched:
	@$(SMMU_DIR)/scripts/build-bochs
help:
	@sed -n '3,18p' $(SMMU_DIR)/Makefile

ifeq ($(filter-out $(STANDALONE_GOALS),$(or $(MAKECMDGOALS),all)),)
# Only standalone goals were asked for: nothing below is needed.
else ifeq ($(wildcard $(KSRC)/tools/testing/selftests/kvm/lib/kvm_util.c),)
$(error KSRC='$(KSRC)' is not a kernel tree with KVM selftests; use 'make run', or 'make KSRC=/path/to/linux' after 'make -C /path/to/linux headers')
else
include $(SMMU_DIR)/suite.mk
endif
