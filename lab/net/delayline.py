#!/usr/bin/python3
"""A fixed-delay line for one namespace's traffic, for kernels built without sch_netem.

iptables hands each packet of the shaped link to NFQUEUE; this process holds it for the delay and
then tells the kernel to let it through (NF_ACCEPT), in arrival order. Only metadata is copied to
user space; the packet itself never leaves the kernel. Python because it can speak netlink from the
standard library, and Node cannot open netlink sockets at all.

usage: delayline.py QUEUE_NUM DELAY_MS
"""
import collections
import select
import socket
import struct
import sys
import time

NETLINK_NETFILTER = 12
NFNL_SUBSYS_QUEUE = 3
NFQNL_MSG_PACKET, NFQNL_MSG_VERDICT, NFQNL_MSG_CONFIG = 0, 1, 2
NFQA_PACKET_HDR, NFQA_VERDICT_HDR = 1, 2
NFQA_CFG_CMD, NFQA_CFG_PARAMS, NFQA_CFG_QUEUE_MAXLEN = 1, 2, 3
NFQNL_CFG_CMD_BIND = 1
NFQNL_COPY_META = 1
NLM_F_REQUEST, NLM_F_ACK = 1, 4
NF_ACCEPT = 1
NLMSG_ERROR = 2


def attr(kind, payload):
    length = 4 + len(payload)
    return struct.pack('=HH', length, kind) + payload + b'\0' * ((4 - length % 4) % 4)


def message(msg, queue, attrs, flags=NLM_F_REQUEST):
    body = struct.pack('=BBH', socket.AF_UNSPEC, 0, socket.htons(queue)) + b''.join(attrs)
    return struct.pack('=IHHII', 16 + len(body), (NFNL_SUBSYS_QUEUE << 8) | msg, flags, 0, 0) + body


def messages(data):
    """The netlink messages in one read: (kind, offset, length) each. An error reply ends the process."""
    off = 0
    while off + 16 <= len(data):
        length, kind = struct.unpack_from('=IH', data, off)
        if length < 16:
            break
        if kind == NLMSG_ERROR:
            err = struct.unpack_from('=i', data, off + 16)[0]
            if err != 0:
                print('delayline: netlink error %d' % err, file=sys.stderr, flush=True)
                sys.exit(1)
        yield kind, off, length
        off += (length + 3) & ~3


def wait_for_bind(s):
    """Reads until the kernel acknowledges the BIND (the first message sent with NLM_F_ACK)."""
    while True:
        if any(kind == NLMSG_ERROR for kind, _, _ in messages(s.recv(1 << 16))):
            return


def packet_ids(data, off, length):
    """The packet ids in one NFQNL_MSG_PACKET message."""
    a = off + 20
    while a + 4 <= off + length:
        alen, atype = struct.unpack_from('=HH', data, a)
        if alen < 4:
            break
        if (atype & 0x7fff) == NFQA_PACKET_HDR:
            yield struct.unpack_from('!I', data, a + 4)[0]
        a += (alen + 3) & ~3


def main():
    queue, delay = int(sys.argv[1]), float(sys.argv[2]) / 1000.0
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind((0, 0))
    s.send(message(NFQNL_MSG_CONFIG, queue, [attr(NFQA_CFG_CMD, struct.pack('!BBH', NFQNL_CFG_CMD_BIND, 0, 0))], NLM_F_REQUEST | NLM_F_ACK))
    s.send(message(NFQNL_MSG_CONFIG, queue, [attr(NFQA_CFG_PARAMS, struct.pack('!IB', 0, NFQNL_COPY_META) + b'\0\0\0')]))
    s.send(message(NFQNL_MSG_CONFIG, queue, [attr(NFQA_CFG_QUEUE_MAXLEN, struct.pack('!I', 20000))]))
    wait_for_bind(s)
    held = collections.deque()
    # The lab adds its NFQUEUE rule only after this line: with --queue-bypass, packets sent before
    # the bind would pass undelayed and a test's first ping would lie.
    print('delayline: ready, queue %d, %d ms' % (queue, delay * 1000), flush=True)
    while True:
        now = time.monotonic()
        timeout = max(0.0, held[0][0] - now) if held else None
        ready, _, _ = select.select([s], [], [], timeout)
        if ready:
            data = s.recv(1 << 20)
            for kind, off, length in messages(data):
                if kind == (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET:
                    for pid in packet_ids(data, off, length):
                        held.append((time.monotonic() + delay, pid))
        now = time.monotonic()
        while held and held[0][0] <= now:
            _, pid = held.popleft()
            s.send(message(NFQNL_MSG_VERDICT, queue, [attr(NFQA_VERDICT_HDR, struct.pack('!II', NF_ACCEPT, pid))]))


if __name__ == '__main__':
    main()
