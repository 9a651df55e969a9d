# One place for the versions the build and the lab must agree on.
# KABI is the Debian bookworm kernel ABI: the modules are built against
# linux-headers-$(KABI)-amd64 and the lab's dom0 and guest boot
# linux-image-$(KABI)-amd64, so both always match.
KABI ?= 6.1.0-56
KVER ?= $(KABI)-amd64
KDIR ?= /usr/src/linux-headers-$(KVER)
# The backend sources come from the same-version linux-source package.
KSRC_TARBALL ?= /usr/src/linux-source-6.1.tar.xz
XEN_VER ?= 4.17
# Build products and caches that must not live in the repo.
BUILD ?= $(CURDIR)/build
NCMIG_CACHE ?= /var/cache/ncmig
