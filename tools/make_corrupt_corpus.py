#!/usr/bin/env python3
"""Writes tests/data/corrupt/: one broken MIDI file per failure, named after the failure it causes.

Python 3 standard library only. Run once from anywhere; the files are committed:
    python3 tools/make_corrupt_corpus.py
tests/midi/test_corrupt_corpus.cpp maps each file name to the phrase its error message must contain
(add a file here -> add its phrase there). The files double as fuzzing seeds (scripts/fuzz.sh).
"""
import os
import struct

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "data", "corrupt")


def header(fmt=0, ntracks=1, division=480, length=6):
    body = struct.pack(">HHH", fmt, ntracks, division) + b"\0" * (length - 6)
    return b"MThd" + struct.pack(">I", length) + body


def chunk(kind, body, length=None):
    return kind + struct.pack(">I", len(body) if length is None else length) + body


def track(body, length=None):
    return chunk(b"MTrk", body, length)


EOT = b"\x00\xff\x2f\x00"
NOTE = b"\x00\x90\x3c\x40\x60\x80\x3c\x40"  # a quarter note at 96 ticks per beat
GOOD = header(0, 1, 96) + track(NOTE + EOT)


def riff(chunks, form=b"RMID"):
    body = form
    for kind, data in chunks:
        body += kind + struct.pack("<I", len(data)) + data + (b"\0" if len(data) % 2 else b"")
    return b"RIFF" + struct.pack("<I", len(body)) + body


FILES = {
    "empty_file.mid": b"",
    "not_midi.mid": b"This is a text file, not a MIDI file.\n",
    "truncated_header.mid": b"MThd\x00\x00\x00\x06\x00\x01",
    "header_too_short.mid": b"MThd\x00\x00\x00\x04\x00\x00\x00\x01" + track(EOT),
    "header_length_past_end.mid": b"MThd\x00\x00\x10\x00\x00\x00\x00\x01\x00\x60",
    "unknown_format.mid": header(3, 1, 96) + track(NOTE + EOT),
    "zero_division.mid": header(1, 1, 0) + track(NOTE + EOT),
    "zero_ticks_per_frame.mid": header(0, 1, 0xE700) + track(NOTE + EOT),
    "bad_smpte_frame_rate.mid": header(0, 1, 0xEC28) + track(NOTE + EOT),
    "no_track_chunk.mid": header(1, 2, 96),
    "truncated_chunk.mid": (header(0, 1, 96) + track(NOTE + EOT))[:-3],
    "chunk_length_past_end.mid": header(1, 2, 96) + track(NOTE + EOT) + track(NOTE, 0x7FFFFFF0),
    "running_status_without_status.mid": header(0, 1, 96) + track(b"\x00\x3c\x40" + EOT),
    "absurd_vlq.mid": header(0, 1, 96) + track(b"\xff\xff\xff\xff\x7f\x90\x3c\x40" + EOT),
    "absurd_meta_length.mid": header(0, 1, 96) + track(b"\x00\xff\x01\x80\x80\x80\x80\x01" + EOT),
    "truncated_delta_time.mid": header(0, 1, 96) + track(NOTE + b"\x81"),
    "delta_without_event.mid": header(0, 1, 96) + track(NOTE + b"\x00"),
    "truncated_channel_message.mid": header(0, 1, 96) + track(NOTE + b"\x00\x90\x3c"),
    "truncated_program_change.mid": header(0, 1, 96) + track(NOTE + b"\x00\xc0"),
    "data_byte_out_of_range.mid": header(0, 1, 96) + track(b"\x00\x90\x3c\xc0" + EOT),
    "unexpected_status_byte.mid": header(0, 1, 96) + track(b"\x00\xf2\x01\x02" + EOT),
    "truncated_meta.mid": header(0, 1, 96) + track(NOTE + b"\x00\xff\x03\x10Piano"),
    "truncated_meta_type.mid": header(0, 1, 96) + track(NOTE + b"\x00\xff"),
    "truncated_sysex.mid": header(0, 1, 96) + track(b"\x00\xf0\x20\x7e\x7f\x09\x01\xf7" + EOT),
    "truncated_sysex_escape.mid": header(0, 1, 96) + track(NOTE + b"\x00\xf7\x05\xf3"),
    "huge_sysex_length.mid": header(0, 1, 96) + track(b"\x00\xf0\xff\xff\xff\x7f\x01\x02\xf7"),
    "riff_without_data.mid": riff([(b"LIST", b"INFOISFT\x05\x00\x00\x00test\x00")]),
    "riff_not_rmid.mid": riff([(b"data", GOOD)], form=b"WAVE"),
    "truncated_riff_header.mid": b"RIFF\x10\x00\x00\x00RM",
    "riff_data_not_midi.mid": riff([(b"data", b"not a standard MIDI file")]),
    "riff_truncated_midi.mid": riff([(b"data", GOOD[:-6])]),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, data in sorted(FILES.items()):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    print(f"wrote {len(FILES)} files to {os.path.relpath(OUT, ROOT)}")


if __name__ == "__main__":
    main()
