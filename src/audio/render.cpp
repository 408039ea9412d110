// audio/render.cpp: Score -> PCM through FluidSynth. The score becomes a list of channel messages
// with sample-exact times (through the tempo map); the synthesizer renders the samples between
// consecutive messages. FluidSynth's own logging is silenced: the library never prints.
#include <fluidsynth.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "continuo/audio.hpp"
#include "continuo/error.hpp"

namespace continuo::audio {
namespace {

void silence_fluidsynth_logs() {
  static std::once_flag once;
  std::call_once(once, [] {
    for (int level : {FLUID_PANIC, FLUID_ERR, FLUID_WARN, FLUID_INFO, FLUID_DBG})
      fluid_set_log_function(level, nullptr, nullptr);
  });
}

enum class MsgType : uint8_t { kProgram, kControl, kBend, kNoteOff, kNoteOn };

struct Msg {
  int64_t frame;
  MsgType type;
  uint8_t channel;
  int a = 0, b = 0;
};

void check_options(const RenderOptions& o) {
  if (o.sample_rate < 8000 || o.sample_rate > 192000)
    throw Error(ErrorCode::kInvalidArgument, "sample rate must be between 8000 and 192000 Hz, not " +
                                                 std::to_string(o.sample_rate));
  if (!(o.tail_seconds >= 0 && o.tail_seconds <= 60))
    throw Error(ErrorCode::kInvalidArgument, "the tail must be between 0 and 60 seconds");
  if (!(o.gain >= 0 && o.gain <= 10)) throw Error(ErrorCode::kInvalidArgument, "gain must be between 0 and 10");
}

double score_seconds(const score::Score& s) { return score::tick_to_seconds(s, score::end_tick(s)).count(); }

int64_t to_frame(double seconds, int rate) { return std::max<int64_t>(0, std::llround(seconds * rate)); }

// Channel messages of the whole score, sorted by time; at one time: programs, controls and bends
// first, then note-offs, then note-ons (so a repeated note restarts instead of being cut).
std::vector<Msg> messages(const score::Score& s, int rate) {
  std::vector<Msg> m;
  auto frame = [&](Ticks t) { return to_frame(score::tick_to_seconds(s, t).count(), rate); };
  for (const auto& tr : s.tracks) {
    const uint8_t ch = tr.channel & 15;
    m.push_back({0, MsgType::kProgram, ch, tr.program & 127});
    for (const auto& c : tr.controls) {
      if (c.controller == 0 || c.controller == 32) continue;   // bank selects: GM banks only
      m.push_back({frame(c.time), MsgType::kControl, ch, c.controller & 127, c.value & 127});
    }
    for (const auto& b : tr.bends)
      m.push_back({frame(b.time), MsgType::kBend, ch, std::clamp(int(b.value) + 8192, 0, 16383)});
    for (const auto& n : tr.notes) {
      m.push_back({frame(n.start), MsgType::kNoteOn, ch, n.pitch & 127, std::clamp<int>(n.velocity, 1, 127)});
      m.push_back({frame(n.start + n.duration), MsgType::kNoteOff, ch, n.pitch & 127});
    }
  }
  std::stable_sort(m.begin(), m.end(), [](const Msg& x, const Msg& y) {
    return x.frame != y.frame ? x.frame < y.frame : x.type < y.type;
  });
  return m;
}

}  // namespace

std::string default_soundfont() {
  if (const char* env = std::getenv("CONTINUO_SOUNDFONT"); env && *env) return env;
  return "/usr/share/sounds/sf2/FluidR3_GM.sf2";
}

int64_t render_frames(const score::Score& s, const RenderOptions& opt) {
  check_options(opt);
  return to_frame(score_seconds(s) + opt.tail_seconds, opt.sample_rate);
}

// FluidSynth keeps the sample data of a loaded soundfont in a process-wide cache while some synth
// holds it: `keeper` loads it once (~0.5 s for FluidR3_GM); each render then makes a fresh synth
// (~0.2 s) so that no state (reverb and chorus tails, LFO phases, controllers) carries over from
// one render to the next and the same score always gives the same samples.
struct Renderer::Impl {
  RenderOptions opt;
  fluid_settings_t* settings = nullptr;
  fluid_synth_t* keeper = nullptr;
  ~Impl() {
    if (keeper) delete_fluid_synth(keeper);
    if (settings) delete_fluid_settings(settings);
  }
  fluid_synth_t* new_synth() const {
    fluid_synth_t* synth = new_fluid_synth(settings);
    if (!synth) throw Error(ErrorCode::kInternal, "FluidSynth could not create a synthesizer");
    if (fluid_synth_sfload(synth, opt.soundfont.c_str(), 1) == FLUID_FAILED) {
      delete_fluid_synth(synth);
      throw Error(ErrorCode::kCorruptData, opt.soundfont + ": FluidSynth cannot read this soundfont");
    }
    return synth;
  }
};

Renderer::Renderer(RenderOptions opt) : impl_(std::make_unique<Impl>()) {
  check_options(opt);
  silence_fluidsynth_logs();
  if (opt.soundfont.empty()) opt.soundfont = default_soundfont();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(opt.soundfont, ec))
    throw Error(ErrorCode::kNotFound, opt.soundfont +
                                          ": soundfont not found (install Debian's fluid-soundfont-gm, or set "
                                          "CONTINUO_SOUNDFONT to a .sf2 file)");
  impl_->opt = opt;
  impl_->settings = new_fluid_settings();
  if (!impl_->settings) throw Error(ErrorCode::kInternal, "FluidSynth could not create its settings");
  fluid_settings_setnum(impl_->settings, "synth.sample-rate", double(opt.sample_rate));
  fluid_settings_setnum(impl_->settings, "synth.gain", opt.gain);
  fluid_settings_setint(impl_->settings, "synth.reverb.active", opt.reverb ? 1 : 0);
  fluid_settings_setint(impl_->settings, "synth.chorus.active", opt.chorus ? 1 : 0);
  fluid_settings_setint(impl_->settings, "synth.polyphony", 512);
  fluid_settings_setint(impl_->settings, "synth.cpu-cores", 1);
  impl_->keeper = impl_->new_synth();
}

