#!/usr/bin/python3
"""Writes the small valid MIDI files under tests/data/midi/ and the README's examples/example.mid.

Needs Debian's python3-mido (run with /usr/bin/python3 if another python3 shadows it):
    /usr/bin/python3 tools/make_test_midis.py
Deterministic: running it again gives the same bytes. The files are committed.

tests/data/midi/
  format0.mid             one track, three channels, tempo + time signature, running status
  format1_multitrack.mid  conductor track (tempo changes 120 -> 90 -> 140, 4/4 -> 3/4, key of
                          E minor, marker), piano with lyrics and sustain pedal, bass with pitch
                          bend, drums on channel 10, GM reset sysex, program changes, channel
                          pressure, poly aftertouch, note-on velocity 0 as note-off
  format2.mid             two independent patterns (format 2)
  smpte.mid               SMPTE division: 25 fps, 40 ticks per frame (1 ms per tick)
  wrapped.rmi             format0.mid inside a RIFF/RMID wrapper
examples/example.mid      8 bars of music in C major at 100 BPM: piano chords, flute melody,
                          fingered bass and a drum groove
"""
import os
import struct

import mido

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEST_DIR = os.path.join(ROOT, "tests", "data", "midi")
EXAMPLE_DIR = os.path.join(ROOT, "examples")
TPB = 480


def to_track(events, name=None):
    """A mido track from (absolute tick, message) pairs; stable sort keeps same-tick order."""
    track = mido.MidiTrack()
    if name is not None:
        track.append(mido.MetaMessage("track_name", name=name, time=0))
    now = 0
    for tick, msg in sorted(events, key=lambda e: e[0]):
        track.append(msg.copy(time=tick - now))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=0))
    return track


def notes(channel, items, note_off_as_velocity0=False, tpb=TPB):
    """(start beat, length beats, pitch, velocity) -> note on/off events in ticks."""
    out = []
    for start, length, pitch, velocity in items:
        on = round(start * tpb)
        off = round((start + length) * tpb) - 1  # a tick of air between repeated notes
        out.append((on, mido.Message("note_on", channel=channel, note=pitch, velocity=velocity)))
        if note_off_as_velocity0:
            out.append((off, mido.Message("note_on", channel=channel, note=pitch, velocity=0)))
        else:
            out.append((off, mido.Message("note_off", channel=channel, note=pitch, velocity=64)))
    # note-offs before note-ons at the same tick
    out.sort(key=lambda e: (e[0], 0 if e[1].type == "note_off" or e[1].velocity == 0 else 1))
    return out


