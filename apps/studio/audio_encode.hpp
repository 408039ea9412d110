// Compressed downloads of the studio's audio: FLAC (lossless) and Ogg Vorbis, encoded in memory
// with libsndfile from the rendered 16-bit PCM (GET /api/scores/ID/audio?format=..., docs/API.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "continuo/audio.hpp"

namespace continuo::studio {

enum class AudioFormat { kWav, kFlac, kOgg };

// "wav", "flac" or "ogg" (exactly, lower case); nullopt for anything else.
std::optional<AudioFormat> parse_audio_format(std::string_view name);
const char* audio_format_name(AudioFormat f);        // "wav", "flac", "ogg"
const char* audio_format_mime(AudioFormat f);        // "audio/wav", "audio/flac", "audio/ogg"

// The file bytes of `a` in `f` (kWav: audio::wav_bytes). Throws Error (kInternal) when libsndfile
// cannot encode it.
std::vector<uint8_t> encode_audio(const audio::Audio& a, AudioFormat f);

}  // namespace continuo::studio