Renderer::~Renderer() = default;
Renderer::Renderer(Renderer&&) noexcept = default;
Renderer& Renderer::operator=(Renderer&&) noexcept = default;
const RenderOptions& Renderer::options() const { return impl_->opt; }

Audio Renderer::render(const score::Score& s) {
  const RenderOptions& opt = impl_->opt;
  const double seconds = score_seconds(s);
  if (!(seconds <= opt.max_seconds))
    throw Error(ErrorCode::kInvalidArgument, "the score lasts " + std::to_string(int64_t(seconds)) +
                                                 " s; rendering is limited to " +
                                                 std::to_string(int64_t(opt.max_seconds)) + " s");
  std::unique_ptr<fluid_synth_t, void (*)(fluid_synth_t*)> owner(impl_->new_synth(), delete_fluid_synth);
  fluid_synth_t* synth = owner.get();

  Audio a;
  a.sample_rate = opt.sample_rate;
  a.channels = 2;
  const int64_t total = render_frames(s, opt);
  a.samples.assign(size_t(total) * 2, 0);
  const std::vector<Msg> msgs = messages(s, opt.sample_rate);

  // float output, converted here without dither: silence stays exactly 0
  constexpr int kBlock = 4096;
  std::vector<float> left(kBlock), right(kBlock);
  int64_t done = 0;   // frames rendered so far
  auto render_to = [&](int64_t frame) {
    frame = std::min(frame, total);
    while (done < frame) {
      const int n = int(std::min<int64_t>(frame - done, kBlock));
      if (fluid_synth_write_float(synth, n, left.data(), 0, 1, right.data(), 0, 1) != FLUID_OK)
        throw Error(ErrorCode::kInternal, "FluidSynth failed to render");
      int16_t* out = a.samples.data() + done * 2;
      for (int i = 0; i < n; ++i) {
        out[2 * i] = int16_t(std::lrint(std::clamp(left[size_t(i)], -1.0f, 1.0f) * 32767.0f));
        out[2 * i + 1] = int16_t(std::lrint(std::clamp(right[size_t(i)], -1.0f, 1.0f) * 32767.0f));
      }
      done += n;
    }
  };
  for (const Msg& m : msgs) {
    render_to(m.frame);
    switch (m.type) {
      case MsgType::kProgram: fluid_synth_program_change(synth, m.channel, m.a); break;
      case MsgType::kControl: fluid_synth_cc(synth, m.channel, m.a, m.b); break;
      case MsgType::kBend: fluid_synth_pitch_bend(synth, m.channel, m.a); break;
      case MsgType::kNoteOff: fluid_synth_noteoff(synth, m.channel, m.a); break;
      case MsgType::kNoteOn: fluid_synth_noteon(synth, m.channel, m.a, m.b); break;
    }
  }
  render_to(total);
  return a;
}

Audio render(const score::Score& s, const RenderOptions& opt) { return Renderer(opt).render(s); }

double rms(const Audio& a) {
  if (a.samples.empty()) return 0.0;
  long double sum = 0;
  for (int16_t x : a.samples) sum += double(x) * double(x);
  return std::sqrt(double(sum / a.samples.size())) / 32768.0;
}

}  // namespace continuo::audio
