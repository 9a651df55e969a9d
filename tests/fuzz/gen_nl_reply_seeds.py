#!/usr/bin/env python3
# Seeds for fuzz_nl_reply: valid datagrams as the kernel sends them.
# ./gen_nl_reply_seeds.py writes corpus/fuzz_nl_reply/.
import os
# Attribute numbers: include/uapi/linux/xen_ncmig.h.
import struct

FAM, SEQ = 0x1d, 7
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLM_F_MULTI, NLM_F_CAPPED, NLM_F_ACK_TLVS = 2, 0x100, 0x200


def attr(t, payload):
    n = 4 + len(payload)
    return struct.pack('<HH', n, t) + payload + b'\0' * ((-n) % 4)


def u8(t, v): return attr(t, struct.pack('<B', v))
def u32(t, v): return attr(t, struct.pack('<I', v))
def u64(t, v): return attr(t, struct.pack('<Q', v))
def s(t, v): return attr(t, v.encode() + b'\0')


def msg(typ, payload, flags=0):
    n = 16 + len(payload)
    return struct.pack('<IHHII', n, typ, flags, SEQ, 1234) + payload + \
        b'\0' * ((-n) % 4)


def genl(cmd, attrs): return struct.pack('<BBH', cmd, 1, 0) + attrs


def dev(kind, devid, extra=b''):
    return attr(4, u32(1, kind) + u32(2, devid) + u8(6, 1) + u8(13, 0) +
                u64(10, 1234567) + u64(14, 1) + u64(15, 2) + extra)


ack = msg(NLMSG_ERROR, struct.pack('<i', 0) + struct.pack('<IHHII', 20, FAM, 5, SEQ, 1234), NLM_F_CAPPED)
quiesce = msg(FAM, genl(2, u32(1, 5) + u32(6, 1) + u32(9, 1234) +
                       u64(10, 99) + u32(3, 30000) +
                       dev(1, 51712) + dev(2, 0)))
restore = msg(FAM, genl(5, u32(1, 5) + u32(6, 0) + u64(10, 99) +
                       dev(1, 51712, u64(16, 5000000))))
record = b'NCSN' + bytes(60)
snap = msg(FAM, genl(3, u32(1, 5) + attr(4, u32(1, 1) + u32(2, 51712)) +
                    attr(5, record)), NLM_F_MULTI)
done = msg(NLMSG_DONE, struct.pack('<i', 0), NLM_F_MULTI)
done_err = msg(NLMSG_DONE, struct.pack('<i', -16) + s(1, 'd5: handover session held by netlink port 99'),
               NLM_F_MULTI | NLM_F_ACK_TLVS)
err = msg(NLMSG_ERROR, struct.pack('<i', -110) +
          struct.pack('<IHHII', 24, FAM, 5, SEQ, 1234) +
          s(1, 'd5 vbd 51712: drain timed out'), NLM_F_CAPPED | NLM_F_ACK_TLVS)
devget = msg(FAM, genl(1, u32(1, 5) + attr(4, u32(1, 1) + u32(2, 51712) +
                                          s(3, 'backend/vbd/5/51712') + u32(4, 4) +
                                          u8(5, 1) + u8(6, 0) + u32(7, 2) +
                                          u32(8, 0) + u32(9, 352) +
                                          u64(10, 0) + u32(11, 0))), NLM_F_MULTI)
event = msg(FAM, genl(8, u32(1, 5) + u32(7, 5) + u32(6, 0) + u64(10, 1) +
                     s(12, 'deadline passed')))
grp = attr(1, s(1, 'events') + u32(2, 11))
family = genl(1, attr(1, struct.pack('<H', FAM)) + s(2, 'xen_ncmig') +
              u32(3, 1) + attr(7, grp))

seeds = {
    'ack': b'\0' + ack,
    'quiesce_reply': b'\0' + quiesce + ack,
    'restore_reply': b'\0' + restore + ack,
    'snapshot_dump': b'\0' + snap + snap + done,
    'dump_error': b'\0' + done_err,
    'extack_error': b'\0' + err,
    'dev_dump': b'\0' + devget + devget + done,
    'event': b'\0' + event,
    'reply_only': b'\1' + quiesce[16:],
    'family': b'\2' + family,
    # Regression: nlmsg_len above 2^31 once passed mnl_nlmsg_ok().
    'huge_len': b'\0' + struct.pack('<IHHII', 0x80000010, FAM, 0, SEQ, 1) +
    genl(2, u32(1, 5)),
}
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus', 'fuzz_nl_reply')
os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(out, name), 'wb') as f:
        f.write(data)
