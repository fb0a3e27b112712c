#!/usr/bin/env python3
"""Split the BGP messages out of a pcap file (standard library only).

Usage: bgp_messages.py FILE.pcap

Reads a classic pcap (Ethernet or Linux cooked link type), reassembles each
TCP direction on port 179 by sequence number, splits the byte stream on the
16 x 0xff marker and the length field, and prints one JSON object per message:
{"src": ADDR, "dst": ADDR, "type": N, "hex": "..."} in stream order.
"""

import ipaddress
import json
import struct
import sys

MARKER = b"\xff" * 16
BGP_PORT = 179


def packets(path):
    """Yield (link_type, frame bytes) for each record of a classic pcap."""
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        raise SystemExit(f"{path}: not a classic pcap file")
    link_type = struct.unpack(endian + "I", data[20:24])[0]
    pos = 24
    while pos + 16 <= len(data):
        incl_len = struct.unpack(endian + "I", data[pos + 8 : pos + 12])[0]
        yield link_type, data[pos + 16 : pos + 16 + incl_len]
        pos += 16 + incl_len


def ip_payload(link_type, frame):
    """Return (ethertype, L3 bytes) for Ethernet (1) or Linux SLL (113)."""
    if link_type == 1:
        ethertype, offset = struct.unpack("!H", frame[12:14])[0], 14
        if ethertype == 0x8100:
            ethertype, offset = struct.unpack("!H", frame[16:18])[0], 18
        return ethertype, frame[offset:]
    if link_type == 113:
        return struct.unpack("!H", frame[14:16])[0], frame[16:]
    raise SystemExit(f"unsupported link type {link_type}")


def tcp_segments(path):
    """Yield (src, dst, sport, dport, flags, seq, payload) for TCP segments."""
    for link_type, frame in packets(path):
        ethertype, l3 = ip_payload(link_type, frame)
        if ethertype == 0x0800:
            ihl = (l3[0] & 0x0F) * 4
            total = struct.unpack("!H", l3[2:4])[0]
            if l3[9] != 6:
                continue
            src, dst = ipaddress.ip_address(l3[12:16]), ipaddress.ip_address(l3[16:20])
            l4 = l3[ihl:total]
        elif ethertype == 0x86DD:
            if l3[6] != 6:
                continue
            plen = struct.unpack("!H", l3[4:6])[0]
            src, dst = ipaddress.ip_address(l3[8:24]), ipaddress.ip_address(l3[24:40])
            l4 = l3[40 : 40 + plen]
        else:
            continue
        sport, dport, seq = struct.unpack("!HHI", l4[0:8])
        offset = (l4[12] >> 4) * 4
        flags = l4[13]
        yield str(src), str(dst), sport, dport, flags, seq, l4[offset:]


def streams(path):
    """Reassemble each TCP direction; returns {(src, sport, dst, dport): bytes}.

    A direction's byte stream starts after its SYN; a new SYN on the same
    4-tuple starts a new connection (appended after the previous one's bytes,
    which ended on a message boundary).
    """
    state = {}
    order = []
    for src, dst, sport, dport, flags, seq, payload in tcp_segments(path):
        if BGP_PORT not in (sport, dport):
            continue
        key = (src, sport, dst, dport)
        if flags & 0x02:
            if key not in state:
                order.append(key)
                state[key] = {"done": b"", "isn": seq, "chunks": {}}
            else:
                entry = state[key]
                entry["done"] += assemble(entry["chunks"])
                entry["isn"], entry["chunks"] = seq, {}
            continue
        if key not in state or not payload:
            continue
        entry = state[key]
        offset = (seq - entry["isn"] - 1) % (1 << 32)
        entry["chunks"].setdefault(offset, payload)
    return [(key, state[key]["done"] + assemble(state[key]["chunks"])) for key in order]


def assemble(chunks):
    """Join chunks keyed by stream offset, tolerating retransmitted overlaps."""
    out = bytearray()
    for offset in sorted(chunks):
        data = chunks[offset]
        if offset > len(out):
            break
        out += data[len(out) - offset :]
    return bytes(out)


def messages(stream):
    """Split a reassembled BGP byte stream into whole messages."""
    pos = 0
    while pos + 19 <= len(stream):
        if stream[pos : pos + 16] != MARKER:
            raise SystemExit(f"lost BGP framing at stream offset {pos}")
        length = struct.unpack("!H", stream[pos + 16 : pos + 18])[0]
        if length < 19 or pos + length > len(stream):
            break
        yield stream[pos : pos + length]
        pos += length


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    for (src, _sport, dst, _dport), stream in streams(sys.argv[1]):
        for msg in messages(stream):
            print(json.dumps({"src": src, "dst": dst, "type": msg[18], "hex": msg.hex()}))


if __name__ == "__main__":
    main()
