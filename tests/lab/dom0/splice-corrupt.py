#!/usr/bin/env python3
# splice-corrupt.py HOST REMOTE-COMMAND: stands in for ssh in the lab's
# splice scenario (`ncmigd splice send --ssh "python3 splice-corrupt.py"
# ... corrupt ...`).  Runs REMOTE-COMMAND with `sh -c` on this host, as
# ssh would on HOST, and copies its own stdin to it, flipping one octet
# inside the first ncmig optional libxc record (type 0xCE434D47, ident
# "NCMIGOPT"): the receiver must refuse that record.  stdout is the
# command's, untouched.  Prints what it flipped on stderr.
import os
import subprocess
import sys
import threading

MARK = b"\x47\x4d\x43\xce"      # the record's type, little-endian
IDENT = b"NCMIGOPT"
# type(4) length(4) envelope(24) ncmig header(16) record header(16): the
# octet flipped is the third of the stream's first record body.
FLIP = 8 + 24 + 16 + 16 + 2
NEED = FLIP + 1

child = subprocess.Popen(["sh", "-c", sys.argv[2]], stdin=subprocess.PIPE)


# Like ssh, end when the remote command ends (even while our stdin is
# still open): the sender must see its receiver go.
def reaper():
    rc = child.wait()
    sys.stderr.flush()
    os._exit(rc if rc >= 0 else 128 - rc)


threading.Thread(target=reaper, daemon=True).start()
src = sys.stdin.buffer
pending = bytearray()
offset = 0          # input offset of pending[0]
done = False
try:
    while True:
        chunk = src.read1(65536)
        if chunk:
            pending += chunk
        if not done:
            i = 0
            while True:
                i = pending.find(MARK, i)
                if i < 0 or len(pending) - i < 8 + len(IDENT):
                    break
                if pending[i + 8:i + 8 + len(IDENT)] == IDENT:
                    break
                i += 1
            if i >= 0 and len(pending) - i >= NEED and \
               pending[i + 8:i + 8 + len(IDENT)] == IDENT:
                pending[i + FLIP] ^= 0x40
                done = True
                sys.stderr.write("splice-corrupt: flipped octet %d of the "
                                 "ncmig record at input offset %d\n"
                                 % (FLIP, offset + i))
                sys.stderr.flush()
        # Hold back what may be the start of the record until it is whole.
        keep = 0 if (done or not chunk) else NEED + 8
        out = len(pending) - keep if len(pending) > keep else 0
        if out:
            child.stdin.write(bytes(pending[:out]))
            child.stdin.flush()
            del pending[:out]
            offset += out
        if not chunk:
            break
except BrokenPipeError:
    pass
try:
    child.stdin.close()
except BrokenPipeError:
    pass
if not done:
    sys.stderr.write("splice-corrupt: no ncmig record seen\n")
sys.exit(child.wait())
