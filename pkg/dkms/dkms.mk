# SPDX-License-Identifier: GPL-2.0
# DKMS's build of ncmig for one kernel (dkms.conf: MAKE[0]):
# xen-backend-quiesce and xen-ncmig, then the patched xen-blkback and
# xen-netback from that kernel's own Debian source package (they register
# with the core: its header and Module.symvers), all against its headers.
#   make -f dkms.mk KVER=6.1.0-56-amd64
# The backend sources are extracted from /usr/src/linux-source-X.Y.tar.xz
# (X.Y of KVER): the package ships only our patches, never kernel source.
KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build
HERE := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
KXY := $(shell echo '$(KVER)' | sed -n 's/^\([0-9]*\.[0-9]*\).*/\1/p')
KSRC_TARBALL ?= /usr/src/linux-source-$(KXY).tar.xz
BUILD := $(HERE)/build

.PHONY: all clean check-inputs
all: check-inputs
	$(MAKE) -C $(KDIR) M=$(HERE) BUILD=$(BUILD) NCMIG_TEST_HOOKS=0 modules
	$(MAKE) -C $(HERE)/kernel/backends KDIR=$(KDIR) BUILD=$(BUILD) \
		KSRC_TARBALL=$(KSRC_TARBALL) KBUILD_EXTRA_SYMBOLS=$(HERE)/Module.symvers

# What DKMS shows an operator when a kernel cannot be built for.
check-inputs:
	@[ -n "$(KXY)" ] || { echo "ncmig: cannot tell the version of kernel '$(KVER)'" >&2; exit 1; }
	@[ -r "$(KSRC_TARBALL)" ] || { echo "ncmig: $(KVER) needs $(KSRC_TARBALL): apt-get install linux-source-$(KXY)" >&2; exit 1; }
	@[ -d "$(KDIR)" ] || { echo "ncmig: $(KVER) needs its headers: apt-get install linux-headers-$(KVER)" >&2; exit 1; }

clean:
	-$(MAKE) -C $(KDIR) M=$(HERE) clean
	rm -rf $(BUILD)
