# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Shared helpers of the host-side scripts.  Source it; do not run it.

# Where downloads and unpacked trees live: outside the clone, so that
# repeated runs and CI on the same machine reuse them.
# Without HOME (some CI environments), the user's home from passwd.
SMMU_CACHE=${SMMU_CACHE:-${XDG_CACHE_HOME:-${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}/.cache}/shadow-mmu-selftests}

# The kernels under test, by name: Debian's packages of one version each,
# so that KVM modules rebuilt from the source load into the image.
#   NAME  Debian version       apt suite
SMMU_KERNEL_TABLE="
6.12  6.12.117-1~deb12u1   bookworm-security
7.3   7.3.4-1~bpo13+1      trixie-backports
"
# The kernels "make run" and "make check" run on, the first one by default
# where one kernel is meant (builds, bisection, mutants).
SMMU_KERNELS_DEFAULT="6.12 7.3"
# SMMU_KERNEL=<name> picks one of the table; DEBIAN_KERNEL=<debian version>
# any other version the archive (or the private sources) has.
SMMU_KERNEL=${SMMU_KERNEL:-${SMMU_KERNELS_DEFAULT%% *}}

SMMU_DEBS=$SMMU_CACHE/debs

# The configurations: the emulator (QEMU, or Bochs: vm/bochs), the CPU
# vendor it emulates ("qemu": AMD under TCG, the host's under KVM), and
# KVM's MMU (module parameters: vm/vmtest config_module_params()).
# Differences between emulators are decided here and in vm/vmtest for the
# runner, and in lib/emulator.c for the tests.
#   name              emulator  vendor  MMU
CONFIG_TABLE="
shadow              qemu      qemu    shadow
tdp                 qemu      qemu    tdp
tdp-legacy          qemu      qemu    tdp-legacy
tdp-5level          qemu      qemu    tdp-5level
intel-shadow        bochs     intel   shadow
intel-ept           bochs     intel   tdp
intel-ept-legacy    bochs     intel   tdp-legacy
intel-ept-noad      bochs     intel   tdp-noad
bochs-amd-shadow    bochs     amd     shadow
bochs-amd-npt       bochs     amd     tdp
"
# shellcheck disable=SC2034 # for the scripts that source this file
ALL_CONFIGS=$(awk 'NF { print $1 }' <<< "$CONFIG_TABLE" | paste -sd,)
# make run's: QEMU's four, the quick verdict (about a minute and a half
# for both kernels on two cores); make check adds intel-shadow, and make
# run-bochs runs every Bochs configuration (Bochs takes minutes each).
# shellcheck disable=SC2034
DEFAULT_CONFIGS="shadow,tdp,tdp-legacy,tdp-5level"
# shellcheck disable=SC2034
CHECK_CONFIGS="$DEFAULT_CONFIGS,intel-shadow"
# shellcheck disable=SC2034
BOCHS_CONFIGS=$(awk '$2 == "bochs" { print $1 }' <<< "$CONFIG_TABLE" | paste -sd,)
# config_field CONFIG N: field N of CONFIG's row.  In bash, from a table
# read once: the runners ask it hundreds of times per run, and an awk each
# added up to a second.
declare -gA CONFIG_ROWS=()
while read -r _name _rest; do
	[ -z "$_name" ] || CONFIG_ROWS[$_name]="$_name $_rest"
done <<< "$CONFIG_TABLE"
unset _name _rest
config_field()
{
	local -a fields

	read -r -a fields <<< "${CONFIG_ROWS[$1]:-}"
	echo "${fields[$(($2 - 1))]:-}"
}
config_emulator() { config_field "$1" 2; }
config_mmu() { config_field "$1" 4; }
# config_kernel_params CONFIG: the kernel's own parameters: no5lvl where
# the kernel under test must use 4-level paging.  Configurations with the
# same emulator and these share a boot (vm/vmtest boot_groups, vm/matrix).
config_kernel_params()
{
	case $(config_mmu "$1") in
	tdp-5level) echo "" ;;
	*)          echo "no5lvl" ;;
	esac
}

