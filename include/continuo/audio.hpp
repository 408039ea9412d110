// continuo/audio.hpp: scores rendered to sound with FluidSynth and a General MIDI soundfont.
//
//   using namespace continuo;
//   score::Score s = score::load("song.mid");
//   audio::Audio a = audio::render(s);            // FluidR3_GM.sf2, 44.1 kHz stereo, 16 bit
//   audio::save_wav(a, "song.wav");               // atomic write
//
//   audio::Renderer r;                            // loads the soundfont once (~150 MB)...
//   for (auto& s : scores) out.push_back(r.render(s));   // ...and renders many scores
//
// The length of a rendering is the score's length in seconds (end of the last note, through the
// tempo map) plus `tail_seconds` for release and reverb, rounded to whole samples. Every track
// plays on its own MIDI channel with its program (drum tracks on channel 10 use the soundfont's
// drum kits); control changes and pitch bends are played; bank selects are not (GM banks only).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "continuo/score.hpp"

namespace continuo::audio {

// $CONTINUO_SOUNDFONT if set, else Debian's fluid-soundfont-gm file
// (/usr/share/sounds/sf2/FluidR3_GM.sf2).
std::string default_soundfont();

struct RenderOptions {
  std::string soundfont;        // empty: default_soundfont()
  int sample_rate = 44100;      // 8000..192000
  double tail_seconds = 1.0;    // silence after the last note ends (release, reverb)
  double gain = 0.4;            // FluidSynth master gain (0..10)
  bool reverb = true;
  bool chorus = true;
  double max_seconds = 3600;    // longer scores are refused (kInvalidArgument)
};

// Interleaved 16-bit PCM.
struct Audio {
  int sample_rate = 44100;
  int channels = 2;
  std::vector<int16_t> samples;   // [frames * channels]
  int64_t frames() const { return channels > 0 ? int64_t(samples.size()) / channels : 0; }
  double seconds() const { return sample_rate > 0 ? double(frames()) / sample_rate : 0.0; }
};

// Length of the rendering of `s`, in frames, before anything is rendered.
int64_t render_frames(const score::Score& s, const RenderOptions& opt = {});

// A synthesizer with the soundfont loaded. Not thread-safe: one render at a time per Renderer.
// Throws kNotFound when the soundfont is missing, kCorruptData when FluidSynth cannot read it.
class Renderer {
 public:
  explicit Renderer(RenderOptions opt = {});
  ~Renderer();
  Renderer(Renderer&&) noexcept;
  Renderer& operator=(Renderer&&) noexcept;
  const RenderOptions& options() const;
  // Throws kInvalidArgument when the score is longer than options().max_seconds.
  Audio render(const score::Score& s);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

Audio render(const score::Score& s, const RenderOptions& opt = {});

// RIFF/WAVE, PCM 16 bit.
std::vector<uint8_t> wav_bytes(const Audio& a);
void save_wav(const Audio& a, const std::string& path);   // atomic (temporary + rename)
// Reads 16-bit PCM WAV (what wav_bytes writes); throws kCorruptData otherwise.
Audio parse_wav(std::span<const uint8_t> bytes);

// Root mean square of the samples, in [0, 1] of full scale (0 = silence).
double rms(const Audio& a);

}  // namespace continuo::audio
