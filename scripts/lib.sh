# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Shared helpers of the host-side scripts.  Source it; do not run it.

# Where downloads and unpacked trees live: outside the clone, so that
# repeated runs and CI on the same machine reuse them.
# Without HOME (some CI environments), the user's home from passwd.
SMMU_CACHE=${SMMU_CACHE:-${XDG_CACHE_HOME:-${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}/.cache}/shadow-mmu-selftests}

# The default kernel under test and the tree the suite builds against:
# Debian's 6.12 packages of one version, so that KVM modules rebuilt from
# the source load into the image.  Override with DEBIAN_KERNEL=<version>.
DEBIAN_KERNEL=${DEBIAN_KERNEL:-6.12.117-1~deb12u1}

SMMU_DEBS=$SMMU_CACHE/debs

msg()  { printf '>>> %s\n' "$*" >&2; }
warn() { printf '%s: warning: %s\n' "${0##*/}" "$*" >&2; }
# Scripts whose exit 1 means "a test failed" set DIE_STATUS to tell errors apart.
die()  { printf '%s: error: %s\n' "${0##*/}" "$*" >&2; exit "${DIE_STATUS:-1}"; }

# debian_abi 6.12.117-1~deb12u1 -> 6.12.117+deb12 (the release string stem)
debian_abi()
{
	local upstream=${1%%-*} suffix

	case $1 in
	*~deb*) suffix=${1##*~}; suffix=${suffix%u*} ;;
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

# apt_fetch PACKAGE: download PACKAGE=$DEBIAN_KERNEL into $SMMU_DEBS (once)
# and print the .deb's path.  apt-get download needs no root.
apt_fetch()
{
	local pkg=$1 deb

	mkdir -p "$SMMU_DEBS"
	deb=$(find "$SMMU_DEBS" -maxdepth 1 -name "${pkg}_*.deb" | head -n1)
	if [ -n "$deb" ]; then
		echo "$deb"
		return
	fi
	msg "downloading $pkg $DEBIAN_KERNEL (Debian archive)"
	# The cache may not be readable by apt's sandbox user: do without it.
	if ! (cd "$SMMU_DEBS" && apt-get download -q -o APT::Sandbox::User=root "$pkg=$DEBIAN_KERNEL" >&2); then
		apt-get update -q >&2 || warn "apt-get update failed"
		(cd "$SMMU_DEBS" && apt-get download -q -o APT::Sandbox::User=root "$pkg=$DEBIAN_KERNEL" >&2) ||
			die "cannot download $pkg=$DEBIAN_KERNEL; 'apt-cache policy $pkg' lists the versions the archive has (set DEBIAN_KERNEL=...)"
	fi
	find "$SMMU_DEBS" -maxdepth 1 -name "${pkg}_*.deb" | head -n1
}