# Which Bochs the Bochs configurations run: SMMU_BOCHS (make ... BOCHS=):
#   debian    Debian 13's package (scripts/trixie-root): emulator "bochs"
#   patched   scripts/build-bochs: Debian's source with the fixes of
#             docs/defects/patches/bochs-*.patch: emulator "bochs-patched"
#   pristine  scripts/build-bochs --pristine: the same build without them
#             (the control for "patched"): emulator "bochs-pristine"
# This is the one place that decides it.  The emulator's name goes to the
# tests (smmu.emulator=, lib/emulator.c), to each configuration's status
# and run.conf, and picks the binary (bochs_binary).
SMMU_BOCHS=${SMMU_BOCHS:-debian}

# config_emulator_name CONFIG: the emulator that runs CONFIG, as the
# tests (smmu.emulator=) and the results name it: that of SMMU_QEMU (the
# machine's "qemu" or a build's name) for a QEMU configuration, that of
# SMMU_BOCHS for a Bochs one.
config_emulator_name()
{
	local e

	e=$(config_emulator "$1")
	if [ "$e" != bochs ]; then echo "$SMMU_QEMU"; return; fi
	case $SMMU_BOCHS in
	debian) echo bochs ;;
	patched|pristine) echo "bochs-$SMMU_BOCHS" ;;
	*) die "SMMU_BOCHS must be debian, patched or pristine (not '$SMMU_BOCHS')" ;;
	esac
}

# bochs_binary EMULATOR: the bin/bochs that runs a bochs-* emulator of
# config_emulator_name (built, once, if it is not yet); nothing for
# Debian's "bochs", which vm/bochs finds in the trixie root.
# SMMU_BOCHS_BUILD=DIR: an existing build of scripts/build-bochs (another
# version of the script, or another cache) instead, if its build-info
# shows the source and patches that EMULATOR names: Debian's source of
# the same version, and every docs/defects/patches/bochs-*.patch with the
# same SHA-256 (bochs-patched) or none (bochs-pristine).
bochs_binary()
{
	local build want have p dir=${SMMU_BOCHS_BUILD:-}
	build=$(dirname "${BASH_SOURCE[0]}")/build-bochs

	case $1 in
	bochs) return 0 ;;
	bochs-patched|bochs-pristine) ;;
	*) die "bochs_binary: '$1' is not a Bochs emulator" ;;
	esac
	if [ -z "$dir" ]; then
		if [ "$1" = bochs-patched ]; then "$build"; else "$build" --pristine; fi
		return
	fi
	if [ ! -x "$dir/bin/bochs" ] || [ ! -r "$dir/build-info" ]; then
		die "SMMU_BOCHS_BUILD=$dir: no bin/bochs and build-info (not a build of scripts/build-bochs)"
	fi
	want="bochs=$(sed -n 's/^BOCHS_DEB_VERSION=//p' "$build") (Debian source)"
	grep -q "^$want" "$dir/build-info" ||
		die "SMMU_BOCHS_BUILD=$dir: not built from $want"
	if [ "$1" = bochs-pristine ]; then
		want="patch=none"
	else
		want=$(for p in "$(dirname "${BASH_SOURCE[0]}")"/../docs/defects/patches/bochs-*.patch; do
			echo "patch=${p##*/} $(sha256sum "$p" | cut -d' ' -f1)"
		done)
	fi
	have=$(grep '^patch=' "$dir/build-info" | sort)
	[ "$have" = "$(sort <<< "$want")" ] ||
		die "SMMU_BOCHS_BUILD=$dir: its patches are not those of $1 (build-info: ${have//$'\n'/, })"
	echo "$dir/bin/bochs"
}