def save(mid, path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    mid.save(path)
    print("wrote", os.path.relpath(path, ROOT))


# ---- tests/data/midi ---------------------------------------------------------------------------
def format0():
    ev = [(0, mido.MetaMessage("set_tempo", tempo=500000)),
          (0, mido.MetaMessage("time_signature", numerator=4, denominator=4)),
          (0, mido.Message("program_change", channel=0, program=0)),
          (0, mido.Message("program_change", channel=1, program=32)),
          (0, mido.Message("control_change", channel=0, control=7, value=100))]
    ev += notes(0, [(0, 1, 60, 80), (1, 1, 62, 80), (2, 1, 64, 80), (3, 1, 65, 80),
                    (4, 4, 67, 90)])
    ev += notes(0, [(0, 4, 48, 70), (4, 4, 43, 70)])
    ev += notes(1, [(0, 2, 36, 100), (2, 2, 43, 100), (4, 4, 31, 100)])
    ev += notes(9, [(b, 0.5, 42, 70) for b in range(8)] + [(0, 0.5, 36, 110), (2, 0.5, 38, 100)])
    mid = mido.MidiFile(type=0, ticks_per_beat=TPB)
    mid.tracks.append(to_track(ev, "format 0"))
    return mid


def format1():
    bar = 4 * TPB
    conductor = [(0, mido.MetaMessage("set_tempo", tempo=500000)),
                 (0, mido.MetaMessage("time_signature", numerator=4, denominator=4)),
                 (0, mido.MetaMessage("key_signature", key="Em")),
                 (0, mido.MetaMessage("copyright", text="CC0 test file")),
                 (bar, mido.MetaMessage("set_tempo", tempo=666667)),
                 (bar, mido.MetaMessage("marker", text="B section")),
                 (2 * bar, mido.MetaMessage("set_tempo", tempo=428571)),
                 (2 * bar, mido.MetaMessage("time_signature", numerator=3, denominator=4))]
    piano = [(0, mido.Message("sysex", data=[0x7E, 0x7F, 0x09, 0x01])),  # GM system on
             (0, mido.Message("program_change", channel=0, program=0)),
             (0, mido.Message("control_change", channel=0, control=64, value=127)),
             (bar - 10, mido.Message("control_change", channel=0, control=64, value=0)),
             (TPB, mido.Message("polytouch", channel=0, note=67, value=40))]
    melody = [(0, 1, 64, 90), (1, 1, 67, 85), (2, 2, 71, 95), (4, 2, 69, 80), (6, 2, 66, 80),
              (8, 1, 64, 90), (9, 1, 66, 80), (10, 1, 67, 90)]
    for i, word in enumerate(["Here", "comes", "the", "song,", "la", "la", "end", "now"]):
        piano.append((round(melody[i][0] * TPB), mido.MetaMessage("lyrics", text=word)))
    piano += notes(0, melody, note_off_as_velocity0=True)
    piano += notes(0, [(0, 4, 52, 60), (0, 4, 55, 60), (4, 4, 50, 60), (4, 4, 54, 60),
                       (8, 3, 52, 60), (8, 3, 55, 60)])
    bass = [(0, mido.Message("program_change", channel=1, program=33)),
            (0, mido.Message("control_change", channel=1, control=0, value=0)),
            (TPB * 3, mido.Message("pitchwheel", channel=1, pitch=4096)),
            (TPB * 3 + 120, mido.Message("pitchwheel", channel=1, pitch=-8192)),
            (TPB * 4, mido.Message("pitchwheel", channel=1, pitch=0)),
            (TPB * 5, mido.Message("aftertouch", channel=1, value=90))]
    bass += notes(1, [(0, 2, 40, 100), (2, 2, 47, 100), (4, 4, 38, 100), (8, 3, 40, 100)])
    drums = notes(9, [(b * 0.5, 0.25, 42, 60 + 20 * (b % 2 == 0)) for b in range(22)] +
                  [(b, 0.25, 36, 110) for b in (0, 2, 4, 6, 8)] +
                  [(b, 0.25, 38, 100) for b in (1, 3, 5, 7, 9, 10)])
    mid = mido.MidiFile(type=1, ticks_per_beat=TPB)
    mid.tracks.append(to_track(conductor, "Conductor"))
    mid.tracks.append(to_track(piano, "Piano"))
    mid.tracks.append(to_track(bass, "Bass"))
    mid.tracks.append(to_track(drums, "Drums"))
    return mid


def format2():
    mid = mido.MidiFile(type=2, ticks_per_beat=96)
    a = [(0, mido.MetaMessage("set_tempo", tempo=600000))]
    a += notes(0, [(i, 1, 60 + i, 80) for i in range(4)], tpb=96)
    b = [(0, mido.MetaMessage("set_tempo", tempo=400000))]
    b += notes(9, [(i / 2, 0.5, 42, 70) for i in range(8)], tpb=96)
    mid.tracks.append(to_track(a, "pattern A"))
    mid.tracks.append(to_track(b, "pattern B"))
    return mid


def smpte_bytes():
    """SMPTE division (mido writes only ticks per beat): raw bytes, 25 fps x 40 ticks = 1 ms/tick."""
    def vlq(v):
        out = [v & 0x7F]
        while v > 0x7F:
            v >>= 7
            out.insert(0, 0x80 | (v & 0x7F))
        return bytes(out)
    body = b"\x00\xff\x03\x05SMPTE"
    body += b"\x00\xff\x54\x05\x21\x00\x00\x00\x00"  # SMPTE offset 01:00:00:00.00 at 25 fps
    for i, pitch in enumerate((60, 64, 67, 72)):
        body += vlq(0 if i == 0 else 10) + bytes([0x90, pitch, 90]) + vlq(490) + bytes([0x80, pitch, 0])
    body += b"\x00\xff\x2f\x00"
    return (b"MThd" + struct.pack(">IHH", 6, 0, 1) + bytes([0xE7, 40]) +
            b"MTrk" + struct.pack(">I", len(body)) + body)


def rmid_bytes(smf):
    data = b"data" + struct.pack("<I", len(smf)) + smf + (b"\0" if len(smf) % 2 else b"")
    info = b"LIST" + struct.pack("<I", 12) + b"INFOICMT" + struct.pack("<I", 0)
    body = b"RMID" + info + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


# ---- examples/example.mid ----------------------------------------------------------------------
# C major, 100 BPM, 8 bars: | C | Am | F | G | C | Am | Dm G | C |
# (name, piano voicing, bass root): the bass walks down C2 A1 F1 G1.
CHORDS = [("C", [60, 64, 67], 36), ("Am", [60, 64, 69], 33), ("F", [60, 65, 69], 29),
          ("G", [59, 62, 67], 31), ("C", [60, 64, 67], 36), ("Am", [60, 64, 69], 33),
          None, ("C", [60, 64, 67], 36)]
MELODY = [  # (beat in bar, length, pitch) per bar
    [(0, 1, 67), (1, 1, 72), (2, 1.5, 76), (3.5, 0.5, 74)],
    [(0, 1, 72), (1, 1, 69), (2, 1, 76), (3, 1, 72)],
    [(0, 0.5, 69), (0.5, 0.5, 72), (1, 1.5, 77), (2.5, 0.5, 76), (3, 1, 74)],
    [(0, 1.5, 74), (1.5, 0.5, 71), (2, 2, 67)],
    [(0, 1, 76), (1, 1, 79), (2, 1.5, 84), (3.5, 0.5, 83)],
    [(0, 1.5, 81), (1.5, 0.5, 79), (2, 1, 76), (3, 1, 72)],
    [(0, 1, 74), (1, 1, 77), (2, 1, 71), (3, 1, 74)],
    [(0, 3, 72)],
]


def example():
    ev_conductor = [(0, mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(100))),
                    (0, mido.MetaMessage("time_signature", numerator=4, denominator=4)),
                    (0, mido.MetaMessage("key_signature", key="C"))]
    piano, melody, bass, drums = [], [], [], []
    for bar in range(8):
        b0 = bar * 4
        # piano: chord on 1 (dotted half feel), pushed chord on the "and" of 3
        halves = [(0, 4, CHORDS[bar])] if CHORDS[bar] else [(0, 2, ("Dm", [62, 65, 69], 38)),
                                                            (2, 2, ("G", [59, 62, 67], 31))]
        for start, length, (_, chord, root) in halves:
            if bar == 7:
                pattern = [(0, 4, 72)]
            elif length == 4:
                pattern = [(0, 2.5, 78), (2.5, 1.5, 70)]
            else:
                pattern = [(0, 1.5, 76), (1.5, 0.5, 66)]
            for off, dur, vel in pattern:
                piano += [(b0 + start + off, dur, p, vel - 4 * i) for i, p in enumerate(chord)]
            # bass: root, root on the "and" of 2, fifth, a passing note into the next bar
            fifth = root + 7
            if bar == 7:
                bass += [(b0, 3, root, 100)]
            elif length == 4:
                bass += [(b0, 1.5, root, 100), (b0 + 1.5, 0.5, root, 80), (b0 + 2, 1, fifth, 92),
                         (b0 + 3, 1, root + 12, 84)]
            else:
                bass += [(b0 + start, 1.5, root, 100), (b0 + start + 1.5, 0.5, root + 12, 80)]
        for start, length, pitch in MELODY[bar]:
            melody.append((b0 + start, length, pitch, 92 if start in (0, 2) else 80))
        # drums: kick 1, 3, "and" of 3; snare 2 and 4; closed hats in eighths; crash on bars 1 and 5
        if bar == 7:
            drums += [(b0, 1, 49, 110), (b0, 0.5, 36, 118)]
            continue
        drums += [(b0, 0.5, 36, 115), (b0 + 2, 0.5, 36, 105), (b0 + 2.5, 0.5, 36, 90),
                  (b0 + 1, 0.5, 38, 105), (b0 + 3, 0.5, 38, 108)]
        for e in range(8):
            pitch = 46 if (bar == 3 and e == 7) else 42
            drums.append((b0 + e / 2, 0.5, pitch, 88 if e % 2 == 0 else 62))
        if bar in (0, 4):
            drums.append((b0, 1, 49, 100))
        if bar == 6:  # a small snare fill into the last bar
            drums += [(b0 + 3.5, 0.25, 38, 80), (b0 + 3.75, 0.25, 38, 92)]

    def instrument(name, channel, program, items, volume, pan):
        ev = [(0, mido.Message("program_change", channel=channel, program=program)),
              (0, mido.Message("control_change", channel=channel, control=7, value=volume)),
              (0, mido.Message("control_change", channel=channel, control=10, value=pan))]
        return to_track(ev + notes(channel, items), name)

    mid = mido.MidiFile(type=1, ticks_per_beat=TPB)
    mid.tracks.append(to_track(ev_conductor, "Continuo example"))
    mid.tracks.append(instrument("Piano", 0, 0, piano, 90, 58))
    mid.tracks.append(instrument("Flute", 1, 73, melody, 100, 70))
    mid.tracks.append(instrument("Bass", 2, 33, bass, 100, 64))
    mid.tracks.append(instrument("Drums", 9, 0, drums, 95, 64))
    return mid


def main():
    save(format0(), os.path.join(TEST_DIR, "format0.mid"))
    save(format1(), os.path.join(TEST_DIR, "format1_multitrack.mid"))
    save(format2(), os.path.join(TEST_DIR, "format2.mid"))
    with open(os.path.join(TEST_DIR, "smpte.mid"), "wb") as f:
        f.write(smpte_bytes())
    print("wrote tests/data/midi/smpte.mid")
    with open(os.path.join(TEST_DIR, "format0.mid"), "rb") as f:
        wrapped = rmid_bytes(f.read())
    with open(os.path.join(TEST_DIR, "wrapped.rmi"), "wb") as f:
        f.write(wrapped)
    print("wrote tests/data/midi/wrapped.rmi")
    save(example(), os.path.join(EXAMPLE_DIR, "example.mid"))
    for name in ("format0.mid", "format1_multitrack.mid", "format2.mid", "smpte.mid"):
        mido.MidiFile(os.path.join(TEST_DIR, name))  # each reads back in mido


if __name__ == "__main__":
    main()
