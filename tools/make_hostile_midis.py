#!/usr/bin/python3
"""Writes MIDI files that make one size huge, byte by byte, into DIR (tests/scripts use them;
docs/RELIABILITY.md has what Continuo does with each):

  gaps.mid       fifty notes 2^28 ticks apart at 1 tick per beat (573 bytes)
  million.mid    a million notes at one tick (6 MB, running status)
  tracks.mid     5000 tracks of one note each
  trackmax.mid   65535 tracks of one note each (over limits::kMaxTracks)
  tempi.mid      200 tempo changes of 1 us and 16.7 s per beat, 255/2^255 time signatures
  durations.mid  fifty notes lasting 2^28 ticks
  notes.mid      4,000,001 notes, one more than Continuo reads (24 MB)
  big.mid        a few notes, then padding to 33 MiB, more than Continuo reads

    /usr/bin/python3 tools/make_hostile_midis.py DIR [NAME ...]   (default: all of them)
"""
import os
import struct
import sys


def vlq(n):
    out = [n & 0x7f]
    n >>= 7
    while n:
        out.append(0x80 | (n & 0x7f))
        n >>= 7
    return bytes(reversed(out))


def smf(tracks, tpb=480, fmt=1):
    out = b'MThd' + struct.pack('>IHHH', 6, fmt, len(tracks), tpb)
    for t in tracks:
        t = bytes(t) + vlq(0) + b'\xff\x2f\x00'
        out += b'MTrk' + struct.pack('>I', len(t)) + t
    return out


def gaps():
    t = b''
    for i in range(50):   # each gap runs from the previous note's end, a tick after its start
        t += vlq(0 if i == 0 else (1 << 28) - 1) + bytes([0x90, 60 + i % 12, 100]) + vlq(1) + bytes([0x80, 60 + i % 12, 0])
    return smf([t], tpb=1)


def million():
    t = bytearray(vlq(0) + bytes([0x90, 60, 100]))
    for i in range(999999):
        t += bytes([0, 21 + i % 88, 100])
    for i in range(1000000):
        t += bytes([0, 21 + i % 88, 0])
    return smf([t], fmt=0)


def tracks():
    return smf([vlq(i) + bytes([0xC0 | (i % 16), i % 128]) + vlq(0) + bytes([0x90 | (i % 16), 60 + i % 24, 90])
                + vlq(240) + bytes([0x80 | (i % 16), 60 + i % 24, 0]) for i in range(5000)])


def trackmax():
    # the format's most tracks, one note each: over limits::kMaxTracks
    return smf([vlq(i % 1000) + bytes([0xC0 | (i % 16), i % 128]) + vlq(0) + bytes([0x90 | (i % 16), 60 + i % 24, 90])
                + vlq(240) + bytes([0x80 | (i % 16), 60 + i % 24, 0]) for i in range(65535)])


def tempi():
    t = b''
    for _ in range(200):
        t += vlq(1) + b'\xff\x51\x03' + bytes([0, 0, 1]) + vlq(0) + b'\xff\x58\x04' + bytes([255, 255, 24, 8])
        t += vlq(0) + bytes([0x90, 60, 90]) + vlq(1) + bytes([0x80, 60, 0]) + vlq(0) + b'\xff\x51\x03' + bytes([255, 255, 255])
    return smf([t])


def durations():
    t = b''
    for i in range(50):
        t += vlq(0) + bytes([0x90, 40 + i, 90])
    for i in range(50):
        t += vlq((1 << 28) - 1 if i == 0 else 0) + bytes([0x80, 40 + i, 0])
    t += vlq(0) + bytes([0x90, 60, 90]) + vlq(1) + bytes([0x80, 60, 0])
    return smf([t], tpb=1)


def notes():
    # one note on with its status, then on/off pairs with running status, a quarter note apart
    t = bytes([0, 0x90, 60, 64, 0x60, 60, 0]) + bytes([0, 60, 64, 0x60, 60, 0]) * 4000000
    return smf([t], fmt=0)


def big():
    return smf([bytes([0, 0x90, 60, 64, 0x60, 60, 0])], fmt=0) + bytes(33 << 20)


FILES = {'gaps': gaps, 'million': million, 'tracks': tracks, 'trackmax': trackmax, 'tempi': tempi, 'durations': durations, 'notes': notes, 'big': big}

if __name__ == '__main__':
    if len(sys.argv) < 2 or sys.argv[1].startswith('-') or any(n not in FILES for n in sys.argv[2:]):
        sys.exit(__doc__)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name in sys.argv[2:] or FILES:
        with open(os.path.join(out, name + '.mid'), 'wb') as f:
            f.write(FILES[name]())