# The QEMU a QEMU configuration runs on: SMMU_QEMU=<name> of this table
# (default "qemu", the machine's own qemu-system-x86_64, Debian 12's
# QEMU 7.2).  The others are built from Debian's source of
# SMMU_QEMU_SRC_VERSION by scripts/build-qemu (make qemu-patched), with
# the patches listed, and run in the trixie root.  The name is also the
# emulator the tests are told (SMMU_EMULATOR): lib/emulator.c decides
# from it which QEMU defects apply.
#   name          patches (docs/defects/patches/, comma-separated; - none)
QEMU_TABLE="
qemu          -
qemu-10.0     -
qemu-patched  qemu-tcg-pae-pdpte-accessed-bit.patch,qemu-tcg-npt-pae-pdpte-reserved-bits.patch,qemu-tcg-rsvd-pf-error-code-p.patch,qemu-tcg-svm-vmexit-host-cr0.patch,qemu-tcg-cr0-upper-bits.patch
"
# Trixie-backports' QEMU 11.1 (1:11.1.3+ds-2~bpo13+1) is listed by the
# archive, but its source files are not downloadable here (404 for the
# .dsc and tarballs); trixie's 10.0 has the same mmu_translate() code.
# shellcheck disable=SC2034 # for scripts/build-qemu
SMMU_QEMU_SRC_VERSION=1:10.0.13+ds-0+deb13u1
SMMU_QEMU=${SMMU_QEMU:-qemu}
qemu_names() { awk 'NF { print $1 }' <<< "$QEMU_TABLE"; }
# emulator_patches NAME: the patches of a QEMU of the table, relative to
# the top directory, one per line.
emulator_patches()
{
	local p

	p=$(awk -v n="$1" '$1 == n { print $2 }' <<< "$QEMU_TABLE")
	[ -n "$p" ] && [ "$p" != - ] || return 0
	tr ',' '\n' <<< "$p" | sed 's|^|docs/defects/patches/|'
}

msg()  { printf '>>> %s\n' "$*" >&2; }
warn() { printf '%s: warning: %s\n' "${0##*/}" "$*" >&2; }
# Scripts whose exit 1 means "a test failed" set DIE_STATUS to tell errors apart.
die()  { printf '%s: error: %s\n' "${0##*/}" "$*" >&2; exit "${DIE_STATUS:-1}"; }

# kernel_field NAME COLUMN: a column (2: Debian version, 3: suite) of the table.
kernel_field()
{
	awk -v n="$1" -v c="$2" '$1 == n { print $c }' <<< "$SMMU_KERNEL_TABLE"
}

# kernel_names: every kernel of the table.
kernel_names()
{
	awk 'NF { print $1 }' <<< "$SMMU_KERNEL_TABLE"
}

if [ -z "${DEBIAN_KERNEL:-}" ]; then
	DEBIAN_KERNEL=$(kernel_field "$SMMU_KERNEL" 2)
	[ -n "$DEBIAN_KERNEL" ] ||
		die "unknown kernel '$SMMU_KERNEL' (known: $(kernel_names | paste -sd' '))"
fi

# debian_abi 6.12.117-1~deb12u1 -> 6.12.117+deb12, 7.3.4-1~bpo13+1 ->
# 7.3.4+deb13 (the release string stem; -amd64 follows)
debian_abi()
{
	local upstream=${1%%-*} suffix

	case $1 in
	*~deb*) suffix=${1##*~}; suffix=${suffix%u*} ;;
	*~bpo*) suffix=${1##*~bpo}; suffix=deb${suffix%%+*} ;;
	*) die "cannot derive a release string from Debian version '$1'" ;;
	esac
	echo "$upstream+$suffix"
}

# eval_fetch ARGS...: run fetch-kernel and take its variables, or stop.
eval_fetch()
{
	local vars

	vars=$("$(dirname "${BASH_SOURCE[0]}")/fetch-kernel" "$@") || exit 1
	eval "$vars"
}

# The project's own apt configuration: its sources list, package lists and
# cache live in the cache directory, so that Debian's newer suites
# (trixie, trixie-backports) are reachable without touching the machine's
# apt sources.  Downloads only (apt-get download / source); no root needed.
SMMU_APT=$SMMU_CACHE/apt
SMMU_APT_SUITES="bookworm bookworm-updates bookworm-security trixie trixie-updates trixie-backports"

# papt COMMAND ARGS...: apt-get or apt-cache on the private configuration.
papt()
{
	local cmd=$1

	shift
	"$cmd" -q -o Dir::Etc::SourceList="$SMMU_APT/sources.list" 		-o Dir::Etc::SourceParts=/dev/null 		-o Dir::State::Lists="$SMMU_APT/lists" 		-o Dir::State::status=/dev/null 		-o Dir::Cache="$SMMU_APT/cache" 		-o Debug::NoLocking=1 		-o APT::Sandbox::User="$(id -un)" "$@"
}

