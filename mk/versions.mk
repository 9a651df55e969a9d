# One place for the versions the build and the lab must agree on.
# TARGET names the dom0 release (mk/targets/TARGET.env): the modules are
# built against its linux-headers-$(KABI)-amd64, and the lab's dom0 and
# guests boot its linux-image-$(KABI)-amd64 and Xen, so both always match.
# The default is trixie, Debian's stable release; TARGET=bookworm
# (oldstable, the build host's release) selects mk/targets/bookworm.env
# for every goal.
TARGET ?= trixie
MK_DIR := $(dir $(lastword $(MAKEFILE_LIST)))
NCMIG_TOP := $(abspath $(MK_DIR)..)
include $(MK_DIR)targets/$(TARGET).env
SUITE ?= $(T_SUITE)
KABI ?= $(T_KABI)
KVER ?= $(KABI)-amd64
KDIR ?= /usr/src/linux-headers-$(KVER)
# The backend sources come from the same-version linux-source package.
KSRC_TARBALL ?= /usr/src/$(T_KSRC_PKG).tar.xz
XEN_VER ?= $(T_XEN_VER)
# Build products and caches that must not live in the repo. The directory
# follows the target, not the default, so that a tree built before the
# default changed never passes for another target's: build/ holds bookworm
# (the build host's own release, built natively), build-TARGET/ any target
# built in its build root (build-trixie/). mk/kabi.sh says the same for sh.
BUILD ?= $(NCMIG_TOP)/build$(if $(filter-out bookworm,$(TARGET)),-$(TARGET))
NCMIG_CACHE ?= /var/cache/ncmig
