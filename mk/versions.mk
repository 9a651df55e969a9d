# One place for the versions the build and the lab must agree on.
# TARGET names the dom0 release (mk/targets/TARGET.env): the modules are
# built against its linux-headers-$(KABI)-amd64, and the lab's dom0 and
# guests boot its linux-image-$(KABI)-amd64 and Xen, so both always match.
# The default stays bookworm until the backend series is ported to 6.12
# (issue "Run on today's Debian stable"); TARGET=trixie boots the trixie lab.
TARGET ?= bookworm
MK_DIR := $(dir $(lastword $(MAKEFILE_LIST)))
include $(MK_DIR)targets/$(TARGET).env
SUITE ?= $(T_SUITE)
KABI ?= $(T_KABI)
KVER ?= $(KABI)-amd64
KDIR ?= /usr/src/linux-headers-$(KVER)
# The backend sources come from the same-version linux-source package.
KSRC_TARBALL ?= /usr/src/$(T_KSRC_PKG).tar.xz
XEN_VER ?= $(T_XEN_VER)
# Build products and caches that must not live in the repo: build/ for
# bookworm, build-TARGET/ for another target, so the two never mix.
BUILD ?= $(CURDIR)/build$(if $(filter-out bookworm,$(TARGET)),-$(TARGET))
NCMIG_CACHE ?= /var/cache/ncmig
