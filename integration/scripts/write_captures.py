#!/usr/bin/env python3
"""Write one .hex file per interesting BGP message of a capture.

Usage: write_captures.py OUTDIR ADDR=LABEL[=DESCRIPTION] ... < messages.jsonl

Reads the JSON lines printed by bgp_messages.py. ADDR=LABEL names the router
sending from ADDR (e.g. 192.0.2.1=bird); DESCRIPTION (version and config)
goes into the file's comment header. The first message of each kind per
sender is kept; an existing file is never overwritten, so running several
captures in a row keeps the first pair's messages.
"""

import json
import os
import struct
import sys

TYPES = {1: "open", 4: "keepalive"}
# RFC 7313: 0 is a plain request, 1 and 2 bracket an enhanced route refresh.
REFRESH_SUBTYPES = {0: "", 1: "-borr", 2: "-eorr"}
NOTIFICATION_CODES = {1: "header", 2: "open", 3: "update", 4: "hold-timer", 5: "fsm", 6: "cease"}


def path_attributes(body):
    """Return [(type code, value)] of an UPDATE body (after the header)."""
    withdrawn_len = struct.unpack("!H", body[0:2])[0]
    pos = 2 + withdrawn_len
    attrs_len = struct.unpack("!H", body[pos : pos + 2])[0]
    pos += 2
    end = pos + attrs_len
    out = []
    while pos < end:
        flags, code = body[pos], body[pos + 1]
        if flags & 0x10:
            length = struct.unpack("!H", body[pos + 2 : pos + 4])[0]
            pos += 4
        else:
            length = body[pos + 2]
            pos += 3
        out.append((code, body[pos : pos + length]))
        pos += length
    return withdrawn_len, out, body[end:]


def as_path_length(value):
    """Count the ASNs of an AS_PATH value (4-octet ASNs, all sides here support them)."""
    count, pos = 0, 0
    while pos + 2 <= len(value):
        count += value[pos + 1]
        pos += 2 + 4 * value[pos + 1]
    return count


def kind(msg):
    """Name the message: open, keepalive, update-ipv4, eor-ipv6, ...

    Updates carrying a route learned from the receiver itself (FRR sends
    those back; the receiver drops them by AS-path loop detection) are named
    with a -readvertised suffix, so the plain name holds the sender's own route.
    """
    name = base_kind(msg)
    if msg[18] == 2:
        _, attrs, _ = path_attributes(msg[19:])
        if any(code == 2 and as_path_length(value) > 1 for code, value in attrs):
            name += "-readvertised"
    return name


def base_kind(msg):
    """Name the message by type, and an UPDATE by what it carries."""
    mtype = msg[18]
    if mtype == 3:
        return "notification-" + NOTIFICATION_CODES.get(msg[19], f"code{msg[19]}")
    if mtype == 5:
        return "route-refresh" + REFRESH_SUBTYPES.get(msg[21], f"-subtype{msg[21]}")
    if mtype != 2:
        return TYPES.get(mtype, f"type{mtype}")
    withdrawn_len, attrs, nlri = path_attributes(msg[19:])
    codes = {code: value for code, value in attrs}
    if withdrawn_len == 0 and not attrs and not nlri:
        return "eor-ipv4"
    if 14 in codes:
        return "update-ipv6-mp-reach" if codes[14][0:2] == b"\x00\x02" else "update-mp-reach"
    if 15 in codes:
        value = codes[15]
        afi = "ipv6" if value[0:2] == b"\x00\x02" else "afi" + value[0:2].hex()
        return f"eor-{afi}" if len(value) == 3 else f"update-{afi}-mp-unreach"
    if nlri:
        return "update-ipv4"
    return "update-ipv4-withdraw"


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    outdir = sys.argv[1]
    labels = {}
    for arg in sys.argv[2:]:
        addr, label, *desc = arg.split("=", 2)
        labels[addr] = (label, desc[0] if desc else "")
    for line in sys.stdin:
        msg = json.loads(line)
        raw = bytes.fromhex(msg["hex"])
        sender, sender_desc = labels[msg["src"]]
        receiver, receiver_desc = labels[msg["dst"]]
        path = os.path.join(outdir, f"{sender}-{kind(raw)}.hex")
        if os.path.exists(path):
            continue
        hexed = raw.hex()
        rows = [" ".join(hexed[i : i + 2] for i in range(j, min(j + 32, len(hexed)), 2)) for j in range(0, len(hexed), 32)]
        with open(path, "w") as f:
            f.write(f"# sender: {sender} ({msg['src']}), {sender_desc}\n")
            f.write(f"# receiver: {receiver} ({msg['dst']}), {receiver_desc}\n")
            f.write(f"# message: {kind(raw)}, {len(raw)} bytes, captured with tcpdump by integration/scripts/capture\n")
            f.write("\n".join(rows) + "\n")
        print(path)


if __name__ == "__main__":
    main()
