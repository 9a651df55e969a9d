# ncmig: top-level build. `make demo` and `make check` do all set-up on a
# fresh Debian bookworm machine (apt-get installs what is missing).
include mk/versions.mk
export KABI KVER KDIR KSRC_TARBALL BUILD NCMIG_CACHE

# Scenarios `make check` runs in the lab, in one dom0 boot where possible.
LAB_SCENARIOS ?= smoke
# What `make demo` shows.
DEMO_SCENARIOS ?= smoke

.PHONY: all deps modules backends user check demo kernel-check unit fuzz \
	lab-check payload clean

all: user modules backends

deps:
	mk/deps.sh

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules

backends:
	$(MAKE) -C kernel/backends

user:
	$(MAKE) -C user

unit:
	$(MAKE) -C user check

fuzz:
	$(MAKE) -C user fuzz-check

# W=1, sparse and checkpatch on our kernel sources; uapi/spec sync.
kernel-check:
	kernel/check.sh

payload: all
	tests/lab/payload.sh

lab-check: payload
	tests/lab/run $(LAB_SCENARIOS)

check: deps
	$(MAKE) all
	$(MAKE) unit
	$(MAKE) fuzz
	$(MAKE) kernel-check
	$(MAKE) lab-check

demo: deps
	$(MAKE) payload
	tests/lab/run --demo $(DEMO_SCENARIOS)

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	-$(MAKE) -C user clean
	rm -rf $(BUILD)
