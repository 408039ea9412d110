// continuo/limits.hpp: the sizes an outside file or request can make large, and what Continuo
// does with them, in one place (docs/RELIABILITY.md lists them for users).
#pragma once

#include <cstdint>

namespace continuo::limits {

// A silence longer than this (nothing sounding and nothing else happening), in grid steps of
// tokenizer::kStepsPerBeat, is shortened by whole bars of the time signature in force, to between
// this and this plus one bar, when a score enters the model's vocabulary
// (tokenizer::Tokenizer::canonical, so also encode). The bar and beat phase of what follows is
// kept. Without it, a file with notes 2^28 ticks apart (a 726-byte MIDI file) became hundreds of
// millions of WAIT events.
inline constexpr int64_t kMaxSilenceSteps = 16 * 24;   // 16 beats (four bars of 4/4)

// The longest context (events) a model's config.json may declare (model::Config::max_len). The
// engine sizes its rotary tables and key/value caches by it before the first event: at the
// earlier limit of 2^24 a 300-byte edit of a config.json cost gigabytes and minutes at load. The
// models are trained with 512 to 1024.
inline constexpr int kMaxModelContext = 1 << 16;

// The largest MIDI file read (score::parse and score::load, so every command and the studio;
// the studio's uploads are smaller still, --max-upload-kib). Parsing costs about 20 bytes of
// memory per byte of file at most (a million-note 6 MB file: 116 MB), so this bounds it to about
// 700 MB. The largest file of the training corpora is under 3 MB.
inline constexpr int64_t kMaxMidiFileBytes = int64_t(32) << 20;

// The most notes one score may hold (score::parse). A file at the byte limit can hold about five
// million; this many take `continuo continue` about 4 s and 550 MB.
inline constexpr int64_t kMaxNotes = 4'000'000;

// The most tracks one score may hold (score::parse, after the file's tracks are split by channel
// and program). The format allows 65,535 tracks; a continuation writes the prompt's tracks, a
// conductor track and up to ~2,000 new ones, so a prompt near the format's limit could not be
// written back (65,535 one-note tracks are read in 0.4 s; 5,000 continued in 0.3 s).
inline constexpr int64_t kMaxTracks = 16'384;

}  // namespace continuo::limits