# papt_update [--force]: write the private sources list and fetch the
# package lists (once, or again with --force when a version is missing).
papt_update()
{
	local suite uri keyring=/usr/share/keyrings/debian-archive-keyring.gpg

	if [ "${1:-}" != --force ] && [ -e "$SMMU_APT/lists/.done" ]; then
		return 0
	fi
	[ -r "$keyring" ] || die "$keyring is missing (Debian package debian-archive-keyring)"
	mkdir -p "$SMMU_APT/lists/partial" "$SMMU_APT/cache/archives/partial"
	# Kernels are fetched side by side (scripts/run-suite): one update at
	# a time, and none twice.
	exec {update_fd}> "$SMMU_APT/update.lock"
	flock "$update_fd"
	if [ "${1:-}" != --force ] && [ -e "$SMMU_APT/lists/.done" ]; then
		exec {update_fd}>&-
		return 0
	fi
	for suite in $SMMU_APT_SUITES; do
		case $suite in
		*-security) uri=http://deb.debian.org/debian-security ;;
		*) uri=http://deb.debian.org/debian ;;
		esac
		echo "deb [signed-by=$keyring] $uri $suite main"
		echo "deb-src [signed-by=$keyring] $uri $suite main"
	done > "$SMMU_APT/sources.list"
	msg "updating the project's package lists ($SMMU_APT)"
	papt apt-get update >&2 || die "apt-get update on $SMMU_APT/sources.list failed"
	touch "$SMMU_APT/lists/.done"
	exec {update_fd}>&-
}

# apt_fetch PACKAGE [VERSION]: download PACKAGE=VERSION (default
# $DEBIAN_KERNEL) into $SMMU_DEBS (once) and print the .deb's path.
apt_fetch()
{
	local pkg=$1 ver=${2:-$DEBIAN_KERNEL} deb

	mkdir -p "$SMMU_DEBS"
	# File names carry the version with its epoch's colon as %3a.
	deb=$(find "$SMMU_DEBS" -maxdepth 1 -name "${pkg}_${ver#*:}_*.deb" | head -n1)
	if [ -n "$deb" ]; then
		echo "$deb"
		return
	fi
	msg "downloading $pkg $ver (Debian archive)"
	papt_update
	if ! (cd "$SMMU_DEBS" && papt apt-get download "$pkg=$ver" >&2); then
		papt_update --force
		(cd "$SMMU_DEBS" && papt apt-get download "$pkg=$ver" >&2) ||
			die "cannot download $pkg=$ver; '${0##*/}' uses $SMMU_APT/sources.list"
	fi
	find "$SMMU_DEBS" -maxdepth 1 -name "${pkg}_${ver#*:}_*.deb" | head -n1
}

# vm_slot_acquire: take one of the machine's SMMU_VM_SLOTS (default: its
# cores) VM slots, held on the file descriptor $VM_SLOT_FD until
# vm_slot_release or exit.  An emulated VM keeps one core busy: the slots
# keep the VMs of all the project's runners (make run, mutants, bench,
# ...) within the cores.  (A default of 1 made a mutants run and a make
# run beside it take turns on one core while the other idled.)
# config_killer SUMMARY CFG: what vm/vmtest's summary.txt says failed
# configuration CFG as a whole: "kvm-unload" (a kernel error while KVM was
# unloaded after the tests, vm/guest/init: a leak), "(vm)" (anything
# else), or nothing.
config_killer()
{
	if grep -q "^\[$2\] configuration FAILED: kernel error unloading KVM" "$1" 2>/dev/null; then
		echo kvm-unload
	elif grep -q "^\[$2\] configuration FAILED" "$1" 2>/dev/null; then
		echo "(vm)"
	fi
}

vm_slot_lock() { echo "$SMMU_CACHE/vm.lock$([ "$1" -eq 0 ] || echo ".$1")"; }

vm_slot_acquire()
{
	local n=${SMMU_VM_SLOTS:-$(nproc)} i

	mkdir -p "$SMMU_CACHE"
	for ((i = 0; i < n; i++)); do
		exec {VM_SLOT_FD}> "$(vm_slot_lock "$i")"
		flock -n "$VM_SLOT_FD" && return 0
		exec {VM_SLOT_FD}>&-
	done
	# Every slot is busy: wait for one of them.
	exec {VM_SLOT_FD}> "$(vm_slot_lock $(( $$ % n )))"
	flock "$VM_SLOT_FD"
}

vm_slot_release()
{
	exec {VM_SLOT_FD}>&-
}
