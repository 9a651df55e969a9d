#!/usr/bin/env python3
"""slow-nbd: a throttled block device for the lab (no dm-delay in dom0).

    slow-nbd.py /dev/nbdN FILE SIZE_MIB DELAY_FILE

Connects /dev/nbdN, through a socketpair and the kernel's NBD ioctls, to a
server in this process that serves FILE (created sparse, SIZE_MIB MiB) one
request at a time, sleeping before each the number of milliseconds read
from DELAY_FILE (missing or empty: 0), so a scenario can make the disk
slow while it runs. Runs until the device is disconnected
(`python3 slow-nbd.py --disconnect /dev/nbdN`) or it is killed.
"""
import fcntl
import os
import socket
import struct
import sys
import time

NBD_SET_SOCK, NBD_SET_BLKSIZE, NBD_DO_IT, NBD_CLEAR_SOCK = 0xab00, 0xab01, 0xab03, 0xab04
NBD_CLEAR_QUE, NBD_SET_SIZE_BLOCKS, NBD_DISCONNECT = 0xab05, 0xab07, 0xab08
NBD_SET_FLAGS = 0xab0a
NBD_FLAG_HAS_FLAGS, NBD_FLAG_SEND_FLUSH = 1 << 0, 1 << 2
REQ_MAGIC, REPLY_MAGIC = 0x25609513, 0x67446698
CMD_READ, CMD_WRITE, CMD_DISC, CMD_FLUSH = 0, 1, 2, 3


def recvall(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return bytes(buf)


def delay_ms(path):
    try:
        with open(path) as f:
            return int(f.read().strip() or 0)
    except (OSError, ValueError):
        return 0


def serve(sock, fd, delay_file):
    while True:
        hdr = recvall(sock, 28)
        magic, typ, handle, off, length = struct.unpack(">II8sQI", hdr)
        if magic != REQ_MAGIC:
            raise SystemExit("slow-nbd: bad request magic %#x" % magic)
        cmd = typ & 0xffff
        data = recvall(sock, length) if cmd == CMD_WRITE else b""
        if cmd == CMD_DISC:
            return
        ms = delay_ms(delay_file)
        if ms:
            time.sleep(ms / 1000.0)
        err, out = 0, b""
        try:
            if cmd == CMD_READ:
                out = os.pread(fd, length, off)
                out += b"\0" * (length - len(out))
            elif cmd == CMD_WRITE:
                os.pwrite(fd, data, off)
            elif cmd == CMD_FLUSH:
                os.fsync(fd)
        except OSError as e:
            err, out = e.errno or 5, b""
            if cmd == CMD_READ:
                out = b""
        sock.sendall(struct.pack(">II8s", REPLY_MAGIC, err, handle) + out)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--disconnect":
        with open(sys.argv[2], "rb") as dev:
            fcntl.ioctl(dev, NBD_DISCONNECT)
            fcntl.ioctl(dev, NBD_CLEAR_SOCK)
        return
    devpath, path, mib, delay_file = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.ftruncate(fd, mib << 20)
    ours, theirs = socket.socketpair()
    pid = os.fork()
    if pid == 0:
        theirs.close()
        try:
            serve(ours, fd, delay_file)
        except EOFError:
            pass
        os._exit(0)
    ours.close()
    dev = os.open(devpath, os.O_RDWR)
    fcntl.ioctl(dev, NBD_SET_BLKSIZE, 4096)
    fcntl.ioctl(dev, NBD_SET_SIZE_BLOCKS, (mib << 20) // 4096)
    fcntl.ioctl(dev, NBD_SET_FLAGS, NBD_FLAG_HAS_FLAGS | NBD_FLAG_SEND_FLUSH)
    fcntl.ioctl(dev, NBD_CLEAR_SOCK)
    fcntl.ioctl(dev, NBD_SET_SOCK, theirs.fileno())
    try:
        fcntl.ioctl(dev, NBD_DO_IT)  # until disconnected
    except OSError:
        pass
    fcntl.ioctl(dev, NBD_CLEAR_QUE)
    fcntl.ioctl(dev, NBD_CLEAR_SOCK)
    os.waitpid(pid, 0)


if __name__ == "__main__":
    main()
