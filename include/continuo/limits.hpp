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

}  // namespace continuo::limits
